"""Signals and context: requests and capacity of each command, and the reads of `correlation_key` / `trace_id`
lookups and of related incidents as an org grows (capacity from item sizes: see capacity.py).

.venv/bin/python bench/context.py

Orgs of 1,000 and 10,000 incidents over 90 days (the newest 40 active), each carrying a correlation key
shared with 9 others (`release-{n // 10}`), a trace id of its own and one of 8 services, written directly
with BatchWriteItem as the store's own items plus the context index items its commit would write. The goal:
reads that do not grow with the org.
"""

import time
from datetime import timedelta
from typing import Any

import _environment
from capacity import CapacityMeter, Tally
from queries import NOW, SERVICES, SEVERITIES, FixedClock, faster_moto, note, table_print
from stormwatch import wiring
from stormwatch.domain.context import ActionKind, ContextFilter, Signal, SignalType, TicketSystem
from stormwatch.domain.correlation import declare
from stormwatch.domain.listing import IncidentFilter
from stormwatch.domain.models import AlertEvent, Caller, Incident, NewIncident, Role, Severity, Status
from stormwatch.ids import key_hash
from stormwatch.settings import get_settings
from stormwatch.store.codec import encode_item
from stormwatch.store.context_index import context_index_writes
from stormwatch.store.incidents import IncidentStore

SIZES = (1_000, 10_000)
SHARED_BY = 10


def incident(org: str, number: int, count: int) -> Incident:
    """One incident of the org's history: created over 90 days, the newest few active."""
    created = NOW - timedelta(days=90) + timedelta(days=90) * (number + 1) / (count + 1)
    alert = AlertEvent(
        source="generic",
        incident_key=f"key-{number}",
        fingerprint=f"key-{number}",
        severity=SEVERITIES[number % len(SEVERITIES)],
        title=f"incident {number}",
        service=SERVICES[number % len(SERVICES)],
        correlation_key=f"release-{number // SHARED_BY}",
        trace_id=f"trace-{number:06d}",
    )
    (change,) = declare(org, key_hash(org, alert.incident_key), None, alert, "source:generic", created)
    if number >= count - 40:
        return change.after
    return change.after.model_copy(update={"status": Status.RESOLVED, "resolved_at": created})


def build_org(raw: Any, table: str, org: str, count: int) -> list[Incident]:
    """Each incident's snapshot item and the context index items its commit writes, 25 to a BatchWriteItem."""
    finals = [incident(org, number, count) for number in range(count)]
    puts: list[dict[str, Any]] = []
    for final in finals:
        puts.append({"PutRequest": {"Item": encode_item(IncidentStore._item(final))}})
        for write in context_index_writes(table, None, final):
            puts.append({"PutRequest": {"Item": write["Put"]["Item"]}})
    for start in range(0, len(puts), 25):
        pending: dict[str, Any] = {table: puts[start : start + 25]}
        while pending:
            pending = raw.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return finals


def row(what: str, tally: Tally, returned: str = "") -> list[str]:
    calls = ", ".join(f"{count} {name}" for name, count in sorted(tally.requests.items()))
    return [
        what,
        calls,
        str(tally.items_read),
        f"{tally.read_units:g}",
        f"{tally.write_units:g} (+{tally.index_write_units:g})",
        returned,
    ]


def command_rows(meter: CapacityMeter, org: str, target: Incident) -> list[list[str]]:
    caller = Caller(org=org, user="rita", roles=frozenset({Role.LEAD}))
    commands = wiring.context_commands()
    rows = []
    measured = [
        (
            "signal with a new correlation key and trace id",
            lambda: commands.signal(
                caller,
                target.id,
                Signal(SignalType.TRACE, "slow span", correlation_key="k-new", trace_id="t-new"),
            ),
        ),
        (
            "signal repeating a key it has",
            lambda: commands.signal(
                caller, target.id, Signal(SignalType.LOG, "again", correlation_key="k-new")
            ),
        ),
        (
            "SLO violation",
            lambda: commands.slo_violation(
                caller, target.id, "availability", NOW - timedelta(hours=1), NOW, 0.3, 0.999, None
            ),
        ),
        ("tags: add two", lambda: commands.tags(caller, target.id, ["db", "customer-facing"], [], None)),
        ("tags: remove one", lambda: commands.tags(caller, target.id, [], ["db"], None)),
        (
            "ticket",
            lambda: commands.ticket(
                caller, target.id, TicketSystem.JIRA, "OPS-1", "https://jira.example/OPS-1"
            ),
        ),
        (
            "action taken",
            lambda: commands.action(caller, target.id, ActionKind.ROLLBACK, "rolled back", None),
        ),
    ]
    dedupe = NewIncident(title="t", severity=Severity.HIGH, service="brand-new", dedupe="open_for_service")
    measured += [
        ("open_for_service, no open incident: opens one", lambda: commands.open_for_service(caller, dedupe)),
        ("open_for_service, reused", lambda: commands.open_for_service(caller, dedupe)),
    ]
    for what, command in measured:
        meter.reset()
        command()
        rows.append(row(what, meter.reset()))
    return rows


def read_rows(meter: CapacityMeter, org: str, size: int, finals: list[Incident]) -> list[list[str]]:
    caller = Caller(org=org, user="vic", roles=frozenset({Role.VIEWER}))
    queries = wiring.incident_queries()
    # The newest incident with a service: related reads its key's partition and its service's.
    newest = max((i for i in finals if i.service is not None), key=lambda incident: incident.created_at)
    key = newest.correlation_keys[0]
    rows = []
    for what, context, wanted in (
        (
            f"`correlation_key` (a key of {SHARED_BY} incidents)",
            ContextFilter(correlation_key=key),
            IncidentFilter(),
        ),
        ("`trace_id` (one incident)", ContextFilter(trace_id=newest.trace_ids[0]), IncidentFilter()),
        (
            "`correlation_key` that nothing carries",
            ContextFilter(correlation_key="nothing"),
            IncidentFilter(),
        ),
        (
            "`correlation_key` + `severity=critical`",
            ContextFilter(correlation_key=key),
            IncidentFilter(severities=frozenset({Severity.CRITICAL})),
        ),
    ):
        meter.reset()
        found, _ = queries.list_incidents(caller, wanted, 50, None, context)
        rows.append([f"{size:,}", *row(what, meter.reset(), str(len(found)))])
    for limit in (20, 50):
        meter.reset()
        related = wiring.context_queries().related(caller, newest.id, limit)
        rows.append([f"{size:,}", *row(f"`related`, limit {limit}", meter.reset(), str(len(related)))])
    return rows


def main() -> None:
    started = time.monotonic()
    faster_moto()
    wiring.clock = FixedClock()
    print(__doc__.strip().splitlines()[0])
    print("Run: .venv/bin/python bench/context.py")
    reads: list[list[str]] = []
    commands: list[list[str]] = []
    with _environment.moto_table() as (client, raw):
        table = get_settings().table_name
        meter = CapacityMeter(client, raw, table)
        meter.enabled = False
        # Commands first, on a small org: their cost does not depend on the org, and moto copies the whole
        # table for each transaction.
        small = build_org(raw, table, "small", 20)
        meter.enabled = True
        commands = command_rows(meter, "small", next(i for i in small if i.status.is_active))
        for size in SIZES:
            began = time.monotonic()
            meter.enabled = False
            finals = build_org(raw, table, f"org{size}", size)
            meter.enabled = True
            note(f"org{size}: {size} incidents built in {time.monotonic() - began:.0f} s")
            reads.extend(read_rows(meter, f"org{size}", size, finals))
    print("\n## Each command (on an active incident; the meter prices writes by the items' sizes)")
    header = ["command", "requests", "items read", "RCU", "WCU (+ index WCU)", ""]
    table_print(header, commands)
    print("\n## Reads as the org grows (a page of 50)")
    header = ["org", "read", "requests", "items read", "RCU", "WCU", "returned"]
    table_print(header, reads)
    print(f"\nTotal runtime: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
