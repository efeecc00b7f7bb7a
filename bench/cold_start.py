"""Cold start of each Lambda handler against `import boto3`, measured side by side in one run: every round
starts a fresh process for `import boto3` and for each handler, so load on the machine hits all of them
alike, and the figures are ratios to boto3 of the same rounds.

- import: the handler module's imports, summed from `python -X importtime`. A REST handler includes a
  resource's routes when a request first needs them (`api.http.ResourceResolver`), so its import here
  includes those of a typical first request: an incident's status change, the incident list;
- import CPU: the CPU time of the same (less disturbed by other work on the machine than wall time);
- ready CPU: the CPU time to import the handler and build the service it calls (DynamoDB client included),
  which is all the work before its first request; services are built on first use.
Each is shown as a multiple of the same measure of `import boto3`. For scale, the stack alone: what every
REST handler imports before a line of Stormwatch (botocore's session and client, pydantic, powertools'
HTTP resolver with its request validation, and its Logger), with the handlers' own start-up (`startup.py`).

`--instructions` counts instead the instructions of import and of ready, once each under valgrind
(callgrind): the same for the same code and interpreter whatever else the machine is doing, so a change is
seen on a busy machine too (a few minutes: valgrind runs Python about 50 times slower).

Goals: import at most 1.5x `import boto3`, ready at most 2x.

    .venv/bin/python bench/cold_start.py [--runs 15] [--instructions]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each handler's service factory, and for a REST handler the path of a typical first request.
HANDLERS: dict[str, tuple[str, str | None]] = {
    "ingest": ("ingest_service", None),
    "commands": ("incident_commands", "/v1/incidents/i-1/status"),
    "queries": ("incident_queries", "/v1/incidents"),
    "aggregates": ("incident_aggregates", None),
    "notifier": ("notifier", None),
    "sweeps": ("sweeper", None),
}
STACK = """from stormwatch import startup
startup.importing()
import botocore.client
import botocore.session
from pydantic import BaseModel, Field
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.event_handler.middlewares import openapi_validation
from aws_lambda_powertools.event_handler.openapi.params import Body
startup.imported()"""
TIMED = """
import time
started = time.process_time()
{code}
print(time.process_time() - started)
"""


def imported(first_path: str | None) -> str:
    """`import app`, and for a REST handler the routes of its first request."""
    return "import app" if first_path is None else f"import app\napp.app.include_routes_for({first_path!r})"


def ready(factory: str, first_path: str | None) -> str:
    return f"{imported(first_path)}\nfrom stormwatch import wiring\nwiring.{factory}()"


def _run(
    arguments: list[str], path: Path | None, under: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Bytecode is written even where the caller's shell says not to: a deployed package ships it, and a
    # handler compiling its own sources on every round would measure the compiler.
    environment = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        "POWERTOOLS_METRICS_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "STORMWATCH_CURSOR_SECRET": "cursor-secret-for-the-benchmark",
        # As template.yaml sets it for every function.
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
    }
    if path is not None:
        # This checkout's package ahead of whichever one the interpreter has installed.
        environment["PYTHONPATH"] = os.pathsep.join((str(path), str(ROOT / "src" / "shared")))
    return subprocess.run(
        [*(under or []), sys.executable, *arguments],
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


def cpu_milliseconds(code: str, path: Path | None) -> float:
    return float(_run(["-c", TIMED.format(code=code)], path).stdout) * 1000


def instructions(code: str, path: Path | None) -> int:
    """Instructions executed by `python -c code` from start to exit, as callgrind counts them."""
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    result = _run(["-c", code], path, under=valgrind)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def print_instructions(paths: dict[str, Path]) -> None:
    # Python's own start and exit are in every count: they are subtracted, as they are in no import.
    bare = instructions("pass", None)
    boto3 = instructions("import boto3", None) - bare
    print(f"instructions (millions) once each under callgrind, x `import boto3`; {boto3 / 1e6:.0f}M = 1x")
    print(f"{'':<28}{'import':>18}{'ready':>18}")
    stack = instructions(STACK, paths["commands"]) - bare
    print(f"{'the stack alone':<28}{f'{stack / 1e6:8.0f}M {stack / boto3:5.2f}x':>18}")
    for name, (factory, first_path) in HANDLERS.items():
        cells = []
        for code in (imported(first_path), ready(factory, first_path)):
            count = instructions(code, paths[name]) - bare
            cells.append(f"{count / 1e6:8.0f}M {count / boto3:5.2f}x")
        print(f"{f'functions/{name}/app.py':<28}" + "".join(f"{cell:>18}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    paths = {name: ROOT / "functions" / name for name in HANDLERS}
    # The first runs write bytecode caches, as a deployed package has them.
    import_milliseconds("import boto3", None)
    for name, (factory, first_path) in HANDLERS.items():
        cpu_milliseconds(ready(factory, first_path), paths[name])
    if args.instructions:
        print_instructions(paths)
        return
    measures = ("import", "import CPU", "ready CPU")
    rows: dict[str, dict[str, list[float]]] = {
        name: {measure: [] for measure in measures} for name in ("boto3", "stack", *HANDLERS)
    }
    for _ in range(args.runs):
        for name, code, path in (("boto3", "import boto3", None), ("stack", STACK, paths["commands"])):
            rows[name]["import"].append(import_milliseconds(code, path))
            cpu = cpu_milliseconds(code, path)
            rows[name]["import CPU"].append(cpu)
            rows[name]["ready CPU"].append(cpu)
        for name, (factory, first_path) in HANDLERS.items():
            rows[name]["import"].append(import_milliseconds(imported(first_path), paths[name]))
            rows[name]["import CPU"].append(cpu_milliseconds(imported(first_path), paths[name]))
            rows[name]["ready CPU"].append(cpu_milliseconds(ready(factory, first_path), paths[name]))
    base = {measure: statistics.median(rows["boto3"][measure]) for measure in measures}
    print(f"medians of {args.runs} rounds, each x `import boto3`; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<28}" + "".join(f"{measure:>22}" for measure in measures))
    for name, row in rows.items():
        labels = {"boto3": "import boto3 (for scale)", "stack": "the stack alone"}
        label = labels.get(name, f"functions/{name}/app.py")
        cells = []
        for measure in measures:
            value = statistics.median(row[measure])
            cells.append(f"{value:8.0f} ms {value / base[measure]:6.2f}x ")
        print(f"{label:<28}" + "".join(f"{cell:>22}" for cell in cells))


if __name__ == "__main__":
    main()
