"""Alert storms through the ingest handler: DynamoDB requests, capacity units (from item sizes) and the
handler's CPU time for big Alertmanager bodies.

moto's server runs in a process of its own, so the CPU time measured here is the handler's (parsing,
normalizing, correlating, its DynamoDB client), not the emulator's. Capacity and CPU are measured in
separate passes on fresh keys, because the capacity meter reads item images.

    .venv/bin/python bench/storm.py
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


def main() -> None:
    moto, endpoint = start_moto()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "STORMWATCH_TABLE_NAME": "stormwatch-storm",
            "STORMWATCH_DYNAMODB_ENDPOINT_URL": endpoint,
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT / "bench"))
    import boto3

    from capacity import CapacityMeter
    from payloads import TEAM_KEY_TEMPLATE, alertmanager_body, alertmanager_teams_body
    from stormwatch import wiring
    from stormwatch.local.cli import create_table
    from stormwatch.local.lambdas import LocalFunction
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    try:
        scenarios = {
            "1,000 alerts over 20 keys (20 bodies of 50, 5 fingerprints each)": lambda tag: [
                alertmanager_body(f"{tag}-{k}", alerts=50, fingerprints=5) for k in range(20)
            ],
            # One Alertmanager body is one group; an integration's key template splits it over 20 keys.
            "1,000 alerts over 20 keys in one body (key template {labels.team})": lambda tag: [
                alertmanager_teams_body(tag, teams=20, alerts_per_team=50, fingerprints=5)
            ],
            "1,000 alerts, 1 key, 100 fingerprints, one body": lambda tag: [
                alertmanager_body(f"{tag}-wide", 1000, 100)
            ],
        }
        print(f"{'delivery':<66} {'pass':<9} DynamoDB (capacity from item sizes)  |  handler CPU")
        for number, (name, make) in enumerate(scenarios.items()):
            # A table per scenario: moto copies the whole table on every transaction, DynamoDB does not.
            os.environ["STORMWATCH_TABLE_NAME"] = f"storm-{number}"
            wiring.reset()
            settings = get_settings()
            client = dynamodb_client(settings)
            create_table(client, ROOT / "template.yaml", settings.table_name)
            template = TEAM_KEY_TEMPLATE if "key template" in name else {}
            key = wiring.integration_admin().create("acme", "alertmanager", "storm", template).key
            handler = LocalFunction(
                "ingest", ROOT / "functions" / "ingest", "app.lambda_handler", in_process=True
            )
            event = json.loads((ROOT / "events" / "ingest" / "alertmanager_firing.json").read_text())
            event["headers"]["authorization"] = f"Bearer {key}"

            def deliver(bodies: list[str], handler: LocalFunction = handler, event: dict = event) -> None:
                for body in bodies:
                    event["body"] = body
                    answer = handler.invoke(event)
                    assert answer["statusCode"] == 202, answer

            deliver([alertmanager_body("warm-up", 1, 1)])
            meter = CapacityMeter(
                client, boto3.client("dynamodb", endpoint_url=endpoint), settings.table_name
            )
            metered, timed = make("meter"), make("cpu")
            for label in ("new", "repeated"):
                meter.reset()
                deliver(metered)
                tally = meter.reset()
                meter.enabled = False
                started = time.process_time()
                deliver(timed)
                cpu = (time.process_time() - started) * 1000
                meter.enabled = True
                print(f"{name:<66} {label:<9} {tally.describe()}  |  {cpu:.0f} ms", flush=True)
    finally:
        moto.kill()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
