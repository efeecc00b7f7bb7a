"""Context rules: signals join their keys once and within bounds, tags are a set, tickets link once, the
list's context filters, and replay rebuilding what they change."""

from datetime import UTC, datetime, timedelta

import pytest

from stormwatch.domain.context import (
    MAX_CORRELATION_KEYS,
    ActionKind,
    ContextFilter,
    Signal,
    SignalType,
    TicketSystem,
    attach_signal,
    change_tags,
    link_ticket,
    record_action,
    record_slo_violation,
    with_integration_context,
)
from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.events import Change, replay, replayable
from stormwatch.domain.listing import IncidentFilter
from stormwatch.domain.models import Integration, Severity, Status
from tests.unit.factories import alert, opened, run

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ACTOR = "user:rita"


def test_a_signals_key_and_trace_join_once_normalized():
    incident = opened(NOW)
    first = attach_signal(
        incident, Signal(SignalType.TRACE, "slow", correlation_key=" deploy-1 ", trace_id="t"), ACTOR, NOW
    )
    again = attach_signal(
        first.after, Signal(SignalType.LOG, "again", correlation_key="deploy-1"), ACTOR, NOW
    )
    assert again.after.correlation_keys == ["deploy-1"]
    assert again.after.trace_ids == ["t"]
    assert again.after.signal_count == 2


def test_a_signal_beyond_the_keys_an_incident_may_carry_is_refused():
    incident = opened(NOW).model_copy(
        update={"correlation_keys": [f"k{n}" for n in range(MAX_CORRELATION_KEYS)]}
    )
    with pytest.raises(Conflict):
        attach_signal(incident, Signal(SignalType.LOG, "x", correlation_key="one more"), ACTOR, NOW)
    # A key it has already is still accepted.
    assert attach_signal(incident, Signal(SignalType.LOG, "x", correlation_key="k0"), ACTOR, NOW).events


def test_tags_are_a_set_and_an_empty_change_has_no_event():
    incident = opened(NOW)
    tagged = change_tags(incident, ["db", "db", "api"], [], ACTOR, NOW).after
    assert tagged.tags == ["db", "api"]
    assert change_tags(tagged, ["db"], ["absent"], ACTOR, NOW).events == []
    assert change_tags(tagged, ["web"], ["db"], ACTOR, NOW).after.tags == ["api", "web"]
    with pytest.raises(InvalidInput, match=r"body\.remove"):
        change_tags(tagged, ["x"], ["x"], ACTOR, NOW)


def test_a_ticket_links_once():
    incident = opened(NOW)
    linked = link_ticket(
        incident, TicketSystem.GITHUB, "acme/shop#12", "https://github.com/acme/shop/issues/12", ACTOR, NOW
    )
    again = link_ticket(
        linked.after, TicketSystem.GITHUB, None, "https://github.com/acme/shop/issues/12", ACTOR, NOW
    )
    assert again.events == []
    assert [ticket.key for ticket in again.after.tickets] == ["acme/shop#12"]


def test_an_slo_window_must_end_after_it_starts():
    with pytest.raises(InvalidInput, match=r"body\.window_end"):
        record_slo_violation(opened(NOW), "s", NOW, NOW, 0.1, 0.99, None, ACTOR, NOW)


def test_replay_rebuilds_everything_the_context_events_change():
    incident = opened(NOW)
    changes: list[Change] = []
    steps = [
        lambda i, at: attach_signal(
            i, Signal(SignalType.DEPLOY, "4.2.1", correlation_key="k", trace_id="t"), ACTOR, at
        ),
        lambda i, at: change_tags(i, ["db"], [], ACTOR, at),
        lambda i, at: link_ticket(i, TicketSystem.URL, None, "https://t.example/1", ACTOR, at),
        lambda i, at: record_action(i, ActionKind.ROLLBACK, "rolled back", None, ACTOR, at),
        lambda i, at: record_slo_violation(i, "s", at - timedelta(hours=1), at, 0.2, 0.99, None, ACTOR, at)[
            0
        ],
        lambda i, at: change_tags(i, [], ["db"], ACTOR, at),
    ]
    current = incident
    for number, step in enumerate(steps, start=1):
        change = step(current, NOW + timedelta(minutes=number))
        changes.append(change)
        current = change.after
    created = run(None, [alert()], NOW).changes[0].events
    events = [*created, *(event for change in changes for event in change.events)]
    assert replayable(replay(incident.org, incident.id, events)) == replayable(current)
    assert (current.signal_count, current.slo_violation_count, current.action_count, current.tags) == (
        1,
        1,
        1,
        [],
    )


def test_an_integration_reads_project_key_and_trace_from_labels():
    integration = Integration(
        id="i",
        org="acme",
        source="generic",
        name="g",
        created_at=NOW,
        project="shop",
        correlation_key_label="deploy",
        trace_id_label="trace",
    )
    labelled = with_integration_context(integration, alert(labels={"deploy": "v1", "trace": "abc"}))
    assert (labelled.project, labelled.correlation_key, labelled.trace_id) == ("shop", "v1", "abc")
    incident = opened(NOW, labelled)
    assert (incident.project, incident.correlation_keys, incident.trace_ids) == ("shop", ["v1"], ["abc"])
    unlabelled = with_integration_context(integration, alert())
    assert (unlabelled.correlation_key, unlabelled.trace_id) == (None, None)


def test_context_filters_check_every_other_filter_on_the_incident():
    incident = opened(NOW).model_copy(update={"correlation_keys": ["k"], "tags": ["db"], "project": "shop"})
    context = ContextFilter(correlation_key="k", tag="db")
    assert context.selector() == ("ck", "k")
    assert context.matches(incident, IncidentFilter())
    assert not context.matches(incident, IncidentFilter(statuses=frozenset({Status.RESOLVED})))
    assert not context.matches(incident, IncidentFilter(severities=frozenset({Severity.CRITICAL})))
    assert not ContextFilter(correlation_key="k", project="web").matches(incident, IncidentFilter())
    assert context.narrows(IncidentFilter())
    assert not ContextFilter(correlation_key="k").narrows(IncidentFilter(created_after=NOW))
