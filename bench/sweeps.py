"""What one sweep reads when 10 timers are due among the timers of 100, 10,000 and 100,000 active incidents.

.venv/bin/python bench/sweeps.py [SIZE ...]   (default: 100 10000 100000)

Every active incident holds timers (here one inactivity check each, due later); 10 incidents have an
escalation step due now. The sweep reads the due entries of each timer shard, claims each due timer, reads
its incident and policy, and commits the step. The goal: the same reads at every size, about the due count
plus the shard count. Capacity is computed from item sizes (bench/capacity.py). The sweep's time is moto's,
not DynamoDB's: moto copies the whole table for each transaction, so it grows with the table here.
"""

import sys
import time
from datetime import UTC, datetime, timedelta

import _environment
from capacity import CapacityMeter
from stormwatch import wiring
from stormwatch.domain.correlation import declare
from stormwatch.domain.escalation import EscalationPolicy, Level, OrgSettings, Target, TargetType
from stormwatch.domain.models import AlertEvent, Severity
from stormwatch.domain.timers import TimerKind
from stormwatch.ids import key_hash
from stormwatch.settings import get_settings
from stormwatch.store.codec import encode_item
from stormwatch.store.keys import TIMER_SHARDS
from stormwatch.store.timers import timer_item

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SIZES = (100, 10_000, 100_000)
DUE = 10


class FixedClock:
    def now(self) -> datetime:
        return NOW


def fill(raw: object, table: str, count: int) -> None:
    """`count` incidents' inactivity timers, due tomorrow, written straight to the table."""
    requests = []
    for number in range(count):
        incident_id = f"{key_hash('acme', f'idle-{number}')}-1"
        key = {"pk": f"ORG#acme#K#{incident_id[:20]}", "sk": "G#00000001#TIMER#inactivity"}
        item = timer_item(
            key, TimerKind.INACTIVITY, "acme", {"incident_id": incident_id}, NOW + timedelta(days=1)
        )
        requests.append({"PutRequest": {"Item": encode_item(item)}})
    for start in range(0, len(requests), 25):
        raw.batch_write_item(RequestItems={table: requests[start : start + 25]})  # type: ignore[attr-defined]


def main() -> None:
    sizes = [int(argument) for argument in sys.argv[1:]] or list(SIZES)
    wiring.clock = FixedClock()
    print(f"{DUE} escalation steps due now; {TIMER_SHARDS} timer shards")
    print(
        "| active incidents | requests | index entries read | RCU | WCU (+ index WCU) | fired | sweep time |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        with _environment.moto_table() as (client, raw):
            settings = get_settings()
            policy = EscalationPolicy(
                id="pol_bench",
                name="bench",
                levels=[Level(delay_minutes=5, targets=[Target(type=TargetType.MEMBER, value="alice")])],
                created_at=NOW,
                updated_at=NOW,
            )
            policies = wiring.policy_store()
            policies.create("acme", policy)
            policies.save_settings("acme", OrgSettings(default_escalation_policy_id=policy.id))
            for number in range(DUE):
                alert = AlertEvent(
                    source="generic",
                    incident_key=f"down-{number}",
                    fingerprint=f"down-{number}",
                    title="down",
                    severity=Severity.CRITICAL,
                )
                changes = declare("acme", key_hash("acme", f"down-{number}"), None, alert, "user:bench", NOW)
                wiring.incident_store().commit(changes)
            # Filled after the due incidents are written: moto copies the whole table for each transaction.
            fill(raw, settings.table_name, size - DUE)
            meter = CapacityMeter(client, raw, settings.table_name)
            meter.reset()
            started = time.perf_counter()
            report = wiring.sweeper().run()
            elapsed = time.perf_counter() - started
            tally = meter.reset()
            calls = ", ".join(f"{count} {name}" for name, count in sorted(tally.requests.items()))
            cells = [
                f"{size:,}",
                f"{tally.total_requests} ({calls})",
                str(tally.items_read),
                f"{tally.read_units:g}",
                f"{tally.write_units:g} (+{tally.index_write_units:g})",
                str(report.fired),
                f"{elapsed * 1000:.0f} ms",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
