"""What people do to an incident besides moving its status: assign, set severity, silence, link, comment.

Each rule checks what it must, builds the events, and applies them (events.apply), so the snapshot and
the timeline cannot disagree. A request that changes nothing returns a change without events.
"""

from datetime import datetime, timedelta

from stormwatch.clock import iso
from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.events import Change, new_event, record
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.models import Incident, Notification, Severity, Status, TimelineEvent
from stormwatch.ids import new_event_id

MAX_SILENCE = timedelta(days=30)
MAX_CHILDREN_RESOLVING_WITH_PARENT = 25
LINK_TYPES = ("parent", "child", "duplicate_of")


def notify(incident: Incident, kind: str, member: str | None, at: datetime, **data: object) -> Notification:
    return Notification(
        id=new_event_id(at),
        org=incident.org,
        incident_id=incident.id,
        kind=kind,
        member=member,
        at=at,
        data=data,
    )


def assign(
    incident: Incident, assignee: str | None, actor: str, now: datetime, reason: str | None = None
) -> Change:
    if incident.assignee == assignee:
        return Change(incident, incident)
    data: dict[str, object] = {"assignee": assignee, "previous": incident.assignee}
    if reason:
        data["reason"] = reason
    events: list[TimelineEvent] = []
    after = record(incident, new_event("assigned", now, actor, data), events)
    return Change(incident, after, events)


def set_severity(
    incident: Incident, severity: Severity, reason: str | None, actor: str, now: datetime
) -> Change:
    if incident.severity is severity:
        return Change(incident, incident)
    data: dict[str, object] = {"from": incident.severity.value, "to": severity.value}
    if reason:
        data["reason"] = reason
    events: list[TimelineEvent] = []
    after = record(incident, new_event("severity_changed", now, actor, data), events)
    return Change(incident, after, events)


def silence(incident: Incident, until: datetime, actor: str, now: datetime) -> Change:
    if until <= now:
        raise InvalidInput("body.until: must be in the future", details=[{"field": "body.until"}])
    if until - now > MAX_SILENCE:
        raise InvalidInput("body.until: at most 30 days ahead", details=[{"field": "body.until"}])
    if not incident.status.is_active:
        raise Conflict(
            f"incident {incident.id} is {incident.status.value}; only active incidents are silenced"
        )
    events: list[TimelineEvent] = []
    after = record(incident, new_event("silenced", now, actor, {"until": iso(until)}), events)
    return Change(incident, after, events)


def unsilence(incident: Incident, actor: str, now: datetime) -> Change:
    if incident.silenced_until is None:
        return Change(incident, incident)
    events: list[TimelineEvent] = []
    after = record(incident, new_event("unsilenced", now, actor), events)
    return Change(incident, after, events)


def link(
    incident: Incident,
    other: Incident,
    link_type: str,
    resolve_with_parent: bool,
    actor: str,
    now: datetime,
) -> list[Change]:
    """Link two incidents; both timelines record it. A duplicate is cancelled, pointing at the original."""
    if other.id == incident.id:
        raise InvalidInput(
            "body.incident_id: an incident cannot link to itself", details=[{"field": "body.incident_id"}]
        )
    if any(existing.incident_id == other.id for existing in incident.links):
        raise Conflict(f"incident {incident.id} is already linked to {other.id}")
    if link_type == "duplicate_of":
        return _duplicate(incident, other, actor, now)
    parent, child = (other, incident) if link_type == "parent" else (incident, other)
    if child.parent_id is not None:
        raise Conflict(f"incident {child.id} already has parent {child.parent_id}")
    if parent.parent_id == child.id:
        raise Conflict(f"incident {parent.id} is a child of {child.id}; links may not form a cycle")
    resolving = sum(
        1 for existing in parent.links if existing.type == "child" and existing.resolve_with_parent
    )
    if resolve_with_parent and resolving >= MAX_CHILDREN_RESOLVING_WITH_PARENT:
        raise Conflict(f"incident {parent.id} already has {resolving} children that resolve with it")
    flag = {"resolve_with_parent": True} if resolve_with_parent else {}
    child_events: list[TimelineEvent] = []
    parent_events: list[TimelineEvent] = []
    child_after = record(
        child,
        new_event("linked", now, actor, {"type": "parent", "incident_id": parent.id, **flag}),
        child_events,
    )
    parent_after = record(
        parent,
        new_event("linked", now, actor, {"type": "child", "incident_id": child.id, **flag}),
        parent_events,
    )
    return [Change(child, child_after, child_events), Change(parent, parent_after, parent_events)]


def _duplicate(duplicate: Incident, original: Incident, actor: str, now: datetime) -> list[Change]:
    events: list[TimelineEvent] = []
    after = record(
        duplicate,
        new_event("linked", now, actor, {"type": "duplicate_of", "incident_id": original.id}),
        events,
    )
    if after.status.is_active:
        cancelled = change_status(after, Status.CANCELLED, actor, now, note=f"Duplicate of {original.id}")
        events += cancelled.events
        after = cancelled.after
    original_events: list[TimelineEvent] = []
    original_after = record(
        original,
        new_event("linked", now, actor, {"type": "duplicate", "incident_id": duplicate.id}),
        original_events,
    )
    return [Change(duplicate, after, events), Change(original, original_after, original_events)]


def children_resolving_with(parent: Incident) -> list[str]:
    return [
        existing.incident_id
        for existing in parent.links
        if existing.type == "child" and existing.resolve_with_parent
    ]


def resolve_with_parent(child: Incident, parent_id: str, actor: str, now: datetime) -> Change | None:
    """The child's resolution when its parent resolves, if it is still active."""
    if not child.status.is_active:
        return None
    return change_status(child, Status.RESOLVED, actor, now, note=f"Resolved with parent {parent_id}")


def narrate(incident: Incident, event: TimelineEvent) -> Change:
    """A history event (a comment, its edit or deletion): it moves the incident's last activity only."""
    events: list[TimelineEvent] = []
    return Change(incident, record(incident, event, events), events)


def comment_event(body: str, mentions: list[str], actor: str, now: datetime) -> TimelineEvent:
    event = new_event("comment", now, actor, {"body": body, "mentions": mentions})
    event.data["comment_id"] = event.id
    return event
