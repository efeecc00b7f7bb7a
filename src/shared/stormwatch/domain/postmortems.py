"""Post-mortems: the document a team writes after an incident, drafted from what its timeline already says;
its status rules; action items; the reminder schedule; the markdown export. Pure: no AWS, no clock.

An incident's `postmortem_status` is kept on its snapshot by `postmortem` timeline events (draft,
in_review, published); `required` is what a resolved incident of a required severity without one shows.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.models import (
    Caller,
    Incident,
    PostmortemStatus,
    Role,
    Severity,
    Status,
    TimelineEvent,
    UtcTime,
)
from stormwatch.domain.permissions import require
from stormwatch.domain.timers import FIRST_REMINDER_AFTER

REMINDER_INTERVAL = timedelta(days=1)
DEFAULT_REQUIRED_SEVERITIES = (Severity.CRITICAL,)
MAX_RELATED_INCIDENTS = 10
# A post-mortem is one item, at most 400 KB, that holds its text twice (the sections, and their words for
# the search filter) beside its other fields: its text (title, sections, contributing factors, as UTF-8)
# is bounded so that both fit. A draft's timeline section is cut to fit it.
MAX_TEXT_BYTES = 160_000
# The commands and queries handlers import these models with their routes: their validators are built when
# a post-mortem request first needs them, not at every cold start.
_BUILT_ON_FIRST_USE = ConfigDict(defer_build=True)


class ActionItemStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WONT_DO = "wont_do"


# (from, to) → the role the move needs.
_MOVES: dict[tuple[PostmortemStatus, PostmortemStatus], Role] = {
    (PostmortemStatus.DRAFT, PostmortemStatus.IN_REVIEW): Role.RESPONDER,
    (PostmortemStatus.IN_REVIEW, PostmortemStatus.DRAFT): Role.RESPONDER,
    (PostmortemStatus.IN_REVIEW, PostmortemStatus.PUBLISHED): Role.LEAD,
    (PostmortemStatus.DRAFT, PostmortemStatus.PUBLISHED): Role.LEAD,
    (PostmortemStatus.PUBLISHED, PostmortemStatus.DRAFT): Role.LEAD,
}


class TemplateSection(BaseModel):
    model_config = _BUILT_ON_FIRST_USE

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str = Field(min_length=1, max_length=100)
    help: str = Field(default="", max_length=1000)


# Constructed, not validated (they are valid as written: a unit test validates them): validating them here
# would build TemplateSection's validator at every cold start of the handlers that import this module.
BUILT_IN_SECTIONS = tuple(
    TemplateSection.model_construct(key=key, title=title, help=help)
    for key, title, help in (
        ("summary", "Summary", "What happened, in a few sentences."),
        ("timeline", "Timeline", "Drafted from the incident's timeline."),
        ("root_cause", "Root Cause", "Why it happened."),
        ("impact", "Impact", "Who and what was affected, for how long."),
        ("action_items", "Action Items", "What we will change."),
        ("lessons_learned", "Lessons Learned", "What went well, what did not."),
    )
)
BUILT_IN_KEYS = frozenset(section.key for section in BUILT_IN_SECTIONS)


def template_sections(extra: Sequence[TemplateSection]) -> list[TemplateSection]:
    """The built-in sections, then the org's own (which may not reuse a built-in key, nor repeat one)."""
    keys = [section.key for section in extra]
    for index, key in enumerate(keys):
        if key in BUILT_IN_KEYS or key in keys[:index]:
            raise InvalidInput(
                f"body.sections[{index}].key: {key!r} is already a section",
                details=[{"field": f"body.sections[{index}].key", "problem": "duplicate section key"}],
            )
    return [*BUILT_IN_SECTIONS, *extra]


def org_sections(sent: Sequence[TemplateSection]) -> list[TemplateSection]:
    """The org's own sections of a template as sent: the built-in ones may be sent back as read (they stay
    as they are); a key sent twice is refused, naming where."""
    seen: set[str] = set()
    extra = []
    for index, section in enumerate(sent):
        if section.key in seen:
            field = f"body.sections[{index}].key"
            raise InvalidInput(
                f"{field}: {section.key!r} is already a section",
                details=[{"field": field, "problem": "duplicate section key"}],
            )
        seen.add(section.key)
        if section.key not in BUILT_IN_KEYS:
            extra.append(section)
    return extra


class Impact(BaseModel):
    model_config = _BUILT_ON_FIRST_USE

    duration_seconds: float | None = None
    services: list[str] = Field(default_factory=list)
    users_affected: int | None = None


class ActionItem(BaseModel):
    model_config = _BUILT_ON_FIRST_USE

    id: str
    title: str
    assignee: str | None = None
    due_date: date | None = None
    status: ActionItemStatus = ActionItemStatus.OPEN
    ticket_url: str | None = None
    created_at: UtcTime
    updated_at: UtcTime
    completed_at: UtcTime | None = None
    # Reminders sent while overdue: the next one is due a day after the last.
    reminders: int = 0

    def reminder_due(self) -> datetime | None:
        """An open item with a due date is overdue from the day after it (UTC); it reminds daily."""
        if self.status is not ActionItemStatus.OPEN or self.due_date is None:
            return None
        first = datetime.combine(self.due_date + timedelta(days=1), time(), tzinfo=UTC)
        return first + REMINDER_INTERVAL * self.reminders

    def overdue(self, today: date) -> bool:
        return self.status is ActionItemStatus.OPEN and self.due_date is not None and self.due_date < today


class Postmortem(BaseModel):
    """One incident's post-mortem. Field names are part of the public contract."""

    model_config = _BUILT_ON_FIRST_USE

    incident_id: str
    title: str
    status: PostmortemStatus = PostmortemStatus.DRAFT
    sections: dict[str, str]
    impact: Impact
    contributing_factors: list[str] = Field(default_factory=list)
    related_incident_ids: list[str] = Field(default_factory=list)
    author: str
    created_at: UtcTime
    updated_at: UtcTime
    published_at: UtcTime | None = None
    published_by: str | None = None
    version: int = 1
    # The incident's, for search filters.
    severity: Severity
    service: str | None = None
    incident_resolved_at: UtcTime | None = None


class PostmortemEdit(BaseModel):
    model_config = _BUILT_ON_FIRST_USE

    """What a PUT replaces: the editable fields."""

    title: str
    sections: dict[str, str]
    impact: Impact
    contributing_factors: list[str]
    related_incident_ids: list[str]


# --- drafting --------------------------------------------------------------------------------------------


def _who(actor: str) -> str:
    return actor.split(":", 1)[1] if ":" in actor else actor


def describe(event: TimelineEvent) -> str | None:
    """One line of prose for a timeline event a post-mortem tells; None for those it leaves out."""
    data = event.data
    by = _who(event.actor)
    match event.type:
        case "created":
            return f"Incident opened: {data.get('title')} ({data.get('severity')}) by {by}"
        case "alert_fired":
            again = " (again)" if data.get("refired") else ""
            return f"Alert fired{again}: {data.get('title')} ({data.get('severity')})"
        case "alert_resolved":
            return f"Alert resolved: {data.get('fingerprint')}"
        case "status_changed":
            to = data.get("to")
            note = f": {data['note']}" if data.get("note") else ""
            if to == Status.RESOLVED.value:
                return f"Resolved by {by}{note}"
            return f"Status {data.get('from')} → {to} by {by}{note}"
        case "reopened":
            return f"Reopened by {by}"
        case "severity_changed":
            reason = f" ({data['reason']})" if data.get("reason") else ""
            return f"Severity {data.get('from')} → {data.get('to')} by {by}{reason}"
        case "assigned":
            if data.get("assignee") is None:
                return f"Unassigned by {by}"
            return f"Assigned to {data.get('assignee')} by {by}"
        case "comment":
            return f"Comment by {by}: {data.get('body')}"
        case "escalated":
            return f"Escalated to level {data.get('level')}"
        case "acknowledgement_expired":
            return "Acknowledgement expired; escalation restarted"
        case "silenced":
            return f"Silenced until {data.get('until')} by {by}"
        case "linked":
            return f"Linked as {data.get('type')} of {data.get('incident_id')} by {by}"
        case _:
            return None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_timeline(
    timelines: Mapping[str, Sequence[TimelineEvent]], main_id: str, max_bytes: int = MAX_TEXT_BYTES
) -> str:
    """The timeline section: every told event of every incident, merged in time order, one line each;
    events of related incidents name their incident. Past `max_bytes` the earliest lines are kept and a
    last line says how many more events the incidents' timelines hold."""
    lines: list[tuple[datetime, str, str]] = []
    for incident_id, events in timelines.items():
        for event in events:
            text = describe(event)
            if text is None:
                continue
            if incident_id != main_id:
                text = f"{text} [incident {incident_id}]"
            lines.append((event.at, event.id, f"[{_stamp(event.at)}] {text}"))
    ordered = [line for _, _, line in sorted(lines)]
    # Room for the line that says what was left out.
    budget = max_bytes - 100
    kept: list[str] = []
    used = 0
    for line in ordered:
        used += len(line.encode()) + 1
        if used > budget:
            left = len(ordered) - len(kept)
            kept.append(f"… and {left} more events: the incident's timeline has them all")
            break
        kept.append(line)
    return "\n".join(kept)


def duration_seconds(incident: Incident) -> float | None:
    """First alert or creation to resolution."""
    if incident.resolved_at is None:
        return None
    start = min(incident.first_seen, incident.created_at)
    return round((incident.resolved_at - start).total_seconds(), 3)


def draft(
    incident: Incident,
    timelines: Mapping[str, Sequence[TimelineEvent]],
    related: Sequence[Incident],
    template: Sequence[TemplateSection],
    actor: str,
    now: datetime,
) -> Postmortem:
    summary = "\n\n".join(part for part in (incident.description, incident.resolution_note) if part)
    sections = {section.key: "" for section in template}
    written = text_bytes(incident.title, [summary], [])
    sections.update(
        summary=summary, timeline=render_timeline(timelines, incident.id, MAX_TEXT_BYTES - written)
    )
    services = sorted({i.service for i in (incident, *related) if i.service})
    return Postmortem(
        incident_id=incident.id,
        title=incident.title,
        sections=sections,
        impact=Impact(duration_seconds=duration_seconds(incident), services=services),
        related_incident_ids=[i.id for i in related],
        author=actor,
        created_at=now,
        updated_at=now,
        severity=incident.severity,
        service=incident.service,
        incident_resolved_at=incident.resolved_at,
    )


def check_related(incident_id: str, related_ids: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(related_ids))
    if incident_id in unique:
        raise InvalidInput(
            "body.related_incident_ids: an incident is not related to itself",
            details=[{"field": "body.related_incident_ids", "problem": "names the incident itself"}],
        )
    if len(unique) > MAX_RELATED_INCIDENTS:
        raise InvalidInput(
            f"body.related_incident_ids: at most {MAX_RELATED_INCIDENTS}",
            details=[{"field": "body.related_incident_ids", "problem": "too many"}],
        )
    return unique


def text_bytes(title: str, sections: Iterable[str], factors: Iterable[str]) -> int:
    return sum(len(part.encode()) for part in (title, *sections, *factors))


def edited(postmortem: Postmortem, edit: PostmortemEdit, now: datetime) -> Postmortem:
    unknown = sorted(set(edit.sections) - set(postmortem.sections))
    if unknown:
        field = f"body.sections.{unknown[0]}"
        raise InvalidInput(
            f"{field}: not a section of this post-mortem (sections: {', '.join(postmortem.sections)})",
            details=[{"field": field, "problem": "unknown section"}],
        )
    sections = {**postmortem.sections, **edit.sections}
    size = text_bytes(edit.title, sections.values(), edit.contributing_factors)
    if size > MAX_TEXT_BYTES:
        raise InvalidInput(
            f"body.sections: the post-mortem's text would be {size:,} bytes, over the {MAX_TEXT_BYTES:,} "
            "it may hold (title, sections and contributing factors, as UTF-8)",
            details=[{"field": "body.sections", "problem": "too large", "limit": MAX_TEXT_BYTES}],
        )
    return postmortem.model_copy(
        update={
            "title": edit.title,
            "sections": sections,
            "impact": edit.impact,
            "contributing_factors": edit.contributing_factors,
            "related_incident_ids": check_related(postmortem.incident_id, edit.related_incident_ids),
            "updated_at": now,
            "version": postmortem.version + 1,
        }
    )


def moved(postmortem: Postmortem, target: PostmortemStatus, caller: Caller, now: datetime) -> Postmortem:
    """The status rules: draft → in_review → published; a lead publishes, and sends a published one back to
    draft; a responder moves between draft and review."""
    current = postmortem.status
    needed = _MOVES.get((current, target))
    if needed is None:
        allowed = sorted(to.value for (start, to) in _MOVES if start is current)
        raise Conflict(
            f"post-mortem of {postmortem.incident_id} is {current.value}; "
            f"it can move to {', '.join(allowed)}",
            details={"current_status": current.value, "allowed": allowed},
        )
    require(caller, needed)
    updates: dict[str, Any] = {"status": target, "updated_at": now, "version": postmortem.version + 1}
    if target is PostmortemStatus.PUBLISHED:
        updates.update(published_at=now, published_by=caller.actor)
    else:
        updates.update(published_at=None, published_by=None)
    return postmortem.model_copy(update=updates)


# --- required post-mortems and their reminders -----------------------------------------------------------


def shown_status(incident: Incident, required_severities: Iterable[Severity]) -> str:
    """The incident's `postmortem_status`: `required` when it is resolved, of a required severity, and has
    none yet."""
    if (
        incident.postmortem_status == "none"
        and incident.status is Status.RESOLVED
        and incident.severity in set(required_severities)
    ):
        return "required"
    return incident.postmortem_status


def next_reminder(due: datetime, now: datetime) -> datetime:
    """The next daily reminder after the one due at `due`, fired at `now`: on the same time of day, and
    after `now` (a sweep that was down for days sends one reminder, not one per day missed)."""
    following = due + REMINDER_INTERVAL
    while following <= now:
        following += REMINDER_INTERVAL
    return following


def reminder_recipient(incident: Incident, policy_owner: str | None) -> str | None:
    """The incident's assignee, else whoever resolved it (a person), else its escalation policy's owner."""
    if incident.assignee:
        return incident.assignee
    if incident.resolved_by and incident.resolved_by.startswith("user:"):
        return _who(incident.resolved_by)
    return policy_owner


# --- metrics -------------------------------------------------------------------------------------------


def postmortem_figures(facts: Iterable[Any], required: Iterable[Severity], now: datetime) -> dict[str, Any]:
    """`postmortems` of the metrics, over the window's incident facts (domain.metrics.IncidentFact):
    required (resolved, of a required severity), published, overdue (required, unpublished 48 h after
    resolution) and the median hours from resolution to publication."""
    needed = set(required)
    resolved = [fact for fact in facts if fact.resolved_at is not None and fact.status is Status.RESOLVED]
    required_facts = [fact for fact in resolved if fact.severity in needed]
    published = [fact for fact in resolved if fact.postmortem_status == PostmortemStatus.PUBLISHED.value]
    overdue = [
        fact
        for fact in required_facts
        if fact.postmortem_status != PostmortemStatus.PUBLISHED.value
        and now >= fact.resolved_at + FIRST_REMINDER_AFTER
    ]
    hours = sorted(
        (fact.postmortem_published_at - fact.resolved_at).total_seconds() / 3600
        for fact in published
        if fact.postmortem_published_at is not None
    )
    return {
        "required": len(required_facts),
        "published": len(published),
        "overdue": len(overdue),
        # The median of the sorted hours (the statistics module costs its import for this one figure).
        "median_hours_to_publish": round((hours[(len(hours) - 1) // 2] + hours[len(hours) // 2]) / 2, 2)
        if hours
        else None,
    }


def action_item_figures(items: Iterable[tuple[ActionItemStatus, date | None]], today: date) -> dict[str, int]:
    """`action_items` of the metrics: open, overdue (open past the due date) and completed."""
    counts = {"open": 0, "overdue": 0, "completed": 0}
    for status, due in items:
        if status is ActionItemStatus.OPEN:
            counts["open"] += 1
            if due is not None and due < today:
                counts["overdue"] += 1
        elif status is ActionItemStatus.DONE:
            counts["completed"] += 1
    return counts


# --- markdown --------------------------------------------------------------------------------------------


def _action_line(item: ActionItem) -> str:
    box = "[x]" if item.status is ActionItemStatus.DONE else "[ ]"
    parts = [item.title]
    if item.status is ActionItemStatus.WONT_DO:
        parts[0] = f"~~{item.title}~~ (won't do)"
    parts.append(f"assignee: {item.assignee or 'unassigned'}")
    parts.append(f"due: {item.due_date.isoformat() if item.due_date else 'none'}")
    if item.ticket_url:
        parts.append(item.ticket_url)
    return f"- {box} " + " · ".join(parts)


def _impact_text(impact: Impact, written: str) -> str:
    lines = [
        f"- Duration: {_duration(impact.duration_seconds)}",
        f"- Services: {', '.join(impact.services) or 'none recorded'}",
        f"- Users affected: {impact.users_affected if impact.users_affected is not None else 'unknown'}",
    ]
    return "\n".join(lines) + (f"\n\n{written}" if written else "")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def markdown(postmortem: Postmortem, items: Sequence[ActionItem], template: Sequence[TemplateSection]) -> str:
    """The document: `# Incident Post-Mortem: <title>`, the built-in sections in order, then the org's own;
    action items as task-list lines."""
    out = [f"# Incident Post-Mortem: {postmortem.title}", ""]
    status = f"Status: {postmortem.status.value}"
    if postmortem.published_at is not None:
        status += f" (published {_stamp(postmortem.published_at)} by {_who(postmortem.published_by or '')})"
    out += [f"Incident: {postmortem.incident_id} · Severity: {postmortem.severity.value} · {status}", ""]
    written_keys = [section.key for section in template]
    # Sections of an earlier template are kept in the document after the current ones.
    written_keys += [key for key in postmortem.sections if key not in written_keys]
    titles = {section.key: section.title for section in template}
    for key in written_keys:
        text = postmortem.sections.get(key, "")
        if key == "impact":
            text = _impact_text(postmortem.impact, text)
        elif key == "action_items":
            listed = "\n".join(_action_line(item) for item in items)
            text = "\n\n".join(part for part in (text, listed) if part)
        elif key == "root_cause" and postmortem.contributing_factors:
            factors = "\n".join(f"- {factor}" for factor in postmortem.contributing_factors)
            text = "\n\n".join(part for part in (text, f"Contributing factors:\n{factors}") if part)
        out += [f"## {titles.get(key, key.replace('_', ' ').title())}", "", text or "_None written._", ""]
    return "\n".join(out).rstrip() + "\n"


def search_words(postmortem: Postmortem) -> str:
    """The lower-cased words of title and sections, each once, for the search index's filter."""
    text = " ".join([postmortem.title, *postmortem.sections.values(), *postmortem.contributing_factors])
    words = {word for word in _words(text)}
    return " " + " ".join(sorted(words)) + " "


def _words(text: str) -> Iterable[str]:
    current = []
    for char in text.lower():
        if char.isalnum():
            current.append(char)
        elif current:
            yield "".join(current)
            current = []
    if current:
        yield "".join(current)


def query_words(q: str) -> list[str]:
    return sorted(set(_words(q)))
