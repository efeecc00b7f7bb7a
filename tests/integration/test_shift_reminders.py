"""Shift reminders through the handlers on moto: the sweeps function fires a schedule's reminder timer, the
notifier (fed by the stream) delivers to the member's contact points, and GET /v1/schedules/{id}/reminders
shows what was sent and how each delivery went. Fired once even by overlapping sweeps; re-armed by every
change of the schedule or its overrides."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_schedules import create, weekly
from tests.support.receiver import receiver

# Alice's first shift: Monday 2 March 2026 09:00 in Berlin (08:00 UTC); bob's a week later.
MONDAY = datetime(2026, 3, 2, 8, tzinfo=UTC)
A_DAY_BEFORE = MONDAY - timedelta(hours=24)


@pytest.fixture
def hooks():
    with receiver() as state:
        yield state


@pytest.fixture
def team(stack, hooks):
    stack.clock.moment = datetime(2026, 3, 1, tzinfo=UTC)
    for handle in ("alice", "bob", "carol"):
        stack.add_member(handle, role="responder", webhook_url=f"{hooks.url}/{handle}")
    return stack


def sweep_at(stack, moment):
    stack.clock.moment = moment
    report = stack.sweep()
    stack.streams.drain()
    return report


def reminded(hooks):
    """(member, shift start) of each reminder delivered, in order."""
    bodies = [(request.path, json.loads(request.body)) for request in hooks.requests if request.status == 200]
    return [
        (path.lstrip("/"), body["shift"]["start"])
        for path, body in bodies
        if body["type"] == "notification.shift_reminder"
    ]


def sent(stack, schedule_id, **query):
    answer = stack.call("GET", f"/v1/schedules/{schedule_id}/reminders", roles="[viewer]", query=query)
    assert answer.status == 200, answer.body
    return answer.body


def test_a_member_is_reminded_through_their_contact_points_a_day_before_their_shift(team, hooks):
    schedule = create(team)
    before = sweep_at(team, A_DAY_BEFORE - timedelta(minutes=1))
    assert before["fired_by_kind"].get("shift_reminder") is None and reminded(hooks) == []

    report = sweep_at(team, A_DAY_BEFORE)
    assert report["fired_by_kind"] == {"shift_reminder": 1}
    ((path, body),) = [(r.path, json.loads(r.body)) for r in hooks.requests]
    assert path == "/alice"
    assert body["type"] == "notification.shift_reminder" and "incident" not in body
    assert body["schedule"] == {"id": schedule["id"], "name": "payments", "time_zone": "Europe/Berlin"}
    assert body["shift"] == {
        "member": "alice",
        "start": "2026-03-02T08:00:00.000Z",
        "end": "2026-03-09T08:00:00.000Z",
    }
    assert body["notification"]["hours_before"] == 24

    (reminder,) = sent(team, schedule["id"], until="2026-03-02T00:00:00Z")["items"]
    assert reminder["member"] == "alice" and reminder["at"] == "2026-03-01T08:00:00.000Z"
    assert reminder["start"] == "2026-03-02T08:00:00.000Z" and reminder["end"] == "2026-03-09T08:00:00.000Z"
    assert [(d["channel"], d["to"], d["status"], d["attempts"]) for d in reminder["deliveries"]] == [
        ("webhook", "alice", "sent", 1)
    ]

    # Fired once: later sweeps before the next reminder send nothing; bob hears of his a day before it.
    sweep_at(team, A_DAY_BEFORE + timedelta(minutes=1))
    sweep_at(team, MONDAY + timedelta(days=6) - timedelta(minutes=1))
    assert reminded(hooks) == [("alice", "2026-03-02T08:00:00.000Z")]
    sweep_at(team, MONDAY + timedelta(days=6))
    assert reminded(hooks) == [("alice", "2026-03-02T08:00:00.000Z"), ("bob", "2026-03-09T08:00:00.000Z")]
    items = sent(team, schedule["id"], since="2026-03-01T00:00:00Z", until="2026-03-09T00:00:00Z")["items"]
    assert [item["member"] for item in items] == ["bob", "alice"]


def test_two_overlapping_sweeps_send_one_reminder(team, hooks):
    create(team)
    team.clock.moment = A_DAY_BEFORE
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(team.sweep())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    team.streams.drain()
    assert sorted(report["fired_by_kind"].get("shift_reminder", 0) for report in reports) == [0, 1]
    assert reminded(hooks) == [("alice", "2026-03-02T08:00:00.000Z")]


def test_changes_of_the_schedule_re_arm_its_reminders_without_repeating_one(team, hooks):
    schedule = create(team)
    path = f"/v1/schedules/{schedule['id']}"
    sweep_at(team, A_DAY_BEFORE)
    assert reminded(hooks) == [("alice", "2026-03-02T08:00:00.000Z")]

    # A rename changes no shift: nobody is told again.
    team.clock.moment = A_DAY_BEFORE + timedelta(hours=1)
    assert team.call("PATCH", path, {"name": "payments and billing"}, roles="[admin]").status == 200
    sweep_at(team, A_DAY_BEFORE + timedelta(hours=1))
    assert len(reminded(hooks)) == 1

    # An override tomorrow morning is a shift starting within the lead: carol hears of it at the next
    # sweep; alice's shift now resumes after it, a shift she hears of a day before it.
    override = {"member": "carol", "start": "2026-03-02T08:00:00Z", "end": "2026-03-02T12:00:00Z"}
    added = team.call("POST", f"{path}/overrides", override, roles="[responder]")
    assert added.status == 201, added.body
    sweep_at(team, A_DAY_BEFORE + timedelta(hours=1, minutes=1))
    assert reminded(hooks)[1:] == [("carol", "2026-03-02T08:00:00.000Z")]
    sweep_at(team, A_DAY_BEFORE + timedelta(hours=4))
    assert reminded(hooks)[2:] == [("alice", "2026-03-02T12:00:00.000Z")]

    # An override removed before its reminder was due is a shift that no longer exists: nobody hears of it.
    later = {"member": "carol", "start": "2026-03-05T08:00:00Z", "end": "2026-03-05T12:00:00Z"}
    removed = team.call("POST", f"{path}/overrides", later, roles="[responder]").body["id"]
    assert team.call("DELETE", f"{path}/overrides/{removed}", roles="[responder]").status == 204
    sweep_at(team, datetime(2026, 3, 4, 8, tzinfo=UTC))
    assert len(reminded(hooks)) == 3

    # Reminders off: the timer goes, and bob hears nothing of his shift.
    team.clock.moment = datetime(2026, 3, 5, tzinfo=UTC)
    assert team.call("PATCH", path, {"reminder_hours": 0}, roles="[admin]").body["reminder_hours"] == 0
    report = sweep_at(team, MONDAY + timedelta(days=6))
    assert report["due"] == 0 and len(reminded(hooks)) == 3


def test_a_deleted_schedule_sends_no_reminder(team, hooks):
    schedule = create(team)
    assert team.call("DELETE", f"/v1/schedules/{schedule['id']}", roles="[admin]").status == 204
    report = sweep_at(team, A_DAY_BEFORE)
    assert report["due"] == 0 and reminded(hooks) == []


def test_a_member_without_contact_points_gets_a_failed_delivery_on_record(team, hooks):
    team.add_member("dave", role="responder")
    schedule = create(team, weekly(layers=[{**weekly()["layers"][0], "participants": ["dave"]}]))
    sweep_at(team, A_DAY_BEFORE)
    (reminder,) = sent(team, schedule["id"], until="2026-03-02T00:00:00Z")["items"]
    assert reminder["deliveries"] == [
        {
            "channel": "member",
            "to": "dave",
            "status": "failed",
            "attempts": 0,
            "reason": "member dave has no contact point",
            "delivered_at": None,
        }
    ]


def test_the_reminders_sent_are_read_by_every_role_of_the_org_only_and_in_a_bounded_window(team):
    schedule = create(team)
    sweep_at(team, A_DAY_BEFORE)
    path = f"/v1/schedules/{schedule['id']}/reminders"
    team.clock.moment = A_DAY_BEFORE + timedelta(hours=1)
    for role in ("viewer", "responder", "lead", "admin"):
        answer = team.call("GET", path, roles=f"[{role}]")
        assert answer.status == 200 and len(answer.body["items"]) == 1
    assert answer.body["window"] == {"since": "2026-02-22T09:00:00.000Z", "until": "2026-03-01T09:00:00.000Z"}
    assert team.call("GET", path, org="globex", roles="[admin]").status == 404
    too_long = team.call(
        "GET",
        path,
        roles="[viewer]",
        query={"since": "2025-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
    )
    assert too_long.status == 400 and too_long.body["error"]["message"].startswith("until")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "body.name"),
        ({"layers": None}, "body.layers"),
        ({"time_zone": None}, "body.time_zone"),
        ({"reminder_hours": None}, "body.reminder_hours"),
        ({"reminder_hours": 169}, "body.reminder_hours"),
        ({"reminder_hours": -1}, "body.reminder_hours"),
    ],
)
def test_a_patch_that_cannot_apply_is_400_naming_the_field_and_changes_nothing(team, body, field):
    schedule = create(team)
    answer = team.call("PATCH", f"/v1/schedules/{schedule['id']}", body, roles="[admin]")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(field), answer.body
    assert team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body == schedule


def test_a_null_description_clears_it(team):
    schedule = create(team, weekly(description="the payments rota"))
    answer = team.call("PATCH", f"/v1/schedules/{schedule['id']}", {"description": None}, roles="[admin]")
    assert answer.status == 200 and answer.body["description"] is None
