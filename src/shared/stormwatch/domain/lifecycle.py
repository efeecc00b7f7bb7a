"""The incident state machine: open → acknowledged → investigating → mitigated → resolved, plus cancelled.

Moving forward may skip steps; the skipped steps' timestamps are filled in with the move's time, so every
resolved incident has an acknowledgement time and MTTA ≤ MTTR always holds. Resolved and cancelled reopen to
open. Time to acknowledge and time to resolve measure the first cycle; a reopen starts a new cycle without
rewriting them (the timeline keeps every cycle).
"""

from dataclasses import dataclass, field
from datetime import datetime

from stormwatch.domain.errors import Conflict
from stormwatch.domain.models import Incident, Status, TimelineEvent
from stormwatch.domain.timeline import new_event

FORWARD = (Status.OPEN, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MITIGATED, Status.RESOLVED)


def allowed_moves(current: Status) -> list[Status]:
    if not current.is_active:
        return [Status.OPEN]
    later = list(FORWARD[FORWARD.index(current) + 1 :])
    return [*later, Status.CANCELLED]


@dataclass
class Change:
    """A new snapshot and the timeline events that explain it (written together, in one transaction)."""

    incident: Incident
    events: list[TimelineEvent] = field(default_factory=list)


def change_status(
    incident: Incident, target: Status, actor: str, now: datetime, note: str | None = None
) -> Change:
    if target is Status.OPEN and incident.superseded_by is not None:
        raise Conflict(
            f"incident {incident.id} cannot reopen: {incident.superseded_by} has since opened for its key",
            details={"current_status": incident.status.value, "superseded_by": incident.superseded_by},
        )
    allowed = allowed_moves(incident.status)
    if target not in allowed:
        raise Conflict(
            f"incident {incident.id} is {incident.status.value}; it can move to "
            + ", ".join(status.value for status in allowed),
            details={"current_status": incident.status.value, "allowed": [s.value for s in allowed]},
        )
    if target is Status.OPEN:
        return reopen(incident, actor, now, note)
    updates: dict[str, object] = {"status": target, "version": incident.version + 1, "updated_at": now}
    skipped: list[str] = []
    if target is Status.CANCELLED:
        updates.update(cancelled_at=now, cancelled_by=actor, resolution_note=note)
    else:
        reached = FORWARD.index(target)
        for step in FORWARD[FORWARD.index(incident.status) + 1 : reached]:
            skipped.append(step.value)
        if reached >= FORWARD.index(Status.ACKNOWLEDGED) and incident.acknowledged_at is None:
            updates.update(acknowledged_at=now, acknowledged_by=actor)
            if incident.tta_seconds is None:
                updates["tta_seconds"] = _seconds_since(incident.created_at, now)
        if reached >= FORWARD.index(Status.INVESTIGATING) and incident.investigating_at is None:
            updates["investigating_at"] = now
        if reached >= FORWARD.index(Status.MITIGATED) and incident.mitigated_at is None:
            updates["mitigated_at"] = now
        if target is Status.RESOLVED:
            updates.update(resolved_at=now, resolved_by=actor, resolution_note=note)
            if incident.ttr_seconds is None:
                updates["ttr_seconds"] = _seconds_since(incident.created_at, now)
    data: dict[str, object] = {"from": incident.status.value, "to": target.value}
    if skipped:
        data["skipped"] = skipped
    if note:
        data["note"] = note
    event = new_event("status_changed", now, actor, data)
    return Change(incident.model_copy(update=updates), [event])


def reopen(incident: Incident, actor: str, now: datetime, reason: str | None = None) -> Change:
    updates: dict[str, object] = {
        "status": Status.OPEN,
        "reopen_count": incident.reopen_count + 1,
        "reopened_at": now,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "investigating_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "resolved_by": None,
        "cancelled_at": None,
        "cancelled_by": None,
        "resolution_note": None,
        "escalation_level": 0,
        "version": incident.version + 1,
        "updated_at": now,
    }
    data: dict[str, object] = {"from": incident.status.value, "reopen_count": incident.reopen_count + 1}
    if reason:
        data["reason"] = reason
    return Change(incident.model_copy(update=updates), [new_event("reopened", now, actor, data)])


def _seconds_since(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds(), 3)
