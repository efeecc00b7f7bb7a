"""The metrics' aggregates: one fact per incident, in items per (shard, day of creation), and the active
incidents per shard. Written by the stream consumer, never by ingestion or commands, so recording them
neither slows nor conflicts with either; an incident's shard is a hash of its id, so no item is written
by every incident of an org.

Reading a window is one Query per shard (a day range) and one BatchGetItem for the shards' active sets:
items read grow with days * shards, not with the incidents.
"""

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any

from stormwatch.domain.metrics import IncidentFact, OpenIncident
from stormwatch.domain.models import Severity
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.expressions import Expression
from stormwatch.store.keys import MetricsKeys
from stormwatch.store.table import query_all, translated_errors

# Each fact is a top-level attribute named after its incident, so setting one needs no existing map.
_FACT = "i_"


def shard_of(incident_id: str, shards: int) -> int:
    return int.from_bytes(hashlib.sha256(incident_id.encode()).digest()[:4], "big") % shards


class MetricsStore:
    def __init__(self, client: Any, table_name: str, shards: int) -> None:
        self._client = client
        self._table = table_name
        self._shards = shards

    def record(self, org: str, before: IncidentFact | None, after: IncidentFact) -> int:
        """Keep the incident's fact and its place among the active incidents; returns the writes made.
        Setting a value is idempotent, so a stream record delivered twice changes nothing."""
        shard = shard_of(after.incident_id, self._shards)
        writes = 0
        if after != before:
            day = MetricsKeys.day(org, shard, after.created_at.date())
            self._set(day, after.incident_id, json.dumps(after.encode(), separators=(",", ":")))
            writes += 1
        open_before = before is not None and before.status.is_active
        was = (before.severity, before.service) if before is not None else None
        if after.status.is_active and (not open_before or was != (after.severity, after.service)):
            value = json.dumps([after.severity.value, after.service], separators=(",", ":"))
            self._set(MetricsKeys.open(org, shard), after.incident_id, value)
            writes += 1
        elif not after.status.is_active and (open_before or before is None):
            self._remove(MetricsKeys.open(org, shard), after.incident_id)
            writes += 1
        return writes

    def _set(self, key: dict[str, str], incident_id: str, value: str) -> None:
        expr = Expression()
        self._update(key, f"SET {expr.segment(_FACT + incident_id)} = {expr.value(value)}", expr)

    def _remove(self, key: dict[str, str], incident_id: str) -> None:
        expr = Expression()
        self._update(key, f"REMOVE {expr.segment(_FACT + incident_id)}", expr)

    def _update(self, key: dict[str, str], update: str, expr: Expression) -> None:
        with translated_errors():
            self._client.update_item(
                TableName=self._table, Key=encode_item(key), UpdateExpression=update, **expr.request()
            )

    def read(
        self, org: str, since: datetime, until: datetime
    ) -> tuple[list[IncidentFact], list[OpenIncident]]:
        """The facts of the incidents created on the window's days, and every active incident."""
        first, last = MetricsKeys.day_sort_key(since.date()), MetricsKeys.day_sort_key(_last_day(until))
        facts: list[IncidentFact] = []
        for shard in range(self._shards):
            expr = Expression()
            partition = expr.value(MetricsKeys.partition(org, shard))
            days = f"{expr.name('sk')} BETWEEN {expr.value(first)} AND {expr.value(last)}"
            request: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": f"{expr.name('pk')} = {partition} AND {days}",
                **expr.request(),
            }
            for item in query_all(self._client, request):
                facts.extend(
                    IncidentFact.decode(name[len(_FACT) :], json.loads(value))
                    for name, value in item.items()
                    if name.startswith(_FACT)
                )
        return facts, self._open(org)

    def _open(self, org: str) -> list[OpenIncident]:
        found: list[OpenIncident] = []
        pending: dict[str, Any] = {
            self._table: {
                "Keys": [encode_item(MetricsKeys.open(org, shard)) for shard in range(self._shards)]
            }
        }
        while pending:
            with translated_errors():
                response = self._client.batch_get_item(RequestItems=pending)
            for raw in response.get("Responses", {}).get(self._table, []):
                for name, value in decode_item(raw).items():
                    if name.startswith(_FACT):
                        severity, service = json.loads(value)
                        found.append(OpenIncident(Severity(severity), service))
            pending = response.get("UnprocessedKeys") or {}
        return found


def _last_day(until: datetime) -> date:
    """The day of the window's last instant (`until` itself is excluded)."""
    return (until - timedelta(microseconds=1)).date()
