"""Cold start of each Lambda handler, in a fresh process per run (median of several runs):

- import: the handler module's imports, summed from `python -X importtime`;
- ready: wall time to import the handler and build the service it calls (DynamoDB client included),
  which is all the work before its first answer; services are built on first use.

`import boto3` alone is shown for scale.

    .venv/bin/python bench/cold_start.py [--runs 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = {
    "ingest": "ingest_service",
    "commands": "incident_commands",
    "queries": "incident_queries",
    "aggregates": "incident_aggregates",
    "notifier": "notifier",
    "sweeps": "sweeper",
}
READY = """
import time
started = time.perf_counter()
import app
from stormwatch import wiring
wiring.{factory}()
print(time.perf_counter() - started)
"""


def _run(arguments: list[str], path: Path | None) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "STORMWATCH_CURSOR_SECRET": "cursor-secret-for-the-benchmark",
    }
    if path is not None:
        environment["PYTHONPATH"] = str(path)
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=path or ROOT,
    )


def import_milliseconds(code: str, path: Path | None) -> float:
    """Cumulative import time of every top-level import `code` makes, from -X importtime's report."""
    result = _run(["-X", "importtime", "-c", code], path)
    total = 0
    for line in result.stderr.splitlines():
        fields = line.split("|")
        # Top-level imports are the lines whose module name is indented by exactly one space.
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            total += int(fields[1])
    return total / 1000


def ready_milliseconds(factory: str, path: Path) -> float:
    return float(_run(["-c", READY.format(factory=factory)], path).stdout) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import_milliseconds("import boto3", None)  # the first run writes bytecode caches, as a package has them
    boto3 = [import_milliseconds("import boto3", None) for _ in range(args.runs)]
    print(f"{'import boto3 (for scale)':<28} import {statistics.median(boto3):5.0f} ms")
    for name, factory in HANDLERS.items():
        path = ROOT / "functions" / name
        ready_milliseconds(factory, path)
        imports = [import_milliseconds("import app", path) for _ in range(args.runs)]
        ready = [ready_milliseconds(factory, path) for _ in range(args.runs)]
        print(
            f"{'functions/' + name + '/app.py':<28} import {statistics.median(imports):5.0f} ms   "
            f"ready {statistics.median(ready):5.0f} ms   (medians of {args.runs} runs)"
        )


if __name__ == "__main__":
    main()
