"""`stormwatch dev --data DIR`: what was paged before a restart is there after it (the incident, its
timeline, its timers, the demo org's keys and tokens), nothing already delivered is delivered again, and
a sweep after the restart fires what came due. `--fresh` starts empty."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import page_members_on_escalation, start_stack
from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def sweep(stack, minutes_from_now):
    later = (datetime.now(UTC) + timedelta(minutes=minutes_from_now)).isoformat()
    return json.loads(stack.cli("sweep", "--now", later))


def test_a_restart_with_the_same_data_keeps_incidents_timers_and_keys(tmp_path):
    data = ["--data", str(tmp_path / "data")]
    with receiver() as hooks:
        run = start_stack(tmp_path, *data)
        stack = next(run)
        admin = stack.credentials["admin_token"]
        members = [
            {"handle": "wendy", "name": "Wendy", "webhook_url": f"{hooks.url}/wendy"},
            {"handle": "xavier", "name": "Xavier", "webhook_url": f"{hooks.url}/xavier"},
        ]
        page_members_on_escalation(stack, admin, members, delay_minutes=1)
        keys = stack.credentials["integration_keys"]
        alarm = {"incident_key": "db::down", "severity": "critical", "title": "DB down"}
        incident_id = stack.request("POST", "/v1/hooks/generic", alarm, key=keys["generic"]).body["results"][
            0
        ]["incident_id"]
        assert sweep(stack, 2)["fired"] == 1
        wait_for(lambda: hooks.delivered("/wendy"), 30, "the first level's delivery")

        def delivered_on_timeline(active):
            timeline = active.request("GET", f"/v1/incidents/{incident_id}/timeline", token=admin).body
            return [event for event in timeline["items"] if event["type"] == "notification"]

        wait_for(lambda: delivered_on_timeline(stack), 30, "the delivery's outcome on the timeline")
        before = stack.request("GET", f"/v1/incidents/{incident_id}", token=admin).body
        timeline = stack.request("GET", f"/v1/incidents/{incident_id}/timeline", token=admin).body
        run.close()

        run = start_stack(tmp_path, *data)
        stack = next(run)
        # The same keys and the same signing secret: the old admin token still works.
        assert stack.credentials["integration_keys"] == keys
        assert stack.request("GET", f"/v1/incidents/{incident_id}", token=admin).body == before
        assert stack.request("GET", f"/v1/incidents/{incident_id}/timeline", token=admin).body == timeline
        repeat = stack.request("POST", "/v1/hooks/generic", alarm, key=keys["generic"]).body["results"][0]
        assert (repeat["incident_id"], repeat["action"]) == (incident_id, "updated")

        assert sweep(stack, 30)["fired"] == 1
        wait_for(lambda: hooks.delivered("/xavier"), 30, "the second level's delivery after the restart")
        # Nothing restored was delivered again.
        assert len(hooks.delivered("/wendy")) == 1
        assert len(hooks.delivered("/xavier")) == 1
        run.close()

        run = start_stack(tmp_path, *data, "--fresh")
        stack = next(run)
        fresh_admin = stack.credentials["admin_token"]
        assert stack.request("GET", "/v1/incidents", token=fresh_admin).body["items"] == []
        assert stack.request("GET", "/v1/incidents", token=admin).status == 401
        assert stack.credentials["integration_keys"]["generic"] != keys["generic"]
        run.close()


def test_a_crash_loses_only_what_the_journal_had_not_reached(tmp_path):
    data = tmp_path / "data"
    run = start_stack(tmp_path, "--data", str(data))
    stack = next(run)
    alarm = {"incident_key": "disk::full", "severity": "high", "title": "Disk full"}
    key = stack.credentials["integration_keys"]["generic"]
    incident_id = stack.request("POST", "/v1/hooks/generic", alarm, key=key).body["results"][0]["incident_id"]
    wait_for(
        lambda: incident_id in (data / "journal.jsonl").read_text(), 30, "the journal to hold the incident"
    )
    stack.process.kill()
    stack.process.wait(timeout=30)
    run.close()

    run = start_stack(tmp_path, "--data", str(data))
    stack = next(run)
    incident = stack.request("GET", f"/v1/incidents/{incident_id}", token=stack.credentials["admin_token"])
    assert (incident.status, incident.body["title"]) == (200, "Disk full")
    run.close()
