"""Storms through the local stack (`stormwatch dev`, loopback only, bounded), and a 300-alert body's latency
as the table grows.

1. A new-incident storm: 400 generic alarms over 200 new keys from 16 senders (two per key, racing).
2. A repeat storm: 4,000 repeats of those keys from 16 senders.
   Each prints its errors (must be 0), alerts/s, answer latency, the stack's CPU per alert split by process
   (the dev process, which runs the HTTP front, the embedded DynamoDB and the stream pump, and each
   function's Lambda containers) and the stack's peak RSS. CPU is counted from the storm's first request
   until the stack is quiet again, so the stream's deliveries that the storm caused are in it. Before the
   storms, 32 alerts on other keys start a container per sender: Lambda cold starts are not measured.
3. A 300-alert Alertmanager body (a new incident, 30 fingerprints) on tables of 1,000 and 10,000 incidents:
   the median of 5. Each table is a fresh stack started with `--data` on a snapshot of clones of one real
   incident's partition (its snapshot and timeline), so the clones are restored before the stream is
   enabled and nothing has to be delivered before timing.

The machine's load (uptime) is printed with each figure: on a shared machine alerts/s and latencies fall
with it, CPU per alert much less. The stack's output goes to a log file, printed if anything fails.

    .venv/bin/python bench/throughput.py [--senders 16] [--keys 200] [--repeats 4000] [--sizes 1000 10000]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payloads import alertmanager_body  # noqa: E402
from tests.support.processes import ProcessFigures, tree_figures  # noqa: E402
from tests.support.stack import running_stack, stack_dynamodb  # noqa: E402

from stormwatch.local.datadir import write_snapshot  # noqa: E402

WARM_ALERTS = 32


def load() -> str:
    return "load average " + ", ".join(f"{value:.1f}" for value in os.getloadavg())


class Stack:
    def __init__(self, process: Any, credentials: dict[str, Any], log: Path) -> None:
        self.process = process
        self.credentials = credentials
        self.url = credentials["api_url"]
        self.log = log

    def post(self, path: str, body: str, source: str) -> tuple[int, float]:
        request = urllib.request.Request(self.url + path, data=body.encode(), method="POST")
        request.add_header("Authorization", f"Bearer {self.credentials['integration_keys'][source]}")
        request.add_header("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # no answer (timed out or refused)
        return status, time.perf_counter() - started

    def figures(self) -> dict[int, ProcessFigures]:
        return {process.pid: process for process in tree_figures(self.process.pid)}

    def role(self, pid: int) -> str:
        if pid == self.process.pid:
            return "dev process (HTTP front, DynamoDB, stream pump)"
        try:  # the containers name themselves after their function (stormwatch.local.lambdas)
            return Path(f"/proc/{pid}/comm").read_text().strip() + " containers"
        except FileNotFoundError:
            return "ended containers"

    def wait_quiet(self, idle_share: float = 0.05, window: float = 2.0, limit: float = 600) -> None:
        """Until the stack's processes use under `idle_share` of a core over `window` seconds (the stream
        pump has delivered what was written)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = sum(process.cpu_seconds for process in self.figures().values())
            time.sleep(window)
            after = sum(process.cpu_seconds for process in self.figures().values())
            if after - before < idle_share * window:
                return
        raise SystemExit(f"the stack did not settle within {limit:.0f} s ({load()})")

    def failed(self, message: str) -> SystemExit:
        return SystemExit(f"{message}; the stack's log:\n{self.log.read_text()[-5000:]}")


def storm(stack: Stack, name: str, senders: int, count: int, body: Callable[[int], str]) -> None:
    before = stack.figures()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        answers = list(
            pool.map(lambda index: stack.post("/v1/hooks/generic", body(index), "generic"), range(count))
        )
    elapsed = time.perf_counter() - started
    during = load()
    stack.wait_quiet()
    after = stack.figures()
    errors = sum(1 for status, _ in answers if status != 202)
    latencies = sorted(seconds for _, seconds in answers)
    print(f"{name}: {count} alerts from {senders} senders ({during})")
    print(f"  errors {errors}; {count / elapsed:.0f} alerts/s;", end=" ")
    print(f"answer p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    used: dict[str, list[float]] = {}
    for pid, process in after.items():
        seconds = process.cpu_seconds - (before[pid].cpu_seconds if pid in before else 0)
        used.setdefault(stack.role(pid), []).append(seconds)
    print("  stack CPU per alert, by process:")
    for role, seconds in sorted(used.items(), key=lambda entry: -sum(entry[1])):
        if sum(seconds) > 0.005:
            busy = sum(1 for share in seconds if share > 0.005)
            print(f"    {role} ({busy} busy): {sum(seconds) * 1000 / count:.2f} ms")
    total = sum(p.cpu_seconds for p in after.values()) - sum(p.cpu_seconds for p in before.values())
    print(f"    all: {total * 1000 / count:.2f} ms")
    print(f"  peak RSS of the stack: {sum(p.peak_rss_mb for p in after.values()):.0f} MB", end="")
    print(f" (dev process {after[stack.process.pid].peak_rss_mb:.0f} MB)")
    if errors:
        raise stack.failed(f"{errors} errors ({sorted({status for status, _ in answers})})")


def incident_partition(stack: Stack) -> list[dict[str, Any]]:
    """One real incident's snapshot and timeline (not its timers or outbox: clones must not page anyone)."""
    client = stack_dynamodb(stack.credentials)
    table = stack.credentials["table_name"]
    snapshot = next(
        item
        for page in client.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
        if item["sk"]["S"] == "CUR" and item["pk"]["S"].startswith("ORG#")
    )
    partition = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": snapshot["pk"]},
    )["Items"]
    return [
        item for item in partition if "#TIMER#" not in item["sk"]["S"] and "OUTBOX" not in item["sk"]["S"]
    ]


def clones(partition: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    key_hash = next(item for item in partition if item["sk"]["S"] == "CUR")["pk"]["S"].rsplit("#", 1)[1]
    template = json.dumps(partition)
    items: list[dict[str, Any]] = []
    for number in range(total):
        items += json.loads(template.replace(key_hash, f"{key_hash[:-8]}{number:08d}"))
    return items


def alertmanager_latency(stack: Stack, size: int) -> float:
    timings = []
    for attempt in range(5):
        body = alertmanager_body(f"bench-{size}-{attempt}", alerts=300, fingerprints=30)
        status, seconds = stack.post("/v1/hooks/alertmanager", body, "alertmanager")
        if status != 202:
            raise stack.failed(f"the 300-alert body got {status}")
        timings.append(seconds)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=4000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args()

    def alarm(index: int, prefix: str = "r") -> str:
        route = f"GET /{prefix}/{index % args.keys}"
        return json.dumps({"route": route, "kind": "error_rate", "severity": "high"})

    with tempfile.TemporaryDirectory() as directory, running_stack(Path(directory)) as (process, credentials):
        stack = Stack(process, credentials, Path(directory) / "stack.log")
        with ThreadPoolExecutor(max_workers=args.senders) as pool:
            warm = list(
                pool.map(
                    lambda i: stack.post("/v1/hooks/generic", alarm(i, "warm"), "generic"),
                    range(WARM_ALERTS),
                )
            )
        if {status for status, _ in warm} != {202}:
            raise stack.failed(f"warming up got {sorted({status for status, _ in warm})}")
        stack.wait_quiet()
        storm(stack, "new-incident storm", args.senders, 2 * args.keys, alarm)
        if args.repeats:
            storm(stack, "repeat storm", args.senders, args.repeats, alarm)
        partition = incident_partition(stack)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as directory:
            data = Path(directory) / "data"
            data.mkdir()
            write_snapshot(data, clones(partition, size))
            started = time.monotonic()
            with running_stack(Path(directory), "--data", str(data), start_within=900) as (
                process,
                credentials,
            ):
                stack = Stack(process, credentials, Path(directory) / "stack.log")
                restored = time.monotonic() - started
                stack.wait_quiet()
                latency = alertmanager_latency(stack, size)
                print(
                    f"300-alert Alertmanager body on {size:,} incidents ({size * len(partition):,} items,"
                    f" restored in {restored:.0f} s): {latency * 1000:.0f} ms ({load()})"
                )


if __name__ == "__main__":
    main()
