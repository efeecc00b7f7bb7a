"""What an incident is about beyond its alerts: signals with their correlation keys and trace ids, SLO
violations, tags, tickets and the actions people took; and the context filters of the incident list.

Each rule builds one timeline event and applies it (events.apply), so replay rebuilds the snapshot's
`correlation_keys`, `trace_ids`, `tags`, `tickets` and counters. The store keeps one index item per
(incident, key, tag, project, service) so lists find them by a Query (store/context.py).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from stormwatch.clock import iso
from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.events import KEYS_KEPT, Change, new_event, record
from stormwatch.domain.listing import IncidentFilter, Sort, search_text
from stormwatch.domain.models import AlertEvent, Incident, Integration, LazyModel, TimelineEvent, UtcTime
from stormwatch.ids import normalize_key

# What one incident may carry: a snapshot stays small however many signals it gets.
MAX_CORRELATION_KEYS = KEYS_KEPT
MAX_TAGS = 50
MAX_TICKETS = 20
# `related` reads this many of the incident's correlation keys (the first ones it got).
RELATED_KEYS_READ = 10
RELATED_DAYS = 90
DEDUPE_OPEN_FOR_SERVICE = "open_for_service"


class SignalType(StrEnum):
    METRIC = "metric"
    LOG = "log"
    TRACE = "trace"
    ALERT = "alert"
    DEPLOY = "deploy"
    OTHER = "other"


class ActionKind(StrEnum):
    NOTE = "note"
    PLAYBOOK = "playbook"
    ROLLBACK = "rollback"
    DEPLOY = "deploy"
    OTHER = "other"


class TicketSystem(StrEnum):
    JIRA = "jira"
    GITHUB = "github"
    LINEAR = "linear"
    SERVICENOW = "servicenow"
    URL = "url"


@dataclass(frozen=True)
class Signal:
    type: SignalType
    summary: str
    service: str | None = None
    environment: str | None = None
    correlation_key: str | None = None
    trace_id: str | None = None
    source: str | None = None
    data: dict[str, Any] | None = None


class SloViolation(LazyModel):
    """An SLO's breach recorded on an incident; listed per SLO across the org."""

    id: str
    slo_id: str
    incident_id: str
    window_start: UtcTime
    window_end: UtcTime
    error_budget_consumed: float
    threshold_breached: float
    details: dict[str, Any] = Field(default_factory=dict)
    recorded_at: UtcTime
    recorded_by: str


class RelatedReason(LazyModel):
    """Why an incident is related: it shares a correlation key, or it is of the same service."""

    reason: str
    value: str


def with_integration_context(integration: Integration, alert: AlertEvent) -> AlertEvent:
    """The alert with its integration's project, and the correlation key and trace id that the integration
    reads from its labels (`correlation_key_label`, `trace_id_label`)."""
    updates = {
        "project": integration.project,
        "correlation_key": alert.labels.get(integration.correlation_key_label or ""),
        "trace_id": alert.labels.get(integration.trace_id_label or ""),
    }
    given = {name: value for name, value in updates.items() if value}
    return alert.model_copy(update=given) if given else alert


def _one(incident: Incident, event: TimelineEvent) -> Change:
    events: list[TimelineEvent] = []
    return Change(incident, record(incident, event, events), events)


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", details=[{"field": field}])


def attach_signal(incident: Incident, signal: Signal, actor: str, now: datetime) -> Change:
    key = normalize_key(signal.correlation_key) if signal.correlation_key is not None else None
    trace_id = normalize_key(signal.trace_id) if signal.trace_id is not None else None
    for name, value, held in (
        ("correlation keys", key, incident.correlation_keys),
        ("trace ids", trace_id, incident.trace_ids),
    ):
        if value is not None and value not in held and len(held) >= MAX_CORRELATION_KEYS:
            raise Conflict(f"incident {incident.id} carries {len(held)} {name}, the most it may")
    data: dict[str, Any] = {"type": signal.type.value, "summary": signal.summary}
    optional = {
        "service": signal.service,
        "environment": signal.environment,
        "correlation_key": key,
        "trace_id": trace_id,
        "source": signal.source,
        "data": signal.data,
    }
    data.update({name: value for name, value in optional.items() if value is not None})
    event = new_event("signal", now, actor, data)
    event.data["signal_id"] = event.id
    return _one(incident, event)


def record_slo_violation(
    incident: Incident,
    slo_id: str,
    window_start: datetime,
    window_end: datetime,
    error_budget_consumed: float,
    threshold_breached: float,
    details: dict[str, Any] | None,
    actor: str,
    now: datetime,
) -> tuple[Change, SloViolation]:
    if window_end <= window_start:
        raise _field_error("body.window_end", "must be after window_start")
    data: dict[str, Any] = {
        "slo_id": slo_id,
        "window_start": iso(window_start),
        "window_end": iso(window_end),
        "error_budget_consumed": error_budget_consumed,
        "threshold_breached": threshold_breached,
    }
    if details:
        data["details"] = details
    event = new_event("slo_violation", now, actor, data)
    event.data["violation_id"] = event.id
    violation = SloViolation(
        id=event.id,
        incident_id=incident.id,
        recorded_at=now,
        recorded_by=actor,
        **{name: value for name, value in data.items() if name != "violation_id"},
    )
    return _one(incident, event), violation


def change_tags(incident: Incident, add: list[str], remove: list[str], actor: str, now: datetime) -> Change:
    """Tags are a set: adding one it has, or removing one it lacks, changes nothing (and no event)."""
    both = set(add) & set(remove)
    if both:
        raise _field_error("body.remove", f"{sorted(both)[0]!r} is also in add")
    added = [tag for tag in dict.fromkeys(add) if tag not in incident.tags]
    removed = [tag for tag in dict.fromkeys(remove) if tag in incident.tags]
    if not added and not removed:
        return Change(incident, incident)
    if len(incident.tags) - len(removed) + len(added) > MAX_TAGS:
        raise Conflict(f"incident {incident.id} may carry at most {MAX_TAGS} tags")
    return _one(incident, new_event("tags_changed", now, actor, {"added": added, "removed": removed}))


def link_ticket(
    incident: Incident, system: TicketSystem, key: str | None, url: str, actor: str, now: datetime
) -> Change:
    """A ticket already linked (same URL) is not linked twice."""
    if any(ticket.url == url for ticket in incident.tickets):
        return Change(incident, incident)
    if len(incident.tickets) >= MAX_TICKETS:
        raise Conflict(f"incident {incident.id} has {MAX_TICKETS} tickets, the most it may")
    data: dict[str, Any] = {"system": system.value, "url": url}
    if key is not None:
        data["key"] = key
    return _one(incident, new_event("ticket_linked", now, actor, data))


def record_action(
    incident: Incident,
    kind: ActionKind,
    label: str,
    details: str | None,
    actor: str,
    now: datetime,
) -> Change:
    data: dict[str, Any] = {"kind": kind.value, "label": label}
    if details is not None:
        data["details"] = details
    event = new_event("action_taken", now, actor, data)
    event.data["action_id"] = event.id
    return _one(incident, event)


@dataclass(frozen=True)
class ContextFilter:
    """The list filters that context index items select: each names one index partition, and the others
    (and the list's own filters) are checked on the incidents read from it."""

    correlation_key: str | None = None
    trace_id: str | None = None
    tag: str | None = None
    project: str | None = None

    def selector(self) -> tuple[str, str] | None:
        """The index partition to read: the first filter given, in this order."""
        for kind, value in (
            ("ck", normalize_key(self.correlation_key) if self.correlation_key is not None else None),
            ("trace", normalize_key(self.trace_id) if self.trace_id is not None else None),
            ("tag", self.tag),
            ("project", self.project),
        ):
            if value is not None:
                return kind, value
        return None

    def check(self, wanted: IncidentFilter) -> None:
        if self.selector() is not None and wanted.sort is Sort.ACTIVITY:
            raise _field_error(
                "sort", "correlation_key, trace_id, tag and project list by creation only: drop sort=activity"
            )

    def scope(self) -> str:
        return json.dumps([self.correlation_key, self.trace_id, self.tag, self.project])

    def narrows(self, wanted: IncidentFilter) -> bool:
        """Whether anything beyond the selected partition and the created window filters the page."""
        given = [self.correlation_key, self.trace_id, self.tag, self.project]
        window = IncidentFilter(created_after=wanted.created_after, created_before=wanted.created_before)
        return sum(value is not None for value in given) > 1 or wanted != window

    def matches(self, incident: Incident, wanted: IncidentFilter) -> bool:
        checks = (
            self.correlation_key is None or normalize_key(self.correlation_key) in incident.correlation_keys,
            self.trace_id is None or normalize_key(self.trace_id) in incident.trace_ids,
            self.tag is None or self.tag in incident.tags,
            self.project is None or self.project == incident.project,
            not wanted.statuses or incident.status in wanted.statuses,
            not wanted.severities or incident.severity in wanted.severities,
            wanted.service is None or incident.service == wanted.service,
            wanted.environment is None or incident.environment == wanted.environment,
            wanted.assignee is None or incident.assignee == wanted.assignee,
            wanted.created_after is None or incident.created_at > wanted.created_after,
            wanted.created_before is None or incident.created_at < wanted.created_before,
            all(f" {word}" in search_text(incident) for word in wanted.search),
        )
        return all(checks)
