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
