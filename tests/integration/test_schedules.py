"""On-call schedules through the handlers: admins write them, every role reads who is on call, another
org's schedules are 404, bad definitions are 400 naming the field, overrides replace whoever is on call."""

import json
import threading
from datetime import UTC, datetime

import icalendar
import pytest

from tests.integration.conftest import load_event

MONDAY = "2026-03-02T08:00:00Z"  # 09:00 in Berlin: the hand-off


def weekly(**changes):
    body = {
        "name": "payments",
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "primary",
                "participants": ["alice", "bob"],
                "shift_length": 1,
                "shift_unit": "weeks",
                "handoff_time": "09:00",
                "handoff_day": "mon",
                "start_date": "2026-03-02",
            }
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def team(stack):
    stack.clock.moment = datetime(2026, 3, 1, tzinfo=UTC)
    for handle in ("alice", "bob", "carol"):
        stack.add_member(handle, role="responder")
    return stack


def create(stack, body=None, org="acme"):
    answer = stack.call("POST", "/v1/schedules", body or weekly(), org=org, roles="[admin]")
    assert answer.status == 201, answer.body
    return answer.body


def on_call(stack, schedule_id, at, roles="[viewer]", org="acme"):
    return stack.call("GET", f"/v1/schedules/{schedule_id}/oncall", query={"at": at}, roles=roles, org=org)


def test_an_admin_creates_a_schedule_and_every_role_reads_who_is_on_call(team):
    schedule = create(team)
    assert schedule["id"].startswith("sch_") and schedule["time_zone"] == "Europe/Berlin"
    for role in ("viewer", "responder", "lead", "admin"):
        answer = on_call(team, schedule["id"], "2026-03-04T12:00:00Z", roles=f"[{role}]")
        assert answer.status == 200, answer.body
        assert answer.body == {
            "schedule_id": schedule["id"],
            "schedule_name": "payments",
            "member": "alice",
            "until": "2026-03-09T08:00:00.000Z",
        }
    assert on_call(team, schedule["id"], "2026-03-10T12:00:00+01:00").body["member"] == "bob"
    listed = team.call("GET", "/v1/schedules", roles="[viewer]")
    assert [item["id"] for item in listed.body["items"]] == [schedule["id"]]


@pytest.mark.parametrize("role", ["viewer", "responder", "lead"])
def test_only_admins_write_schedules(team, role):
    schedule = create(team)
    assert team.call("POST", "/v1/schedules", weekly(), roles=f"[{role}]").status == 403
    assert (
        team.call("PATCH", f"/v1/schedules/{schedule['id']}", {"name": "x"}, roles=f"[{role}]").status == 403
    )
    assert team.call("DELETE", f"/v1/schedules/{schedule['id']}", roles=f"[{role}]").status == 403
    assert team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[admin]").body["name"] == "payments"


def test_another_orgs_schedules_are_not_found(team):
    schedule = create(team)
    other = {"org": "globex", "roles": "[admin]"}
    for method, path in (
        ("GET", f"/v1/schedules/{schedule['id']}"),
        ("GET", f"/v1/schedules/{schedule['id']}/oncall"),
        ("GET", f"/v1/schedules/{schedule['id']}/shifts"),
        ("PATCH", f"/v1/schedules/{schedule['id']}"),
        ("DELETE", f"/v1/schedules/{schedule['id']}"),
    ):
        body = {"name": "mine now"} if method == "PATCH" else None
        answer = team.call(method, path, body, **other)
        assert answer.status == 404, (method, path, answer.body)
    team.add_member("alice", org="globex")
    overrides = team.call(
        "POST",
        f"/v1/schedules/{schedule['id']}/overrides",
        {"member": "alice", "start": MONDAY, "end": "2026-03-03T08:00:00Z"},
        **other,
    )
    assert overrides.status == 404
    assert team.call("GET", "/v1/oncall", **other).body["items"] == []
    assert team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body["name"] == "payments"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "body.time_zone"),
        ({"time_zone": "../../etc/passwd"}, "body.time_zone"),
        (
            {
                "layers": [
                    {
                        **weekly()["layers"][0],
                        "restrictions": [
                            {"days": ["mon", "tue"], "start": "09:00", "end": "17:00"},
                            {"days": ["tue"], "start": "12:00", "end": "20:00"},
                        ],
                    }
                ]
            },
            "body.layers[0]",
        ),
        ({"layers": [weekly()["layers"][0], weekly()["layers"][0]]}, "body"),
        ({"layers": [{**weekly()["layers"][0], "shift_unit": "fortnights"}]}, "body.layers[0].shift_unit"),
        (
            {"layers": [{**weekly()["layers"][0], "participants": ["alice", "zoe"]}]},
            "body.layers[0].participants[1]",
        ),
        ({"layers": []}, "body.layers"),
        ({"layers": [{**weekly()["layers"][0], "start_date": "1900-01-01"}]}, "body.layers[0].start_date"),
    ],
)
def test_a_bad_definition_is_400_naming_the_field_and_nothing_is_stored(team, changes, field):
    answer = team.call("POST", "/v1/schedules", weekly(**changes), roles="[admin]")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(field), answer.body
    assert team.call("GET", "/v1/schedules", roles="[viewer]").body["items"] == []


def test_a_bad_patch_is_400_and_leaves_the_schedule_as_it_was(team):
    schedule = create(team)
    answer = team.call(
        "PATCH", f"/v1/schedules/{schedule['id']}", {"time_zone": "Nowhere/Else"}, roles="[admin]"
    )
    assert answer.status == 400 and answer.body["error"]["message"].startswith("body.time_zone")
    stored = team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body
    assert stored == schedule
    changed = team.call(
        "PATCH", f"/v1/schedules/{schedule['id']}", {"time_zone": "America/New_York"}, roles="[admin]"
    )
    assert changed.status == 200 and changed.body["version"] == 2
    # The hand-off stays at 09:00 in the new zone: 13:00 UTC once New York's clocks moved on 8 March.
    assert on_call(team, schedule["id"], "2026-03-09T12:30:00Z").body == {
        "schedule_id": schedule["id"],
        "schedule_name": "payments",
        "member": "alice",
        "until": "2026-03-09T13:00:00.000Z",
    }


def test_an_override_replaces_whoever_is_on_call_in_its_span_and_can_be_removed(team):
    schedule = create(team)
    path = f"/v1/schedules/{schedule['id']}"
    added = team.call(
        "POST",
        f"{path}/overrides",
        {"member": "carol", "start": "2026-03-04T10:00:00Z", "end": "2026-03-04T18:00:00Z"},
        roles="[responder]",
    )
    assert added.status == 201, added.body
    assert on_call(team, schedule["id"], "2026-03-04T12:00:00Z").body == {
        "schedule_id": schedule["id"],
        "schedule_name": "payments",
        "member": "carol",
        "until": "2026-03-04T18:00:00.000Z",
    }
    shifts = team.call(
        "GET", f"{path}/shifts", query={"since": MONDAY, "until": "2026-03-16T08:00:00Z"}, roles="[viewer]"
    ).body
    assert [(s["start"], s["end"], s["member"]) for s in shifts["items"]] == [
        ("2026-03-02T08:00:00.000Z", "2026-03-04T10:00:00.000Z", "alice"),
        ("2026-03-04T10:00:00.000Z", "2026-03-04T18:00:00.000Z", "carol"),
        ("2026-03-04T18:00:00.000Z", "2026-03-09T08:00:00.000Z", "alice"),
        ("2026-03-09T08:00:00.000Z", "2026-03-16T08:00:00.000Z", "bob"),
    ]
    assert team.call("DELETE", f"{path}/overrides/{added.body['id']}", roles="[responder]").status == 204
    assert on_call(team, schedule["id"], "2026-03-04T12:00:00Z").body["member"] == "alice"
    assert team.call("DELETE", f"{path}/overrides/{added.body['id']}", roles="[responder]").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"member": "zoe", "start": "2026-03-04T10:00:00Z", "end": "2026-03-04T18:00:00Z"}, "body.member"),
        ({"member": "carol", "start": "2026-03-04T18:00:00Z", "end": "2026-03-04T10:00:00Z"}, "body.end"),
        ({"member": "carol", "start": "2026-03-04T10:00:00", "end": "2026-03-04T18:00:00Z"}, "body.start"),
    ],
)
def test_a_bad_override_is_400_naming_the_field(team, body, field):
    schedule = create(team)
    answer = team.call("POST", f"/v1/schedules/{schedule['id']}/overrides", body, roles="[responder]")
    assert answer.status == 400 and answer.body["error"]["message"].startswith(field), answer.body
    assert team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body["overrides"] == []


def test_concurrent_overrides_are_all_kept(team):
    schedule = create(team)
    answers = []

    def add(hour):
        body = {
            "member": "carol",
            "start": f"2026-03-05T{hour:02d}:00:00Z",
            "end": f"2026-03-05T{hour:02d}:30:00Z",
        }
        answers.append(
            team.call("POST", f"/v1/schedules/{schedule['id']}/overrides", body, roles="[responder]")
        )

    threads = [threading.Thread(target=add, args=(hour,)) for hour in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status for answer in answers] == [201] * 8
    stored = team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body
    assert len(stored["overrides"]) == 8 and stored["version"] == 9


def test_a_shift_window_is_bounded(team):
    schedule = create(team)
    answer = team.call(
        "GET",
        f"/v1/schedules/{schedule['id']}/shifts",
        query={"since": "2026-01-01T00:00:00Z", "until": "2026-06-01T00:00:00Z"},
        roles="[viewer]",
    )
    assert answer.status == 400 and answer.body["error"]["message"].startswith("until")
    far = on_call(team, schedule["id"], "9999-12-31T23:00:00Z")
    assert far.status == 400 and far.body["error"]["message"].startswith("at")


def test_everyone_on_call_and_a_members_upcoming_shifts(team):
    first = create(team)
    second = create(
        team,
        weekly(
            name="databases",
            time_zone="UTC",
            layers=[{**weekly()["layers"][0], "participants": ["bob", "carol"]}],
        ),
    )
    team.clock.moment = datetime(2026, 3, 4, 12, tzinfo=UTC)
    everyone = team.call("GET", "/v1/oncall", roles="[viewer]").body["items"]
    assert sorted((item["schedule_name"], item["member"]) for item in everyone) == [
        ("databases", "bob"),
        ("payments", "alice"),
    ]
    upcoming = team.call(
        "GET", "/v1/members/bob/shifts", query={"until": "2026-03-20T00:00:00Z"}, roles="[viewer]"
    ).body["items"]
    assert [(item["schedule_id"], item["start"], item["end"]) for item in upcoming] == [
        (second["id"], "2026-03-04T12:00:00.000Z", "2026-03-09T09:00:00.000Z"),
        (first["id"], "2026-03-09T08:00:00.000Z", "2026-03-16T08:00:00.000Z"),
        (second["id"], "2026-03-16T09:00:00.000Z", "2026-03-20T00:00:00.000Z"),
    ]
    assert team.call("GET", "/v1/members/zoe/shifts", roles="[viewer]").status == 404
    assert team.call("GET", "/v1/members/bob/shifts", org="globex", roles="[viewer]").status == 404


def schedule_policy(stack, schedule_id):
    body = {
        "name": "payments",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "schedule", "value": schedule_id}]}],
    }
    created = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]")
    assert created.status == 201, created.body
    settings = {"default_escalation_policy_id": created.body["id"]}
    assert stack.call("PUT", "/v1/org/settings", settings, roles="[admin]").status == 200
    return created.body


def test_a_level_targeting_a_schedule_pages_whoever_is_on_call_when_it_fires(team):
    schedule = create(team)
    schedule_policy(team, schedule["id"])
    for moment, key, member in (
        (datetime(2026, 3, 4, 12, tzinfo=UTC), "db::down", "alice"),
        (datetime(2026, 3, 10, 12, tzinfo=UTC), "db::lag", "bob"),
    ):
        team.clock.moment = moment
        incident_id = team.fire(key)
        team.sweep()
        timeline = team.call("GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]").body["items"]
        (escalated,) = [event for event in timeline if event["type"] == "escalated"]
        assert escalated["data"]["targets"] == [
            {"type": "schedule", "value": schedule["id"], "member": member}
        ]
        notified = [n for n in team.outbox() if n["incident_id"] == incident_id and n["kind"] == "escalated"]
        assert [(n["member"], n["data"]["schedule_id"]) for n in notified] == [(member, schedule["id"])]


def test_a_schedule_with_nobody_on_call_pages_nobody_and_the_timeline_says_so(team):
    later = weekly(layers=[{**weekly()["layers"][0], "start_date": "2026-06-01"}])
    schedule = create(team, later)
    schedule_policy(team, schedule["id"])
    incident_id = team.fire("db::down")
    team.sweep()
    timeline = team.call("GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]").body["items"]
    (escalated,) = [event for event in timeline if event["type"] == "escalated"]
    assert escalated["data"]["targets"][0]["member"] is None
    assert [n for n in team.outbox() if n["incident_id"] == incident_id and n["kind"] == "escalated"] == []


def test_a_policy_naming_an_unknown_schedule_is_400_and_a_paged_schedule_cannot_be_deleted(team):
    body = {
        "name": "p",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "schedule", "value": "sch_nope"}]}],
    }
    answer = team.call("POST", "/v1/escalation-policies", body, roles="[admin]")
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.levels[0].targets[0].value")
    team.add_member("olga", org="globex")
    elsewhere = create(
        team, org="globex", body=weekly(layers=[{**weekly()["layers"][0], "participants": ["olga"]}])
    )
    body["levels"][0]["targets"][0]["value"] = elsewhere["id"]
    assert team.call("POST", "/v1/escalation-policies", body, roles="[admin]").status == 400
    schedule = create(team)
    policy = schedule_policy(team, schedule["id"])
    refused = team.call("DELETE", f"/v1/schedules/{schedule['id']}", roles="[admin]")
    assert refused.status == 409 and refused.body["error"]["details"] == {"policy_ids": [policy["id"]]}
    assert team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").status == 200


def test_the_default_on_call_takes_new_incidents_without_an_assignee(team):
    schedule = create(team)
    bad = team.call("PUT", "/v1/org/settings", {"default_schedule_id": "sch_nope"}, roles="[admin]")
    assert bad.status == 404
    answer = team.call("PUT", "/v1/org/settings", {"default_schedule_id": schedule["id"]}, roles="[admin]")
    assert answer.status == 200 and answer.body["default_schedule_id"] == schedule["id"]
    team.clock.moment = datetime(2026, 3, 10, 12, tzinfo=UTC)
    incident = team.incident(team.fire("db::down"))
    assert incident["assignee"] == "bob"
    (assigned,) = [event for event in incident["timeline"] if event["type"] == "assigned"]
    assert assigned["data"]["reason"] == f"on call for schedule {schedule['id']}"
    assert [n["member"] for n in team.outbox() if n["kind"] == "assigned"] == ["bob"]


def test_an_integrations_default_schedule_comes_before_the_orgs(team):
    org_default = create(team)
    own = create(team, weekly(name="own", layers=[{**weekly()["layers"][0], "participants": ["carol"]}]))
    team.call("PUT", "/v1/org/settings", {"default_schedule_id": org_default["id"]}, roles="[admin]")
    integration = team.call(
        "POST",
        "/v1/integrations",
        {"source": "generic", "name": "g", "default_schedule_id": own["id"]},
        roles="[admin]",
    ).body
    team.clock.moment = datetime(2026, 3, 4, 12, tzinfo=UTC)
    answer = team.hook(
        "generic_firing",
        body={"incident_key": "a::b", "severity": "high"},
        authorization=f"Bearer {integration['key']}",
    )
    assert team.incident(answer.body["results"][0]["incident_id"])["assignee"] == "carol"
    # Repeats of the incident read no schedule and keep its assignee.
    answer = team.hook(
        "generic_firing",
        body={"incident_key": "a::b", "severity": "high"},
        authorization=f"Bearer {integration['key']}",
    )
    assert answer.body["results"][0]["action"] == "updated"


def test_a_departing_member_leaves_every_layer_and_their_incidents_go_to_the_default_on_call(team):
    payments = create(team)
    databases = create(
        team, weekly(name="databases", layers=[{**weekly()["layers"][0], "participants": ["carol", "bob"]}])
    )
    solo = create(team, weekly(name="solo", layers=[{**weekly()["layers"][0], "participants": ["carol"]}]))
    team.call("PUT", "/v1/org/settings", {"default_schedule_id": payments["id"]}, roles="[admin]")
    team.clock.moment = datetime(2026, 3, 4, 12, tzinfo=UTC)
    incident_id = team.fire("db::down")
    team.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "alice"})
    answer = team.call("DELETE", "/v1/members/alice", roles="[admin]")
    assert answer.status == 200, answer.body
    assert answer.body == {
        "handle": "alice",
        "schedules_changed": [{"id": payments["id"], "name": "payments"}],
    }
    # The rotation closes up: bob alone now, and on call.
    stored = team.call("GET", f"/v1/schedules/{payments['id']}", roles="[viewer]").body
    assert stored["layers"][0]["participants"] == ["bob"]
    incident = team.incident(incident_id)
    assert incident["assignee"] == "bob"
    (handed_over,) = [
        event
        for event in incident["timeline"]
        if event["type"] == "assigned" and event["data"]["previous"] == "alice"
    ]
    assert (
        handed_over["data"]["reason"] == f"assignee alice left; bob is on call for schedule {payments['id']}"
    )
    answer = team.call("DELETE", "/v1/members/carol", roles="[admin]")
    assert sorted(item["name"] for item in answer.body["schedules_changed"]) == ["databases", "solo"]
    assert team.call("GET", f"/v1/schedules/{solo['id']}", roles="[viewer]").body["layers"] == []
    assert on_call(team, solo["id"], "2026-03-04T12:00:00Z").body["member"] is None
    assert on_call(team, databases["id"], "2026-03-04T12:00:00Z").body["member"] == "bob"


def feed(stack, schedule_id, query):
    """The calendar route as a calendar app calls it: no JWT, the token in the URL. Its raw answer."""
    event = load_event("commands/acknowledge.json")
    path = f"/v1/schedules/{schedule_id}/calendar.ics"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /v1/schedules/{id}/calendar.ics"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "GET"
    event["pathParameters"] = {"id": schedule_id}
    del event["requestContext"]["authorizer"]
    event.pop("body", None)
    event["queryStringParameters"] = query
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    return stack.functions["queries"].invoke(event)


def test_a_calendar_app_reads_the_shifts_with_the_feed_token_until_it_is_revoked(team):
    schedule = create(team)
    path = f"/v1/schedules/{schedule['id']}/calendar-token"
    issued = team.call("POST", path, roles="[admin]")
    assert issued.status == 201, issued.body
    token = issued.body["token"]
    assert issued.body["path"] == f"/v1/schedules/{schedule['id']}/calendar.ics?token={token}"
    stored = team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body
    assert stored["has_calendar_token"] is True and token not in json.dumps(stored)

    answer = feed(team, schedule["id"], {"token": token})
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(answer["body"])
    events = [(e["SUMMARY"], e.decoded("DTSTART"), e.decoded("DTEND")) for e in parsed.walk("VEVENT")]
    assert events[:3] == [
        (
            "On call: alice (payments)",
            datetime(2026, 3, 2, 8, tzinfo=UTC),
            datetime(2026, 3, 9, 8, tzinfo=UTC),
        ),
        (
            "On call: bob (payments)",
            datetime(2026, 3, 9, 8, tzinfo=UTC),
            datetime(2026, 3, 16, 8, tzinfo=UTC),
        ),
        (
            "On call: alice (payments)",
            datetime(2026, 3, 16, 8, tzinfo=UTC),
            datetime(2026, 3, 23, 8, tzinfo=UTC),
        ),
    ]
    only_bob = icalendar.Calendar.from_ical(
        feed(team, schedule["id"], {"token": token, "member": "bob"})["body"]
    )
    assert {str(e["SUMMARY"]) for e in only_bob.walk("VEVENT")} == {"On call: bob (payments)"}

    other = create(team, weekly(name="other"))
    assert feed(team, other["id"], {"token": token})["statusCode"] == 401
    assert feed(team, schedule["id"], {})["statusCode"] == 401
    rotated = team.call("POST", path, roles="[admin]").body["token"]
    assert feed(team, schedule["id"], {"token": token})["statusCode"] == 401
    assert feed(team, schedule["id"], {"token": rotated})["statusCode"] == 200
    assert team.call("DELETE", path, roles="[admin]").status == 204
    assert feed(team, schedule["id"], {"token": rotated})["statusCode"] == 401
    assert (
        team.call("GET", f"/v1/schedules/{schedule['id']}", roles="[viewer]").body["has_calendar_token"]
        is False
    )
