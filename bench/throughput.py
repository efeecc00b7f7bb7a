"""Storms through the local stack (`stormwatch dev`, loopback only, bounded), and a 300-alert body's latency
as the table grows.

1. A new-incident storm: 400 generic alarms over 200 new keys from 16 senders (two per key, racing).
2. A repeat storm: 4,000 repeats of those keys from 16 senders.
   Each prints its errors (must be 0), alerts/s, answer latency, the stack's CPU per alert split by process
   (the dev process, which runs the HTTP front, moto's DynamoDB and the stream pump, and each Lambda
   container process), and the stack's peak RSS.
3. A 300-alert Alertmanager body (a new incident, 30 fingerprints) on tables of 1,000 and 10,000 incidents
   (cloned from a real one with BatchWriteItem, the stream drained before timing): the median of 5.

The stack's output goes to a log file, printed if anything fails.

    .venv/bin/python bench/throughput.py [--senders 16] [--keys 200] [--repeats 4000] [--sizes 1000 10000]
"""

import argparse
import json
import statistics
import subprocess
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
from tests.support.stack import launch, stack_dynamodb  # noqa: E402

from stormwatch.local.datadir import write_items  # noqa: E402


class Stack:
    def __init__(self, directory: Path) -> None:
        credentials_file = directory / "credentials.json"
        self.log = directory / "stack.log"
        self.process = launch(directory)
        deadline = time.monotonic() + 120
        while not credentials_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"stormwatch dev did not start:\n{self.log.read_text()}")
            time.sleep(0.2)
        self.credentials = json.loads(credentials_file.read_text())
        self.url = self.credentials["api_url"]

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
        raise SystemExit("the stack did not settle")

    def stop(self) -> float:
        started = time.perf_counter()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.perf_counter() - started


def storm(stack: Stack, name: str, senders: int, count: int, body: Callable[[int], str]) -> None:
    before = stack.figures()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        answers = list(
            pool.map(lambda index: stack.post("/v1/hooks/generic", body(index), "generic"), range(count))
        )
    elapsed = time.perf_counter() - started
    after = stack.figures()
    errors = sum(1 for status, _ in answers if status != 202)
    latencies = sorted(seconds for _, seconds in answers)
    print(f"{name}: {count} alerts from {senders} senders")
    print(f"  errors {errors}; {count / elapsed:.0f} alerts/s;", end=" ")
    print(f"answer p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print("  CPU per alert, by process:")
    for pid, process in after.items():
        used = process.cpu_seconds - (before[pid].cpu_seconds if pid in before else 0)
        role = (
            "dev process (HTTP front, DynamoDB, stream pump)"
            if pid == stack.process.pid
            else "Lambda container"
        )
        if used > 0.005 or pid == stack.process.pid:
            print(f"    {pid:>7} {role}: {used * 1000 / count:.2f} ms")
    total = sum(p.cpu_seconds for p in after.values()) - sum(p.cpu_seconds for p in before.values())
    print(f"    all: {total * 1000 / count:.2f} ms")
    print(f"  peak RSS of the stack: {sum(p.peak_rss_mb for p in after.values()):.0f} MB", end="")
    print(f" (dev process {after[stack.process.pid].peak_rss_mb:.0f} MB)")
    if errors:
        statuses = sorted({status for status, _ in answers})
        raise SystemExit(f"{errors} errors ({statuses}); the stack's log:\n{stack.log.read_text()[-5000:]}")


def seed(stack: Stack, total: int) -> None:
    """Clone the items of one real incident's partition until the table holds `total` incidents."""
    client = stack_dynamodb(stack.credentials)
    table = stack.credentials["table_name"]
    snapshots = [
        item
        for page in client.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
        if item["sk"]["S"] == "CUR" and item["pk"]["S"].startswith("ORG#")
    ]
    model = snapshots[0]
    partition = client.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": model["pk"]}
    )["Items"]
    # Its snapshot and timeline, not its timers or outbox: clones must not page anyone.
    template = json.dumps(
        [item for item in partition if "#TIMER#" not in item["sk"]["S"] and "OUTBOX" not in item["sk"]["S"]]
    )
    key_hash = model["pk"]["S"].rsplit("#", 1)[1]
    items: list[dict[str, Any]] = []
    for number in range(len(snapshots), total):
        items += json.loads(template.replace(key_hash, f"{key_hash[:-8]}{number:08d}"))
    write_items(client, table, items)


def alertmanager_latency(stack: Stack, size: int) -> float:
    timings = []
    for attempt in range(5):
        body = alertmanager_body(f"bench-{size}-{attempt}", alerts=300, fingerprints=30)
        status, seconds = stack.post("/v1/hooks/alertmanager", body, "alertmanager")
        if status != 202:
            raise SystemExit(
                f"the 300-alert body got {status}; the stack's log:\n{stack.log.read_text()[-5000:]}"
            )
        timings.append(seconds)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=4000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args()

    def alarm(index: int) -> str:
        return json.dumps({"route": f"GET /r/{index % args.keys}", "kind": "error_rate", "severity": "high"})

    with tempfile.TemporaryDirectory() as directory:
        stack = Stack(Path(directory))
        try:
            storm(stack, "new-incident storm", args.senders, 2 * args.keys, alarm)
            storm(stack, "repeat storm", args.senders, args.repeats, alarm)
            stack.wait_quiet()
            for size in args.sizes:
                seed(stack, size)
                stack.wait_quiet()
                latency = alertmanager_latency(stack, size)
                print(f"300-alert Alertmanager body on {size:,} incidents: {latency * 1000:.0f} ms")
        finally:
            print(f"the stack stopped {stack.stop():.1f} s after SIGTERM")


if __name__ == "__main__":
    main()
