"""Starting `stormwatch dev` as a user would (a separate process on a free port), for the end-to-end tests
and the benchmarks."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session

from tests.support.paths import ROOT


def launch(directory: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`stormwatch dev`, writing its credentials to `directory`/credentials.json and its output to
    `directory`/stack.log (appended to, so a restart in the same directory keeps the earlier run's): a pipe
    that nobody reads fills up (64 KB) and then blocks every process of the stack that writes to it, its
    Lambda containers included."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("STORMWATCH_")}
    with (directory / "stack.log").open("a") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stormwatch.local.cli",
                "dev",
                "--port",
                "0",
                "--credentials-file",
                str(directory / "credentials.json"),
                *extra,
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def stack_dynamodb(credentials: dict[str, Any]) -> Any:
    """A client of the stack's embedded DynamoDB."""
    return botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=credentials["dynamodb_endpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
