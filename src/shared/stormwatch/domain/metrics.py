"""The figures of `GET /v1/metrics`, from one small fact per incident.

A fact is what the metrics need of an incident (when it was created, its severity, status and service, its
times to acknowledge and resolve). Facts are kept per day of creation; the window selects incidents by
creation time, `since` included and `until` excluded. Percentiles interpolate between the two nearest
ranks (the "inclusive" method: the p-th percentile of n sorted values is at rank p/100 * (n - 1)).
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stormwatch.clock import iso, parse_iso
from stormwatch.domain.models import Incident, Severity, Status

NO_SERVICE = "(none)"
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class IncidentFact:
    incident_id: str
    created_at: datetime
    severity: Severity
    status: Status
    service: str | None
    tta_seconds: float | None
    ttr_seconds: float | None
    # For the post-mortem figures (facts stored before they existed have none).
    resolved_at: datetime | None = None
    postmortem_status: str = "none"
    postmortem_published_at: datetime | None = None

    @classmethod
    def of(cls, incident: Incident) -> "IncidentFact":
        return cls(
            incident.id,
            incident.created_at,
            incident.severity,
            incident.status,
            incident.service,
            incident.tta_seconds,
            incident.ttr_seconds,
            incident.resolved_at,
            incident.postmortem_status,
            incident.postmortem_published_at,
        )

    def encode(self) -> list[Any]:
        return [
            iso(self.created_at),
            self.severity.value,
            self.status.value,
            self.service,
            self.tta_seconds,
            self.ttr_seconds,
            iso(self.resolved_at) if self.resolved_at else None,
            self.postmortem_status,
            iso(self.postmortem_published_at) if self.postmortem_published_at else None,
        ]

    @classmethod
    def decode(cls, incident_id: str, value: list[Any]) -> "IncidentFact":
        created, severity, status, service, tta, ttr, *postmortem = value
        resolved, postmortem_status, published = postmortem or (None, "none", None)
        return cls(
            incident_id,
            parse_iso(created),
            Severity(severity),
            Status(status),
            service,
            tta,
            ttr,
            parse_iso(resolved) if resolved else None,
            postmortem_status,
            parse_iso(published) if published else None,
        )


@dataclass(frozen=True)
class OpenIncident:
    """What `open_now` needs of an active incident: enough to filter by service."""

    severity: Severity
    service: str | None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    below = int(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p90": None}
    return {
        # statistics.fmean's own sum; the module costs every handler that imports this one a millisecond.
        "mean": round(math.fsum(values) / len(values), 3),
        "p50": round(percentile(values, 0.5), 3),
        "p90": round(percentile(values, 0.9), 3),
    }


def in_window(
    facts: list[IncidentFact], since: datetime, until: datetime, service: str | None
) -> list[IncidentFact]:
    """The facts of the incidents created in [since, until), of one service if given."""
    return [
        fact
        for fact in facts
        if since <= fact.created_at < until and (service is None or fact.service == service)
    ]


def summarize(
    facts: list[IncidentFact],
    open_now: list[OpenIncident],
    since: datetime,
    until: datetime,
    service: str | None,
    ack_sla_seconds: dict[Severity, int],
) -> dict[str, Any]:
    """The metrics body for the incidents created in [since, until), of one service if given."""
    chosen = in_window(facts, since, until, service)
    # A cancelled incident was noise: it counts, but does not weigh on the acknowledgement SLA.
    answerable = [fact for fact in chosen if fact.status is not Status.CANCELLED]
    within_sla = [
        fact
        for fact in answerable
        if fact.tta_seconds is not None and fact.tta_seconds <= ack_sla_seconds[fact.severity]
    ]
    return {
        "window": {"since": iso(since), "until": iso(until)},
        "service": service,
        "incidents": len(chosen),
        "mtta_seconds": _summary([fact.tta_seconds for fact in chosen if fact.tta_seconds is not None]),
        "mttr_seconds": _summary([fact.ttr_seconds for fact in chosen if fact.ttr_seconds is not None]),
        "counts": {
            "by_severity": dict(Counter(fact.severity.value for fact in chosen)),
            "by_status": dict(Counter(fact.status.value for fact in chosen)),
            "by_service": dict(Counter(fact.service or NO_SERVICE for fact in chosen)),
        },
        "open_now": sum(1 for item in open_now if service is None or item.service == service),
        "ack_within_sla_ratio": round(len(within_sla) / len(answerable), 4) if answerable else None,
        "ack_sla_seconds": {severity.value: seconds for severity, seconds in ack_sla_seconds.items()},
    }
