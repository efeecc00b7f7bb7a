"""Over HTTP against `stormwatch dev`: a signal's correlation key finds its incident from its own org and
from no other; related incidents list an earlier incident of the same service; a dedupe creation reuses
the service's open incident."""

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_a_correlation_key_is_found_from_its_own_org_only_and_related_lists_the_service(local_stack):
    # Orgs and the service of their own, as the stack is shared with other tests.
    org, other = f"ctx-{uuid.uuid4().hex[:8]}", f"ctx-{uuid.uuid4().hex[:8]}"
    responder = local_stack.token(org, "rita", "responder")
    outsider = local_stack.token(other, "olga", "admin")
    service = "checkout"
    body = {"title": "Checkout errors", "severity": "high", "service": service}
    earlier = local_stack.request(
        "POST", "/v1/incidents", {**body, "incident_key": "earlier"}, token=responder
    )
    assert earlier.status == 201, earlier.body
    current = local_stack.request(
        "POST", "/v1/incidents", {**body, "incident_key": "current"}, token=responder
    )
    assert current.status == 201, current.body
    incident_id = current.body["id"]

    signal = {"type": "deploy", "summary": "checkout 4.2.1 rolled out", "correlation_key": "deploy-4.2.1"}
    attached = local_stack.request("POST", f"/v1/incidents/{incident_id}/signals", signal, token=responder)
    assert attached.status == 201, attached.body

    found = local_stack.request("GET", "/v1/incidents?correlation_key=deploy-4.2.1", token=responder)
    assert [item["id"] for item in found.body["items"]] == [incident_id]
    elsewhere = local_stack.request("GET", "/v1/incidents?correlation_key=deploy-4.2.1", token=outsider)
    assert (elsewhere.status, elsewhere.body["items"]) == (200, [])
    assert local_stack.request("GET", f"/v1/incidents/{incident_id}/related", token=outsider).status == 404

    related = local_stack.request("GET", f"/v1/incidents/{incident_id}/related", token=responder)
    assert related.status == 200, related.body
    assert [(item["id"], item["why"]) for item in related.body["items"]] == [
        (earlier.body["id"], [{"reason": "service", "value": service}])
    ]

    dedupe = {**body, "dedupe": "open_for_service"}
    reused = local_stack.request("POST", "/v1/incidents", dedupe, token=responder)
    assert (reused.status, reused.body["reused"]) == (200, True)
    assert reused.body["id"] in {earlier.body["id"], incident_id}
