"""Context index items: the incidents that carry a correlation key, trace id, tag, project or service,
one item each, so lists find them with a Query of one partition, never a Scan.

Each item lives in `ORG#{org}#CTX#{kind}#{hash(value)}` (the caller's org, the user string hashed, its
readable value an attribute), sorted by `{created_at}#{incident id}`. `context_index_writes` derives the
puts and deletes from a snapshot change, and `IncidentStore.commit` writes them in the change's own
transaction: an index never disagrees with the snapshots, whichever path (a webhook, a command, a sweep)
changed them.
"""

from typing import Any

from stormwatch.domain.models import Incident
from stormwatch.store.codec import encode_item
from stormwatch.store.keys import ContextKeys

CORRELATION_KEY = "ck"
TRACE_ID = "trace"
TAG = "tag"
PROJECT = "project"
SERVICE = "service"
# The active incidents of a service: an entry while the incident is active, deleted when it closes.
OPEN_FOR_SERVICE = "open"
SLO = "slo"


def _entries(incident: Incident) -> set[tuple[str, str]]:
    held = {(CORRELATION_KEY, key) for key in incident.correlation_keys}
    held |= {(TRACE_ID, trace_id) for trace_id in incident.trace_ids}
    held |= {(TAG, tag) for tag in incident.tags}
    if incident.project is not None:
        held.add((PROJECT, incident.project))
    if incident.service is not None:
        held.add((SERVICE, incident.service))
        if incident.status.is_active:
            held.add((OPEN_FOR_SERVICE, incident.service))
    return held


def context_index_writes(table: str, before: Incident | None, after: Incident) -> list[dict[str, Any]]:
    """The index items a change puts and deletes (none for a change of nothing they hold)."""
    held_before = _entries(before) if before is not None and before.id == after.id else set()
    held_after = _entries(after)
    writes: list[dict[str, Any]] = []
    for kind, value in sorted(held_after - held_before):
        item = {
            **ContextKeys.of(after.org, kind, value, after),
            "entity": "context_index",
            "kind": kind,
            "value": value,
            "incident_id": after.id,
        }
        writes.append({"Put": {"TableName": table, "Item": encode_item(item)}})
    for kind, value in sorted(held_before - held_after):
        key = ContextKeys.of(after.org, kind, value, after)
        writes.append({"Delete": {"TableName": table, "Key": encode_item(key)}})
    return writes
