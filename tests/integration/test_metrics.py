"""GET /v1/metrics, from the aggregates the stream consumer keeps, against a computation from the raw
incidents; the incident metrics as CloudWatch embedded metrics; bad parameters."""

import json
import random
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from stormwatch import wiring
from stormwatch.domain.correlation import declare
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.models import AlertEvent, Severity, Status
from stormwatch.ids import key_hash
from stormwatch.store.codec import encode_item
from tests.integration.conftest import load_event

START = datetime(2026, 9, 1, tzinfo=UTC)
SLA = {"critical": 300, "high": 900, "medium": 3600, "low": 14400}


def open_incident(org, key, severity, service, at):
    alert = AlertEvent(
        source="generic", incident_key=key, fingerprint=key, title=key, severity=severity, service=service
    )
    (change,) = declare(org, key_hash(org, key), None, alert, "user:alice", at)
    return change.after


def save(before, after):
    """The snapshot alone, written whole (no timeline, no timers, no transaction: moto copies the table for
    each): what the stream consumer reads is the snapshot's images."""
    store = wiring.incident_store()
    store._client.put_item(TableName=store._table, Item=encode_item(store._item(after)))


def generate(org, count, seed):
    """Incidents over 45 days: most acknowledged, many resolved, a few cancelled, some left open."""
    rng = random.Random(seed)
    incidents = []
    for number in range(count):
        at = START + timedelta(seconds=rng.randint(0, 45 * 86400))
        incident = open_incident(
            org,
            f"{org}-alarm-{number}",
            rng.choice(list(Severity)),
            rng.choice(["checkout", "payments", None]),
            at,
        )
        save(None, incident)
        fate = rng.random()
        if fate < 0.05:
            later = change_status(incident, Status.CANCELLED, "user:lee", at + timedelta(minutes=3), "noise")
            save(incident, later.after)
            incident = later.after
        elif fate < 0.85:
            acked_at = at + timedelta(seconds=rng.randint(10, 7200))
            acked = change_status(incident, Status.ACKNOWLEDGED, "user:alice", acked_at)
            save(incident, acked.after)
            incident = acked.after
            if rng.random() < 0.7:
                resolved_at = acked_at + timedelta(seconds=rng.randint(60, 86400))
                resolved = change_status(incident, Status.RESOLVED, "user:alice", resolved_at, "fixed")
                save(incident, resolved.after)
                incident = resolved.after
        incidents.append(incident)
    return incidents


def quantile(values, share):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def summary(values):
    if not values:
        return {"mean": None, "p50": None, "p90": None}
    return {
        "mean": pytest.approx(statistics.fmean(values), abs=1e-3),
        "p50": pytest.approx(quantile(values, 0.5), abs=1e-3),
        "p90": pytest.approx(quantile(values, 0.9), abs=1e-3),
    }


def computed(incidents, since, until, service=None):
    chosen = [
        incident
        for incident in incidents
        if since <= incident.created_at < until and (service is None or incident.service == service)
    ]
    answerable = [incident for incident in chosen if incident.status is not Status.CANCELLED]
    on_time = [
        incident
        for incident in answerable
        if incident.tta_seconds is not None and incident.tta_seconds <= SLA[incident.severity.value]
    ]
    return {
        "incidents": len(chosen),
        "mtta_seconds": summary([i.tta_seconds for i in chosen if i.tta_seconds is not None]),
        "mttr_seconds": summary([i.ttr_seconds for i in chosen if i.ttr_seconds is not None]),
        "counts": {
            "by_severity": dict(Counter(i.severity.value for i in chosen)),
            "by_status": dict(Counter(i.status.value for i in chosen)),
            "by_service": dict(Counter(i.service or "(none)" for i in chosen)),
        },
        "open_now": sum(
            1 for i in incidents if i.status.is_active and (service is None or i.service == service)
        ),
        "ack_within_sla_ratio": pytest.approx(len(on_time) / len(answerable), abs=1e-4)
        if answerable
        else None,
    }


def metrics(stack, org="acme", **query):
    answer = stack.call("GET", "/v1/metrics", org=org, roles="[viewer]", query=query)
    assert answer.status == 200, answer.body
    return answer.body


def test_metrics_equal_a_computation_from_the_raw_incidents(stack):
    incidents = generate("acme", 300, seed=11)
    generate("globex", 40, seed=12)
    stack.streams.drain()
    stack.clock.moment = START + timedelta(days=46)
    windows = [
        (START + timedelta(days=16), START + timedelta(days=46), None),
        (START + timedelta(days=3, hours=5), START + timedelta(days=10, hours=17), None),
        (START, START + timedelta(days=46), "checkout"),
    ]
    for since, until, service in windows:
        query = {"since": since.isoformat(), "until": until.isoformat()}
        if service:
            query["service"] = service
        body = metrics(stack, **query)
        expected = computed(incidents, since, until, service)
        assert {name: body[name] for name in expected} == expected
        assert body["incidents"] > 20
    default = metrics(stack)
    assert default["window"] == {"since": "2026-09-17T00:00:00.000Z", "until": "2026-10-17T00:00:00.000Z"}
    assert (
        default["incidents"]
        == computed(incidents, START + timedelta(days=16), START + timedelta(days=46))["incidents"]
    )


def test_open_now_follows_each_incident_and_a_replayed_stream_changes_nothing(stack):
    incident = open_incident("acme", "db", Severity.HIGH, "db", START)
    save(None, incident)
    stack.streams.drain()
    stack.clock.moment = START + timedelta(days=1)
    assert metrics(stack)["open_now"] == 1
    acked = change_status(incident, Status.ACKNOWLEDGED, "user:alice", START + timedelta(minutes=2)).after
    save(incident, acked)
    resolved = change_status(acked, Status.RESOLVED, "user:alice", START + timedelta(hours=1), "ok").after
    save(acked, resolved)
    stack.streams.drain()
    first = metrics(stack)
    assert first["open_now"] == 0
    assert first["mtta_seconds"]["mean"] == 120
    assert first["mttr_seconds"]["mean"] == 3600
    assert first["ack_within_sla_ratio"] == 1.0

    stack.streams.rewind()
    stack.streams.drain()
    assert metrics(stack) == first


def test_the_aggregates_function_emits_incident_metrics_by_severity(stack, monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    incident = open_incident("acme", "db", Severity.CRITICAL, "db", START)
    save(None, incident)
    acked = change_status(incident, Status.ACKNOWLEDGED, "user:alice", START + timedelta(seconds=90)).after
    save(incident, acked)
    resolved = change_status(acked, Status.RESOLVED, "user:alice", START + timedelta(minutes=30), "ok").after
    save(acked, resolved)
    capsys.readouterr()
    stack.streams.drain()
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    emitted = {}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Stormwatch"
        assert any("severity" in dimensions for dimensions in directive["Dimensions"])
        for metric in directive["Metrics"]:
            emitted[(metric["Name"], metric["Unit"], document["severity"])] = document[metric["Name"]]
    assert emitted == {
        ("IncidentsOpened", "Count", "critical"): [1.0],
        ("TimeToAcknowledge", "Seconds", "critical"): [90.0],
        ("IncidentsResolved", "Count", "critical"): [1.0],
        ("TimeToResolve", "Seconds", "critical"): [1800.0],
    }


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"since": "last week"}, "query.since"),
        ({"until": "2026-10-01T00:00:00"}, "query.until"),
        ({"since": "2026-10-02T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, "since"),
        ({"since": "2024-01-01T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, "since"),
        ({"service": ""}, "query.service"),
    ],
)
def test_bad_metrics_parameters_are_400_naming_the_parameter(stack, query, parameter):
    answer = stack.call("GET", "/v1/metrics", roles="[viewer]", query=query)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(parameter), answer.body


def test_the_sample_stream_event_reaches_the_metrics(stack):
    response = stack.functions["aggregates"].invoke(
        load_event("aggregates/incident_opened_and_acknowledged.json")
    )
    assert response == {"batchItemFailures": []}
    body = metrics(stack, since="2026-11-22T00:00:00Z", until="2026-11-23T00:00:00Z")
    assert body["incidents"] == 1
    assert body["open_now"] == 1
    assert body["mtta_seconds"] == {"mean": 95.0, "p50": 95.0, "p90": 95.0}
    assert body["counts"]["by_status"] == {"acknowledged": 1}
