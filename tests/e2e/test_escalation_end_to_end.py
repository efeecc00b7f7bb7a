"""Over HTTP against `stormwatch dev`: a policy pages a member's webhook (a loopback receiver) when
`stormwatch sweep` runs, through the notifier fed by the stack's stream, signed as documented."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import page_member_on_escalation
from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
SECRET = "end-to-end-webhook-secret"


def test_a_sweep_pages_the_members_webhook_through_the_stream(local_stack):
    admin = local_stack.token("escalating", "ada", "admin")
    with receiver() as hooks:
        member = {
            "handle": "wendy",
            "name": "Wendy",
            "webhook_url": f"{hooks.url}/wendy",
            "webhook_secret": SECRET,
        }
        page_member_on_escalation(local_stack, admin, member)
        key = local_stack.request(
            "POST", "/v1/integrations", {"source": "generic", "name": "g"}, token=admin
        ).body["key"]
        alarm = {"incident_key": "db::down", "severity": "critical", "title": "DB down"}
        incident_id = local_stack.request("POST", "/v1/hooks/generic", alarm, key=key).body["results"][0][
            "incident_id"
        ]

        later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        # The stack's own sweep runs every minute and may page first: either way, exactly one page.
        local_stack.cli("sweep", "--now", later)

        (request,) = wait_for(lambda: hooks.delivered("/wendy"), 30, "the notifier to call the webhook")
        assert request.signed_with(SECRET)
        assert json.loads(request.body)["incident"]["id"] == incident_id

        def delivered():
            timeline = local_stack.request("GET", f"/v1/incidents/{incident_id}/timeline", token=admin).body[
                "items"
            ]
            return [event for event in timeline if event["type"] == "notification"]

        (outcome,) = wait_for(delivered, 30, "the delivery's outcome on the timeline")
        assert (outcome["data"]["status"], outcome["data"]["to"]) == ("sent", "wendy")
