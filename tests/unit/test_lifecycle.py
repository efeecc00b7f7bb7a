from datetime import timedelta

import pytest

from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.lifecycle import allowed_moves, change_status
from stormwatch.domain.models import Status
from tests.support.clock import FakeClock
from tests.unit.factories import opened

ACTOR = "user:alice"


def test_forward_moves_and_cancel_are_allowed_from_an_active_status():
    assert allowed_moves(Status.OPEN) == [
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.MITIGATED,
        Status.RESOLVED,
        Status.CANCELLED,
    ]
    assert allowed_moves(Status.MITIGATED) == [Status.RESOLVED, Status.CANCELLED]


def test_closed_incidents_can_only_reopen():
    assert allowed_moves(Status.RESOLVED) == [Status.OPEN]
    assert allowed_moves(Status.CANCELLED) == [Status.OPEN]


def test_acknowledging_records_who_when_and_time_to_acknowledge():
    clock = FakeClock()
    incident = opened(clock.now())
    clock.advance(minutes=4)
    change = change_status(incident, Status.ACKNOWLEDGED, ACTOR, clock.now())
    assert change.after.status is Status.ACKNOWLEDGED
    assert change.after.acknowledged_by == ACTOR
    assert change.after.acknowledged_at == clock.now()
    assert change.after.tta_seconds == 240
    assert change.after.version == incident.version + 1
    assert [(event.type, event.data["from"], event.data["to"]) for event in change.events] == [
        ("status_changed", "open", "acknowledged")
    ]


def test_skipping_to_resolved_fills_the_skipped_timestamps():
    clock = FakeClock()
    incident = opened(clock.now())
    clock.advance(minutes=30)
    change = change_status(incident, Status.RESOLVED, ACTOR, clock.now(), note="rolled back")
    resolved = change.after
    assert resolved.acknowledged_at == resolved.investigating_at == resolved.mitigated_at == clock.now()
    assert resolved.resolved_at == clock.now()
    assert resolved.resolved_by == ACTOR
    assert resolved.resolution_note == "rolled back"
    assert resolved.tta_seconds == resolved.ttr_seconds == 1800
    assert change.events[0].data["skipped"] == ["acknowledged", "investigating", "mitigated"]


def test_a_move_that_is_not_allowed_names_the_current_status_and_the_allowed_moves():
    clock = FakeClock()
    acknowledged = change_status(opened(clock.now()), Status.ACKNOWLEDGED, ACTOR, clock.now()).after
    with pytest.raises(Conflict) as raised:
        change_status(acknowledged, Status.ACKNOWLEDGED, ACTOR, clock.now())
    assert "is acknowledged" in raised.value.message
    assert raised.value.details["allowed"] == ["investigating", "mitigated", "resolved", "cancelled"]
    with pytest.raises(Conflict):
        change_status(acknowledged, Status.OPEN, ACTOR, clock.now())


def test_reopening_starts_a_new_cycle_and_keeps_the_first_cycle_times():
    clock = FakeClock()
    incident = opened(clock.now())
    clock.advance(minutes=10)
    resolved = change_status(incident, Status.RESOLVED, ACTOR, clock.now(), note="fixed").after
    clock.advance(minutes=5)
    change = change_status(resolved, Status.OPEN, ACTOR, clock.now())
    reopened = change.after
    assert reopened.status is Status.OPEN
    assert reopened.reopen_count == 1
    assert reopened.resolved_at is None and reopened.acknowledged_at is None
    assert reopened.resolution_note is None
    assert (reopened.tta_seconds, reopened.ttr_seconds) == (600, 600)
    assert change.events[0].type == "reopened"
    clock.advance(minutes=1)
    again = change_status(reopened, Status.ACKNOWLEDGED, ACTOR, clock.now()).after
    assert again.acknowledged_at == clock.now()
    assert again.tta_seconds == 600


def test_cancelling_records_who_and_why():
    clock = FakeClock()
    change = change_status(opened(clock.now()), Status.CANCELLED, ACTOR, clock.now(), note="false alarm")
    assert change.after.status is Status.CANCELLED
    assert change.after.cancelled_by == ACTOR
    assert change.after.resolution_note == "false alarm"
    assert change.after.resolved_at is None


def test_a_superseded_incident_cannot_reopen():
    clock = FakeClock()
    resolved = change_status(opened(clock.now()), Status.RESOLVED, ACTOR, clock.now(), note="fixed").after
    superseded = resolved.model_copy(update={"superseded_by": "x" * 20 + "-2"})
    with pytest.raises(Conflict) as raised:
        change_status(superseded, Status.OPEN, ACTOR, clock.now() + timedelta(minutes=1))
    assert "x" * 20 + "-2" in raised.value.message


def test_resolving_needs_a_resolution_note():
    clock = FakeClock()
    incident = opened(clock.now())
    for note in (None, "", "   "):
        with pytest.raises(InvalidInput) as raised:
            change_status(incident, Status.RESOLVED, ACTOR, clock.now(), note=note)
        assert raised.value.message.startswith("body.note")
