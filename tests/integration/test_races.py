"""Concurrency: many deliveries and commands at once on one key, through the services, from threads, on
a store that applies each request atomically (as DynamoDB does).

The handlers are raced over HTTP in the end-to-end tests, where each Lambda container is a process:
powertools' resolver keeps the current event per process, so in-process handlers run one at a time.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from stormwatch import wiring
from stormwatch.domain.errors import Conflict
from stormwatch.domain.models import Caller, NewIncident, Role, Severity, Status
from stormwatch.store.policies import PolicyStore
from tests.integration.conftest import load_event

ALARM = json.loads(load_event("ingest/generic_firing.json")["body"])


def post(stack, body=ALARM):
    headers = {"authorization": f"Bearer {stack.keys[('acme', 'generic')]}"}
    return wiring.ingest_service().receive("generic", headers, json.dumps(body).encode())


def test_fifty_simultaneous_firings_of_a_new_alarm_make_one_incident_counting_fifty(stack):
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = [result for batch in pool.map(lambda _: post(stack), range(50)) for result in batch]
    assert sorted(result.action.value for result in results) == ["created"] + ["updated"] * 49
    assert len({result.incident_id for result in results}) == 1
    (incident,) = stack.incidents()
    assert incident["alert_count"] == 50


def test_simultaneous_acknowledgements_succeed_once(stack):
    incident_id = post(stack)[0].incident_id

    def acknowledge(user):
        caller = Caller(org="acme", user=f"u{user}", roles=frozenset({Role.RESPONDER}))
        try:
            return (
                wiring.incident_commands().set_status(caller, incident_id, Status.ACKNOWLEDGED, None).status
            )
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(acknowledge, range(20)))
    assert sorted(outcomes, key=str) == [Status.ACKNOWLEDGED] + ["conflict"] * 19
    detail = stack.incident(incident_id)
    assert [event["type"] for event in detail["timeline"]].count("status_changed") == 1


def test_repeats_racing_a_status_change_lose_nothing(stack):
    incident_id = post(stack)[0].incident_id
    lead = Caller(org="acme", user="lee", roles=frozenset({Role.LEAD}))
    critical = {**ALARM, "severity": "critical"}

    def work(index):
        if index == 10:
            return wiring.incident_commands().set_status(lead, incident_id, Status.ACKNOWLEDGED, None)
        return post(stack, critical if index == 20 else ALARM)

    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(work, range(40)))
    incident = stack.incident(incident_id)
    assert incident["alert_count"] == 40
    assert incident["status"] == "acknowledged"
    assert incident["severity"] == "critical"


@pytest.mark.parametrize("workers", [8])
def test_a_resolve_racing_a_cancel_applies_one_and_refuses_the_other(stack, workers):
    incident_id = post(stack)[0].incident_id
    lead = Caller(org="acme", user="lee", roles=frozenset({Role.LEAD}))

    def move(index):
        target, note = (Status.RESOLVED, "fixed") if index % 2 else (Status.CANCELLED, "noise")
        try:
            return wiring.incident_commands().set_status(lead, incident_id, target, note).status
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(move, range(workers)))
    landed = [outcome for outcome in outcomes if outcome != "conflict"]
    assert len(landed) == 1
    assert stack.incident(incident_id)["status"] == landed[0].value


def test_fifty_simultaneous_open_for_service_creations_make_one_incident(stack):
    caller = Caller(org="acme", user="bot", roles=frozenset({Role.RESPONDER}))
    request = NewIncident(
        title="Payments", severity=Severity.HIGH, service="payments", dedupe="open_for_service"
    )
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(
            pool.map(lambda _: wiring.context_commands().open_for_service(caller, request), range(50))
        )
    assert len({incident.id for incident, _ in outcomes}) == 1
    assert sorted(reused for _, reused in outcomes) == [False] + [True] * 49
    assert len(stack.incidents()) == 1


def test_two_admins_changing_different_settings_at_once_both_keep_theirs(stack, monkeypatch):
    admin = Caller(org="acme", user="root", roles=frozenset({Role.ADMIN}))
    wiring.policy_admin().update_settings(admin, {"inactivity_days": 14})
    # Both changes are on their way to the table before either lands: a read of the settings and a put
    # of the whole item would write one admin's change over the other's.
    both_ready = threading.Barrier(2, timeout=10)
    write = PolicyStore.update_settings

    def when_both_ready(store, *args, **kwargs):
        both_ready.wait()
        return write(store, *args, **kwargs)

    monkeypatch.setattr(PolicyStore, "update_settings", when_both_ready)
    changes = [{"inactivity_days": 3}, {"postmortem_required_severities": ["critical", "high"]}]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda fields: wiring.policy_admin().update_settings(admin, fields), changes))
    settings = wiring.policy_admin().settings(admin)
    assert settings.inactivity_days == 3
    assert settings.postmortem_required_severities == [Severity.CRITICAL, Severity.HIGH]
