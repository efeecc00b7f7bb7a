from datetime import timedelta

from stormwatch.domain.correlation import Action, is_plain_repeat
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.models import AlertStatus, Severity, Status
from tests.support.clock import FakeClock
from tests.unit.factories import alert, opened, resolved, run


def final_change(outcome):
    (change,) = [change for change in outcome.changes if change.after is outcome.incident]
    return change


def event_types(outcome):
    return [event.type for event in final_change(outcome).events]


def test_a_never_seen_key_opens_an_incident_with_its_first_alert():
    clock = FakeClock()
    outcome = run(None, [alert(severity=Severity.HIGH, evidence={"rate": 0.2})], clock.now())
    incident = outcome.incident
    assert outcome.actions == [Action.CREATED]
    assert event_types(outcome) == ["created", "alert_fired"]
    assert incident.id.endswith("-1")
    assert incident.status is Status.OPEN
    assert incident.severity is Severity.HIGH
    assert incident.alert_count == 1
    assert incident.evidence == {"rate": 0.2}
    assert incident.first_seen == incident.last_seen == clock.now()
    assert [a.fingerprint for a in final_change(outcome).joined] == [incident.incident_key]


def test_a_repeat_counts_without_a_timeline_event_and_merges_evidence_over_the_old():
    clock = FakeClock()
    incident = opened(clock.now(), alert(evidence={"rate": 0.2, "window": "5m"}))
    clock.advance(seconds=30)
    outcome = run(incident, [alert(evidence={"rate": 0.3})], clock.now())
    assert outcome.actions == [Action.UPDATED]
    assert outcome.changes[0].events == []
    assert outcome.incident.alert_count == 2
    assert outcome.incident.last_seen == clock.now()
    assert outcome.incident.evidence == {"rate": 0.3, "window": "5m"}
    assert outcome.incident.version == incident.version
    assert is_plain_repeat(incident, alert())


def test_severity_only_rises_from_alerts():
    clock = FakeClock()
    incident = opened(clock.now(), alert(severity=Severity.MEDIUM))
    raised = run(incident, [alert(severity=Severity.CRITICAL)], clock.now())
    assert raised.incident.severity is Severity.CRITICAL
    assert event_types(raised) == ["severity_changed"]
    assert final_change(raised).events[0].data == {
        "from": "medium",
        "to": "critical",
        "fingerprint": incident.incident_key,
    }
    assert not is_plain_repeat(incident, alert(severity=Severity.CRITICAL))
    lowered = run(raised.incident, [alert(severity=Severity.LOW)], clock.now())
    assert lowered.incident.severity is Severity.CRITICAL
    assert lowered.changes[0].events == []


def test_a_new_fingerprint_joins_the_active_incident_with_a_timeline_event():
    clock = FakeClock()
    incident = opened(clock.now(), alert(fingerprint="a"))
    outcome = run(incident, [alert(fingerprint="b")], clock.now())
    assert outcome.actions == [Action.UPDATED]
    assert event_types(outcome) == ["alert_fired"]
    assert sorted(state.fingerprint for state in outcome.incident.alerts.values()) == ["a", "b"]
    assert not is_plain_repeat(incident, alert(fingerprint="b"))


def test_the_incident_resolves_when_its_last_firing_alert_resolves():
    clock = FakeClock()
    incident = opened(clock.now(), alert(fingerprint="a"), alert(fingerprint="b"))
    clock.advance(minutes=3)
    first = run(incident, [resolved(fingerprint="a")], clock.now())
    assert first.actions == [Action.UPDATED]
    assert first.incident.status is Status.OPEN
    second = run(first.incident, [resolved(fingerprint="b")], clock.now())
    assert second.actions == [Action.RESOLVED]
    assert second.incident.status is Status.RESOLVED
    assert second.incident.resolved_by == "source:generic"
    assert second.incident.ttr_seconds == 180
    assert event_types(second) == ["alert_resolved", "status_changed"]


def test_auto_resolve_off_leaves_the_incident_to_people():
    clock = FakeClock()
    incident = opened(clock.now())
    outcome = run(incident, [resolved()], clock.now(), auto_resolve=False)
    assert outcome.actions == [Action.UPDATED]
    assert outcome.incident.status is Status.OPEN
    assert outcome.incident.firing_alerts == 0


def test_a_resolve_for_nothing_known_is_ignored():
    clock = FakeClock()
    assert run(None, [resolved()], clock.now()).actions == [Action.IGNORED]
    incident = opened(clock.now(), alert(fingerprint="a"))
    outcome = run(incident, [resolved(fingerprint="zzz")], clock.now())
    assert outcome.actions == [Action.IGNORED]
    assert outcome.changes == []


def test_a_firing_within_the_reopen_window_reopens_the_same_incident():
    clock = FakeClock()
    incident = opened(clock.now())
    clock.advance(minutes=5)
    closed = run(incident, [resolved()], clock.now()).incident
    clock.advance(minutes=59)
    outcome = run(closed, [alert()], clock.now(), reopen_window=timedelta(hours=1))
    assert outcome.actions == [Action.REOPENED]
    assert outcome.incident.id == incident.id
    assert outcome.incident.status is Status.OPEN
    assert outcome.incident.reopen_count == 1
    assert outcome.incident.alert_count == 2
    assert len(outcome.changes) == 1
    assert event_types(outcome) == ["reopened", "alert_fired"]


def test_a_firing_after_the_window_opens_a_new_incident_linked_to_the_old():
    clock = FakeClock()
    incident = opened(clock.now())
    closed = change_status(incident, Status.CANCELLED, "user:alice", clock.now(), note="noise").after
    clock.advance(hours=2)
    outcome = run(closed, [alert()], clock.now(), reopen_window=timedelta(hours=1))
    assert outcome.actions == [Action.CREATED]
    archived, opened_change = outcome.changes
    assert archived.before is closed
    assert archived.after.superseded_by == outcome.incident.id
    assert [event.type for event in archived.events] == ["superseded"]
    assert opened_change.replacing is closed
    assert outcome.incident.id != incident.id
    assert outcome.incident.id.endswith("-2")
    assert outcome.incident.previous_incident_id == incident.id
    assert outcome.incident.alert_count == 1
    assert opened_change.events[0].data["previous_incident_id"] == incident.id


def test_a_batch_folds_in_order():
    clock = FakeClock()
    outcome = run(
        None,
        [
            alert(fingerprint="a"),
            alert(fingerprint="a"),
            alert(fingerprint="b", severity=Severity.HIGH),
            resolved(fingerprint="a"),
        ],
        clock.now(),
    )
    assert outcome.actions == [Action.CREATED, Action.UPDATED, Action.UPDATED, Action.UPDATED]
    assert outcome.incident.alert_count == 3
    assert outcome.incident.severity is Severity.HIGH
    states = {state.fingerprint: state for state in outcome.incident.alerts.values()}
    assert (states["a"].count, states["a"].status) == (2, AlertStatus.RESOLVED)
    assert event_types(outcome) == [
        "created",
        "alert_fired",
        "alert_fired",
        "severity_changed",
        "alert_resolved",
    ]


def test_replaying_the_events_of_a_sequence_rebuilds_the_snapshot():
    from stormwatch.domain.events import replay, replayable

    clock = FakeClock()
    stored, timeline = None, []
    steps = [
        [alert(fingerprint="a")],
        [alert(fingerprint="a", evidence={"x": 1})],
        [alert(fingerprint="b", severity=Severity.CRITICAL)],
        [resolved(fingerprint="a"), resolved(fingerprint="b")],
        [alert(fingerprint="a")],
    ]
    for batch in steps:
        clock.advance(minutes=5)
        outcome = run(stored, batch, clock.now())
        for change in outcome.changes:
            timeline += change.events
        stored = outcome.incident
        rebuilt = replay(stored.org, stored.id, timeline)
        assert replayable(rebuilt) == replayable(stored)
    assert stored.reopen_count == 1
