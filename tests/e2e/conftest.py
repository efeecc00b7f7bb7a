"""Starts `stormwatch dev` as a user would (a separate process, on a free port) and talks HTTP to it."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tests.support.stack import StackDidNotStart, running_stack


@dataclass
class HttpAnswer:
    status: int
    body: Any


class LocalStack:
    def __init__(
        self, credentials: dict[str, Any], credentials_file: Path, process: subprocess.Popen[bytes]
    ) -> None:
        self.url = credentials["api_url"]
        self.process = process
        self.credentials = credentials
        self.credentials_file = credentials_file

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if token or key:
            request.add_header("Authorization", f"Bearer {token or key}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return HttpAnswer(response.status, json.loads(response.read() or b"null"))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, json.loads(error.read() or b"null"))

    def token(self, org: str, user: str, role: str) -> str:
        return self.cli("token", "--org", org, "--user", user, "--role", role).strip()

    def cli(self, *arguments: str) -> str:
        """`stormwatch …` against this stack (its credentials file); what it printed."""
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "stormwatch.local.cli",
                *arguments,
                "--credentials-file",
                str(self.credentials_file),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return result.stdout


def start_stack(directory: Path, *extra: str) -> Iterator[LocalStack]:
    try:
        with running_stack(directory, *extra, start_within=60) as (process, credentials):
            with urllib.request.urlopen(credentials["api_url"] + "/health", timeout=10) as response:
                assert response.status == 200
            yield LocalStack(credentials, directory / "credentials.json", process)
    except StackDidNotStart as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from start_stack(tmp_path_factory.mktemp("stack"))


def page_member_on_escalation(
    stack: LocalStack, admin: str, member: dict[str, Any], delay_minutes: int = 5
) -> None:
    """Make `member` (with its webhook) the first level of the org's default escalation policy."""
    page_members_on_escalation(stack, admin, [member], delay_minutes)


def page_members_on_escalation(
    stack: LocalStack, admin: str, members: list[dict[str, Any]], delay_minutes: int = 5
) -> None:
    """The org's default escalation policy pages each member in turn, one level each."""
    levels = []
    for member in members:
        assert stack.request("POST", "/v1/members", member, token=admin).status == 201
        target = {"type": "member", "value": member["handle"]}
        levels.append({"delay_minutes": delay_minutes, "targets": [target]})
    policy = {"name": "night", "levels": levels}
    policy_id = stack.request("POST", "/v1/escalation-policies", policy, token=admin).body["id"]
    settings = {"default_escalation_policy_id": policy_id}
    assert stack.request("PUT", "/v1/org/settings", settings, token=admin).status == 200
