"""The console in Chromium on the local stack: what a first visit costs and how soon it shows.

- the incidents page, first load (empty cache) with 50 incidents: requests, bytes transferred (as the wire
  carried them, gzip where the browser asked), and the time from navigation until its 50 rows are drawn;
- an incident with a 500-event timeline, first load: the same, until its newest 100 events are drawn (older
  ones come a page at a time);
- the console function's cold start: its imports, and a fresh process's first answer for a file and for the
  sign-in config (which loads the settings model).

    .venv/bin/python bench/console.py [--events 500]   (--events 0 skips the incident)
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
import urllib.request
from pathlib import Path
from typing import Any

import _environment  # noqa: F401 (the repository on the path, fake credentials)

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "functions" / "console"
RUNS = 5
FIRST_ANSWER = """
import time
started = time.perf_counter()
import app
app.lambda_handler({{"rawPath": "{path}", "headers": {{}}}}, None)
print((time.perf_counter() - started) * 1000)
"""


def post(url: str, body: Any, token: str, attempts: int = 3) -> Any:
    """POST as a client does: a 5xx (the embedded DynamoDB timing out on a busy machine) is retried."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        if error.code >= 500 and attempts > 1:
            return post(url, body, token, attempts - 1)
        raise SystemExit(f"{url} answered {error.code}: {error.read()[:500]!r}") from None


def first_load(browser: Any, url: str, ready: str, count: int) -> tuple[int, int, float]:
    """(requests, bytes, milliseconds until `count` elements match `ready`), in a fresh context."""
    # The console's policy allows no eval; the wait below is a string the browser evaluates.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", finished.append)
    started = time.perf_counter()
    page.goto(url)
    shown = f"document.querySelectorAll({json.dumps(ready)}).length >= {count}"
    page.wait_for_function(shown, timeout=30_000)
    elapsed = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    sizes = [request.sizes() for request in finished]
    transferred = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes)
    context.close()
    return len(sizes), transferred, elapsed


def report(name: str, runs: list[tuple[int, int, float]]) -> None:
    requests, transferred, _ = runs[-1]
    shown = statistics.median(run[2] for run in runs)
    print(
        f"{name:<44} {requests:3d} requests  {transferred / 1024:6.1f} KB  shown in {shown:5.0f} ms (median)"
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
    args = parser.parse_args()

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (make tools installs it)")
    from tests.support.stack import running_stack  # the repository is on the path now

    cold_start()
    with tempfile.TemporaryDirectory() as folder, running_stack(Path(folder)) as (_, credentials):
        url, admin = credentials["api_url"], credentials["admin_token"]
        key = credentials["integration_keys"]["generic"]
        for number in range(50):
            post(
                f"{url}/v1/hooks/generic",
                {
                    "route": f"GET /bench/{number}",
                    "kind": "error_rate",
                    "severity": "critical",
                    "service": "checkout",
                    "title": f"Bench incident {number}",
                },
                key,
            )
        busy = post(f"{url}/v1/incidents", {"title": "A long night", "severity": "high"}, admin)["id"]
        # Its creation is one event; comments make up the rest.
        for number in range(max(0, args.events - 1)):
            post(f"{url}/v1/incidents/{busy}/comments", {"body": f"update {number}: still looking"}, admin)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            home = f"{url}/#token={admin}"
            incident = f"{url}/console/incidents/{busy}#token={admin}"
            first_load(browser, home, "table.incidents tbody tr[data-id]", 50)  # warm the stack's containers
            report(
                "incidents page, 50 incidents, first load",
                [first_load(browser, home, "table.incidents tbody tr[data-id]", 50) for _ in range(RUNS)],
            )
            if args.events:
                report(
                    f"incident, {args.events}-event timeline, first load",
                    [
                        first_load(browser, incident, "ol.timeline > li", min(100, args.events))
                        for _ in range(RUNS)
                    ],
                )
            browser.close()


if __name__ == "__main__":
    main()
