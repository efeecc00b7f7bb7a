"""schemathesis against the local stack's own /v1/openapi.json: every operation, generated requests valid
and invalid, checked for no 5xx, documented status codes, content types and response schemas. Once as the
demo org's admin (JWT) on the REST operations, and once per webhook with that source's integration key.

Bounded (a few examples per operation, a fixed seed) so it stays well under three minutes on a busy
machine; its own stack, so what it creates does not disturb the other end-to-end tests."""

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalStack, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES_PER_OPERATION = 5
HOOK_PREFIXES = ("/v1/hooks/", "/v2/enqueue")


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from start_stack(tmp_path_factory.mktemp("fuzzed"))


def document(stack: LocalStack) -> dict:
    with urllib.request.urlopen(stack.url + "/v1/openapi.json", timeout=30) as response:
        return json.loads(response.read())


def schemathesis(stack: LocalStack, workdir: Path, authorization: str, *selection: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{stack.url}/v1/openapi.json",
            "--url",
            stack.url,
            "--header",
            f"Authorization: {authorization}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--phases",
            "examples,fuzzing",
            "--seed",
            "10",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--no-color",
            *selection,
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert " passed" in result.stdout, result.stdout[-5000:]


def test_every_rest_operation_as_an_admin(fuzzed_stack, tmp_path):
    schemathesis(
        fuzzed_stack,
        tmp_path,
        f"Bearer {fuzzed_stack.credentials['admin_token']}",
        "--exclude-path-regex",
        "^(" + "|".join(HOOK_PREFIXES) + ")",
    )


def test_every_webhook_operation_with_its_integration_key(fuzzed_stack, tmp_path):
    hooks = [path for path in document(fuzzed_stack)["paths"] if path.startswith(HOOK_PREFIXES)]
    if any("{" in path for path in hooks):
        pytest.skip("the document has one operation for every webhook source; per-source operations needed")
    keys = fuzzed_stack.credentials["integration_keys"]
    for path in hooks:
        source = "pagerduty" if path == "/v2/enqueue" else path.rsplit("/", 1)[1]
        key = keys.get(source, keys["generic"])  # a heartbeat is accepted from any integration of the org
        schemathesis(fuzzed_stack, tmp_path, f"Bearer {key}", "--include-path", path)
