"""Over HTTP against `stormwatch dev`: a level targeting a schedule pages whoever the schedule has on call
at the instant `stormwatch sweep --now` stands for, for two instants in two different shifts."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_a_schedule_target_pages_the_member_on_call_when_the_sweep_runs(local_stack):
    admin = local_stack.token("rotating", "ada", "admin")
    with receiver() as hooks:
        for handle in ("wendy", "xavier"):
            member = {"handle": handle, "name": handle.title(), "webhook_url": f"{hooks.url}/{handle}"}
            assert local_stack.request("POST", "/v1/members", member, token=admin).status == 201
        today = datetime.now(UTC).date().isoformat()
        hourly = {
            "name": "hourly",
            "time_zone": "UTC",
            # Hourly shifts would each be reminded of at the hooks; this test is about paging.
            "reminder_hours": 0,
            "layers": [
                {
                    "name": "primary",
                    "participants": ["wendy", "xavier"],
                    "shift_length": 1,
                    "shift_unit": "hours",
                    "handoff_time": "00:00",
                    "start_date": today,
                }
            ],
        }
        created = local_stack.request("POST", "/v1/schedules", hourly, token=admin)
        assert created.status == 201, created.body
        schedule_id = created.body["id"]
        policy = {
            "name": "follow the rotation",
            "levels": [{"delay_minutes": 5, "targets": [{"type": "schedule", "value": schedule_id}]}],
        }
        policy_id = local_stack.request("POST", "/v1/escalation-policies", policy, token=admin).body["id"]
        settings = {"default_escalation_policy_id": policy_id}
        assert local_stack.request("PUT", "/v1/org/settings", settings, token=admin).status == 200
        key = local_stack.request(
            "POST", "/v1/integrations", {"source": "generic", "name": "g"}, token=admin
        ).body["key"]

        first = datetime.now(UTC) + timedelta(minutes=1)
        paged = []
        for number, instant in enumerate((first, first + timedelta(hours=1))):
            expected = local_stack.request(
                "GET",
                f"/v1/schedules/{schedule_id}/oncall?at={instant.isoformat().replace('+00:00', 'Z')}",
                token=admin,
            ).body["member"]
            alarm = {"incident_key": f"db::down::{number}", "severity": "critical", "title": "DB down"}
            incident_id = local_stack.request("POST", "/v1/hooks/generic", alarm, key=key).body["results"][0][
                "incident_id"
            ]
            report = json.loads(local_stack.cli("sweep", "--now", instant.isoformat()))
            assert report["fired"] >= 1, report

            def reached(incident_id=incident_id):
                return [
                    request
                    for handle in ("wendy", "xavier")
                    for request in hooks.delivered(f"/{handle}")
                    if json.loads(request.body)["incident"]["id"] == incident_id
                ]

            (request,) = wait_for(reached, 30, "the notifier to page the member on call")
            assert request.path == f"/{expected}"
            timeline = local_stack.request("GET", f"/v1/incidents/{incident_id}/timeline", token=admin).body[
                "items"
            ]
            (escalated,) = [event for event in timeline if event["type"] == "escalated"]
            assert escalated["data"]["targets"] == [
                {"type": "schedule", "value": schedule_id, "member": expected}
            ]
            paged.append(expected)
        assert sorted(paged) == ["wendy", "xavier"]
