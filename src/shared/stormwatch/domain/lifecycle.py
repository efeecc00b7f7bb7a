"""The incident state machine: open → acknowledged → investigating → mitigated → resolved, plus cancelled.

Moving forward may skip steps; the skipped steps' timestamps are filled with the move's time (see the
`status_changed` applier), so every resolved incident has an acknowledgement time and MTTA ≤ MTTR.
Resolved and cancelled reopen to open. Time to acknowledge and time to resolve measure the first cycle;
a reopen starts a new cycle without rewriting them (the timeline keeps every cycle).
"""

from datetime import datetime

from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.events import FORWARD, Change, new_event, record
from stormwatch.domain.models import Incident, Status, TimelineEvent


def allowed_moves(current: Status) -> list[Status]:
    if not current.is_active:
        return [Status.OPEN]
    later = list(FORWARD[FORWARD.index(current) + 1 :])
    return [*later, Status.CANCELLED]


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
    if target is Status.RESOLVED and not (note and note.strip()):
        raise InvalidInput(
            "body.note: a resolution note is required to resolve an incident",
            details=[{"field": "body.note", "problem": "required to resolve"}],
        )
    if target is Status.OPEN:
        return reopen(incident, actor, now, note)
    data: dict[str, object] = {"from": incident.status.value, "to": target.value}
    if target is not Status.CANCELLED:
        skipped = FORWARD[FORWARD.index(incident.status) + 1 : FORWARD.index(target)]
        if skipped:
            data["skipped"] = [step.value for step in skipped]
    if note:
        data["note"] = note
    events: list[TimelineEvent] = []
    after = record(incident, new_event("status_changed", now, actor, data), events)
    return Change(incident, after, events)


def reopen(incident: Incident, actor: str, now: datetime, reason: str | None = None) -> Change:
    data: dict[str, object] = {"from": incident.status.value, "reopen_count": incident.reopen_count + 1}
    if reason:
        data["reason"] = reason
    events: list[TimelineEvent] = []
    after = record(incident, new_event("reopened", now, actor, data), events)
    return Change(incident, after, events)
