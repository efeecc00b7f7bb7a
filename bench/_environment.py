"""Benchmarks run against moto in process with fake credentials: nothing can reach AWS."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "STORMWATCH_TABLE_NAME": "stormwatch-bench",
        "STORMWATCH_CURSOR_SECRET": "cursor-secret-for-tests-only",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)
os.environ.pop("STORMWATCH_DYNAMODB_ENDPOINT_URL", None)


@contextmanager
def moto_table() -> Iterator[tuple[Any, Any]]:
    """moto in process with the template's table: the store's client, and a plain boto3 client (for images
    and bulk writes). Services are built anew inside."""
    import boto3
    from moto import mock_aws

    from stormwatch import wiring
    from stormwatch.local.cli import create_table
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    with mock_aws():
        wiring.reset()
        settings = get_settings()
        client = dynamodb_client(settings)
        create_table(client, ROOT / "template.yaml", settings.table_name)
        yield client, boto3.client("dynamodb", region_name=settings.region)


@contextmanager
def local_stack(directory: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """`stormwatch dev` in its own process on a free port, as a user runs it: the process and its
    credentials."""
    import json
    import subprocess
    import time

    credentials_file = directory / "credentials.json"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("STORMWATCH_")}
    command = [sys.executable, "-m", "stormwatch.local.cli", "dev", "--port", "0"]
    stack = subprocess.Popen(
        [*command, "--credentials-file", str(credentials_file)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while not credentials_file.exists():
            if stack.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("stormwatch dev did not start")
            time.sleep(0.1)
        yield stack, json.loads(credentials_file.read_text())
    finally:
        stack.terminate()
        stack.wait(timeout=60)
