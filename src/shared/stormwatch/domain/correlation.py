"""Correlation: how alerts for one incident key change that key's incident.

`correlate` folds a batch of alerts (all for one org and incident key) over the key's stored snapshot and
returns the snapshot to write with the timeline events that explain it. It is pure: the store writes the
outcome conditionally on the snapshot it was computed from, and the caller re-runs it on conflict.

A plain repeat (an active incident, a fingerprint it knows as firing, no severity rise) changes only
counters, last seen and evidence and adds no timeline event; `is_plain_repeat` states that rule, and the
store's one-write fast path applies exactly those repeats without reading.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from stormwatch.domain.errors import Conflict
from stormwatch.domain.lifecycle import change_status, reopen
from stormwatch.domain.models import (
    AlertEvent,
    AlertState,
    AlertStatus,
    Incident,
    SourceUrl,
    Status,
    TimelineEvent,
    incident_id,
)
from stormwatch.domain.timeline import new_event
from stormwatch.ids import normalize_key, short_hash


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    IGNORED = "ignored"


@dataclass(frozen=True)
class CorrelationPolicy:
    reopen_window: timedelta = timedelta(hours=1)
    auto_resolve: bool = True


@dataclass
class Outcome:
    """What a batch does to its key. `incident` is None when nothing is to be written."""

    stored: Incident | None
    incident: Incident | None = None
    # The stored incident closed before the reopen window: it is archived and `incident` succeeds it.
    superseded: Incident | None = None
    events: list[TimelineEvent] = field(default_factory=list)
    joined: list[AlertEvent] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


def source_actor(source: str) -> str:
    return f"source:{source}"


def is_plain_repeat(incident: Incident, alert: AlertEvent) -> bool:
    known = incident.alerts.get(short_hash(alert.fingerprint))
    return (
        incident.status.is_active
        and alert.status is AlertStatus.FIRING
        and known is not None
        and known.status is AlertStatus.FIRING
        and alert.severity.rank <= incident.severity.rank
    )


def correlate(
    org: str,
    key_hash: str,
    stored: Incident | None,
    alerts: Sequence[AlertEvent],
    now: datetime,
    policy: CorrelationPolicy,
) -> Outcome:
    outcome = Outcome(stored=stored)
    state = stored
    for alert in alerts:
        actor = source_actor(alert.source)
        action: Action
        if alert.status is AlertStatus.RESOLVED:
            state, action = _resolve_alert(state, alert, actor, now, policy, outcome)
        elif state is None:
            state = _open(org, key_hash, 1, alert, actor, now, None, outcome)
            action = Action.CREATED
        elif state.status.is_active:
            state = _absorb(state, alert, now, outcome)
            action = Action.UPDATED
        elif state.closed_at is not None and now - state.closed_at <= policy.reopen_window:
            change = reopen(state, actor, now, reason=f"alert {alert.fingerprint} fired again")
            outcome.events.extend(change.events)
            state = _absorb(change.incident, alert, now, outcome)
            action = Action.REOPENED
        else:
            outcome.superseded = state
            state = _open(org, key_hash, state.generation + 1, alert, actor, now, state.id, outcome)
            action = Action.CREATED
        outcome.actions.append(action)
    if state is not stored:
        outcome.incident = state
    return outcome


def new_incident(
    org: str,
    key_hash: str,
    generation: int,
    alert: AlertEvent,
    actor: str,
    now: datetime,
    previous_id: str | None,
) -> tuple[Incident, TimelineEvent]:
    """A fresh snapshot for `alert`'s key, before any alert is counted, and its `created` event."""
    incident = Incident(
        id=incident_id(key_hash, generation),
        org=org,
        incident_key=normalize_key(alert.incident_key),
        title=alert.title,
        description=alert.description,
        severity=alert.severity,
        service=alert.service,
        environment=alert.environment,
        source=alert.source,
        owner=alert.owner.name if alert.owner else None,
        owner_slack_webhook=alert.owner.slack_webhook if alert.owner else None,
        first_seen=now,
        last_seen=now,
        created_at=now,
        created_by=actor,
        labels=alert.labels,
        previous_incident_id=previous_id,
        updated_at=now,
    )
    data: dict[str, object] = {
        "incident_key": incident.incident_key,
        "source": alert.source,
        "severity": alert.severity.value,
        "title": alert.title,
    }
    if previous_id:
        data["previous_incident_id"] = previous_id
    return incident, new_event("created", now, actor, data)


def _open(
    org: str,
    key_hash: str,
    generation: int,
    alert: AlertEvent,
    actor: str,
    now: datetime,
    previous_id: str | None,
    outcome: Outcome,
) -> Incident:
    incident, created = new_incident(org, key_hash, generation, alert, actor, now, previous_id)
    outcome.events.append(created)
    return _absorb(incident, alert, now, outcome)


def _absorb(state: Incident, alert: AlertEvent, now: datetime, outcome: Outcome) -> Incident:
    """Count a firing alert into an active incident."""
    actor = source_actor(alert.source)
    fingerprint_key = short_hash(alert.fingerprint)
    alerts = dict(state.alerts)
    known = alerts.get(fingerprint_key)
    events: list[TimelineEvent] = []
    urls = state.urls
    if known is None:
        alerts[fingerprint_key] = AlertState(
            fingerprint=alert.fingerprint, status=AlertStatus.FIRING, count=1, first_seen=now, last_seen=now
        )
        events.append(new_event("alert_fired", now, actor, _alert_data(alert)))
        outcome.joined.append(alert)
        urls = _merge_urls(state.urls, alert.urls)
    elif known.status is AlertStatus.RESOLVED:
        alerts[fingerprint_key] = known.model_copy(
            update={"status": AlertStatus.FIRING, "count": known.count + 1, "last_seen": now}
        )
        events.append(new_event("alert_fired", now, actor, {**_alert_data(alert), "refired": True}))
    else:
        alerts[fingerprint_key] = known.model_copy(update={"count": known.count + 1, "last_seen": now})
    updates: dict[str, object] = {
        "alerts": alerts,
        "alert_count": state.alert_count + 1,
        "last_seen": now,
        "evidence": {**state.evidence, **alert.evidence},
        "urls": urls,
    }
    if alert.severity.rank > state.severity.rank:
        updates["severity"] = alert.severity
        events.append(
            new_event(
                "severity_changed",
                now,
                actor,
                {"from": state.severity.value, "to": alert.severity.value, "fingerprint": alert.fingerprint},
            )
        )
    if events:
        updates.update(version=state.version + 1, updated_at=now)
        outcome.events.extend(events)
    return state.model_copy(update=updates)


def _resolve_alert(
    state: Incident | None,
    alert: AlertEvent,
    actor: str,
    now: datetime,
    policy: CorrelationPolicy,
    outcome: Outcome,
) -> tuple[Incident | None, Action]:
    fingerprint_key = short_hash(alert.fingerprint)
    known = state.alerts.get(fingerprint_key) if state else None
    if state is None or known is None or known.status is AlertStatus.RESOLVED:
        return state, Action.IGNORED
    alerts = dict(state.alerts)
    alerts[fingerprint_key] = known.model_copy(update={"status": AlertStatus.RESOLVED, "last_seen": now})
    state = state.model_copy(
        update={"alerts": alerts, "version": state.version + 1, "updated_at": now, "last_seen": now}
    )
    outcome.events.append(new_event("alert_resolved", now, actor, {"fingerprint": alert.fingerprint}))
    if not (policy.auto_resolve and state.status.is_active and state.firing_alerts == 0):
        return state, Action.UPDATED
    change = change_status(state, Status.RESOLVED, actor, now, note="All alerts resolved at the source")
    outcome.events.extend(change.events)
    return change.incident, Action.RESOLVED


def _alert_data(alert: AlertEvent) -> dict[str, object]:
    return {"fingerprint": alert.fingerprint, "title": alert.title, "severity": alert.severity.value}


def _merge_urls(current: list[SourceUrl], new: list[SourceUrl]) -> list[SourceUrl]:
    seen = {url.url for url in current}
    return [*current, *(url for url in new if url.url not in seen)]


def declare(
    org: str,
    key_hash: str,
    stored: Incident | None,
    declared: AlertEvent,
    actor: str,
    now: datetime,
) -> Outcome:
    """A person opens an incident by hand. Its key may not have an active incident already; a closed one is
    succeeded (the new incident links back to it), whatever the reopen window."""
    if stored is not None and stored.status.is_active:
        raise Conflict(
            f"incident {stored.id} is already {stored.status.value} for key {stored.incident_key!r}",
            details={"incident_id": stored.id, "status": stored.status.value},
        )
    generation = stored.generation + 1 if stored is not None else 1
    previous_id = stored.id if stored is not None else None
    incident, created = new_incident(org, key_hash, generation, declared, actor, now, previous_id)
    return Outcome(
        stored=stored,
        incident=incident,
        superseded=stored,
        events=[created],
        actions=[Action.CREATED],
    )
