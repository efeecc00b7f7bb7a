"""What people do to incidents: open one by hand, move its status. Every write is conditional on the
version it was computed from; a lost race re-reads and re-applies while the move still makes sense."""

from dataclasses import dataclass

from stormwatch.clock import Clock
from stormwatch.domain.correlation import declare
from stormwatch.domain.errors import ConcurrentModification, TemporarilyUnavailable
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.models import AlertEvent, Caller, Incident, Role, Severity, Status
from stormwatch.domain.permissions import require
from stormwatch.ids import key_hash, new_event_id
from stormwatch.store.incidents import IncidentStore

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class NewIncident:
    title: str
    severity: Severity
    description: str | None = None
    service: str | None = None
    environment: str | None = None
    incident_key: str | None = None
    labels: dict[str, str] | None = None


class IncidentCommands:
    def __init__(self, incidents: IncidentStore, clock: Clock) -> None:
        self._incidents = incidents
        self._clock = clock

    def open(self, caller: Caller, request: NewIncident) -> Incident:
        require(caller, Role.RESPONDER)
        now = self._clock.now()
        key = request.incident_key or f"manual::{new_event_id(now).lower()}"
        declared = AlertEvent(
            source="manual",
            incident_key=key,
            fingerprint=key,
            severity=request.severity,
            title=request.title,
            description=request.description,
            service=request.service,
            environment=request.environment,
            labels=request.labels or {},
        )
        hashed_key = key_hash(caller.org, key)
        for _ in range(MAX_ATTEMPTS):
            stored = self._incidents.current(caller.org, hashed_key)
            changes = declare(caller.org, hashed_key, stored, declared, caller.actor, now)
            try:
                self._incidents.commit(changes)
            except ConcurrentModification:
                continue
            return changes[-1].after
        raise TemporarilyUnavailable("the incident key kept changing; retry")

    def set_status(self, caller: Caller, incident_id: str, status: Status, note: str | None) -> Incident:
        require(caller, Role.LEAD if status is Status.CANCELLED else Role.RESPONDER)
        for _ in range(MAX_ATTEMPTS):
            stored = self._incidents.get(caller.org, incident_id, consistent=True)
            change = change_status(stored, status, caller.actor, self._clock.now(), note)
            try:
                self._incidents.commit([change])
            except ConcurrentModification:
                continue
            return change.after
        raise TemporarilyUnavailable(f"incident {incident_id} kept changing; retry")
