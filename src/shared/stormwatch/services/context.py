"""Context commands (signals, SLO violations, tags, tickets, actions taken; opening or reusing a service's
open incident) and the reads that follow it (related incidents, an SLO's violations).

Each command reads the snapshot, decides with a rule of domain/context.py and commits conditionally on the
version it read, as every incident command does (IncidentCommands); the index items follow in the same
transaction (store/context_index.py)."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from stormwatch.clock import Clock
from stormwatch.cursors import CursorSigner
from stormwatch.domain.context import (
    RELATED_DAYS,
    ActionKind,
    RelatedReason,
    Signal,
    SloViolation,
    TicketSystem,
    attach_signal,
    change_tags,
    link_ticket,
    record_action,
    record_slo_violation,
)
from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.events import Change
from stormwatch.domain.models import Caller, Incident, NewIncident, Role, TimelineEvent
from stormwatch.domain.permissions import require
from stormwatch.services.incidents import IncidentCommands
from stormwatch.services.retry import retrying
from stormwatch.store.context import ContextStore
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.members import MemberStore
from stormwatch.store.policies import PolicyStore

# As the body's `slo_id` allows.
MAX_SLO_ID = 200
Recorded = Callable[[Incident, datetime], tuple[Change, list[dict[str, Any]]]]


class ContextCommands(IncidentCommands):
    def __init__(
        self,
        incidents: IncidentStore,
        members: MemberStore,
        policies: PolicyStore,
        context: ContextStore,
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> None:
        super().__init__(incidents, members, policies, clock, sleep)
        self._context = context

    def open_for_service(self, caller: Caller, request: NewIncident) -> tuple[Incident, bool]:
        """The service's open incident (True: reused), else a new one. Callers racing on a service with no
        open incident all open under one incident key, `open_for_service::{service}`, whose conditional
        write lets exactly one of them create it: the others find it there and reuse it."""
        require(caller, Role.RESPONDER)
        if request.service is None:
            raise InvalidInput(
                "body.service: dedupe open_for_service needs the service", details=[{"field": "body.service"}]
            )
        if request.incident_key is not None:
            raise InvalidInput(
                "body.incident_key: dedupe open_for_service sets the key itself; leave it out",
                details=[{"field": "body.incident_key"}],
            )
        existing = self._context.open_for_service(caller.org, request.service)
        if existing is not None:
            return existing, True
        try:
            return self.open(
                caller, replace(request, incident_key=f"open_for_service::{request.service}")
            ), False
        except Conflict as active:
            details = active.details if isinstance(active.details, dict) else {}
            return self._incidents.get(caller.org, str(details["incident_id"]), consistent=True), True

    def signal(self, caller: Caller, incident_id: str, signal: Signal) -> TimelineEvent:
        require(caller, Role.RESPONDER)
        change = self._record(
            caller,
            incident_id,
            lambda incident, now: (attach_signal(incident, signal, caller.actor, now), []),
        )
        return change.events[0]

    def slo_violation(
        self,
        caller: Caller,
        incident_id: str,
        slo_id: str,
        window_start: datetime,
        window_end: datetime,
        error_budget_consumed: float,
        threshold_breached: float,
        details: dict[str, Any] | None,
    ) -> TimelineEvent:
        require(caller, Role.RESPONDER)

        def decide(incident: Incident, now: datetime) -> tuple[Change, list[dict[str, Any]]]:
            change, violation = record_slo_violation(
                incident,
                slo_id,
                window_start,
                window_end,
                error_budget_consumed,
                threshold_breached,
                details,
                caller.actor,
                now,
            )
            return change, [self._context.violation_put(caller.org, violation)]

        return self._record(caller, incident_id, decide).events[0]

    def tags(
        self,
        caller: Caller,
        incident_id: str,
        add: list[str],
        remove: list[str],
        expected_version: int | None,
    ) -> Incident:
        require(caller, Role.RESPONDER)
        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: change_tags(incident, add, remove, caller.actor, now),
        )

    def ticket(
        self, caller: Caller, incident_id: str, system: TicketSystem, key: str | None, url: str
    ) -> Incident:
        require(caller, Role.RESPONDER)
        return self._decide(
            caller,
            incident_id,
            None,
            lambda incident, now: link_ticket(incident, system, key, url, caller.actor, now),
        )

    def action(
        self, caller: Caller, incident_id: str, kind: ActionKind, label: str, details: str | None
    ) -> TimelineEvent:
        require(caller, Role.RESPONDER)
        change = self._record(
            caller,
            incident_id,
            lambda incident, now: (record_action(incident, kind, label, details, caller.actor, now), []),
        )
        return change.events[0]

    def _record(self, caller: Caller, incident_id: str, decision: Recorded) -> Change:
        def attempt() -> Change:
            now = self._clock.now()
            change, operations = decision(self._read(caller, incident_id, None), now)
            self._incidents.commit([change], operations=operations)
            return change

        return retrying(attempt, self._sleep, f"incident {incident_id}")


class ContextQueries:
    def __init__(
        self, incidents: IncidentStore, context: ContextStore, cursors: CursorSigner, clock: Clock
    ) -> None:
        self._incidents = incidents
        self._context = context
        self._cursors = cursors
        self._clock = clock

    def related(
        self, caller: Caller, incident_id: str, limit: int
    ) -> list[tuple[Incident, list[RelatedReason]]]:
        require(caller, Role.VIEWER)
        incident = self._incidents.get(caller.org, incident_id)
        since = self._clock.now() - timedelta(days=RELATED_DAYS)
        return self._context.related(caller.org, incident, limit, since)

    def slo_violations(
        self, caller: Caller, slo_id: str, limit: int, cursor: str | None
    ) -> tuple[list[SloViolation], str | None]:
        require(caller, Role.VIEWER)
        if len(slo_id) > MAX_SLO_ID:
            raise InvalidInput(f"slo_id: at most {MAX_SLO_ID} characters", details=[{"field": "slo_id"}])
        scope = f"slo-violations\n{caller.org}\n{slo_id}"
        position = self._cursors.open(scope, cursor) if cursor is not None else None
        found, next_position = self._context.violations(caller.org, slo_id, limit, position)
        return found, self._cursors.sign(scope, next_position) if next_position else None
