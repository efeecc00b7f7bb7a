"""Correlation: how alerts for one incident key change that key's incident.

`correlate` folds a batch of alerts (all for one org and incident key) over the key's stored snapshot and
returns the changes to write with the timeline events that explain them. It is pure: the store writes
the changes conditionally on the snapshots they were computed from, and the caller re-runs it on conflict.

A plain repeat (an active incident, a fingerprint it knows as firing, no severity rise) changes only
counters (alert_count, last_seen, evidence, the alert's count and last_seen) and adds no timeline event;
`is_plain_repeat` states that rule, and the store's one-write fast path applies exactly those repeats
without reading.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from stormwatch.domain.errors import Conflict
from stormwatch.domain.events import Change, apply, new_event, record
from stormwatch.domain.lifecycle import change_status, reopen
from stormwatch.domain.models import AlertEvent, AlertStatus, Incident, Status, TimelineEvent, incident_id
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
    # More reopens than this within the reopen window make the incident flapping.
    flapping_threshold: int = 3
    # What a new incident from this integration starts with.
    default_assignee: str | None = None
    escalation_policy_id: str | None = None
    default_schedule_id: str | None = None
    # Without a default assignee: who the default schedule has on call at an instant (member, schedule
    # id), asked only when an incident opens.
    default_on_call: Callable[[datetime], tuple[str, str] | None] | None = None
    # The policy a new incident opens with, when that depends on what is read only if one opens (the
    # org's settings): asked by each incident the batch opens, instead of this policy.
    opening: "Callable[[], CorrelationPolicy] | None" = None


@dataclass
class Outcome:
    """What a batch does to its key: the incident it ends on (None if none), the changes to write (none
    when nothing changed), and one action per alert."""

    incident: Incident | None
    changes: list[Change] = field(default_factory=list)
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
        and alert.truncated_alerts == incident.truncated_alerts
        and not incident.flapping
    )


@dataclass
class _Fold:
    """The state of one batch while it is folded: the incident as it stands, where it came from."""

    stored: Incident | None
    state: Incident | None
    events: list[TimelineEvent] = field(default_factory=list)
    joined: list[AlertEvent] = field(default_factory=list)
    archived: Change | None = None

    def changes(self) -> list[Change]:
        if self.state is None or self.state is self.stored:
            return []
        if self.archived is None:
            return [Change(self.stored, self.state, self.events, self.joined)]
        return [self.archived, Change(None, self.state, self.events, self.joined, replacing=self.stored)]


def correlate(
    org: str,
    key_hash: str,
    stored: Incident | None,
    alerts: Sequence[AlertEvent],
    now: datetime,
    policy: CorrelationPolicy,
) -> Outcome:
    fold = _Fold(stored=stored, state=stored)
    actions: list[Action] = []
    for alert in alerts:
        actor = source_actor(alert.source)
        state = fold.state
        if alert.status is AlertStatus.RESOLVED:
            actions.append(_resolve_alert(fold, alert, actor, now, policy))
        elif alert.status is AlertStatus.ACKNOWLEDGED:
            actions.append(_acknowledge(fold, actor, now))
        elif state is None:
            _open(fold, org, key_hash, 1, alert, actor, now, policy)
            actions.append(Action.CREATED)
        elif state.status.is_active:
            fold.state = _absorb(fold, _settle(fold, state, actor, now, policy), alert, now)
            actions.append(Action.UPDATED)
        elif state.closed_at is not None and now - state.closed_at <= policy.reopen_window:
            change = reopen(state, actor, now, reason=f"alert {alert.fingerprint} fired again")
            fold.events.extend(change.events)
            fold.state = _absorb(fold, _flap(fold, change.after, actor, now, policy), alert, now)
            actions.append(Action.REOPENED)
        else:
            successor = incident_id(key_hash, state.generation + 1)
            superseded = new_event("superseded", now, actor, {"by": successor})
            fold.archived = Change(state, apply(state, superseded, org, state.id), [superseded])
            _open(fold, org, key_hash, state.generation + 1, alert, actor, now, policy, previous_id=state.id)
            actions.append(Action.CREATED)
    _note_truncation(fold, alerts, now)
    return Outcome(fold.state, fold.changes(), actions)


def _flap(fold: _Fold, state: Incident, actor: str, now: datetime, policy: CorrelationPolicy) -> Incident:
    """A reopen beyond the threshold within the window: the incident is flapping, and stops paging."""
    recent = [moment for moment in state.reopen_times if now - moment <= policy.reopen_window]
    if state.flapping or len(recent) <= policy.flapping_threshold:
        return state
    data = {
        "flapping": True,
        "reopens": len(recent),
        "window_seconds": int(policy.reopen_window.total_seconds()),
    }
    return record(state, new_event("flapping", now, actor, data), fold.events)


def _settle(fold: _Fold, state: Incident, actor: str, now: datetime, policy: CorrelationPolicy) -> Incident:
    """A flapping incident quiet for a whole window pages again."""
    if not state.flapping or now - state.last_seen <= policy.reopen_window:
        return state
    data = {"flapping": False, "quiet_seconds": int((now - state.last_seen).total_seconds())}
    return record(state, new_event("flapping", now, actor, data), fold.events)


def _note_truncation(fold: _Fold, alerts: Sequence[AlertEvent], now: datetime) -> None:
    state = fold.state
    firing = [alert for alert in alerts if alert.status is AlertStatus.FIRING]
    if state is None or not firing or firing[-1].truncated_alerts == state.truncated_alerts:
        return
    count = firing[-1].truncated_alerts
    event = new_event("alerts_truncated", now, source_actor(firing[-1].source), {"count": count})
    fold.state = record(state, event, fold.events)


def _acknowledge(fold: _Fold, actor: str, now: datetime) -> Action:
    """The source says someone acknowledged (PagerDuty's acknowledge event)."""
    state = fold.state
    if state is None or state.status is not Status.OPEN:
        return Action.IGNORED
    change = change_status(state, Status.ACKNOWLEDGED, actor, now)
    fold.events.extend(change.events)
    fold.state = change.after
    return Action.UPDATED


def created_event(
    alert: AlertEvent,
    actor: str,
    now: datetime,
    previous_id: str | None,
    escalation_policy_id: str | None = None,
) -> TimelineEvent:
    """The first event of an incident: everything its snapshot starts from."""
    data: dict[str, object] = {
        "incident_key": normalize_key(alert.incident_key),
        "title": alert.title,
        "severity": alert.severity.value,
        "source": alert.source,
        "labels": alert.labels,
    }
    optional = {
        "description": alert.description,
        "service": alert.service,
        "environment": alert.environment,
        "owner": alert.owner.name if alert.owner else None,
        "owner_slack_webhook": alert.owner.slack_webhook if alert.owner else None,
        "previous_incident_id": previous_id,
        "escalation_policy_id": escalation_policy_id,
        "project": alert.project,
        "correlation_keys": [normalize_key(alert.correlation_key)] if alert.correlation_key else None,
        "trace_ids": [normalize_key(alert.trace_id)] if alert.trace_id else None,
    }
    data.update({name: value for name, value in optional.items() if value is not None})
    return new_event("created", now, actor, data)


def _open(
    fold: _Fold,
    org: str,
    key_hash: str,
    generation: int,
    alert: AlertEvent,
    actor: str,
    now: datetime,
    policy: CorrelationPolicy,
    previous_id: str | None = None,
) -> None:
    if policy.opening is not None:
        policy = policy.opening()
    created = created_event(alert, actor, now, previous_id, policy.escalation_policy_id)
    fold.events = [created]
    fold.joined = []
    state = apply(None, created, org, incident_id(key_hash, generation))
    assignee, reason = policy.default_assignee, "integration default"
    if assignee is None and policy.default_on_call is not None:
        on_call = policy.default_on_call(now)
        if on_call is not None:
            assignee, reason = on_call[0], f"on call for schedule {on_call[1]}"
    if assignee:
        data = {"assignee": assignee, "previous": None, "reason": reason}
        state = record(state, new_event("assigned", now, actor, data), fold.events)
    fold.state = _absorb(fold, state, alert, now)


def _absorb(fold: _Fold, state: Incident, alert: AlertEvent, now: datetime) -> Incident:
    """Count a firing alert into an active incident."""
    actor = source_actor(alert.source)
    fingerprint_key = short_hash(alert.fingerprint)
    known = state.alerts.get(fingerprint_key)
    if known is None or known.status is AlertStatus.RESOLVED:
        data: dict[str, object] = {
            "fingerprint": alert.fingerprint,
            "title": alert.title,
            "severity": alert.severity.value,
            "urls": [url.model_dump() for url in alert.urls],
        }
        if known is not None:
            data["refired"] = True
        else:
            fold.joined.append(alert)
            data.update(_context_keys(alert))
        state = record(state, new_event("alert_fired", now, actor, data), fold.events)
    alerts = dict(state.alerts)
    counted = alerts[fingerprint_key]
    alerts[fingerprint_key] = counted.model_copy(
        update={"count": counted.count + 1, "last_seen": now, "severity": alert.severity}
    )
    state = state.model_copy(
        update={
            "alerts": alerts,
            "alert_count": state.alert_count + 1,
            "last_seen": now,
            "evidence": {**state.evidence, **alert.evidence},
        }
    )
    if alert.severity.rank > state.severity.rank:
        data = {"from": state.severity.value, "to": alert.severity.value, "fingerprint": alert.fingerprint}
        state = record(state, new_event("severity_changed", now, actor, data), fold.events)
    return state


def _context_keys(alert: AlertEvent) -> dict[str, str]:
    """The correlation key and trace id an integration read from a joining alert's labels."""
    keys = {"correlation_key": alert.correlation_key, "trace_id": alert.trace_id}
    return {name: normalize_key(value) for name, value in keys.items() if value}


def _resolve_alert(
    fold: _Fold, alert: AlertEvent, actor: str, now: datetime, policy: CorrelationPolicy
) -> Action:
    state = fold.state
    fingerprint_key = short_hash(alert.fingerprint)
    known = state.alerts.get(fingerprint_key) if state else None
    if state is None or known is None or known.status is AlertStatus.RESOLVED:
        return Action.IGNORED
    state = record(
        state, new_event("alert_resolved", now, actor, {"fingerprint": alert.fingerprint}), fold.events
    )
    alerts = dict(state.alerts)
    alerts[fingerprint_key] = alerts[fingerprint_key].model_copy(update={"last_seen": now})
    state = state.model_copy(update={"alerts": alerts, "last_seen": now})
    if policy.auto_resolve and state.status.is_active and state.firing_alerts == 0:
        change = change_status(state, Status.RESOLVED, actor, now, note="All alerts resolved at the source")
        fold.events.extend(change.events)
        fold.state = change.after
        return Action.RESOLVED
    fold.state = state
    return Action.UPDATED


def declare(
    org: str,
    key_hash: str,
    stored: Incident | None,
    declared: AlertEvent,
    actor: str,
    now: datetime,
    escalation_policy_id: str | None = None,
) -> list[Change]:
    """A person opens an incident by hand. Its key may not have an active incident already; a closed one is
    succeeded (the new incident links back to it), whatever the reopen window."""
    if stored is not None and stored.status.is_active:
        raise Conflict(
            f"incident {stored.id} is already {stored.status.value} for key {stored.incident_key!r}",
            details={"incident_id": stored.id, "status": stored.status.value},
        )
    generation = stored.generation + 1 if stored is not None else 1
    previous_id = stored.id if stored is not None else None
    created = created_event(declared, actor, now, previous_id, escalation_policy_id)
    incident = apply(None, created, org, incident_id(key_hash, generation))
    if stored is None:
        return [Change(None, incident, [created])]
    superseded = new_event("superseded", now, actor, {"by": incident.id})
    return [
        Change(stored, apply(stored, superseded, org, stored.id), [superseded]),
        Change(None, incident, [created], replacing=stored),
    ]
