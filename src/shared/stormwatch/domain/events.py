"""The timeline is the source of truth: every change of an incident's snapshot is one event, applied here.

Commands and correlation build events and apply them with `apply`, and `replay` folds an incident's
timeline through the same function, so replaying rebuilds the snapshot by construction. What events do
not carry are the counters that repeats update without an event (a storm must stay cheap): alert_count,
last_seen, evidence, and each alert's count and last_seen. `replayable` is the snapshot without them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stormwatch.clock import parse_iso
from stormwatch.domain.models import (
    AlertEvent,
    AlertState,
    AlertStatus,
    Incident,
    IncidentLink,
    Severity,
    SourceUrl,
    Status,
    Ticket,
    TimelineEvent,
)
from stormwatch.ids import new_event_id, short_hash

FORWARD = (Status.OPEN, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MITIGATED, Status.RESOLVED)

# Events that are history: they count no version, and change no field but the last activity.
NARRATIVE_EVENTS = frozenset(
    {"comment", "comment_edited", "comment_deleted", "notification", "postmortem_reminder"}
)
# A delivery report (or a reminder) is not activity: an incident nobody touches stays inactive however often
# it pages.
NOT_ACTIVITY = frozenset({"notification", "postmortem_reminder"})
REOPEN_TIMES_KEPT = 10
# Correlation keys (and trace ids) an incident keeps: signals beyond are refused, alerts' labels ignored.
KEYS_KEPT = 50
COUNTER_FIELDS = frozenset({"alert_count", "last_seen", "evidence"})
ALERT_COUNTER_FIELDS = frozenset({"count", "last_seen", "severity"})


@dataclass
class Change:
    """One incident's move from `before` (None: it is new) to `after`, and the events that explain it.

    `replacing` names the earlier incident whose place at its key's head a new incident takes.
    `joined` are alerts whose fingerprint is new to the incident (their details are stored with it).
    """

    before: Incident | None
    after: Incident
    events: list[TimelineEvent] = field(default_factory=list)
    joined: list[AlertEvent] = field(default_factory=list)
    replacing: Incident | None = None


def new_event(event_type: str, at: datetime, actor: str, data: dict[str, Any] | None = None) -> TimelineEvent:
    return TimelineEvent(id=new_event_id(at), type=event_type, at=at, actor=actor, data=data or {})


Applier = Callable[[Incident, TimelineEvent], dict[str, Any]]
_APPLIERS: dict[str, Applier] = {}


def _applies(event_type: str) -> Callable[[Applier], Applier]:
    def register(applier: Applier) -> Applier:
        _APPLIERS[event_type] = applier
        return applier

    return register


def apply(incident: Incident | None, event: TimelineEvent, org: str, incident_id: str) -> Incident:
    """The snapshot after `event`. Every event but a narrative one counts one version."""
    if event.type == "created":
        if incident is not None:
            raise ValueError(f"incident {incident_id} exists already")
        return _created(org, incident_id, event)
    if incident is None:
        raise ValueError(f"{event.type} before created")
    if event.type in NARRATIVE_EVENTS:
        if event.type in NOT_ACTIVITY:
            return incident
        return incident.model_copy(update={"last_activity_at": event.at})
    updates = _APPLIERS[event.type](incident, event)
    updates.update(version=incident.version + 1, updated_at=event.at, last_activity_at=event.at)
    return incident.model_copy(update=updates)


def record(incident: Incident, event: TimelineEvent, events: list[TimelineEvent]) -> Incident:
    """Apply `event` to an existing incident and append it to `events`."""
    events.append(event)
    return apply(incident, event, incident.org, incident.id)


def replay(org: str, incident_id: str, events: Iterable[TimelineEvent]) -> Incident | None:
    incident = None
    for event in events:
        incident = apply(incident, event, org, incident_id)
    return incident


def replayable(incident: Incident) -> dict[str, Any]:
    """The snapshot as the timeline determines it: without repeat counters."""
    view = incident.model_dump(mode="json", exclude=set(COUNTER_FIELDS))
    view["alerts"] = {
        key: {name: value for name, value in state.items() if name not in ALERT_COUNTER_FIELDS}
        for key, state in view["alerts"].items()
    }
    return view


def _created(org: str, incident_id: str, event: TimelineEvent) -> Incident:
    data = event.data
    return Incident(
        id=incident_id,
        org=org,
        incident_key=data["incident_key"],
        title=data["title"],
        description=data.get("description"),
        severity=Severity(data["severity"]),
        service=data.get("service"),
        environment=data.get("environment"),
        source=data["source"],
        owner=data.get("owner"),
        owner_slack_webhook=data.get("owner_slack_webhook"),
        labels=data.get("labels", {}),
        previous_incident_id=data.get("previous_incident_id"),
        escalation_policy_id=data.get("escalation_policy_id"),
        project=data.get("project"),
        correlation_keys=data.get("correlation_keys", []),
        trace_ids=data.get("trace_ids", []),
        first_seen=event.at,
        last_seen=event.at,
        created_at=event.at,
        created_by=event.actor,
        updated_at=event.at,
        last_activity_at=event.at,
        escalate_at=event.at,
    )


@_applies("alert_fired")
def _alert_fired(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    fingerprint = event.data["fingerprint"]
    key = short_hash(fingerprint)
    alerts = dict(incident.alerts)
    known = alerts.get(key)
    if known is None:
        alerts[key] = AlertState(
            fingerprint=fingerprint,
            status=AlertStatus.FIRING,
            count=0,
            first_seen=event.at,
            last_seen=event.at,
        )
    else:
        alerts[key] = known.model_copy(update={"status": AlertStatus.FIRING})
    seen = {url.url for url in incident.urls}
    urls = [*incident.urls]
    for raw in event.data.get("urls", []):
        url = SourceUrl.model_validate(raw)
        if url.url not in seen:
            seen.add(url.url)
            urls.append(url)
    return {"alerts": alerts, "urls": urls, **_with_keys(incident, event)}


@_applies("alert_resolved")
def _alert_resolved(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    key = short_hash(event.data["fingerprint"])
    alerts = dict(incident.alerts)
    alerts[key] = alerts[key].model_copy(update={"status": AlertStatus.RESOLVED})
    return {"alerts": alerts}


@_applies("severity_changed")
def _severity_changed(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"severity": Severity(event.data["to"])}


@_applies("status_changed")
def _status_changed(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    """Forward moves fill every skipped step's timestamp with the move's time."""
    target = Status(event.data["to"])
    at, actor = event.at, event.actor
    updates: dict[str, Any] = {"status": target, "escalate_at": None, "ack_expires_at": None}
    if target is Status.ACKNOWLEDGED and incident.ack_timeout_minutes is not None:
        updates["ack_expires_at"] = at + timedelta(minutes=incident.ack_timeout_minutes)
    if target is Status.CANCELLED:
        updates.update(cancelled_at=at, cancelled_by=actor, resolution_note=event.data.get("note"))
        return updates
    reached = FORWARD.index(target)
    if reached >= FORWARD.index(Status.ACKNOWLEDGED) and incident.acknowledged_at is None:
        updates.update(acknowledged_at=at, acknowledged_by=actor)
        if incident.tta_seconds is None:
            updates["tta_seconds"] = _seconds_between(incident.created_at, at)
    if reached >= FORWARD.index(Status.INVESTIGATING) and incident.investigating_at is None:
        updates["investigating_at"] = at
    if reached >= FORWARD.index(Status.MITIGATED) and incident.mitigated_at is None:
        updates["mitigated_at"] = at
    if target is Status.RESOLVED:
        updates.update(resolved_at=at, resolved_by=actor, resolution_note=event.data.get("note"))
        if incident.ttr_seconds is None:
            updates["ttr_seconds"] = _seconds_between(incident.created_at, at)
    return updates


@_applies("reopened")
def _reopened(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    """A new cycle: the cycle's timestamps clear; the first cycle's TTA and TTR stay."""
    return {
        "status": Status.OPEN,
        "reopen_count": incident.reopen_count + 1,
        "reopen_times": [*incident.reopen_times, event.at][-REOPEN_TIMES_KEPT:],
        "reopened_at": event.at,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "investigating_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "resolved_by": None,
        "cancelled_at": None,
        "cancelled_by": None,
        "resolution_note": None,
        **_walk_from_start(event.at),
    }


def _walk_from_start(at: datetime) -> dict[str, Any]:
    return {"escalation_level": 0, "escalation_step": (0, 0), "escalate_at": at, "ack_expires_at": None}


@_applies("escalated")
def _escalated(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    following = event.data["next"]
    return {
        "escalation_level": event.data["level"],
        "ack_timeout_minutes": event.data.get("ack_timeout_minutes"),
        "escalation_step": (following["level"], following["cycle"])
        if following
        else incident.escalation_step,
        "escalate_at": parse_iso(following["at"]) if following else None,
    }


@_applies("escalation_ended")
def _escalation_ended(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"escalate_at": None}


@_applies("acknowledgement_expired")
def _acknowledgement_expired(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"status": Status.OPEN, **_walk_from_start(event.at)}


@_applies("flapping")
def _flapping(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"flapping": event.data["flapping"]}


@_applies("alerts_truncated")
def _alerts_truncated(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"truncated_alerts": event.data["count"]}


@_applies("assigned")
def _assigned(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"assignee": event.data.get("assignee")}


@_applies("silenced")
def _silenced(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"silenced_until": parse_iso(event.data["until"])}


@_applies("unsilenced")
def _unsilenced(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"silenced_until": None}


@_applies("linked")
def _linked(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    link = IncidentLink(
        type=event.data["type"],
        incident_id=event.data["incident_id"],
        resolve_with_parent=event.data.get("resolve_with_parent", False),
    )
    updates: dict[str, Any] = {"links": [*incident.links, link]}
    if link.type == "parent":
        updates["parent_id"] = link.incident_id
    return updates


@_applies("postmortem")
def _postmortem(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    published = event.at if event.data["status"] == "published" else None
    return {"postmortem_status": event.data["status"], "postmortem_published_at": published}


@_applies("superseded")
def _superseded(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"superseded_by": event.data["by"]}


def _with_keys(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    """A signal's (or a joining alert's) correlation key and trace id join the incident's, once each."""
    updates: dict[str, Any] = {}
    for field_name, value in (
        ("correlation_keys", event.data.get("correlation_key")),
        ("trace_ids", event.data.get("trace_id")),
    ):
        held: list[str] = getattr(incident, field_name)
        if value is not None and value not in held and len(held) < KEYS_KEPT:
            updates[field_name] = [*held, value]
    return updates


@_applies("signal")
def _signal(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"signal_count": incident.signal_count + 1, **_with_keys(incident, event)}


@_applies("slo_violation")
def _slo_violation(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"slo_violation_count": incident.slo_violation_count + 1}


@_applies("tags_changed")
def _tags_changed(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    removed = set(event.data["removed"])
    kept = [tag for tag in incident.tags if tag not in removed]
    return {"tags": kept + [tag for tag in event.data["added"] if tag not in kept]}


@_applies("ticket_linked")
def _ticket_linked(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"tickets": [*incident.tickets, Ticket.model_validate(event.data)]}


@_applies("action_taken")
def _action_taken(incident: Incident, event: TimelineEvent) -> dict[str, Any]:
    return {"action_count": incident.action_count + 1}


def _seconds_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds(), 3)


@dataclass(frozen=True)
class SnapshotChange:
    """One write of an incident snapshot, as the table's stream reports it. The key's head item holds each
    incident of the key in turn, so the image before may be another incident: `previous` is this incident
    before the write, None when it is new there."""

    previous: Incident | None
    current: Incident

    @classmethod
    def of(cls, before: Incident | None, after: Incident) -> "SnapshotChange":
        return cls(before if before is not None and before.id == after.id else None, after)

    @property
    def archived(self) -> bool:
        """An earlier incident moved to its archive item: nothing happened to it."""
        return self.previous is None and self.current.superseded_by is not None
