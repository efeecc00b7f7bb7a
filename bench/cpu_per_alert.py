"""CPU time per alert in the ingest handler's process, DynamoDB excluded: the handler invoked as Lambda
invokes it (API Gateway event, powertools logger and metrics on, as deployed), its DynamoDB client
answered from recorded responses.

Each delivery is first sent to moto (in process) while its DynamoDB answers are recorded; then the same
delivery is timed many times against a client whose requests are answered from that recording at the
HTTP layer (`before-send`), so serializing, signing and parsing, which the Lambda pays, are counted, and
DynamoDB's own work is not. Every timed delivery is a repeat firing of an open incident (the common case
of a storm), answered 202.

Then the heavy alarm's delivery signed by Stormwatch's DynamoDB signer and by botocore's own SigV4Auth,
in interleaved rounds (a ratio that load on the machine does not disturb).

Also printed: the log bytes each delivery writes (CloudWatch Logs ingestion, for docs/cost.md), and with
`--profile` a CPU profile (cProfile on process time) of the single-alert generic delivery.

    .venv/bin/python bench/cpu_per_alert.py [--rounds 15] [--profile]
"""

import argparse
import contextlib
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import _environment
from payloads import TEAM_KEY_TEMPLATE, alertmanager_body, alertmanager_teams_body
from stormwatch import wiring
from stormwatch.local.lambdas import LocalFunction

ROOT = _environment.ROOT
# As deployed: metrics are written (embedded metric format), logs at the template's level.
os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Stormwatch"
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")


def heavy_alarm() -> str:
    """The benchmarks' heavy alarm: evidence, an owner with a Slack webhook, a Sentry link."""
    return json.dumps(
        {
            "route": "GET /orders",
            "kind": "error_rate",
            "severity": "warning",
            "evidence": {"error_rate": 0.071, "window": "5m", "sample": "GET /orders 500 x 412"},
            "owner": {"owner": "payments", "slack_webhook": "https://hooks.slack.com/services/T0/B0/XXXX"},
            "sentry_url": "https://sentry.io/organizations/acme/issues/4509/",
        }
    )


SCENARIOS: dict[str, tuple[str, Callable[[int], str], int]] = {
    # name: (integration, the body of a sender's n-th notification, alerts in it); "alertmanager-teams"
    # keys each team's alerts apart, so its bodies take several writes, each with its delivery's marker
    "generic, 1 alert (the heavy alarm)": ("generic", lambda _n: heavy_alarm(), 1),
    "alertmanager, 1 alert": ("alertmanager", lambda _n: alertmanager_body("cpu-one", 1, 1), 1),
    "alertmanager, 10 alerts, 1 key, 10 fingerprints": (
        "alertmanager",
        lambda _n: alertmanager_body("cpu-ten", 10, 10),
        10,
    ),
    "alertmanager, 10 alerts, 10 keys (one per team)": (
        "alertmanager-teams",
        lambda n: alertmanager_teams_body(
            "cpu-teams", teams=10, alerts_per_team=1, fingerprints=1, group=f"{n}"
        ),
        10,
    ),
    "alertmanager, 1,000 alerts, 1 key, 100 fingerprints": (
        "alertmanager",
        lambda _n: alertmanager_body("cpu-wide", 1000, 100),
        1000,
    ),
}


class _RecordedBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


class Replay:
    """Records a client's DynamoDB answers, then answers its requests from them, in the same order."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int, dict[str, str], bytes]] = []
        self._next = 0

    def record(self, http_response: Any, model: Any, **_: Any) -> None:
        self.answers.append(
            (model.name, http_response.status_code, dict(http_response.headers), http_response.content)
        )

    def rewind(self) -> None:
        self._next = 0

    def answer(self, request: Any, event_name: str, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        name, status, headers, body = self.answers[self._next % len(self.answers)]
        sent = event_name.rsplit(".", 1)[1]
        assert name == sent, f"expected {name}, the handler sent {sent}"
        self._next += 1
        return AWSResponse(request.url, status, headers, _RecordedBody(body))


def event_for(source: str, key: str, body: str) -> dict[str, Any]:
    name = "generic_firing.json" if source == "generic" else "alertmanager_firing.json"
    event: dict[str, Any] = json.loads((ROOT / "events" / "ingest" / name).read_text())
    event["headers"]["authorization"] = f"Bearer {key}"
    event["body"] = body
    return event


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    replays: dict[str, Replay] = {}
    events: dict[str, dict[str, Any]] = {}
    with _environment.moto_table() as (client, _raw):
        admin = wiring.integration_admin()
        keys = {source: admin.create("acme", source, source).key for source in ("generic", "alertmanager")}
        keys["alertmanager-teams"] = admin.create("acme", "alertmanager", "teams", TEAM_KEY_TEMPLATE).key
        handler = LocalFunction(
            "ingest", ROOT / "functions" / "ingest", "app.lambda_handler", in_process=True
        )
        for name, (source, body, _alerts) in SCENARIOS.items():
            event = event_for(source, keys[source], body(0))
            with contextlib.redirect_stdout(io.StringIO()):
                assert handler.invoke(event)["statusCode"] == 202  # opens the incident
                # A container's first repeat of a key and its later ones differ (it learns the incident's
                # id): both are recorded, the first to warm the timed container up.
                for number, recording in enumerate(("first", "steady"), start=1):
                    event["body"] = body(number)
                    replay = Replay()
                    client.meta.events.register("after-call.dynamodb.*", replay.record)
                    assert handler.invoke(event)["statusCode"] == 202
                    client.meta.events.unregister("after-call.dynamodb.*", replay.record)
                    replays[f"{recording} {name}"] = replay
            events[name] = event

    # Out of moto: a client as on Lambda, answered from the recordings.
    wiring.reset()
    handler = LocalFunction("ingest", ROOT / "functions" / "ingest", "app.lambda_handler", in_process=True)
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    client = dynamodb_client(get_settings())
    current: list[Replay] = []
    client.meta.events.register("before-send.dynamodb.*", lambda **kw: current[0].answer(**kw))

    def deliver(name: str, times: int, recording: str = "steady") -> tuple[float, int]:
        """CPU seconds and log bytes of `times` deliveries."""
        replay = replays[f"{recording} {name}"]
        current[:] = [replay]
        replay.rewind()
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            started = time.process_time()
            for _ in range(times):
                answer = handler.invoke(events[name])
            spent = time.process_time() - started
        assert answer["statusCode"] == 202, answer
        return spent, len(output.getvalue().encode())

    print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds, minimum and median per round")
    print(
        f"{'delivery (a repeat)':<54} {'requests':>8} {'ms/delivery min':>16} {'median':>8} "
        f"{'ms/alert min':>13} {'median':>8} {'log B':>6}"
    )
    for name, (_source, _body, alerts) in SCENARIOS.items():
        times = max(1, 200 // alerts)
        deliver(name, 1, "first")  # warm: the first delivery builds what the container keeps
        per_delivery = []
        log_bytes = 0
        for _ in range(args.rounds):
            spent, logged = deliver(name, times)
            per_delivery.append(spent * 1000 / times)
            log_bytes = logged // times
        best, middle = min(per_delivery), statistics.median(per_delivery)
        print(
            f"{name:<54} {len(replays['steady ' + name].answers):>8} {best:16.2f} {middle:8.2f} "
            f"{best / alerts:13.3f} {middle / alerts:8.3f} {log_bytes:>6}"
        )

    # The request signer against botocore's own SigV4, rounds interleaved so that load hits both alike.
    from stormwatch.store.sigv4 import choose_signer

    heavy = next(iter(SCENARIOS))
    signed: dict[str, list[float]] = {"stormwatch's signer": [], "botocore's SigV4Auth": []}
    for _ in range(args.rounds):
        for signer, rounds in signed.items():
            if signer.startswith("botocore"):
                client.meta.events.unregister("choose-signer.dynamodb", choose_signer)
            rounds.append(deliver(heavy, 200)[0] * 1000 / 200)
            client.meta.events.register_first("choose-signer.dynamodb", choose_signer)
    print(f"\n{heavy}, by request signer (rounds interleaved)")
    for signer, rounds in signed.items():
        print(f"  {signer:<26} ms/delivery min {min(rounds):.2f}  median {statistics.median(rounds):.2f}")

    if args.profile:
        import cProfile
        import pstats

        # CPU time, not wall time: on a loaded machine wall time mostly measures the other work.
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(deliver, next(iter(SCENARIOS)), 2000)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
