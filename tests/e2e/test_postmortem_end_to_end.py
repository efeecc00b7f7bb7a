"""Over HTTP against `stormwatch dev`: a resolved critical incident's post-mortem reminder reaches the
assignee's webhook (a loopback receiver) when `stormwatch sweep --now` runs 49 h later; once the
post-mortem is published, the next day's sweep reminds nobody, and search finds it by its root cause."""

import json
import urllib.request
from datetime import timedelta

import pytest

from stormwatch.clock import parse_iso
from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_a_required_post_mortem_reminds_until_published(local_stack):
    admin = local_stack.token("learning", "ada", "admin")
    lead = local_stack.token("learning", "lena", "lead")
    with receiver() as hooks:
        member = {"handle": "wendy", "name": "Wendy", "webhook_url": f"{hooks.url}/wendy"}
        assert local_stack.request("POST", "/v1/members", member, token=admin).status == 201
        opened = local_stack.request(
            "POST", "/v1/incidents", {"title": "Checkout down", "severity": "critical"}, token=admin
        ).body
        incident_id = opened["id"]
        path = f"/v1/incidents/{incident_id}"
        assert (
            local_stack.request("POST", f"{path}/assignment", {"assignee": "wendy"}, token=admin).status
            == 200
        )
        resolved = local_stack.request(
            "POST", f"{path}/status", {"status": "resolved", "note": "rolled back"}, token=admin
        ).body
        assert local_stack.request("GET", path, token=admin).body["postmortem_status"] == "required"
        resolved_at = parse_iso(resolved["resolved_at"])

        # The stack is shared with other tests, whose timers this sweep may fire too: what is checked is
        # this incident's reminder, at its assignee and on its timeline.
        local_stack.cli("sweep", "--now", (resolved_at + timedelta(hours=49)).isoformat())

        def reminded():
            bodies = [json.loads(request.body) for request in hooks.delivered("/wendy")]
            return [body for body in bodies if body["type"] == "notification.postmortem_reminder"]

        (payload,) = wait_for(reminded, 30, "the reminder at the assignee's webhook")
        assert payload["incident"]["id"] == incident_id

        def reminders_on_the_timeline() -> list[str]:
            timeline = local_stack.request("GET", f"{path}/timeline", token=admin).body["items"]
            return [
                event["data"]["recipient"] for event in timeline if event["type"] == "postmortem_reminder"
            ]

        assert reminders_on_the_timeline() == ["wendy"]

        draft = local_stack.request("POST", f"{path}/postmortem", {}, token=admin)
        assert draft.status == 201, draft.body
        edit = {
            "title": draft.body["title"],
            "sections": {"root_cause": "A misconfigured autoscaler drained every checkout node."},
            "impact": {**draft.body["impact"], "users_affected": 1200},
            "contributing_factors": ["no canary"],
            "related_incident_ids": [],
        }
        saved = local_stack.request("PUT", f"{path}/postmortem", edit, token=admin, headers={"If-Match": "1"})
        assert saved.status == 200, saved.body
        published = local_stack.request(
            "POST", f"{path}/postmortem/status", {"status": "published"}, token=lead
        )
        assert published.status == 200, published.body

        local_stack.cli("sweep", "--now", (resolved_at + timedelta(hours=73)).isoformat())
        assert reminders_on_the_timeline() == ["wendy"]

        found = local_stack.request("GET", "/v1/postmortems?q=autoscaler", token=admin).body
        assert [item["incident_id"] for item in found["items"]] == [incident_id]
        fetch = urllib.request.Request(f"{local_stack.url}{path}/postmortem/markdown")
        fetch.add_header("Authorization", f"Bearer {admin}")
        with urllib.request.urlopen(fetch, timeout=30) as answer:
            assert answer.headers["Content-Type"].startswith("text/markdown")
            assert "A misconfigured autoscaler" in answer.read().decode()
        assert len(reminded()) == 1
