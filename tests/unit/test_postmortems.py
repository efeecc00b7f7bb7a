"""Post-mortem rules without AWS: the draft's timeline, status moves, the reminder schedule, markdown."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from stormwatch.domain.errors import Conflict, Forbidden, InvalidInput
from stormwatch.domain.events import new_event
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.models import Caller, PostmortemStatus, Role, Severity, Status, TimelineEvent
from stormwatch.domain.postmortems import (
    BUILT_IN_SECTIONS,
    MAX_TEXT_BYTES,
    ActionItem,
    ActionItemStatus,
    TemplateSection,
    describe,
    draft,
    markdown,
    moved,
    next_reminder,
    org_sections,
    reminder_recipient,
    render_timeline,
    search_words,
    shown_status,
    template_sections,
)
from stormwatch.domain.timers import reminder_due
from tests.unit.factories import alert, opened

T0 = datetime(2026, 2, 14, 10, 32, tzinfo=UTC)
LEAD = Caller(org="acme", user="lena", roles=frozenset({Role.LEAD}))
RESPONDER = Caller(org="acme", user="rita", roles=frozenset({Role.RESPONDER}))


def event(event_type, minutes=0, actor="user:bob", **data):
    return new_event(event_type, T0 + timedelta(minutes=minutes), actor, data)


@pytest.mark.parametrize(
    ("told", "line"),
    [
        (
            event("created", title="Orders failing", severity="critical"),
            "Incident opened: Orders failing (critical) by bob",
        ),
        (
            event("alert_fired", title="error_rate high", severity="high"),
            "Alert fired: error_rate high (high)",
        ),
        (
            event("alert_fired", title="again", severity="high", refired=True),
            "Alert fired (again): again (high)",
        ),
        (event("alert_resolved", fingerprint="fp-1"), "Alert resolved: fp-1"),
        (
            event("status_changed", **{"from": "open", "to": "acknowledged"}),
            "Status open → acknowledged by bob",
        ),
        (
            event("status_changed", note="rolled back", **{"from": "mitigated", "to": "resolved"}),
            "Resolved by bob: rolled back",
        ),
        (event("reopened"), "Reopened by bob"),
        (
            event("severity_changed", reason="customers", **{"from": "high", "to": "critical"}),
            "Severity high → critical by bob (customers)",
        ),
        (event("assigned", assignee="dave"), "Assigned to dave by bob"),
        (event("assigned", assignee=None), "Unassigned by bob"),
        (event("comment", body="DB failover started"), "Comment by bob: DB failover started"),
        (event("escalated", actor="system:stormwatch", level=2), "Escalated to level 2"),
        (event("acknowledgement_expired"), "Acknowledgement expired; escalation restarted"),
        (
            event("silenced", until="2026-02-14T12:00:00.000Z"),
            "Silenced until 2026-02-14T12:00:00.000Z by bob",
        ),
        (event("linked", type="parent", incident_id="x-1"), "Linked as parent of x-1 by bob"),
    ],
)
def test_every_told_event_type_is_one_line(told, line):
    assert describe(told) == line


@pytest.mark.parametrize("untold", ["notification", "postmortem", "postmortem_reminder", "comment_deleted"])
def test_deliveries_and_bookkeeping_are_left_out(untold):
    assert describe(event(untold)) is None


def test_lines_carry_utc_minutes_whatever_the_events_zone():
    paris = timezone(timedelta(hours=1))
    local = TimelineEvent(
        id="e1", type="reopened", at=datetime(2026, 2, 14, 11, 32, tzinfo=paris), actor="user:bob"
    )
    assert render_timeline({"a-1": [local]}, "a-1") == "[2026-02-14 10:32 UTC] Reopened by bob"


def test_related_incidents_merge_in_time_order_and_name_their_incident():
    main = [event("created", 0, title="A", severity="high"), event("comment", 10, body="second")]
    other = [event("comment", 5, body="between"), event("comment", 15, body="last")]
    lines = render_timeline({"main-1": main, "other-1": other}, "main-1").splitlines()
    assert [line[:23] for line in lines] == [
        "[2026-02-14 10:32 UTC] ",
        "[2026-02-14 10:37 UTC] ",
        "[2026-02-14 10:42 UTC] ",
        "[2026-02-14 10:47 UTC] ",
    ]
    assert lines[1].endswith("between [incident other-1]")
    assert not lines[2].endswith("]")


def test_a_draft_of_a_timeline_too_long_for_one_item_keeps_its_start_and_says_what_it_left_out():
    incident = resolved_incident()
    comments = [event("comment", minute, body="é" * 500) for minute in range(1000)]
    written = draft(incident, {incident.id: comments}, [], template_sections([]), "user:rita", T0)
    lines = written.sections["timeline"].splitlines()
    text = [written.title, *written.sections.values()]
    assert sum(len(part.encode()) for part in text) <= MAX_TEXT_BYTES
    assert lines[0] == render_timeline({incident.id: comments[:1]}, incident.id)
    assert lines[-1] == f"… and {1000 - (len(lines) - 1)} more events: the incident's timeline has them all"
    assert 100 < len(lines) < 1000


def resolved_incident(severity=Severity.CRITICAL, note="rolled back"):
    incident = opened(T0, alert(severity=severity, description="Orders API 5xx", service="orders"))
    return change_status(incident, Status.RESOLVED, "user:bob", T0 + timedelta(minutes=47), note).after


def test_the_draft_takes_title_summary_impact_and_empty_sections():
    incident = resolved_incident()
    postmortem = draft(incident, {incident.id: []}, [], template_sections([]), "user:rita", T0)
    assert postmortem.title == incident.title
    assert postmortem.sections["summary"] == "Orders API 5xx\n\nrolled back"
    assert postmortem.sections["root_cause"] == postmortem.sections["lessons_learned"] == ""
    assert postmortem.impact.duration_seconds == 47 * 60
    assert postmortem.impact.services == ["orders"]
    assert postmortem.impact.users_affected is None
    assert list(postmortem.sections) == [section.key for section in BUILT_IN_SECTIONS]


def test_the_built_in_sections_are_valid_sections():
    # They are constructed without validation (off the cold start): each must pass the model's own rules.
    for section in BUILT_IN_SECTIONS:
        assert TemplateSection.model_validate(section.model_dump()) == section


def test_a_template_sent_back_keeps_the_built_in_sections_and_refuses_a_key_twice():
    detection = TemplateSection(key="detection", title="Detection")
    assert org_sections([*BUILT_IN_SECTIONS, detection]) == [detection]
    with pytest.raises(InvalidInput) as raised:
        org_sections([*BUILT_IN_SECTIONS, detection, detection])
    assert raised.value.details[0]["field"] == "body.sections[7].key"


def test_an_org_section_may_not_reuse_a_key():
    with pytest.raises(InvalidInput) as raised:
        template_sections([TemplateSection(key="summary", title="Again")])
    assert raised.value.details[0]["field"] == "body.sections[0].key"


def postmortem(status=PostmortemStatus.DRAFT):
    incident = resolved_incident()
    written = draft(incident, {incident.id: []}, [], template_sections([]), "user:rita", T0)
    return written.model_copy(update={"status": status})


def test_a_responder_moves_between_draft_and_review():
    in_review = moved(postmortem(), PostmortemStatus.IN_REVIEW, RESPONDER, T0)
    assert in_review.status is PostmortemStatus.IN_REVIEW
    assert in_review.version == 2
    assert moved(in_review, PostmortemStatus.DRAFT, RESPONDER, T0).status is PostmortemStatus.DRAFT


def test_only_a_lead_publishes_and_sends_back():
    in_review = postmortem(PostmortemStatus.IN_REVIEW)
    with pytest.raises(Forbidden):
        moved(in_review, PostmortemStatus.PUBLISHED, RESPONDER, T0)
    published = moved(in_review, PostmortemStatus.PUBLISHED, LEAD, T0)
    assert (published.published_at, published.published_by) == (T0, "user:lena")
    with pytest.raises(Forbidden):
        moved(published, PostmortemStatus.DRAFT, RESPONDER, T0)
    back = moved(published, PostmortemStatus.DRAFT, LEAD, T0)
    assert back.published_at is None


def test_a_move_that_does_not_exist_is_a_conflict_naming_the_allowed_ones():
    with pytest.raises(Conflict) as raised:
        moved(postmortem(PostmortemStatus.PUBLISHED), PostmortemStatus.IN_REVIEW, LEAD, T0)
    assert raised.value.details == {"current_status": "published", "allowed": ["draft"]}


def test_the_first_reminder_is_48_hours_after_resolution_then_daily():
    incident = resolved_incident()
    first = reminder_due(incident)
    assert first == incident.resolved_at + timedelta(hours=48)
    assert next_reminder(first, first + timedelta(minutes=1)) == first + timedelta(days=1)
    # A sweep that was away for three days sends one reminder, then keeps the time of day.
    assert next_reminder(first, first + timedelta(days=3, hours=2)) == first + timedelta(days=4)


def test_publishing_or_reopening_stops_the_reminders():
    incident = resolved_incident()
    assert reminder_due(incident.model_copy(update={"postmortem_status": "published"})) is None
    assert reminder_due(incident.model_copy(update={"postmortem_status": "in_review"})) is not None
    assert reminder_due(incident.model_copy(update={"status": Status.OPEN})) is None


def test_required_is_shown_for_a_resolved_incident_of_a_required_severity_without_one():
    assert shown_status(resolved_incident(), [Severity.CRITICAL]) == "required"
    assert shown_status(resolved_incident(Severity.HIGH), [Severity.CRITICAL]) == "none"
    assert shown_status(opened(T0, alert(severity=Severity.CRITICAL)), [Severity.CRITICAL]) == "none"
    drafted = resolved_incident().model_copy(update={"postmortem_status": "draft"})
    assert shown_status(drafted, [Severity.CRITICAL]) == "draft"


def test_the_reminder_goes_to_the_assignee_else_the_resolver_else_the_policy_owner():
    incident = resolved_incident()
    assert reminder_recipient(incident.model_copy(update={"assignee": "dave"}), "olga") == "dave"
    assert reminder_recipient(incident, "olga") == "bob"
    by_source = incident.model_copy(update={"resolved_by": "source:generic"})
    assert reminder_recipient(by_source, "olga") == "olga"
    assert reminder_recipient(by_source, None) is None


def item(**fields):
    return ActionItem(
        **{"id": "a1", "title": "Alert on pool size", "created_at": T0, "updated_at": T0, **fields}
    )


def test_an_open_item_reminds_from_the_day_after_its_due_date_daily():
    due = item(due_date=date(2026, 2, 20))
    assert due.reminder_due() == datetime(2026, 2, 21, tzinfo=UTC)
    assert due.model_copy(update={"reminders": 2}).reminder_due() == datetime(2026, 2, 23, tzinfo=UTC)
    assert item().reminder_due() is None
    assert item(due_date=date(2026, 2, 20), status=ActionItemStatus.DONE).reminder_due() is None
    assert due.overdue(date(2026, 2, 21)) and not due.overdue(date(2026, 2, 20))


def test_markdown_has_the_headings_in_order_and_task_lines():
    extra = [TemplateSection(key="detection", title="Detection")]
    written = postmortem().model_copy(
        update={"sections": {**postmortem().sections, "detection": "Paged in 2 min"}}
    )
    items = [
        item(assignee="dave", due_date=date(2026, 2, 20)),
        item(title="Runbook", status=ActionItemStatus.DONE),
    ]
    text = markdown(written, items, template_sections(extra))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        f"# Incident Post-Mortem: {written.title}",
        "## Summary",
        "## Timeline",
        "## Root Cause",
        "## Impact",
        "## Action Items",
        "## Lessons Learned",
        "## Detection",
    ]
    assert "- [ ] Alert on pool size · assignee: dave · due: 2026-02-20" in text
    assert "- [x] Runbook · assignee: unassigned · due: none" in text
    assert "- Duration: 47 min" in text


def test_search_words_are_lower_case_and_delimited():
    words = search_words(postmortem().model_copy(update={"sections": {"root_cause": "Pool-exhaustion, DB!"}}))
    assert " pool " in words and " exhaustion " in words and " db " in words
