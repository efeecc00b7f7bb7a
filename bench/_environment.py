"""Benchmarks run against moto in process with fake credentials: nothing can reach AWS."""

import os
import sys
from pathlib import Path

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
