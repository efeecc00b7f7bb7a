"""Alerts per second through the local stack, and the CPU time per alert of the stack's processes (the
HTTP front, moto's server and every Lambda container process), read from /proc before and after.

Loopback only, bounded: N generic alarms over K keys from C concurrent senders, then it stops.

    .venv/bin/python bench/throughput.py [--alerts 2000] [--keys 40] [--senders 8]
"""

import argparse
import json
import os
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _environment import local_stack

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found += process_tree(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, local_stack(Path(directory)) as (stack, credentials):
        url = credentials["api_url"] + "/v1/hooks/generic"
        key = credentials["integration_keys"]["generic"]

        def send(index: int) -> int:
            body = json.dumps(
                {"route": f"GET /r/{index % args.keys}", "kind": "error_rate", "severity": "high"}
            )
            request = urllib.request.Request(url, data=body.encode(), method="POST")
            request.add_header("Authorization", f"Bearer {key}")
            request.add_header("Content-Type", "application/json")
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=args.senders) as pool:
            list(pool.map(send, range(args.keys * 2)))  # warm every container and create every key
            pids = process_tree(stack.pid)
            front_before, cpu_before = cpu_seconds([stack.pid]), cpu_seconds(pids)
            started = time.perf_counter()
            statuses = list(pool.map(send, range(args.alerts)))
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(process_tree(stack.pid)) - cpu_before
            front = cpu_seconds([stack.pid]) - front_before
        assert statuses == [202] * args.alerts, set(statuses)
        per_alert = cpu * 1000 / args.alerts
        handlers = (cpu - front) * 1000 / args.alerts
        print(f"{args.alerts} repeat firings over {args.keys} keys from {args.senders} senders")
        print(f"  {args.alerts / elapsed:.0f} alerts/s; stack CPU {per_alert:.2f} ms per alert")
        print(f"  of which Lambda containers ({len(pids) - 1} processes) {handlers:.2f} ms,")
        print(f"  HTTP front and moto's DynamoDB (one process) {per_alert - handlers:.2f} ms")


if __name__ == "__main__":
    main()
