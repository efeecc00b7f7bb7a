"""What a million alarm firings cost on AWS: docs/cost.md's tables, computed from the units the other
benchmarks measure and AWS's us-east-1 list prices (both written out below, each with where it comes from).

Rerun it when a benchmark's figure or a price changes: update MEASURED or PRICES and paste the output
into docs/cost.md. The flags change the assumptions that no benchmark here can measure.

    .venv/bin/python bench/cost_model.py [--memory 512] [--architecture arm64] [--round-trip-ms 4]
        [--cold-start-rate 0.01] [--cpu-factor 1.0]
"""

import argparse
import math
from dataclasses import dataclass

# us-east-1 list prices, read on 2026-12-02 (the sources are cited in docs/cost.md). Free tiers left out.
PRICES = {
    "http_api_request": 1.00 / 1e6,  # first 300 million a month; each 512 KB of a request counts as one
    "lambda_request": 0.20 / 1e6,
    "write_request_unit": 0.625 / 1e6,  # on-demand, since the November 2024 reduction
    "read_request_unit": 0.125 / 1e6,
    "stream_read_by_lambda": 0.0,  # GetRecords by a Lambda trigger is not charged
    "eventbridge_custom_event": 1.00 / 1e6,  # each 64 KB chunk
    "logs_ingested_gb": 0.50,  # Lambda logs, first 10 TB a month
}
# Lambda duration, the first tier of each architecture (6 and 7.5 billion GB-seconds a month).
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}

# Lambda gives a function CPU in proportion to its memory, a whole vCPU at 1,769 MB.
MB_PER_VCPU = 1769
# INIT may take at most this long (then Lambda restarts it).
INIT_LIMIT_S = 10


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery, a repeat of open incidents, as measured."""

    name: str
    alerts: int
    dynamodb_requests: int
    read_units: float
    write_units: float
    cpu_ms: float  # the handler's CPU, DynamoDB excluded: bench/cpu_per_alert.py, median
    log_bytes: int  # what the handler writes: bench/cpu_per_alert.py at the template's INFO
    keys: int = 1  # incident keys the alerts fall on


# bench/dynamodb_costs.py and bench/snapshot_sizes.py (units), bench/cpu_per_alert.py (CPU, log bytes).
MEASURED = [
    # The key's consistent GetItem (1 RRU) and the repeat's UpdateItem: the heavy alarm's snapshot is
    # 1,004 bytes, 1 WRU (Sentry's issue alerts too; Alertmanager's, PagerDuty's, Grafana's and
    # CloudWatch's real payloads make 2, Datadog's 3).
    Delivery("1 alert (the heavy alarm)", 1, 2, 1, 1, 1.93, 180),
    # One group of 10 fingerprints on one key: one UpdateItem of a 2,147-byte snapshot.
    Delivery("10 alerts, 1 key, 10 fingerprints", 10, 2, 1, 3, 2.08, 181),
    # 10 keys in one body: a write per key, each a transaction with the delivery's marker (2 x 1 WRU for
    # the snapshot, 2 x 1 for the marker), so that a retried delivery counts nothing twice.
    Delivery("10 alerts, 10 keys (a key template)", 10, 11, 1, 40, 9.39, 181, keys=10),
    # A sender that coalesces: 10 transactional writes of 10 fingerprints each (bench/storm.py).
    Delivery("1,000 alerts, 1 key, 100 fingerprints", 1000, 11, 1, 300, 86, 183),
]

# Ready CPU of the ingest handler's cold start (import, settings, client): bench/cold_start.py.
INGEST_READY_CPU_MS = 513
# Lambda's own lines per invocation (START, END, REPORT and the X-Ray line of an active trace): their
# documented format, lengths as written for a 36-character request id.
LAMBDA_LOG_LINES = (
    "START RequestId: 8f507cfc-1234-4697-b07a-ac58fc914c95 Version: $LATEST\n",
    "END RequestId: 8f507cfc-1234-4697-b07a-ac58fc914c95\n",
    "REPORT RequestId: 8f507cfc-1234-4697-b07a-ac58fc914c95\tDuration: 17.31 ms\tBilled Duration: 18 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 70 MB\t\n",
    "XRAY TraceId: 1-5e34a614-10bd1234f1fb44f07bc535a1\tSegmentId: 3d7521234bbe37e\tSampled: true\t\n",
)
LAMBDA_LOG_BYTES = sum(len(line.encode()) for line in LAMBDA_LOG_LINES)


@dataclass(frozen=True)
class Assumptions:
    memory_mb: int
    architecture: str
    round_trip_ms: float  # one DynamoDB request from Lambda in the same region, waiting
    cold_start_rate: float  # share of invocations that start a container
    cpu_factor: float  # Lambda's vCPU against this machine's core (1: as fast)

    def duration_ms(self, cpu_ms: float, requests: int, memory_mb: int | None = None) -> int:
        """Billed duration (rounded up to the ms): the CPU at the memory's share of a vCPU, plus the
        waits on DynamoDB."""
        share = min(1.0, (memory_mb or self.memory_mb) / MB_PER_VCPU)
        return math.ceil(cpu_ms * self.cpu_factor / share + requests * self.round_trip_ms)

    def cold_start_s(self, memory_mb: int | None = None) -> float:
        share = min(1.0, (memory_mb or self.memory_mb) / MB_PER_VCPU)
        return INGEST_READY_CPU_MS * self.cpu_factor / share / 1000

    def gb_second_price(self) -> float:
        return LAMBDA_GB_SECOND[self.architecture]


def per_million_firings(delivery: Delivery, assume: Assumptions) -> dict[str, float]:
    """Dollars per million firings, by line."""
    deliveries = 1e6 / delivery.alerts
    gb = assume.memory_mb / 1024
    duration_s = assume.duration_ms(delivery.cpu_ms, delivery.dynamodb_requests) / 1000
    log_gb = (delivery.log_bytes + LAMBDA_LOG_BYTES) / 1e9
    return {
        "HTTP API": deliveries * PRICES["http_api_request"],
        "Lambda requests": deliveries * PRICES["lambda_request"],
        "Lambda duration": deliveries * gb * duration_s * assume.gb_second_price(),
        "Lambda cold starts": deliveries
        * assume.cold_start_rate
        * gb
        * assume.cold_start_s()
        * assume.gb_second_price(),
        "DynamoDB writes": deliveries * delivery.write_units * PRICES["write_request_unit"],
        "DynamoDB reads": deliveries * delivery.read_units * PRICES["read_request_unit"],
        "streams, consumers, EventBridge": 0.0,
        "CloudWatch Logs": deliveries * log_gb * PRICES["logs_ingested_gb"],
    }


def rate(count: float) -> str:
    return f"{count:,.1f}" if count < 10 else f"{count:,.0f}"


def dollars(amount: float) -> str:
    return f"${amount:,.3f}" if amount < 10 else f"${amount:,.0f}"


def print_million_firings(assume: Assumptions) -> None:
    print(
        f"\n## A million firings (repeats; {assume.memory_mb} MB {assume.architecture}, "
        f"{assume.round_trip_ms:g} ms a DynamoDB request, {assume.cold_start_rate:.0%} of invocations cold)\n"
    )
    costs = {delivery.name: per_million_firings(delivery, assume) for delivery in MEASURED}
    print("| | " + " | ".join(f"{d.name} ({1e6 / d.alerts:,.0f} deliveries)" for d in MEASURED) + " |")
    print("|---" * (len(MEASURED) + 1) + "|")
    for line in next(iter(costs.values())):
        print(f"| {line} | " + " | ".join(dollars(cost[line]) for cost in costs.values()) + " |")
    print("| **total** | " + " | ".join(f"**{dollars(sum(c.values()))}**" for c in costs.values()) + " |")
    print("\nper delivery: ", end="")
    print(
        "; ".join(
            f"{d.name}: {assume.duration_ms(d.cpu_ms, d.dynamodb_requests)} ms billed, "
            f"{d.log_bytes + LAMBDA_LOG_BYTES} log bytes"
            for d in MEASURED
        )
    )


def print_memory_curve(assume: Assumptions) -> None:
    single = MEASURED[0]
    print("\n## The ingest function's memory (a single-alert repeat)\n")
    print(
        "| memory | CPU share | warm answer (billed) | Lambda $ per million deliveries | cold start (INIT) |"
    )
    print("|---|---|---|---|---|")
    for memory in (128, 256, 512, 1024, MB_PER_VCPU):
        billed = assume.duration_ms(single.cpu_ms, single.dynamodb_requests, memory)
        lambda_cost = 1e6 * (
            PRICES["lambda_request"] + memory / 1024 * billed / 1000 * assume.gb_second_price()
        )
        cold = assume.cold_start_s(memory)
        note = " (near the 10 s INIT limit)" if cold > INIT_LIMIT_S * 0.7 else ""
        print(
            f"| {memory:,} MB | {min(1, memory / MB_PER_VCPU):.2f} vCPU | {billed} ms | "
            f"{dollars(lambda_cost)} | {cold:.1f} s{note} |"
        )


# DynamoDB's limits per partition (a single item can never be split across partitions): reads and writes
# in a linear combination.
PARTITION_WCU = 1000
PARTITION_RCU = 3000
# What a new on-demand table serves at once (it grows as traffic is sustained).
NEW_TABLE_WCU = 4000


def print_storms(assume: Assumptions) -> None:
    print("\n## Storms\n")
    print(
        "| storm | each webhook | deliveries/s | WCU/s (per incident) | RCU/s (integration key) | "
        "one incident's ceiling | concurrent executions | a day |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, per_minute, keys in (
        ("10,000 a minute, 1 key", 10_000, 1),
        ("100,000 a minute, 1,000 keys", 100_000, 1_000),
    ):
        per_second = per_minute / 60
        # Webhooks of one key each, carrying no more than a key's minute of alerts.
        for delivery in (d for d in MEASURED if d.keys == 1 and d.alerts <= per_minute / keys):
            deliveries = per_second / delivery.alerts
            wcu = deliveries * delivery.write_units
            # One incident item takes every write of its key: it holds until its partition's limit.
            ceiling = PARTITION_WCU / delivery.write_units * delivery.alerts * 60
            concurrency = deliveries * assume.duration_ms(delivery.cpu_ms, delivery.dynamodb_requests) / 1000
            day = per_minute * 60 * 24 / 1e6 * sum(per_million_firings(delivery, assume).values())
            print(
                f"| {name} | {delivery.name} | {rate(deliveries)} | {rate(wcu)} ({rate(wcu / keys)}) | "
                f"{rate(deliveries * delivery.read_units)} | {ceiling:,.0f} alerts a minute | "
                f"{concurrency:,.1f} | {dollars(day)} |"
            )
    print(
        f"\nLimits: {PARTITION_WCU:,} WCU/s and {PARTITION_RCU:,} RCU/s per partition; a new on-demand "
        f"table {NEW_TABLE_WCU:,} WCU/s at once."
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory", type=int, default=512, help="the ingest function's MemorySize")
    parser.add_argument("--architecture", choices=["arm64", "x86_64"], default="arm64")
    parser.add_argument("--round-trip-ms", type=float, default=4.0)
    parser.add_argument("--cold-start-rate", type=float, default=0.01)
    parser.add_argument("--cpu-factor", type=float, default=1.0)
    args = parser.parse_args()
    assume = Assumptions(
        args.memory, args.architecture, args.round_trip_ms, args.cold_start_rate, args.cpu_factor
    )
    print(f"Lambda's own log lines: {LAMBDA_LOG_BYTES} bytes an invocation")
    print_million_firings(assume)
    print_memory_curve(assume)
    print_storms(assume)


if __name__ == "__main__":
    main()
