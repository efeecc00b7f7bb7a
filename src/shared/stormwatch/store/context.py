"""Reading the context index items (store/context_index.py): incidents by what they carry, related
incidents, a service's open incident, and SLO violations by their SLO; each a Query of one partition, newest
first, a page's position the sort key of its last entry."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.context import RELATED_KEYS_READ, RelatedReason, SloViolation
from stormwatch.domain.models import Incident
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.context_index import CORRELATION_KEY, OPEN_FOR_SERVICE, SERVICE, SLO
from stormwatch.store.expressions import Expression
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.keys import ContextKeys
from stormwatch.store.table import translated_errors

# A page filtered beyond its partition reads entries this many at a time, at most this many times.
FILTERED_READ_SIZE = 100
MAX_QUERIES = 5


@dataclass
class _Read:
    entries: list[dict[str, Any]]
    more: bool


class ContextStore:
    def __init__(self, client: Any, table_name: str, incidents: IncidentStore) -> None:
        self._client = client
        self._table = table_name
        self._incidents = incidents

    def incidents_page(
        self,
        org: str,
        kind: str,
        value: str,
        limit: int,
        position: str | None,
        keep: Callable[[Incident], bool],
        filtered: bool,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[Incident], str | None]:
        """A page of the incidents whose `kind` entry is `value`, newest first, that `keep` accepts; and the
        position after it. A page `filtered` beyond its partition reads a bounded number of entries and may
        come back short, with a position to go on."""
        partition = ContextKeys.partition(org, kind, value)
        upper = position if position is not None else (f"{iso(until)}" if until else None)
        lower = f"{iso(since)}#~" if since else None
        found: list[Incident] = []
        for _ in range(MAX_QUERIES if filtered else 1):
            read = self._read(partition, value, FILTERED_READ_SIZE if filtered else limit, upper, lower)
            snapshots = {
                incident.id: incident
                for incident in self._incidents.by_ids(org, [entry["incident_id"] for entry in read.entries])
            }
            for number, entry in enumerate(read.entries):
                incident = snapshots.get(entry["incident_id"])
                if incident is not None and keep(incident):
                    found.append(incident)
                if len(found) == limit:
                    last = number == len(read.entries) - 1
                    return found, entry["sk"] if read.more or not last else None
            if not read.more or not read.entries:
                return found, None
            upper = read.entries[-1]["sk"]
        return found, upper

    def related(
        self, org: str, incident: Incident, limit: int, since: datetime
    ) -> list[tuple[Incident, list[RelatedReason]]]:
        """Incidents sharing one of its (first) correlation keys, and its service's incidents created since
        `since`: newest first, each with why. At most one Query per key read, plus one."""
        reasons: dict[str, list[RelatedReason]] = {}
        order: dict[str, str] = {}
        sources: list[tuple[str, str, str | None]] = [
            (CORRELATION_KEY, key, None) for key in incident.correlation_keys[:RELATED_KEYS_READ]
        ]
        if incident.service is not None:
            sources.append((SERVICE, incident.service, f"{iso(since)}#~"))
        for kind, value, lower in sources:
            partition = ContextKeys.partition(org, kind, value)
            for entry in self._read(partition, value, limit + 1, None, lower).entries:
                if entry["incident_id"] == incident.id:
                    continue
                reason = "correlation_key" if kind == CORRELATION_KEY else "service"
                reasons.setdefault(entry["incident_id"], []).append(RelatedReason(reason=reason, value=value))
                order[entry["incident_id"]] = entry["sk"]
        newest = sorted(order, key=order.__getitem__, reverse=True)[:limit]
        return [(found, reasons[found.id]) for found in self._incidents.by_ids(org, newest)]

    def open_for_service(self, org: str, service: str) -> Incident | None:
        """The newest active incident of the service (its entry goes when it closes)."""
        read = self._read(ContextKeys.partition(org, OPEN_FOR_SERVICE, service), service, 5, None, None)
        ids = [entry["incident_id"] for entry in read.entries]
        return next((i for i in self._incidents.by_ids(org, ids) if i.status.is_active), None)

    def violation_put(self, org: str, violation: SloViolation) -> dict[str, Any]:
        item = {
            "pk": ContextKeys.partition(org, SLO, violation.slo_id),
            "sk": f"{iso(violation.window_start)}#{violation.id}",
            "entity": "slo_violation",
            "value": violation.slo_id,
            **violation.model_dump(mode="json"),
        }
        return {"Put": {"TableName": self._table, "Item": encode_item(item)}}

    def violations(
        self, org: str, slo_id: str, limit: int, position: str | None
    ) -> tuple[list[SloViolation], str | None]:
        """An SLO's violations across the org, the latest window first."""
        read = self._read(ContextKeys.partition(org, SLO, slo_id), slo_id, limit, position, None)
        found = [SloViolation.model_validate(_fields(entry)) for entry in read.entries]
        return found, read.entries[-1]["sk"] if read.more and read.entries else None

    def _read(self, partition: str, value: str, limit: int, upper: str | None, lower: str | None) -> _Read:
        """Up to `limit` entries of a partition below `upper` and above `lower` (both exclusive), newest
        first, leaving out any whose readable value is not `value` (another value of the same hash)."""
        expr = Expression()
        condition = f"{expr.name('pk')} = {expr.value(partition)}"
        if upper is not None and lower is not None:
            condition += f" AND {expr.name('sk')} BETWEEN {expr.value(lower)} AND {expr.value(upper)}"
        elif upper is not None:
            condition += f" AND {expr.name('sk')} < {expr.value(upper)}"
        elif lower is not None:
            condition += f" AND {expr.name('sk')} > {expr.value(lower)}"
        request = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
            **expr.request(),
        }
        with translated_errors():
            response = self._client.query(**request)
        entries = [
            entry
            for entry in _decoded(response.get("Items", []))
            if entry.get("value") == value and entry["sk"] not in (upper, lower)
        ]
        return _Read(entries, "LastEvaluatedKey" in response)


def _decoded(raws: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (decode_item(raw) for raw in raws)


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in entry.items() if name not in ("pk", "sk", "entity", "value")}
