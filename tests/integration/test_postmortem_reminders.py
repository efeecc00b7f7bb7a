"""Required post-mortems and the reminders the sweep sends: 48 h after resolution, then daily, until one is
published; overdue action items daily until done."""

from tests.integration.test_postmortems import create, move, resolved_critical


def reminders(stack, incident_id):
    timeline = stack.call("GET", f"/v1/incidents/{incident_id}/timeline", query={"limit": "100"}).body[
        "items"
    ]
    return [event for event in timeline if event["type"] == "postmortem_reminder"]


def outbox_reminders(stack, kind="postmortem_reminder"):
    return [item for item in stack.outbox() if item["kind"] == kind]


def test_a_critical_incident_shows_required_until_one_is_written(stack):
    incident_id = resolved_critical(stack)
    high = stack.fire("search::slow", severity="high")
    stack.call("POST", f"/v1/incidents/{high}/status", {"status": "resolved", "note": "fixed"})
    assert stack.incident(incident_id)["postmortem_status"] == "required"
    assert stack.incident(high)["postmortem_status"] == "none"
    listed = {item["id"]: item["postmortem_status"] for item in stack.incidents()}
    assert listed == {incident_id: "required", high: "none"}
    settings = {"postmortem_required_severities": ["critical", "high"]}
    assert stack.call("PUT", "/v1/org/settings", settings, roles="[admin]").status == 200
    assert stack.incident(high)["postmortem_status"] == "required"
    create(stack, incident_id)
    assert stack.incident(incident_id)["postmortem_status"] == "draft"


def test_the_assignee_is_reminded_after_48_hours_then_daily_until_published(stack):
    stack.add_member("dave")
    incident_id = stack.fire("checkout::errors", severity="critical")
    stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "dave"})
    stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "resolved", "note": "fixed"}, user="bob"
    )
    stack.clock.advance(hours=47, minutes=59)
    assert stack.sweep()["fired_by_kind"] == {}
    stack.clock.advance(hours=1)
    assert stack.sweep()["fired_by_kind"] == {"postmortem": 1}
    (reminder,) = reminders(stack, incident_id)
    assert reminder["data"]["recipient"] == "dave"
    assert reminder["data"]["hours_since_resolved"] == 49
    assert [item["member"] for item in outbox_reminders(stack)] == ["dave"]
    stack.clock.advance(hours=12)
    assert stack.sweep()["fired_by_kind"] == {}
    create(stack, incident_id)
    stack.clock.advance(hours=12)
    assert stack.sweep()["fired_by_kind"] == {"postmortem": 1}
    assert len(reminders(stack, incident_id)) == 2
    move(stack, incident_id, "published", roles="[lead]")
    for _ in range(3):
        stack.clock.advance(days=1)
        assert stack.sweep()["fired_by_kind"] == {}
    assert len(outbox_reminders(stack)) == 2


def test_without_an_assignee_whoever_resolved_it_is_reminded(stack):
    incident_id = resolved_critical(stack)
    stack.clock.advance(hours=49)
    stack.sweep()
    (reminder,) = reminders(stack, incident_id)
    assert reminder["data"]["recipient"] == "bob"


def test_a_severity_that_needs_none_is_never_reminded(stack):
    incident_id = stack.fire("search::slow", severity="high")
    stack.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "resolved", "note": "fixed"})
    for _ in range(4):
        stack.clock.advance(days=1)
        stack.sweep()
    assert reminders(stack, incident_id) == []
    assert outbox_reminders(stack) == []


def test_an_overdue_action_item_reminds_its_assignee_daily_until_done(stack):
    stack.add_member("dave")
    incident_id = resolved_critical(stack)
    create(stack, incident_id)
    move(stack, incident_id, "published", roles="[lead]")
    path = f"/v1/incidents/{incident_id}/postmortem/action-items"
    item = stack.call(
        "POST", path, {"title": "Alert on pool size", "assignee": "dave", "due_date": "2026-11-23"}
    )
    assert item.status == 201
    stack.clock.advance(hours=38)  # 2026-11-23 23:33
    assert stack.sweep()["fired_by_kind"] == {}
    stack.clock.advance(hours=1)  # the day after the due date
    assert stack.sweep()["fired_by_kind"] == {"action_item": 1}
    stack.clock.advance(days=1)
    assert stack.sweep()["fired_by_kind"] == {"action_item": 1}
    sent = outbox_reminders(stack, "action_item_reminder")
    assert [(entry["member"], entry["data"]["title"]) for entry in sent] == [
        ("dave", "Alert on pool size")
    ] * 2
    assert [event["data"]["about"] for event in reminders(stack, incident_id)] == ["action_item"] * 2
    stack.call("PATCH", f"{path}/{item.body['id']}", {"status": "done"})
    for _ in range(3):
        stack.clock.advance(days=1)
        assert stack.sweep()["fired_by_kind"] == {}


def test_metrics_count_required_published_and_overdue_post_mortems_and_action_items(stack):
    published = resolved_critical(stack, key="a::published")
    create(stack, published)
    stack.clock.advance(hours=5)
    move(stack, published, "published", roles="[lead]")
    resolved_critical(stack, key="b::late")
    path = f"/v1/incidents/{published}/postmortem/action-items"
    stack.call("POST", path, {"title": "overdue", "due_date": "2026-11-23"})
    stack.call("POST", path, {"title": "later", "due_date": "2026-12-30"})
    done = stack.call("POST", path, {"title": "done"}).body
    stack.call("PATCH", f"{path}/{done['id']}", {"status": "done"})
    stack.clock.advance(days=3)
    stack.streams.drain()
    body = stack.call("GET", "/v1/metrics", roles="[viewer]").body
    assert body["postmortems"] == {
        "required": 2,
        "published": 1,
        "overdue": 1,
        "median_hours_to_publish": 5.0,
    }
    assert body["action_items"] == {"open": 2, "overdue": 1, "completed": 1}
