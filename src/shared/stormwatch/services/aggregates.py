"""The stream's side of the metrics: each change of an incident snapshot keeps its fact (for
`GET /v1/metrics`) and reports the CloudWatch metrics it completes (IncidentsOpened, IncidentsResolved,
TimeToAcknowledge, TimeToResolve, by severity)."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from stormwatch.domain.events import SnapshotChange
from stormwatch.domain.metrics import IncidentFact
from stormwatch.domain.models import Incident, Status
from stormwatch.store.images import snapshot_change
from stormwatch.store.metrics import MetricsStore


@dataclass(frozen=True)
class MetricPoint:
    name: str
    unit: str
    value: float
    severity: str


class IncidentAggregates:
    def __init__(self, store: MetricsStore) -> None:
        self._store = store

    def record_images(self, old_image: dict[str, Any] | None, new_image: dict[str, Any]) -> list[MetricPoint]:
        """A stream record's images (DynamoDB's attribute-value form); the stream is filtered to
        incident snapshots, so the new image is one."""
        return self._record(snapshot_change(old_image, new_image))

    def record(self, old: Incident | None, new: Incident) -> list[MetricPoint]:
        """One write of an incident snapshot: `old` is what the item held before (maybe another incident)."""
        return self._record(SnapshotChange.of(old, new))

    def _record(self, change: SnapshotChange) -> list[MetricPoint]:
        previous, new = change.previous, change.current
        self._store.record(new.org, IncidentFact.of(previous) if previous else None, IncidentFact.of(new))
        if change.archived:
            return []
        severity = new.severity.value
        points = []
        if previous is None:
            points.append(MetricPoint("IncidentsOpened", "Count", 1, severity))
        if new.status is Status.RESOLVED and (previous is None or previous.status is not Status.RESOLVED):
            points.append(MetricPoint("IncidentsResolved", "Count", 1, severity))
        if new.tta_seconds is not None and (previous is None or previous.tta_seconds is None):
            points.append(MetricPoint("TimeToAcknowledge", "Seconds", new.tta_seconds, severity))
        if new.ttr_seconds is not None and (previous is None or previous.ttr_seconds is None):
            points.append(MetricPoint("TimeToResolve", "Seconds", new.ttr_seconds, severity))
        return points


def publish(points: list[MetricPoint], metrics: Any) -> None:
    """Write the points as embedded metrics through powertools' `Metrics`, one document per severity
    (an EMF document's dimensions apply to all its metrics)."""
    by_severity: dict[str, list[MetricPoint]] = defaultdict(list)
    for point in points:
        by_severity[point.severity].append(point)
    for severity, group in sorted(by_severity.items()):
        metrics.add_dimension(name="severity", value=severity)
        for point in group:
            metrics.add_metric(name=point.name, unit=point.unit, value=point.value)
        metrics.flush_metrics()
        # With metrics disabled (the local stack), powertools keeps what it did not print: drop it.
        metrics.clear_metrics()
