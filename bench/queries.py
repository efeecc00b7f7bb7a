"""Reads of the incident list and of the metrics as an org grows (capacity from item sizes: see capacity.py).

.venv/bin/python bench/queries.py

Two cost rules, measured at two org sizes:
1. a page of 50 incidents, whatever the filters, reads at most a few pages of index entries;
2. the metrics of a window read items that grow with days x shards, not with incidents.

Orgs are built directly, not through webhooks: the domain makes each incident's changes, the final snapshot
is written with BatchWriteItem as the store's own item, and the stream's side (the metrics aggregates) is
recorded in process. A small org first checks that those items equal what `IncidentStore.commit` writes.
"""

import math
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import SecondaryIndex, Table

import _environment
from capacity import KB, CapacityMeter, Tally, item_size
from stormwatch import wiring
from stormwatch.domain.correlation import declare
from stormwatch.domain.events import Change
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.listing import IncidentFilter, Sort
from stormwatch.domain.models import AlertEvent, Caller, Incident, Role, Severity, Status
from stormwatch.domain.work import assign
from stormwatch.ids import key_hash
from stormwatch.settings import get_settings
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.keys import MetricsKeys
from stormwatch.store.listing import EXTRA_QUERIES, FILTERED_READ_SIZE

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SPAN_DAYS = 90
SIZES = (1_000, 10_000)
PAGE = 50
# Active incidents per org: a few dozen, whatever its history, among its newest incidents.
ACTIVE = 40
ALICE_SHARE = 0.01
SERVICES = ["checkout", "payments", "search", "auth", "inventory", "notifications", "ledger", None]
ENVIRONMENTS = ["production", "production", "staging", None]
SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
SEVERITY_WEIGHTS = [10, 20, 40, 30]
TITLES = [
    "{what} error rate above 5%",
    "{what} p99 latency above 2s",
    "{what} 5xx spike",
    "{what} queue backlog growing",
    "{what} pods crash looping",
    "disk almost full on {what} database",
    "{what} certificate expires soon",
    "{what} saturation high",
]
OTHER_ASSIGNEES = ["bob", "carol", "dave"]


class FixedClock:
    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> datetime:
        return self.moment


def incident_history(org: str, number: int, created: datetime, fate: str, rng: random.Random) -> list[Change]:
    """One incident's changes, oldest first; `fate` is resolved, cancelled, or an active status."""
    service = rng.choice(SERVICES)
    key = f"{service or 'host'}/{number}"
    alert = AlertEvent(
        source="generic",
        incident_key=key,
        fingerprint=key,
        title=rng.choice(TITLES).format(what=service or f"host-{number % 37}"),
        severity=rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
        service=service,
        environment=rng.choice(ENVIRONMENTS),
    )
    (first,) = declare(org, key_hash(org, key), None, alert, "user:lee", created)
    changes = [Change(None, first.after)]
    at = created + timedelta(seconds=rng.randint(10, 600))
    assignee = "alice" if rng.random() < ALICE_SHARE else rng.choice([*OTHER_ASSIGNEES, None, None])
    if assignee is not None:
        changes.append(assign(changes[-1].after, assignee, "user:lee", at))
    if fate == Status.CANCELLED:
        changes.append(change_status(changes[-1].after, Status.CANCELLED, "user:lee", at, "noise"))
    elif fate != Status.OPEN:
        acked = at + timedelta(seconds=rng.randint(10, 3600))
        target = Status.ACKNOWLEDGED if fate == Status.RESOLVED else Status(fate)
        changes.append(change_status(changes[-1].after, target, "user:alice", acked))
        if fate == Status.RESOLVED:
            resolved = max(acked, min(NOW, acked + timedelta(seconds=rng.randint(60, 6 * 3600))))
            changes.append(change_status(changes[-1].after, Status.RESOLVED, "user:alice", resolved, "fixed"))
    # Snapshots only, as the stream consumer sees them: no timeline items, so commit writes one item.
    return [Change(change.before, change.after) for change in changes]


def histories(org: str, count: int, seed: int) -> list[list[Change]]:
    rng = random.Random(seed)
    created = sorted(NOW - timedelta(seconds=rng.randint(60, SPAN_DAYS * 86400)) for _ in range(count))
    newest = range(max(0, count - 300), count)
    active = set(rng.sample(newest, min(ACTIVE, len(newest) // 4)))
    active_statuses = [Status.OPEN, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MITIGATED]
    result = []
    for number, at in enumerate(created):
        if number in active:
            fate = rng.choice(active_statuses)
        else:
            fate = Status.CANCELLED if rng.random() < 0.05 else Status.RESOLVED
        result.append(incident_history(org, number, at, fate, rng))
    return result


def build_org(raw: Any, table: str, org: str, count: int, seed: int) -> list[Incident]:
    """The final snapshots in BatchWriteItem requests of 25, and the aggregates as the stream keeps them:
    the facts are set per incident and the active set follows its last status, so recording the final
    snapshot once leaves what recording each change in turn does."""
    finals = [changes[-1].after for changes in histories(org, count, seed)]
    aggregates = wiring.incident_aggregates()
    for start in range(0, len(finals), 25):
        puts = [
            {"PutRequest": {"Item": encode_item(IncidentStore._item(incident))}}
            for incident in finals[start : start + 25]
        ]
        pending: dict[str, Any] = {table: puts}
        while pending:
            pending = raw.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    for incident in finals:
        aggregates.record(None, incident)
    return finals


def parity(raw: Any, table: str, count: int, shards: int) -> tuple[int, bool]:
    """The fast build against the slow way, on a small org: each change committed (commit's own writes)
    and recorded in turn, as the stream would deliver it. Returns how many snapshots equal the item the
    build writes, and whether recording each final snapshot once leaves the same aggregates."""
    store = wiring.incident_store()
    aggregates = wiring.incident_aggregates()
    made = histories("parity", count, seed=3)
    equal = 0
    for changes in made:
        for change in changes:
            store.commit([change])
            aggregates.record(change.before, change.after)
        final = changes[-1].after
        key = {"pk": {"S": f"ORG#parity#K#{final.id.rsplit('-', 1)[0]}"}, "sk": {"S": "CUR"}}
        stored = raw.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        built = encode_item(IncidentStore._item(final))
        equal += decode_item(stored) == decode_item(built)

    def metrics_items() -> list[dict[str, Any]]:
        items = []
        for shard in range(shards):
            partition = {":pk": {"S": MetricsKeys.partition("parity", shard)}}
            response = raw.query(
                TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=partition
            )
            items.extend(response["Items"])
        return items

    step_by_step = metrics_items()
    for item in step_by_step:
        raw.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    for changes in made:
        aggregates.record(None, changes[-1].after)
    return equal, metrics_items() == step_by_step


_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


@dataclass
class Reads:
    queries: int = 0
    scanned: int = 0
    matched: int = 0
    batch_gets: int = 0
    bytes_read: int = 0
    # Query RCU as capacity.py prices it (the entries a Query returns) and as DynamoDB bills a filtered
    # Query (every entry it evaluated before the filter).
    returned_units: float = 0.0
    evaluated_units: float = 0.0


class ReadCounter:
    """ScannedCount, and the size of every entry a Query evaluated. A filtered Query is re-run on `raw`
    without its filter, from the same start and with Limit=ScannedCount, which reads the same entries; it
    asks for their table keys only, and `entry_sizes` gives each entry's size in its index."""

    def __init__(self, client: Any, raw: Any, entry_sizes: dict[tuple[str, str, str], int]) -> None:
        self.raw = raw
        self.entry_sizes = entry_sizes
        # Off, a filtered Query is not re-run: its evaluated entries are priced as the returned ones.
        self.exact = True
        self.reads = Reads()
        self._params: dict[str, Any] = {}
        client.meta.events.register("before-parameter-build.dynamodb.Query", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after_query)
        client.meta.events.register("after-call.dynamodb.BatchGetItem", self._after_batch_get)

    def reset(self) -> Reads:
        finished, self.reads = self.reads, Reads()
        return finished

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        self._params = dict(params)

    def _after_query(self, parsed: dict[str, Any], **_: Any) -> None:
        params = self._params
        factor = 1.0 if params.get("ConsistentRead") else 0.5
        returned = [item_size(item) for item in parsed.get("Items", [])]
        filtered = self.exact and "FilterExpression" in params and parsed["Count"] < parsed["ScannedCount"]
        evaluated = self._evaluated(params, parsed["ScannedCount"]) if filtered else returned
        self.reads.queries += 1
        self.reads.scanned += parsed["ScannedCount"]
        self.reads.matched += parsed["Count"]
        self.reads.bytes_read += sum(evaluated)
        self.reads.returned_units += factor * max(1, math.ceil(sum(returned) / (4 * KB)))
        self.reads.evaluated_units += factor * max(1, math.ceil(sum(evaluated) / (4 * KB)))

    def _evaluated(self, params: dict[str, Any], scanned: int) -> list[int]:
        request = {name: value for name, value in params.items() if name != "FilterExpression"}
        used = set(_PLACEHOLDER.findall(params["KeyConditionExpression"]))
        names = {
            name: value for name, value in params.get("ExpressionAttributeNames", {}).items() if name in used
        }
        values = {
            name: value for name, value in params.get("ExpressionAttributeValues", {}).items() if name in used
        }
        request.update(
            Limit=scanned,
            ProjectionExpression="#key_pk, #key_sk",
            ExpressionAttributeNames={**names, "#key_pk": "pk", "#key_sk": "sk"},
            ExpressionAttributeValues=values,
        )
        keys = self.raw.query(**request).get("Items", [])
        index = params["IndexName"]
        return [self.entry_sizes[(index, key["pk"]["S"], key["sk"]["S"])] for key in keys]

    def _after_batch_get(self, parsed: dict[str, Any], **_: Any) -> None:
        self.reads.batch_gets += 1
        for items in parsed.get("Responses", {}).values():
            self.reads.bytes_read += sum(item_size(item) for item in items)


def entry_sizes(meter: CapacityMeter, incidents: list[Incident]) -> dict[tuple[str, str, str], int]:
    """Each incident's entry size in each index it is in: its table keys, index keys and projected
    attributes, as capacity.py sizes them."""
    sizes = {}
    for incident in incidents:
        item = encode_item(IncidentStore._item(incident))
        for index in meter.indexes:
            if all(name in item for name in index.keys):
                names = (*meter.key_names, *index.keys, *index.projected)
                entry = {name: item[name] for name in names if name in item}
                sizes[(index.name, item["pk"]["S"], item["sk"]["S"])] = item_size(entry)
    return sizes


def filters(created_after: datetime, created_before: datetime) -> list[tuple[str, IncidentFilter]]:
    def make(
        statuses: tuple[Status, ...] = (),
        severities: tuple[Severity, ...] = (),
        service: str | None = None,
        assignee: str | None = None,
        q: str | None = None,
        window: bool = False,
        sort: Sort = Sort.CREATED,
    ) -> IncidentFilter:
        return IncidentFilter.parse(
            list(statuses),
            list(severities),
            service,
            None,
            assignee,
            q,
            created_after if window else None,
            created_before if window else None,
            sort,
        )

    active = (Status.OPEN, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.MITIGATED)
    return [
        ("(none)", make()),
        ("status=open", make(statuses=(Status.OPEN,))),
        ("status=open,acknowledged,investigating,mitigated", make(statuses=active)),
        ("severity=critical", make(severities=(Severity.CRITICAL,))),
        ("service=payments", make(service="payments")),
        ("q=latency", make(q="latency")),
        ("assignee=alice", make(assignee="alice")),
        ("sort=activity", make(sort=Sort.ACTIVITY)),
        ("sort=activity&status=open", make(statuses=(Status.OPEN,), sort=Sort.ACTIVITY)),
        ("created 7-day window (30..23 days ago)", make(window=True)),
        ("created 7-day window&sort=activity", make(window=True, sort=Sort.ACTIVITY)),
        ("service=nonexistent (matches nothing)", make(service="nonexistent")),
    ]


def faster_moto() -> None:
    """Shortcuts in moto's Query, each giving exactly what moto gives, only sooner (about a second per
    Query with 11,000 incidents stored, without them):
    - it sorts the whole table, then the partition, on every index Query, comparing DynamoType keys that
      recompute their value at each comparison: sort by the same values, computed once per item (a key
      attribute has a single type, so the order is the same);
    - it projects an index entry by converting the whole item once per projected attribute: convert only the
      projected attributes, once."""
    if not all(hasattr(Table, name) for name in ("all_items", "sorted_items", "_generate_attr_to_sort_by")):
        return  # another moto: run it as it is, only slower
    all_items_before = Table.all_items
    project_before = SecondaryIndex.project
    deserializer, serializer = TypeDeserializer(), TypeSerializer()

    def all_items(self: Table) -> list[Item]:
        if not self.range_key_attr:
            return all_items_before(self)
        items: list[Item] = [item for partition in self.items.values() for item in partition.values()]
        items.sort(key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value))  # type: ignore[union-attr]
        return items

    def sorted_items(
        self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Item]
    ) -> list[Item]:
        names = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in names))
        return items

    def project(self: SecondaryIndex, item: Item) -> Item:
        kind = (self.projection or {}).get("ProjectionType")
        if kind not in ("KEYS_ONLY", "INCLUDE"):
            return project_before(self, item)
        names = [*self.table_key_attrs, *(key["AttributeName"] for key in self.schema)]
        if kind == "INCLUDE":
            names.extend(self.projection.get("NonKeyAttributes", []))
        regular = {
            name: deserializer.deserialize(item.attrs[name].to_regular_json())
            for name in dict.fromkeys(names)
            if name in item.attrs
        }
        return Item(item.hash_key, item.range_key, dict(serializer.serialize(regular)["M"]))

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.sorted_items = sorted_items  # type: ignore[method-assign]
    SecondaryIndex.project = project  # type: ignore[method-assign]


class Bench:
    """The measured side: each call's requests and capacity (the meter) and its index reads (the counter)."""

    def __init__(self, meter: CapacityMeter, counter: ReadCounter) -> None:
        self.meter = meter
        self.counter = counter
        self.queries = wiring.incident_queries()
        self.metrics = wiring.metrics_queries()

    def page(
        self, caller: Caller, wanted: IncidentFilter, cursor: str | None, exact: bool = True
    ) -> tuple[list[Incident], str | None, Tally, Reads]:
        self.meter.reset()
        self.counter.reset()
        self.counter.exact = exact
        incidents, after = self.queries.list_incidents(caller, wanted, PAGE, cursor)
        return incidents, after, self.meter.reset(), self.counter.reset()

    def report(self, caller: Caller, days: int) -> tuple[dict[str, Any], Tally, Reads]:
        self.meter.reset()
        self.counter.reset()
        report = self.metrics.report(caller, NOW - timedelta(days=days), NOW, None)
        return report, self.meter.reset(), self.counter.reset()


def list_rows(bench: Bench, size: int) -> list[list[str]]:
    caller = Caller(org=f"org{size}", user="lee", roles=frozenset({Role.VIEWER}))
    rows = []
    for name, wanted in filters(NOW - timedelta(days=30), NOW - timedelta(days=23)):
        cursor: str | None = None
        for page in (1, 2):
            if page == 2 and cursor is None:
                rows.append([f"{size}", name, "2", *["-"] * 8, "no next page"])
                continue
            incidents, cursor, tally, reads = bench.page(caller, wanted, cursor)
            # The meter prices each Query on what it returned; DynamoDB bills every entry it read.
            billed = tally.read_units - reads.returned_units + reads.evaluated_units
            rows.append(
                [
                    f"{size}",
                    name,
                    f"{page}",
                    f"{reads.queries}",
                    f"{reads.scanned}",
                    f"{reads.matched}",
                    f"{len(incidents)}",
                    f"{reads.batch_gets}",
                    f"{tally.total_requests}",
                    f"{tally.read_units:g}",
                    f"{billed:g}",
                    "yes" if cursor else "no",
                ]
            )
    return rows


def walk_row(bench: Bench, size: int) -> list[str]:
    """Every page of the filter that matches nothing: each page is bounded, their number is not. Entries
    are counted, not priced (pricing re-runs each Query, and moto is slow on deep pages)."""
    caller = Caller(org=f"org{size}", user="lee", roles=frozenset({Role.VIEWER}))
    wanted = IncidentFilter(service="nonexistent")
    pages, total, cursor = 0, Reads(), None
    while True:
        _, cursor, _, reads = bench.page(caller, wanted, cursor, exact=False)
        pages += 1
        total.queries += reads.queries
        total.scanned += reads.scanned
        if cursor is None:
            break
    return [f"{size}", "service=nonexistent", f"{pages}", f"{total.queries}", f"{total.scanned}"]


def metric_rows(bench: Bench, size: int, shards: int) -> list[list[str]]:
    caller = Caller(org=f"org{size}", user="lee", roles=frozenset({Role.VIEWER}))
    rows = []
    for days in (7, 30, 90):
        report, tally, reads = bench.report(caller, days)
        # A window ending at 09:00 touches days + 1 calendar days.
        bound = shards * (days + 1) + shards
        rows.append(
            [
                f"{size}",
                f"{days} days",
                f"{reads.queries}",
                f"{reads.batch_gets}",
                f"{tally.total_requests}",
                f"{tally.items_read}",
                f"{bound}",
                f"{report['incidents']}",
                f"{reads.bytes_read / KB:.0f}",
                f"{tally.read_units:g}",
            ]
        )
    return rows


def main() -> None:
    started = time.monotonic()
    faster_moto()
    wiring.clock = FixedClock()
    print(__doc__.strip().splitlines()[0])
    print("Run: .venv/bin/python bench/queries.py")
    lists: list[list[str]] = []
    walks: list[list[str]] = []
    windows: list[list[str]] = []
    with _environment.moto_table() as (client, raw):
        settings = get_settings()
        table = settings.table_name

        equal, same_aggregates = parity(raw, table, 40, settings.metrics_shards)
        verdict = "equal" if same_aggregates else "DIFFER from"
        note(
            f"fast build checked on 40 incidents: {equal}/40 snapshot items equal commit's; aggregates from "
            f"each final snapshot {verdict} those recorded change by change"
        )
        incidents: list[Incident] = []
        for seed, size in enumerate(SIZES):
            began = time.monotonic()
            org = build_org(raw, table, f"org{size}", size, seed=100 + seed)
            incidents.extend(org)
            active = sum(1 for incident in org if incident.status.is_active)
            alice = sum(1 for incident in org if incident.assignee == "alice")
            note(
                f"org{size}: {size} incidents over {SPAN_DAYS} days ({active} active, {alice} assigned to "
                f"alice), built in {time.monotonic() - began:.0f} s"
            )

        # Metered from here on (the meter reads images around writes, and none follows).
        meter = CapacityMeter(client, raw, table)
        bench = Bench(meter, ReadCounter(client, raw, entry_sizes(meter, incidents)))
        for size in SIZES:
            began = time.monotonic()
            lists.extend(list_rows(bench, size))
            walks.append(walk_row(bench, size))
            windows.extend(metric_rows(bench, size, settings.metrics_shards))
            note(f"org{size}: measured in {time.monotonic() - began:.0f} s")

    print(
        f"\n## The incident list: a page of {PAGE} (page 2 follows page 1's cursor); a filtered Query reads "
        f"{FILTERED_READ_SIZE} entries, at most {EXTRA_QUERIES} Queries beyond one per partition"
    )
    print(
        "Columns: org size | filter | page | Query requests | index entries read (ScannedCount summed) | "
        "entries past the FilterExpression | incidents returned | BatchGetItem requests (snapshots) | "
        "all requests | RCU as capacity.py prices it (a filtered Query on the entries it returns) | "
        "RCU with each Query priced on every entry it read, as DynamoDB bills | next cursor"
    )
    header = ["org", "filter", "page", "Query", "read", "matched", "returned", "BatchGet", "requests"]
    table_print([*header, "RCU meter", "RCU read", "cursor"], lists)
    print("\n## Following the cursor of the filter that matches nothing to its end")
    print("Columns: org size | filter | pages | Query requests | index entries read (ScannedCount summed)")
    table_print(["org", "filter", "pages", "Query", "read"], walks)
    print(
        f"\n## Metrics: windows ending now, {settings.metrics_shards} shards "
        "(one Query per shard + one BatchGetItem)"
    )
    print(
        "Columns: org size | window | Query requests | BatchGetItem requests | all requests | items read "
        "(day items + OPEN items) | at most: shards x days touched + shards | incidents created in the "
        "window | KB read | RCU (meter)"
    )
    header = ["org", "window", "Query", "BatchGet", "requests", "items", "at most", "incidents", "KB", "RCU"]
    table_print(header, windows)
    print(f"\nTotal runtime: {time.monotonic() - started:.0f} s")


def note(text: str) -> None:
    print(f"- {text}", flush=True)


def table_print(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))


if __name__ == "__main__":
    main()
