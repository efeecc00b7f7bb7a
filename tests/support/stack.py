"""Starting `stormwatch dev` as a user would (a separate process on a free port), for the end-to-end tests
and the benchmarks."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.session

from tests.support.paths import ROOT


class StackDidNotStart(Exception):
    """`stormwatch dev` ended, or wrote no credentials in time; the message holds its log."""


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


@contextmanager
def running_stack(
    directory: Path, *extra: str, start_within: float = 120
) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    """`launch`, then wait for this run's credentials (a restart in the same directory must not read the
    last run's); the process and its credentials. Stopped (SIGTERM) on leaving."""
    credentials_file = directory / "credentials.json"
    credentials_file.unlink(missing_ok=True)
    process = launch(directory, *extra)
    try:
        deadline = time.monotonic() + start_within
        while not credentials_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise StackDidNotStart(
                    f"stormwatch dev did not start:\n{(directory / 'stack.log').read_text()}"
                )
            time.sleep(0.1)
        yield process, json.loads(credentials_file.read_text())
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], within: float = 15) -> float:
    """SIGTERM, then SIGKILL if it has not ended `within` seconds; how long it took to end."""
    started = time.monotonic()
    process.terminate()
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - started


def stack_dynamodb(credentials: dict[str, Any]) -> Any:
    """A client of the stack's embedded DynamoDB."""
    return botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=credentials["dynamodb_endpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
