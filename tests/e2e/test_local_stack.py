import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.paths import FIXTURES
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def alarm(route=None, **fields):
    return {
        "route": route or f"GET /e2e/{uuid.uuid4().hex[:8]}",
        "kind": "error_rate",
        "severity": "warning",
        **fields,
    }


def test_credentials_name_the_url_org_tokens_and_a_key_per_webhook_source(local_stack):
    credentials = local_stack.credentials
    assert set(credentials) == {
        "api_url",
        "org",
        "admin_token",
        "integration_keys",
        "dev_secret",
        "dynamodb_endpoint",
        "table_name",
    }
    assert set(credentials["integration_keys"]) == {
        "generic",
        "alertmanager",
        "grafana",
        "cloudwatch",
        "sentry",
        "datadog",
        "pagerduty",
    }


def test_alertmanager_fires_and_resolves_an_incident_seen_through_the_rest_api(local_stack):
    keys, token = local_stack.credentials["integration_keys"], local_stack.credentials["admin_token"]
    firing = json.loads((FIXTURES / "alertmanager/firing.json").read_text())
    firing["groupKey"] = f"e2e-{uuid.uuid4().hex}"
    answer = local_stack.request("POST", "/v1/hooks/alertmanager", firing, key=keys["alertmanager"])
    assert answer.status == 202
    incident_id = answer.body["results"][0]["incident_id"]

    detail = local_stack.request("GET", f"/v1/incidents/{incident_id}", token=token)
    assert detail.status == 200
    assert (detail.body["status"], detail.body["severity"], detail.body["alert_count"]) == (
        "open",
        "critical",
        1,
    )

    resolved = json.loads((FIXTURES / "alertmanager/resolved.json").read_text())
    resolved["groupKey"] = firing["groupKey"]
    answer = local_stack.request("POST", "/v1/hooks/alertmanager", resolved, key=keys["alertmanager"])
    assert answer.body["results"][0]["action"] == "resolved"
    assert (
        local_stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body["status"] == "resolved"
    )


def test_generic_alarms_then_a_person_acknowledges_and_resolves(local_stack):
    key, token = (
        local_stack.credentials["integration_keys"]["generic"],
        local_stack.credentials["admin_token"],
    )
    route = f"GET /orders/{uuid.uuid4().hex[:6]}"
    first = local_stack.request("POST", "/v1/hooks/generic", alarm(route), key=key)
    local_stack.request("POST", "/v1/hooks/generic", alarm(route, severity="critical"), key=key)
    incident_id = first.body["results"][0]["incident_id"]

    responder = local_stack.token("demo", "rita", "responder")
    acknowledged = local_stack.request(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, token=responder
    )
    assert acknowledged.status == 200
    assert acknowledged.body["acknowledged_by"] == "user:rita"
    assert acknowledged.body["severity"] == "critical"
    assert acknowledged.body["alert_count"] == 2

    resolved = local_stack.request(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "resolved", "note": "rolled back"},
        token=token,
    )
    assert resolved.status == 200
    listed = local_stack.request("GET", "/v1/incidents?status=resolved&limit=100", token=token)
    assert incident_id in [item["id"] for item in listed.body["items"]]


def test_another_org_sees_nothing_of_the_demo_org(local_stack):
    key, token = (
        local_stack.credentials["integration_keys"]["generic"],
        local_stack.credentials["admin_token"],
    )
    incident_id = local_stack.request("POST", "/v1/hooks/generic", alarm(), key=key).body["results"][0][
        "incident_id"
    ]
    outsider = local_stack.token("other-org", "olga", "admin")
    assert local_stack.request("GET", "/v1/incidents", token=outsider).body == {
        "items": [],
        "next_cursor": None,
    }
    assert local_stack.request("GET", f"/v1/incidents/{incident_id}", token=outsider).status == 404
    changed = local_stack.request(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, token=outsider
    )
    assert changed.status == 404
    assert local_stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body["status"] == "open"


def test_rest_calls_without_a_valid_token_are_401_in_the_error_shape(local_stack):
    for token in (None, "not.a.jwt", local_stack.credentials["admin_token"] + "x"):
        answer = local_stack.request("GET", "/v1/incidents", token=token)
        assert answer.status == 401
        assert answer.body["error"]["code"] == "unauthenticated"


def test_bad_webhooks_get_clear_4xx(local_stack):
    key = local_stack.credentials["integration_keys"]["generic"]
    assert local_stack.request("POST", "/v1/hooks/generic", alarm(), key="sw_wrong").status == 401
    assert local_stack.request("POST", "/v1/hooks/generic", b"{nope", key=key).status == 400
    bad = local_stack.request("POST", "/v1/hooks/generic", alarm(severity="urgent"), key=key)
    assert (bad.status, bad.body["error"]["message"].split(":")[0]) == (400, "body.severity")
    big = local_stack.request("POST", "/v1/hooks/generic", alarm(description="x" * 1_100_000), key=key)
    assert big.status == 413
    assert local_stack.request("GET", "/v1/nowhere", key=key).status == 404


def test_fifty_senders_racing_on_a_new_alarm_make_one_incident(local_stack):
    key, token = (
        local_stack.credentials["integration_keys"]["generic"],
        local_stack.credentials["admin_token"],
    )
    body = alarm()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(
            pool.map(lambda _: local_stack.request("POST", "/v1/hooks/generic", body, key=key), range(50))
        )
    assert [answer.status for answer in answers] == [202] * 50
    ids = {answer.body["results"][0]["incident_id"] for answer in answers}
    assert len(ids) == 1
    detail = local_stack.request("GET", f"/v1/incidents/{ids.pop()}", token=token)
    assert detail.body["alert_count"] == 50
    assert [event["type"] for event in detail.body["timeline"]] == ["alert_fired", "created"]


def test_a_team_works_an_incident_over_http(local_stack):
    key, admin = (
        local_stack.credentials["integration_keys"]["generic"],
        local_stack.credentials["admin_token"],
    )
    handle = f"bob{uuid.uuid4().hex[:6]}"
    assert (
        local_stack.request("POST", "/v1/members", {"handle": handle, "name": "Bob"}, token=admin).status
        == 201
    )
    incident_id = local_stack.request("POST", "/v1/hooks/generic", alarm(), key=key).body["results"][0][
        "incident_id"
    ]
    responder = local_stack.token("demo", "rita", "responder")

    assigned = local_stack.request(
        "POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": handle}, token=responder
    )
    assert assigned.body["assignee"] == handle
    comment = local_stack.request(
        "POST", f"/v1/incidents/{incident_id}/comments", {"body": f"@{handle} on it?"}, token=responder
    )
    assert comment.body["data"]["mentions"] == [handle]

    retry = {"Idempotency-Key": f"ack-{incident_id}"}
    first = local_stack.request(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "acknowledged"},
        token=responder,
        headers=retry,
    )
    again = local_stack.request(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "acknowledged"},
        token=responder,
        headers=retry,
    )
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    timeline = local_stack.request("GET", f"/v1/incidents/{incident_id}", token=responder).body["timeline"]
    # Deliveries (the notifier's outcomes) interleave as they land: the team's own steps, in order.
    steps = [event["type"] for event in timeline if event["type"] != "notification"]
    assert steps[:3] == ["status_changed", "comment", "assigned"]


def test_metrics_follow_incidents_through_the_local_stream(local_stack):
    """The stack feeds the table's stream to the aggregates function, as Lambda does on AWS: shortly."""
    key, token = (
        local_stack.credentials["integration_keys"]["generic"],
        local_stack.credentials["admin_token"],
    )
    service = f"svc-{uuid.uuid4().hex[:8]}"
    fired = local_stack.request(
        "POST", "/v1/hooks/generic", alarm(service=service, severity="critical"), key=key
    )
    incident_id = fired.body["results"][0]["incident_id"]
    local_stack.request(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "resolved", "note": "ok"}, token=token
    )

    def settled():
        body = local_stack.request("GET", f"/v1/metrics?service={service}", token=token).body
        return body if body["counts"]["by_status"] == {"resolved": 1} and body["open_now"] == 0 else None

    body = wait_for(settled, 30, "the stream to reach the metrics")
    assert body["incidents"] == 1
    assert body["counts"]["by_severity"] == {"critical": 1}
    assert body["mttr_seconds"]["p50"] is not None
