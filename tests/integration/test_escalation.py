"""Escalation through the sweeps function, with the fake clock: levels on time, repeats, acknowledgement,
acknowledgement timeouts, overlapping and crashing sweeps, inactivity nudges."""

import threading
from datetime import timedelta

import pytest

from stormwatch import wiring
from tests.integration.conftest import load_event

SLACK = "https://hooks.slack.com/services/T0/B0/ops"


def policy(stack, repeat=1, ack_timeout=None, default=True):
    stack.add_member("bob", role="responder", slack_webhook="https://hooks.slack.com/services/T0/B0/bob")
    body = {
        "name": "payments on call",
        "levels": [
            {"delay_minutes": 5, "targets": [{"type": "member", "value": "alice"}]},
            {
                "delay_minutes": 10,
                "targets": [{"type": "member", "value": "bob"}, {"type": "slack", "value": SLACK}],
            },
        ],
        "repeat": repeat,
        "ack_timeout_minutes": ack_timeout,
    }
    created = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]")
    assert created.status == 201, created.body
    if default:
        answer = stack.call(
            "PUT", "/v1/org/settings", {"default_escalation_policy_id": created.body["id"]}, roles="[admin]"
        )
        assert answer.status == 200, answer.body
    return created.body


def escalations(stack, incident_id):
    timeline = stack.call(
        "GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]", query={"limit": "100"}
    ).body["items"]
    return [
        (event["at"], event["data"]["level"], event["data"]["cycle"])
        for event in timeline
        if event["type"] == "escalated"
    ]


def at(stack, minutes):
    return (stack.start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def paged(stack):
    stack.add_member("alice", role="responder")
    stack.start = stack.clock.now()
    return stack


def walk(stack, minutes):
    """Sweep once a minute up to `minutes` after the start, as the schedule does."""
    while stack.clock.now() < stack.start + timedelta(minutes=minutes):
        stack.sweep()
        stack.clock.advance(minutes=1)


def test_an_unacknowledged_critical_incident_walks_every_level_on_time_and_repeats(paged):
    policy(paged, repeat=1)
    incident_id = paged.fire("db::down", severity="critical")
    walk(paged, 60)
    assert escalations(paged, incident_id) == [
        (at(paged, 0), 1, 1),
        (at(paged, 5), 2, 1),
        (at(paged, 15), 1, 2),
        (at(paged, 20), 2, 2),
    ]
    paged_members = [
        (n["member"], n["data"]["level"])
        for n in paged.outbox()
        if n["kind"] == "escalated" and n.get("member")
    ]
    assert paged_members == [("alice", 1), ("bob", 2), ("alice", 1), ("bob", 2)]
    slack = [n["target"]["value"] for n in paged.outbox() if (n.get("target") or {}).get("type") == "slack"]
    assert slack.count(SLACK) == 2
    assert paged.incident(incident_id)["escalation_level"] == 2


def test_acknowledging_stops_the_walk(paged):
    policy(paged, repeat=3)
    incident_id = paged.fire("db::down", severity="critical")
    walk(paged, 7)
    paged.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    walk(paged, 120)
    assert escalations(paged, incident_id) == [(at(paged, 0), 1, 1), (at(paged, 5), 2, 1)]


def test_an_acknowledgement_that_times_out_escalates_again(paged):
    policy(paged, repeat=0, ack_timeout=30)
    incident_id = paged.fire("db::down", severity="critical")
    walk(paged, 2)
    paged.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, user="alice")
    walk(paged, 40)
    detail = paged.incident(incident_id)
    types = [event["type"] for event in reversed(detail["timeline"])]
    assert types.count("acknowledgement_expired") == 1
    assert detail["status"] == "open"
    assert escalations(paged, incident_id) == [
        (at(paged, 0), 1, 1),
        (at(paged, 32), 1, 1),
        (at(paged, 37), 2, 1),
    ]


def test_resolving_cancels_every_timer_but_the_postmortem_reminder(paged):
    policy(paged, ack_timeout=30)
    incident_id = paged.fire("db::down", severity="critical")
    paged.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "resolved", "note": "fixed"})
    for _ in range(40):
        paged.clock.advance(hours=6)
        assert set(paged.sweep()["fired_by_kind"]) <= {"postmortem"}
    assert escalations(paged, incident_id) == []
    timeline = paged.incident(incident_id)["timeline"]
    assert [event["type"] for event in timeline if event["type"] != "postmortem_reminder"] == [
        "status_changed",
        "alert_fired",
        "created",
    ]


def test_two_overlapping_sweeps_fire_a_timer_once(paged):
    policy(paged)
    incident_ids = [paged.fire(f"db::{number}", severity="critical") for number in range(5)]
    barrier = threading.Barrier(2)
    reports = []

    def sweep():
        barrier.wait()
        reports.append(wiring.sweeper().run())

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(report.fired for report in reports) == 5
    for incident_id in incident_ids:
        assert escalations(paged, incident_id) == [(at(paged, 0), 1, 1)]


def test_a_sweep_that_dies_after_claiming_leaves_the_timer_to_the_next_sweep(paged, monkeypatch):
    policy(paged)
    incident_id = paged.fire("db::down", severity="critical")
    store = wiring.incident_store()
    commit = store.commit
    calls = []

    def crash_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the sweep's Lambda ran out of time")
        return commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit", crash_once)
    first = wiring.sweeper().run()
    assert (first.fired, first.failed) == (0, 1)
    assert wiring.sweeper().run().skipped == 1
    paged.clock.advance(minutes=1)
    assert wiring.sweeper().run().fired == 1
    assert escalations(paged, incident_id) == [(at(paged, 1), 1, 1)]


def test_without_a_policy_the_alarms_owner_hears_of_the_new_incident_once(paged):
    incident_id = paged.hook("generic_critical").body["results"][0]["incident_id"]
    walk(paged, 30)
    owner = [n for n in paged.outbox() if n.get("target")]
    assert [(n["kind"], n["target"]["value"]) for n in owner] == [
        ("created", "https://hooks.slack.com/services/T000/B000/XXXX")
    ]
    assert escalations(paged, incident_id) == []


def test_a_silenced_incident_is_paged_when_the_silence_ends(paged):
    policy(paged, repeat=0)
    incident_id = paged.fire("db::down", severity="critical")
    until = at(paged, 45)
    assert paged.call("POST", f"/v1/incidents/{incident_id}/silence", {"until": until}).status == 200
    walk(paged, 50)
    assert escalations(paged, incident_id) == [(at(paged, 45), 1, 1)]


def test_an_incident_nobody_touches_gets_a_nudge_after_the_orgs_period(paged):
    paged.call("PUT", "/v1/org/settings", {"inactivity_days": 2}, roles="[admin]")
    incident_id = paged.fire("disk::full", severity="low")
    paged.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    for _ in range(5 * 24):
        paged.clock.advance(hours=1)
        paged.sweep()
    nudges = [
        event
        for event in paged.incident(incident_id)["timeline"]
        if event["type"] == "comment" and event["data"].get("automatic")
    ]
    assert [event["at"] for event in nudges] == [at(paged, 60 * 96), at(paged, 60 * 48)]
    assert nudges[0]["actor"] == "system:stormwatch"


def heartbeat(stack, key):
    event = load_event("ingest/heartbeat.json")
    event["headers"]["authorization"] = f"Bearer {key}"
    return stack.invoke("ingest", event)


def test_a_missed_heartbeat_opens_an_incident_and_the_next_heartbeat_resolves_it(paged):
    created = paged.call(
        "POST",
        "/v1/integrations",
        {"source": "generic", "name": "nightly backup", "heartbeat_minutes": 30},
        roles="[admin]",
    )
    key = created.body["key"]
    first = heartbeat(paged, key)
    assert first.status == 202, first.body
    assert first.body == {"next_deadline": at(paged, 30), "results": []}
    for _ in range(5):
        paged.clock.advance(minutes=10)
        paged.sweep()
    (incident,) = paged.incidents(q="heartbeat")
    assert incident["status"] == "open"
    assert incident["title"] == "No heartbeat from nightly backup for over 30 minutes"
    assert incident["created_at"] == at(paged, 30)
    paged.clock.advance(minutes=10)
    assert paged.sweep()["fired"] == 0

    listed = paged.call("GET", "/v1/integrations", roles="[admin]")
    assert "nightly backup" in [integration["name"] for integration in listed.body["items"]]
    answer = heartbeat(paged, key)
    assert answer.body["results"][0]["action"] == "resolved"
    assert paged.incident(incident["id"])["status"] == "resolved"
    assert heartbeat(paged, key).body["results"] == []


def test_a_heartbeat_needs_an_integration_that_expects_one(paged):
    answer = heartbeat(paged, paged.keys[("acme", "grafana")])
    assert answer.status == 400
    assert "heartbeat_minutes" in answer.body["error"]["message"]
    assert heartbeat(paged, "sw_nope").status == 401


def email_policy(stack, address):
    body = {
        "name": f"page {address}",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "email", "value": address}]}],
    }
    created = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]")
    assert created.status == 201, created.body
    return created.body["id"]


def emailed(stack, incident_id):
    return [
        n["target"]["value"]
        for n in stack.outbox()
        if n["incident_id"] == incident_id and (n.get("target") or {}).get("type") == "email"
    ]


def test_a_manual_incident_names_its_policy_and_is_paged_by_it(paged):
    named = email_policy(paged, "named@example.com")
    policy(paged)  # the org default, not asked for
    body = {"title": "Checkout down", "severity": "critical", "escalation_policy_id": named}
    answer = paged.call("POST", "/v1/incidents", body)
    assert answer.status == 201, answer.body
    assert answer.body["escalation_policy_id"] == named
    paged.sweep()
    assert emailed(paged, answer.body["id"]) == ["named@example.com"]
    assert not [n for n in paged.outbox() if n.get("member") == "alice"]


@pytest.mark.parametrize("org", ["acme", "globex"])
def test_a_manual_incident_naming_a_policy_the_org_does_not_have_is_404(paged, org):
    other = (
        paged.call(
            "POST",
            "/v1/escalation-policies",
            {
                "name": "theirs",
                "levels": [{"delay_minutes": 5, "targets": [{"type": "email", "value": "x@example.com"}]}],
            },
            org="globex",
            roles="[admin]",
        ).body["id"]
        if org == "globex"
        else "pol_missing"
    )
    body = {"title": "Checkout down", "severity": "critical", "escalation_policy_id": other}
    answer = paged.call("POST", "/v1/incidents", body)
    assert answer.status == 404, answer.body
    assert answer.body["error"]["message"] == f"escalation policy {other} not found"
    assert paged.incidents() == []


@pytest.mark.parametrize("opened", ["webhook", "manual"])
def test_changing_the_org_default_does_not_move_incidents_already_paging(paged, opened):
    first, second = email_policy(paged, "first@example.com"), email_policy(paged, "second@example.com")
    paged.call("PUT", "/v1/org/settings", {"default_escalation_policy_id": first}, roles="[admin]")
    if opened == "webhook":
        incident_id = paged.fire("db::down", severity="critical")
    else:
        incident_id = paged.call("POST", "/v1/incidents", {"title": "db down", "severity": "critical"}).body[
            "id"
        ]
    assert paged.incident(incident_id)["escalation_policy_id"] == first
    paged.call("PUT", "/v1/org/settings", {"default_escalation_policy_id": second}, roles="[admin]")
    walk(paged, 12)
    assert emailed(paged, incident_id) == ["first@example.com"]
    later = paged.fire("api::down", severity="critical")
    paged.sweep()
    assert emailed(paged, later) == ["second@example.com"]
