"""Stateful property test: random sequences of alarms and commands (post-mortem ones too), through the real
services and store.

After every step, for every incident so far: replaying its stored timeline equals its stored snapshot
(but for repeat counters, which have no events by design), and the invariants hold: timestamps in order,
one active incident per key, resolved incidents have a note, time to acknowledge ≤ time to resolve, and an
incident's `postmortem_status` is its post-mortem's status.
"""

import contextlib
import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from stormwatch import wiring
from stormwatch.domain.context import ActionKind, ContextFilter, Signal, SignalType, TicketSystem
from stormwatch.domain.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from stormwatch.domain.events import replay, replayable
from stormwatch.domain.listing import IncidentFilter
from stormwatch.domain.models import (
    AlertEvent,
    AlertStatus,
    Caller,
    Integration,
    NewIncident,
    PostmortemStatus,
    Role,
    Severity,
    Status,
)
from stormwatch.domain.postmortems import ActionItemStatus, Postmortem, PostmortemEdit
from stormwatch.local.cli import create_table
from stormwatch.settings import get_settings
from tests.support.aws import local_table
from tests.support.clock import FakeClock
from tests.support.paths import TEMPLATE

KEYS = ["db::lag", "GET /orders::error_rate", "queue::depth"]
FINGERPRINTS = ["a", "b"]
STATUSES = list(Status)
SEVERITIES = list(Severity)
CORRELATION_KEYS = ["deploy-1", "deploy-2"]
TAGS = ["db", "customer-facing"]
_orgs = itertools.count()
# 25 sequences of 25 steps, post-mortem drafts among them: minutes on a loaded machine, past the suite's
# default timeout.
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module", autouse=True)
def moto_table():
    with local_table() as client:
        yield client


class IncidentLife(RuleBasedStateMachine):
    @initialize()
    def start(self):
        settings_ = get_settings()
        client = wiring.dynamodb_client(settings_)
        client.delete_table(TableName=settings_.table_name)
        create_table(client, TEMPLATE, settings_.table_name)
        self.clock = FakeClock()
        wiring.clock = self.clock
        wiring.sleep = lambda seconds: None
        wiring.reset()
        self.org = f"org{next(_orgs)}"
        self.lead = Caller(org=self.org, user="lee", roles=frozenset({Role.LEAD}))
        self.integration = Integration(
            id="int_1", org=self.org, source="generic", name="generic", created_at=self.clock.now()
        )
        wiring.member_admin().create(
            Caller(org=self.org, user="root", roles=frozenset({Role.ADMIN})), {"handle": "bob", "name": "Bob"}
        )
        self.seen: dict[str, set[str]] = {key: set() for key in KEYS}
        self.postmortems: set[str] = set()

    def _alarm(self, key: str, fingerprint: str, severity: Severity, status: AlertStatus) -> None:
        alert = AlertEvent(
            source="generic",
            incident_key=key,
            fingerprint=fingerprint,
            severity=severity,
            title=key,
            status=status,
        )
        for result in wiring.ingest_service().ingest(self.integration, [alert]):
            if result.incident_id:
                self.seen[key].add(result.incident_id)

    def _current(self, key: str) -> str | None:
        return max(self.seen[key], key=lambda i: int(i.rsplit("-", 1)[1]), default=None)

    @rule(
        key=st.sampled_from(KEYS),
        fingerprint=st.sampled_from(FINGERPRINTS),
        severity=st.sampled_from(SEVERITIES),
    )
    def fire(self, key, fingerprint, severity):
        self._alarm(key, fingerprint, severity, AlertStatus.FIRING)

    @rule(key=st.sampled_from(KEYS), fingerprint=st.sampled_from(FINGERPRINTS))
    def resolve_alert(self, key, fingerprint):
        self._alarm(key, fingerprint, Severity.LOW, AlertStatus.RESOLVED)

    @rule(minutes=st.integers(min_value=1, max_value=120))
    def wait(self, minutes):
        self.clock.advance(minutes=minutes)

    @rule(key=st.sampled_from(KEYS), status=st.sampled_from(STATUSES), note=st.sampled_from([None, "fixed"]))
    def move(self, key, status, note):
        incident_id = self._current(key)
        if incident_id is None:
            return
        with contextlib.suppress(Conflict, InvalidInput):
            wiring.incident_commands().set_status(self.lead, incident_id, status, note)

    @rule(key=st.sampled_from(KEYS), severity=st.sampled_from(SEVERITIES))
    def set_severity(self, key, severity):
        incident_id = self._current(key)
        if incident_id is not None:
            wiring.incident_commands().set_severity(self.lead, incident_id, severity, "judgement", None)

    @rule(key=st.sampled_from(KEYS), assignee=st.sampled_from(["bob", None]))
    def assign(self, key, assignee):
        incident_id = self._current(key)
        if incident_id is not None:
            wiring.incident_commands().assign(self.lead, incident_id, assignee, None)

    @rule(key=st.sampled_from(KEYS), minutes=st.integers(min_value=1, max_value=600))
    def silence(self, key, minutes):
        incident_id = self._current(key)
        if incident_id is None:
            return
        with contextlib.suppress(Conflict):
            until = self.clock.now() + timedelta(minutes=minutes)
            wiring.incident_commands().silence(self.lead, incident_id, until, None)

    @rule(
        child=st.sampled_from(KEYS),
        parent=st.sampled_from(KEYS),
        kind=st.sampled_from(["parent", "duplicate_of"]),
        follow=st.booleans(),
    )
    def link(self, child, parent, kind, follow):
        child_id, parent_id = self._current(child), self._current(parent)
        if child_id is None or parent_id is None:
            return
        with contextlib.suppress(Conflict, InvalidInput, NotFound):
            wiring.incident_commands().link(self.lead, child_id, kind, parent_id, follow, None)

    @rule(key=st.sampled_from(KEYS))
    def comment(self, key):
        incident_id = self._current(key)
        if incident_id is not None:
            wiring.incident_commands().comment(self.lead, incident_id, "looking, @bob")

    @rule(key=st.sampled_from(KEYS))
    def declare(self, key):
        try:
            incident = wiring.incident_commands().open(
                self.lead, NewIncident(title=key, severity=Severity.HIGH, incident_key=key)
            )
        except Conflict:
            return
        self.seen[key].add(incident.id)

    # --- post-mortems: drafts, saves with If-Match, status moves, action items ---------------------------
    # `self.postmortems`: the incidents that have one.

    def _postmortem(self, key: str) -> tuple[str, Postmortem] | None:
        incident_id = self._current(key)
        if incident_id is None or incident_id not in self.postmortems:
            return None
        postmortem, _ = wiring.postmortems().get(self.lead, incident_id)
        return incident_id, postmortem

    @rule(key=st.sampled_from(KEYS))
    def draft_postmortem(self, key):
        incident_id = self._current(key)
        if incident_id is None:
            return
        try:
            wiring.postmortems().create(self.lead, incident_id, [])
        except Conflict:
            assert incident_id in self.postmortems
            return
        self.postmortems.add(incident_id)

    @rule(key=st.sampled_from(KEYS), stale=st.booleans(), words=st.sampled_from(["pool size", "a canary"]))
    def save_postmortem(self, key, stale, words):
        found = self._postmortem(key)
        if found is None:
            return
        incident_id, before = found
        sections = {**before.sections, "root_cause": f"Root cause: {words}."}
        edit = PostmortemEdit(
            title=before.title,
            sections=sections,
            impact=before.impact,
            contributing_factors=[words],
            related_incident_ids=[],
        )
        if stale:
            with pytest.raises(PreconditionFailed):
                wiring.postmortems().replace(self.lead, incident_id, edit, before.version - 1)
            assert wiring.postmortems().get(self.lead, incident_id)[0] == before
            return
        after, _ = wiring.postmortems().replace(self.lead, incident_id, edit, before.version)
        assert after.version == before.version + 1 and after.sections["root_cause"] == sections["root_cause"]

    @rule(key=st.sampled_from(KEYS), status=st.sampled_from(list(PostmortemStatus)), pinned=st.booleans())
    def move_postmortem(self, key, status, pinned):
        found = self._postmortem(key)
        if found is None:
            return
        incident_id, before = found
        with contextlib.suppress(Conflict):
            wiring.postmortems().move(self.lead, incident_id, status, before.version if pinned else None)

    @rule(
        key=st.sampled_from(KEYS), due=st.sampled_from([None, -1, 3]), assignee=st.sampled_from([None, "bob"])
    )
    def add_action_item(self, key, due, assignee):
        found = self._postmortem(key)
        if found is None:
            return
        fields = {"title": "alert sooner", "assignee": assignee}
        if due is not None:
            fields["due_date"] = (self.clock.now() + timedelta(days=due)).date()
        wiring.postmortems().add_item(self.lead, found[0], fields)

    @rule(key=st.sampled_from(KEYS), status=st.sampled_from(list(ActionItemStatus)), delete=st.booleans())
    def change_action_item(self, key, status, delete):
        found = self._postmortem(key)
        if found is None:
            return
        incident_id = found[0]
        _, items = wiring.postmortems().get(self.lead, incident_id)
        if not items:
            return
        if delete:
            wiring.postmortems().delete_item(self.lead, incident_id, items[0].id)
        else:
            changed = wiring.postmortems().update_item(
                self.lead, incident_id, items[0].id, {"status": status}
            )
            assert changed.status is status
            assert (changed.completed_at is None) == (status is ActionItemStatus.OPEN)

    # --- end of the post-mortem rules -----------------------------------------------------------------

    # --- signals and context (issue 14) ----------------------------------------------------------------

    @rule(
        key=st.sampled_from(KEYS),
        correlation_key=st.sampled_from([None, *CORRELATION_KEYS]),
        trace_id=st.sampled_from([None, "t1", "t2"]),
    )
    def signal(self, key, correlation_key, trace_id):
        incident_id = self._current(key)
        if incident_id is not None:
            found = Signal(SignalType.TRACE, "slow span", correlation_key=correlation_key, trace_id=trace_id)
            wiring.context_commands().signal(self.lead, incident_id, found)

    @rule(
        key=st.sampled_from(KEYS), add=st.lists(st.sampled_from(TAGS)), remove=st.lists(st.sampled_from(TAGS))
    )
    def tag(self, key, add, remove):
        incident_id = self._current(key)
        if incident_id is not None:
            with contextlib.suppress(InvalidInput):
                wiring.context_commands().tags(self.lead, incident_id, add, remove, None)

    @rule(key=st.sampled_from(KEYS), number=st.integers(min_value=1, max_value=3))
    def ticket(self, key, number):
        incident_id = self._current(key)
        if incident_id is not None:
            url = f"https://tickets.example/{number}"
            wiring.context_commands().ticket(self.lead, incident_id, TicketSystem.URL, None, url)

    @rule(key=st.sampled_from(KEYS), kind=st.sampled_from(list(ActionKind)))
    def act(self, key, kind):
        incident_id = self._current(key)
        if incident_id is not None:
            wiring.context_commands().action(self.lead, incident_id, kind, "did something", None)

    @rule(key=st.sampled_from(KEYS))
    def slo_violation(self, key):
        incident_id = self._current(key)
        if incident_id is not None:
            end = self.clock.now()
            wiring.context_commands().slo_violation(
                self.lead, incident_id, "availability", end - timedelta(hours=1), end, 0.3, 0.999, None
            )

    @rule()
    def open_for_service(self):
        request = NewIncident(
            title="payments", severity=Severity.HIGH, service="payments", dedupe="open_for_service"
        )
        incident, _ = wiring.context_commands().open_for_service(self.lead, request)
        self.seen.setdefault(incident.incident_key, set()).add(incident.id)

    @invariant()
    def context_lists_find_exactly_what_snapshots_carry(self):
        if not hasattr(self, "seen"):
            return
        snapshots = [
            wiring.incident_store().get(self.org, incident_id, consistent=True)
            for ids in self.seen.values()
            for incident_id in ids
        ]
        # One key and one tag that the rules attach and remove: every incident carrying it, and no other.
        for context, carries in (
            (
                ContextFilter(correlation_key=CORRELATION_KEYS[0]),
                lambda i: CORRELATION_KEYS[0] in i.correlation_keys,
            ),
            (ContextFilter(tag=TAGS[0]), lambda i: TAGS[0] in i.tags),
        ):
            found, _ = wiring.incident_queries().list_incidents(
                self.lead, IncidentFilter(), 100, None, context
            )
            assert {i.id for i in found} == {i.id for i in snapshots if carries(i)}

    # --- end of signals and context ---------------------------------------------------------------------

    @invariant()
    def timeline_rebuilds_every_snapshot_and_rules_hold(self):
        if not hasattr(self, "seen"):
            return
        store = wiring.incident_store()
        for key, ids in self.seen.items():
            active = []
            for incident_id in ids:
                incident = store.get(self.org, incident_id, consistent=True)
                events = store.timeline(incident)
                assert [e.at for e in events] == sorted(e.at for e in events)
                assert replayable(replay(self.org, incident_id, events)) == replayable(incident)
                steps = [
                    incident.created_at,
                    incident.acknowledged_at,
                    incident.investigating_at,
                    incident.mitigated_at,
                    incident.resolved_at,
                ]
                present = [moment for moment in steps if moment is not None]
                assert present == sorted(present)
                assert incident.first_seen <= incident.last_seen
                if incident.status is Status.RESOLVED:
                    assert incident.resolution_note
                if incident.tta_seconds is not None and incident.ttr_seconds is not None:
                    assert incident.tta_seconds <= incident.ttr_seconds
                if incident.status.is_active:
                    active.append(incident_id)
                if incident_id in self.postmortems:
                    postmortem, _ = wiring.postmortems().get(self.lead, incident_id)
                    assert incident.postmortem_status == postmortem.status.value
            assert len(active) <= 1, (key, active)


IncidentLife.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestIncidentLife = IncidentLife.TestCase
