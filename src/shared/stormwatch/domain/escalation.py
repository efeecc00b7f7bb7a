"""Escalation policies and what a due escalation does to an incident.

A policy is ordered levels. An open incident reaches level 1 when it is created (the sweep pages it within
a minute); it stays at a level for that level's `delay_minutes`, then reaches the next, and after the last
level starts again at the first, `repeat` more times. Acknowledging stops the walk. If the policy has an
`ack_timeout_minutes`, an acknowledgement that is not followed by a resolution within it expires: the
incident is open again and the walk starts over. Silenced and flapping incidents are not paged: the step
waits for the silence to end, or the flapping to stop.
"""

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from stormwatch.clock import iso
from stormwatch.domain.events import Change, new_event, record
from stormwatch.domain.members import DELIVERY_URL_RULE, HANDLE_PATTERN, is_delivery_url
from stormwatch.domain.models import (
    Incident,
    LazyModel,
    Notification,
    Severity,
    Status,
    TimelineEvent,
    UtcTime,
)
from stormwatch.domain.work import notify

SYSTEM_ACTOR = "system:stormwatch"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SCHEDULE_ID = re.compile(r"^sch_[a-z0-9]{1,64}$")


class TargetType(StrEnum):
    MEMBER = "member"
    SLACK = "slack"
    WEBHOOK = "webhook"
    EMAIL = "email"
    # Whoever the schedule has on call when the level fires.
    SCHEDULE = "schedule"


class Target(LazyModel):
    type: TargetType
    value: str = Field(min_length=1, max_length=2048)
    # A webhook target's signing secret; never shown after it is set.
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)

    @model_validator(mode="after")
    def _value_fits_type(self) -> "Target":
        if self.type is TargetType.MEMBER and not re.match(HANDLE_PATTERN, self.value):
            raise ValueError("a member target's value is a member handle")
        if self.type in (TargetType.SLACK, TargetType.WEBHOOK) and not is_delivery_url(self.value):
            raise ValueError(f"a {self.type.value} target's value is {DELIVERY_URL_RULE}")
        if self.type is TargetType.EMAIL and not _EMAIL.match(self.value):
            raise ValueError("an email target's value is an email address")
        if self.type is TargetType.SCHEDULE and not _SCHEDULE_ID.match(self.value):
            raise ValueError("a schedule target's value is a schedule id (sch_…)")
        if self.webhook_secret is not None and self.type is not TargetType.WEBHOOK:
            raise ValueError("only a webhook target has a webhook_secret")
        return self

    def public(self) -> dict[str, Any]:
        return {"type": self.type.value, "value": self.value}


class Level(LazyModel):
    delay_minutes: int = Field(ge=1, le=1440)
    targets: list[Target] = Field(min_length=1, max_length=10)


class EscalationPolicy(LazyModel):
    id: str
    name: str = Field(min_length=1, max_length=200)
    levels: list[Level] = Field(min_length=1, max_length=10)
    repeat: int = Field(default=0, ge=0, le=10)
    ack_timeout_minutes: int | None = Field(default=None, ge=1, le=10080)
    # Who takes over the active incidents of a member who leaves.
    owner: str | None = Field(default=None, pattern=HANDLE_PATTERN)
    created_at: UtcTime
    updated_at: UtcTime


class OrgSettings(LazyModel):
    default_escalation_policy_id: str | None = None
    # "The default on-call": new incidents without an assignee, and a departing member's incidents, go
    # to whoever this schedule has on call.
    default_schedule_id: str | None = None
    inactivity_days: int = Field(default=7, ge=1, le=90)
    # Resolved incidents of these severities need a post-mortem (and are reminded until it is published).
    postmortem_required_severities: list[Severity] = Field(default_factory=lambda: [Severity.CRITICAL])
    updated_at: UtcTime | None = None


def chosen_policy_id(named: str | None, settings: OrgSettings) -> str | None:
    """The escalation policy a new incident walks: the one it (or its integration) names, else the org's
    default."""
    return named if named is not None else settings.default_escalation_policy_id


def effective_policy(
    named: str | None, settings: OrgSettings, find: Callable[[str], EscalationPolicy | None]
) -> EscalationPolicy | None:
    """The policy an incident walks now: its chosen one, else the org's default when that one is gone
    (deleted since); None when there is neither. `find` reads a policy of the org by id."""
    for candidate in dict.fromkeys(
        (chosen_policy_id(named, settings), settings.default_escalation_policy_id)
    ):
        policy = find(candidate) if candidate is not None else None
        if policy is not None:
            return policy
    return None


def step_due(incident: Incident) -> datetime | None:
    """When the incident's next escalation step is due, if it is walking a policy and may be paged now."""
    if incident.status is not Status.OPEN or incident.escalate_at is None or incident.flapping:
        return None
    if incident.silenced_until is not None and incident.silenced_until > incident.escalate_at:
        return incident.silenced_until
    return incident.escalate_at


def due_level(incident: Incident, policy: EscalationPolicy | None) -> Level | None:
    """The level that the incident's next escalation step pages."""
    level_index = incident.escalation_step[0]
    if policy is None or level_index >= len(policy.levels):
        return None
    return policy.levels[level_index]


def escalate(
    incident: Incident,
    policy: EscalationPolicy | None,
    now: datetime,
    on_call: Mapping[str, str | None] | None = None,
) -> tuple[Change, list[Notification]]:
    """The due step: page the level's targets (and the alarm's owner on Slack), and schedule the next.
    `on_call` names who each schedule target of the level has on call now (None: nobody, who is not
    paged; the timeline says so)."""
    level_index, cycle = incident.escalation_step
    on_call = on_call or {}
    events: list[TimelineEvent] = []
    if policy is None or level_index >= len(policy.levels):
        after = record(
            incident, new_event("escalation_ended", now, SYSTEM_ACTOR, {"reason": "no policy"}), events
        )
        notifications = _owner(incident, "created", now) if incident.escalation_level == 0 else []
        return Change(incident, after, events), notifications
    level = policy.levels[level_index]
    if level_index + 1 < len(policy.levels):
        following: dict[str, Any] | None = {"level": level_index + 1, "cycle": cycle}
    elif cycle < policy.repeat:
        following = {"level": 0, "cycle": cycle + 1}
    else:
        following = None
    data: dict[str, Any] = {
        "policy_id": policy.id,
        "level": level_index + 1,
        "cycle": cycle + 1,
        "targets": [_resolved(target, on_call) for target in level.targets],
        "ack_timeout_minutes": policy.ack_timeout_minutes,
        "next": (
            {**following, "at": iso(now + timedelta(minutes=level.delay_minutes))}
            if following is not None
            else None
        ),
    }
    after = record(incident, new_event("escalated", now, SYSTEM_ACTOR, data), events)
    notifications = [
        _page(incident, target, level_index + 1, now, on_call)
        for target in level.targets
        if target.type is not TargetType.SCHEDULE or on_call.get(target.value) is not None
    ]
    notifications += _owner(incident, "escalated", now)
    return Change(incident, after, events), notifications


def expire_acknowledgement(incident: Incident, now: datetime) -> Change:
    events: list[TimelineEvent] = []
    data = {"acknowledged_by": incident.acknowledged_by, "timeout_minutes": incident.ack_timeout_minutes}
    after = record(incident, new_event("acknowledgement_expired", now, SYSTEM_ACTOR, data), events)
    return Change(incident, after, events)


def nudge(incident: Incident, idle_days: int, now: datetime) -> Change:
    """The automatic comment on an incident nobody has touched for a while."""
    body = (
        f"No activity on this incident for {idle_days} days. What is its status? Resolve it if it is over, "
        "or add a comment with what is happening."
    )
    events: list[TimelineEvent] = []
    event = new_event("comment", now, SYSTEM_ACTOR, {"body": body, "mentions": [], "automatic": True})
    event.data["comment_id"] = event.id
    after = record(incident, event, events)
    return Change(incident, after, events)


def _resolved(target: Target, on_call: Mapping[str, str | None]) -> dict[str, Any]:
    if target.type is not TargetType.SCHEDULE:
        return target.public()
    return {**target.public(), "member": on_call.get(target.value)}


def _page(
    incident: Incident, target: Target, level: int, now: datetime, on_call: Mapping[str, str | None]
) -> Notification:
    if target.type is TargetType.SCHEDULE:
        return notify(
            incident, "escalated", on_call[target.value], now, level=level, schedule_id=target.value
        )
    member = target.value if target.type is TargetType.MEMBER else None
    notification = notify(incident, "escalated", member, now, level=level)
    if member is None:
        notification.target = target.model_dump(mode="json", exclude_none=True)
    return notification


def _owner(incident: Incident, kind: str, now: datetime) -> list[Notification]:
    if not incident.owner_slack_webhook:
        return []
    notification = notify(incident, kind, None, now, owner=incident.owner)
    notification.target = {"type": TargetType.SLACK.value, "value": incident.owner_slack_webhook}
    return [notification]
