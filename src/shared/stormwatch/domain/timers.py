"""The timers an incident's snapshot implies. The store keeps one timer item per (incident, kind) in step
with the snapshot, written in the same transaction, so setting, moving and cancelling a timer can never
disagree with the change that caused it."""

from datetime import datetime, timedelta
from enum import StrEnum

from stormwatch.domain.escalation import step_due
from stormwatch.domain.models import AlertEvent, AlertStatus, Incident, Integration, PostmortemStatus, Status

# Inactivity is first checked this long after the last activity (the shortest period an org may choose); the
# sweep then applies the org's own period.
INACTIVITY_CHECK = timedelta(days=1)
# A resolved incident's first post-mortem reminder, this long after resolution (then daily: see
# domain/postmortems.py).
FIRST_REMINDER_AFTER = timedelta(hours=48)


class TimerKind(StrEnum):
    ESCALATION = "escalation"
    ACK_TIMEOUT = "ack_timeout"
    INACTIVITY = "inactivity"
    HEARTBEAT = "heartbeat"
    POSTMORTEM = "postmortem"
    ACTION_ITEM = "action_item"
    # Owned by a schedule: its next shift reminder (see domain/schedules.py).
    SHIFT_REMINDER = "shift_reminder"


def reminder_due(incident: Incident) -> datetime | None:
    """When a resolved incident's first post-mortem reminder is due, until one is published: 48 h after
    resolution (whether its severity requires one is the org's setting, read when it fires). After each
    reminder the sweep moves the timer on (`next_reminder`)."""
    if (
        incident.status is not Status.RESOLVED
        or incident.resolved_at is None
        or incident.postmortem_status == PostmortemStatus.PUBLISHED.value
    ):
        return None
    return incident.resolved_at + FIRST_REMINDER_AFTER


def incident_timers(incident: Incident) -> dict[TimerKind, datetime]:
    reminder = reminder_due(incident)
    if reminder is not None:
        return {TimerKind.POSTMORTEM: reminder}
    if incident.superseded_by is not None or not incident.status.is_active:
        return {}
    timers = {TimerKind.INACTIVITY: incident.last_activity_at + INACTIVITY_CHECK}
    escalation = step_due(incident)
    if escalation is not None:
        timers[TimerKind.ESCALATION] = escalation
    if incident.status is Status.ACKNOWLEDGED and incident.ack_expires_at is not None:
        timers[TimerKind.ACK_TIMEOUT] = incident.ack_expires_at
    return timers


def heartbeat_alert(integration: Integration, status: AlertStatus) -> AlertEvent:
    """The alarm a missed heartbeat raises and the next one resolves: one incident key per integration."""
    key = f"heartbeat::{integration.id}"
    return AlertEvent(
        source="heartbeat",
        incident_key=key,
        fingerprint=key,
        status=status,
        severity=integration.default_severity,
        title=f"No heartbeat from {integration.name} for over {integration.heartbeat_minutes} minutes",
        labels={"integration": integration.name, "integration_id": integration.id},
    )
