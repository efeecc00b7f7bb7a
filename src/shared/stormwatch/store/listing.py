"""The incident list as index Queries: which index serves a filter, and a page merged from several.

Every index sorts newest first by `{time}#{incident id}`, unique within an org, so a page's position is the
sort key of its last incident and the next page is `sort key < position`: a position can only move within
the partitions the caller's org and filter select.

Which index:
- `assignee`: the assignee's partition (gsi3), by creation time.
- else `status`: one partition per status (gsi2), merged.
- else: the org's partition (gsi1).
- sorted by activity: one partition per status (gsi4), every status when none is asked for, merged.
Whatever the index does not select is a filter on the entries it projects, read a bounded number of
entries per page: a page may then come back short, with a cursor to go on.
"""

from dataclasses import dataclass, field
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.listing import IncidentFilter, Sort
from stormwatch.domain.models import Status
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.expressions import Expression
from stormwatch.store.keys import (
    ACTIVITY_INDEX,
    ASSIGNEE_INDEX,
    CREATION_ORDER,
    INCIDENT_INDEX,
    STATUS_INDEX,
    STATUS_PARTITION,
    IncidentKeys,
)
from stormwatch.store.table import translated_errors

# A filtered page reads index entries this many at a time...
FILTERED_READ_SIZE = 100
# ...and, beyond one Query per partition, at most this many more Queries.
EXTRA_QUERIES = 4
# Above every incident id character, so `{time}#~` sorts after every entry of that time.
_AFTER_EVERY_ID = "~"


@dataclass
class _Partition:
    index: str
    name: str
    value: str
    sort_name: str
    start: dict[str, Any] | None = None
    exhausted: bool = False
    # The sort key of the last entry read: nothing unread in this partition sorts above it.
    frontier: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ListPage:
    # Table keys, in DynamoDB's attribute-value form.
    keys: list[dict[str, Any]]
    next_position: str | None
    queries: int


def _partitions(org: str, wanted: IncidentFilter) -> list[_Partition]:
    statuses = sorted(wanted.statuses) or (list(Status) if wanted.sort is Sort.ACTIVITY else [])
    if wanted.sort is Sort.ACTIVITY:
        return [
            _Partition(ACTIVITY_INDEX, STATUS_PARTITION, IncidentKeys.status_partition(org, status), "gsi4sk")
            for status in statuses
        ]
    if wanted.assignee is not None:
        partition = IncidentKeys.assignee_partition(org, wanted.assignee)
        return [_Partition(ASSIGNEE_INDEX, "gsi3pk", partition, CREATION_ORDER)]
    if statuses:
        return [
            _Partition(
                STATUS_INDEX, STATUS_PARTITION, IncidentKeys.status_partition(org, status), CREATION_ORDER
            )
            for status in statuses
        ]
    return [_Partition(INCIDENT_INDEX, "gsi1pk", IncidentKeys.list_partition(org), CREATION_ORDER)]


def _filter(wanted: IncidentFilter, partitions: list[_Partition], expr: Expression) -> str | None:
    """What the chosen partitions do not select, as a filter on the projected attributes."""
    index = partitions[0].index
    clauses: list[str] = []

    def one_of(attribute: str, values: list[str]) -> None:
        if values:
            listed = ", ".join(expr.value(value) for value in values)
            clauses.append(f"{expr.name(attribute)} IN ({listed})")

    if index == ASSIGNEE_INDEX:
        one_of("status", sorted(wanted.statuses))
    elif wanted.assignee is not None:
        clauses.append(f"{expr.name('assignee')} = {expr.value(wanted.assignee)}")
    one_of("severity", sorted(wanted.severities))
    for attribute in ("service", "environment"):
        value = getattr(wanted, attribute)
        if value is not None:
            clauses.append(f"{expr.name(attribute)} = {expr.value(value)}")
    for word in wanted.search:
        clauses.append(f"contains({expr.name('search_text')}, {expr.value(' ' + word)})")
    if index == ACTIVITY_INDEX:
        if wanted.created_after is not None:
            clauses.append(f"{expr.name('created_at')} > {expr.value(iso(wanted.created_after))}")
        if wanted.created_before is not None:
            clauses.append(f"{expr.name('created_at')} < {expr.value(iso(wanted.created_before))}")
    return " AND ".join(clauses) or None


def _key_condition(
    wanted: IncidentFilter, partition: _Partition, position: str | None, expr: Expression
) -> str:
    condition = f"{expr.name(partition.name)} = {expr.value(partition.value)}"
    by_creation = partition.index != ACTIVITY_INDEX
    lower = (
        f"{iso(wanted.created_after)}#{_AFTER_EVERY_ID}"
        if by_creation and wanted.created_after is not None
        else None
    )
    # `{time}#id` sorts above `{time}` itself, so `<= created_before` keeps only earlier creations.
    upper = position or (iso(wanted.created_before) if by_creation and wanted.created_before else None)
    if lower is None and upper is None:
        return condition
    sort = expr.name(partition.sort_name)
    if lower is not None and upper is not None:
        # BETWEEN includes the position's own entry; the merge drops it.
        return f"{condition} AND {sort} BETWEEN {expr.value(lower)} AND {expr.value(upper)}"
    if lower is not None:
        return f"{condition} AND {sort} > {expr.value(lower)}"
    return f"{condition} AND {sort} {'<' if position else '<='} {expr.value(upper)}"


def list_page(
    client: Any, table: str, org: str, wanted: IncidentFilter, limit: int, position: str | None
) -> ListPage:
    """The table keys of one page, newest first, and the position after it (None at the end)."""
    partitions = _partitions(org, wanted)
    requests = []
    for partition in partitions:
        expr = Expression()
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": partition.index,
            "KeyConditionExpression": _key_condition(wanted, partition, position, expr),
            "ScanIndexForward": False,
        }
        filter_expression = _filter(wanted, partitions, expr)
        if filter_expression is not None:
            request["FilterExpression"] = filter_expression
        # Unfiltered, `limit` entries of each partition are enough for a page. Filtered, DynamoDB counts
        # entries read, not kept, against the Limit.
        request["Limit"] = limit if filter_expression is None else FILTERED_READ_SIZE
        requests.append({**request, **expr.request()})

    queries = 0
    reading = list(range(len(partitions)))
    while True:
        for number in reading:
            partition, request = partitions[number], requests[number]
            if partition.start is not None:
                request["ExclusiveStartKey"] = partition.start
            with translated_errors():
                response = client.query(**request)
            queries += 1
            partition.entries.extend(
                entry
                for entry in (decode_item(raw) for raw in response.get("Items", []))
                if entry[partition.sort_name] != position
            )
            partition.start = response.get("LastEvaluatedKey")
            partition.exhausted = partition.start is None
            if partition.start is not None:
                partition.frontier = decode_item(partition.start)[partition.sort_name]
        unread = [partition for partition in partitions if not partition.exhausted]
        # Every entry at or above the highest frontier is known: no partition holds an unread one there.
        cut = max((partition.frontier or "" for partition in unread), default="")
        ready = sorted(
            (
                (entry[partition.sort_name], entry)
                for partition in partitions
                for entry in partition.entries
                if entry[partition.sort_name] >= cut
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        if len(ready) >= limit or not unread or queries >= len(partitions) + EXTRA_QUERIES:
            break
        reading = [partitions.index(max(unread, key=lambda partition: partition.frontier or ""))]

    page = ready[:limit]
    next_position = None
    if len(ready) > limit or (len(ready) == limit and unread):
        next_position = page[-1][0]
    elif unread:
        # Stopped reading before the page filled: go on below the entries already read.
        next_position = cut
    keys = [encode_item({"pk": entry["pk"], "sk": entry["sk"]}) for _, entry in page]
    return ListPage(keys, next_position, queries)
