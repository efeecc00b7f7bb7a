"""The console in Chromium on the local stack: what a first visit costs and how soon it shows.

- the incidents page, first load (empty cache) with 50 incidents: requests, bytes transferred (as the wire
  carried them, gzip where the browser asked), and the time from navigation until its 50 rows are drawn;
- an incident with a 500-event timeline, first load: the same, until its newest 100 events are drawn (older
  ones come a page at a time);
- the console function's cold start: its imports, and a fresh process's first answer for a file and for the
  sign-in config (which loads the settings model).

    .venv/bin/python bench/console.py [--events 500] [--budget 600]   (--events 0 skips the incident)

It runs in bounded time on a busy machine: the data is seeded by a few clients at once, every request and
every wait in the browser has its timeout, and once `--budget` seconds have passed it seeds no more (the
busy timeline is then shorter, and says so) and takes no further runs.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _environment  # noqa: F401 (the repository on the path, fake credentials)

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "functions" / "console"
RUNS = 5
SEEDERS = 4
WIRE = ("responseBodySize", "responseHeadersSize")
FIRST_ANSWER = """
import time
started = time.perf_counter()
import app
app.lambda_handler({{"rawPath": "{path}", "headers": {{}}}}, None)
print((time.perf_counter() - started) * 1000)
"""


def post(url: str, body: Any, token: str, attempts: int = 6) -> Any:
    """POST as a client does: a 5xx (the embedded DynamoDB timing out on a busy machine, or a 503 when the
    seeders' comments on one incident keep colliding) is retried after a pause that grows."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        if error.code >= 500 and attempts > 1:
            time.sleep(0.5 * (7 - attempts))
            return post(url, body, token, attempts - 1)
        raise SystemExit(f"{url} answered {error.code}: {error.read()[:500]!r}") from None


@dataclass(frozen=True)
class Load:
    requests: int
    transferred: int  # bytes, headers and bodies as the wire carried them
    api_requests: int
    api_transferred: int
    api_ms: dict[str, float]  # per API path: from sending the request to the answer's last byte
    shown_ms: float


def first_load(browser: Any, url: str, ready: str, count: int) -> Load:
    """The first load of `url` in a fresh context, until `count` elements match `ready`."""
    # The console's policy allows no eval; the wait below is a string the browser evaluates.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    finished: list[Any] = []
    # Playwright marks the handler it is given: a lambda, since a bound builtin takes no attribute.
    page.on("requestfinished", lambda request: finished.append(request))
    started = time.perf_counter()
    page.goto(url)
    shown = f"document.querySelectorAll({json.dumps(ready)}).length >= {count}"
    page.wait_for_function(shown, timeout=30_000)
    elapsed = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    sizes = {request: request.sizes() for request in finished}
    wire = {
        request: size["responseBodySize"] + size["responseHeadersSize"] for request, size in sizes.items()
    }
    api = [request for request in finished if "/v1/" in request.url]
    answered = {urllib.parse.urlsplit(request.url).path: took(request.timing) for request in api}
    context.close()
    return Load(
        requests=len(finished),
        transferred=sum(wire.values()),
        api_requests=len(api),
        api_transferred=sum(wire[request] for request in api),
        api_ms=answered,
        shown_ms=elapsed,
    )


def took(timing: Any) -> float:
    return float(timing["responseEnd"] - timing["requestStart"])


def bench_alarm(number: int) -> dict[str, str]:
    return {
        "route": f"GET /bench/{number}",
        "kind": "error_rate",
        "severity": "critical",
        "service": "checkout",
        "title": f"Bench incident {number}",
    }


def runs(deadline: float, measure: Callable[[], Load]) -> list[Load]:
    """Up to RUNS measurements, fewer once the budget is spent (always one)."""
    taken = [measure()]
    while len(taken) < RUNS and time.monotonic() < deadline:
        taken.append(measure())
    return taken


def report(name: str, loads: list[Load]) -> None:
    last = loads[-1]
    shown = statistics.median(load.shown_ms for load in loads)
    paths = sorted({path for load in loads for path in load.api_ms})
    answers = ", ".join(
        f"{path} {statistics.median(load.api_ms[path] for load in loads if path in load.api_ms):.0f} ms"
        for path in paths
    )
    print(
        f"{name:<44} {last.requests:3d} requests  {last.transferred / 1024:6.1f} KB  "
        f"shown in {shown:5.0f} ms (median of {len(loads)})\n"
        f"  of which the API: {last.api_requests} requests, {last.api_transferred / 1024:.1f} KB; "
        f"answered in (median) {answers}"
    )


def cold_start() -> None:
    imports = []
    for path in ("/", "/console/config.json"):
        times = []
        for _ in range(RUNS):
            result = subprocess.run(
                [sys.executable, "-c", FIRST_ANSWER.format(path=path)],
                cwd=CONSOLE,
                env={"PYTHONPATH": str(CONSOLE), "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(result.stdout))
        imports.append(statistics.median(times))
    print(f"{'console function, fresh process: first /':<44} {imports[0]:5.0f} ms (median of {RUNS})")
    print(f"{'console function, fresh process: config':<44} {imports[1]:5.0f} ms (median of {RUNS})")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500, help="the busy incident's timeline events")
    parser.add_argument("--budget", type=float, default=600, help="seconds for seeding and runs")
    args = parser.parse_args()

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (make tools installs it)")
    from tests.support.stack import running_stack  # the repository is on the path now

    cold_start()
    with tempfile.TemporaryDirectory() as folder, running_stack(Path(folder)) as (_, credentials):
        url, admin = credentials["api_url"], credentials["admin_token"]
        key = credentials["integration_keys"]["generic"]
        deadline = time.monotonic() + args.budget
        seed_until = time.monotonic() + args.budget / 2

        def alarm(number: int) -> None:
            post(f"{url}/v1/hooks/generic", bench_alarm(number), key)

        busy = post(f"{url}/v1/incidents", {"title": "A long night", "severity": "high"}, admin)["id"]

        def comment(number: int) -> bool:
            if time.monotonic() > seed_until:
                return False
            post(f"{url}/v1/incidents/{busy}/comments", {"body": f"update {number}: still looking"}, admin)
            return True

        with ThreadPoolExecutor(SEEDERS) as pool:
            list(pool.map(alarm, range(50)))
            # Its creation is one event; comments make up the rest.
            events = 1 + sum(pool.map(comment, range(max(0, args.events - 1))))
        if args.events and events < args.events:
            print(f"seeding stopped at half the budget: the busy incident has {events} events")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            home = f"{url}/#token={admin}"
            incident = f"{url}/console/incidents/{busy}#token={admin}"
            rows = "table.incidents tbody tr[data-id]"
            first_load(browser, home, rows, 50)  # warm the stack's containers
            report(
                "incidents page, 50 incidents, first load",
                runs(deadline, lambda: first_load(browser, home, rows, 50)),
            )
            if args.events:
                shown = min(100, events)
                report(
                    f"incident, {events}-event timeline, first load",
                    runs(deadline, lambda: first_load(browser, incident, "ol.timeline > li", shown)),
                )
            browser.close()


if __name__ == "__main__":
    main()
