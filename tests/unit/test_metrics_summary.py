from datetime import UTC, datetime, timedelta

import pytest

from stormwatch.domain.metrics import IncidentFact, OpenIncident, percentile, summarize
from stormwatch.domain.models import Severity, Status

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=7)
SLA = {Severity.CRITICAL: 300, Severity.HIGH: 900, Severity.MEDIUM: 3600, Severity.LOW: 14400}


def fact(number, at, severity=Severity.HIGH, status=Status.RESOLVED, service="api", tta=None, ttr=None):
    return IncidentFact(f"i{number}", at, severity, status, service, tta, ttr)


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([7.0], 0.9, 7.0), ([1.0, 2.0], 0.5, 1.5), ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5), ([0.0, 10.0], 0.9, 9.0)],
)
def test_percentiles_interpolate_between_ranks(values, share, expected):
    assert percentile(values, share) == expected


def test_the_window_includes_since_and_excludes_until():
    facts = [fact(1, SINCE, tta=60), fact(2, UNTIL, tta=600), fact(3, SINCE - timedelta(seconds=1), tta=6)]
    body = summarize(facts, [], SINCE, UNTIL, None, SLA)
    assert body["incidents"] == 1
    assert body["mtta_seconds"] == {"mean": 60.0, "p50": 60.0, "p90": 60.0}


def test_an_empty_window_has_no_averages_and_no_ratio():
    body = summarize([], [OpenIncident(Severity.LOW, None)], SINCE, UNTIL, None, SLA)
    assert body["mtta_seconds"] == {"mean": None, "p50": None, "p90": None}
    assert body["ack_within_sla_ratio"] is None
    assert body["open_now"] == 1


def test_the_sla_ratio_is_per_severity_and_leaves_cancelled_incidents_out():
    facts = [
        fact(1, SINCE, Severity.CRITICAL, tta=299),
        fact(2, SINCE, Severity.CRITICAL, tta=301),
        fact(3, SINCE, Severity.LOW, tta=3600),
        fact(4, SINCE, Severity.HIGH, status=Status.OPEN),
        fact(5, SINCE, Severity.HIGH, status=Status.CANCELLED),
    ]
    body = summarize(facts, [], SINCE, UNTIL, None, SLA)
    assert body["ack_within_sla_ratio"] == 0.5
    assert body["counts"]["by_status"] == {"resolved": 3, "open": 1, "cancelled": 1}


def test_a_service_narrows_every_figure_and_incidents_without_one_count_as_none():
    facts = [fact(1, SINCE, service="api", ttr=100), fact(2, SINCE, service=None, ttr=500)]
    open_now = [OpenIncident(Severity.HIGH, "api"), OpenIncident(Severity.HIGH, "db")]
    assert summarize(facts, open_now, SINCE, UNTIL, None, SLA)["counts"]["by_service"] == {
        "api": 1,
        "(none)": 1,
    }
    narrowed = summarize(facts, open_now, SINCE, UNTIL, "api", SLA)
    assert (narrowed["incidents"], narrowed["open_now"], narrowed["mttr_seconds"]["mean"]) == (1, 1, 100.0)


def test_a_fact_survives_its_encoding():
    original = fact(9, SINCE + timedelta(milliseconds=5), Severity.MEDIUM, Status.MITIGATED, None, 12.5, None)
    assert IncidentFact.decode("i9", original.encode()) == original
