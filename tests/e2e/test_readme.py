"""The README's shell examples marked `<!-- run by tests/e2e/test_readme.py -->` run against a started
local stack and succeed, so they cannot drift from what Stormwatch does."""

import os
import re
import subprocess

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

MARKER = "<!-- run by tests/e2e/test_readme.py -->"


def marked_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(re.escape(MARKER) + r"\n```sh\n(.*?)\n```", readme, flags=re.DOTALL)


def test_the_readme_marks_its_walk_through():
    assert marked_blocks(), f"no shell block follows {MARKER!r} in README.md"


def test_the_walk_through_runs_against_the_local_stack(local_stack):
    (walk_through,) = [block for block in marked_blocks() if "/v1/hooks/generic" in block]
    environment = {
        **os.environ,
        "API": local_stack.url,
        "CREDENTIALS": str(local_stack.credentials_file),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walk_through],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"action": "created"' in result.stdout
    assert '"status": "acknowledged"' in result.stdout
    assert '"status": "resolved"' in result.stdout
    assert '"resolution_note": "rolled back 4.2.1"' in result.stdout
