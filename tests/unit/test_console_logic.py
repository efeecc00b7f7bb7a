"""The console's own logic (durations, markdown, filters to query strings, sign-in, folding the timeline)
is plain JavaScript; its tests are node's test runner's, run here where node is installed (Debian's
`nodejs`). Nothing of the console needs node to run: only these tests do."""

import shutil
import subprocess

import pytest

from tests.support.paths import ROOT


def test_the_console_logic_passes_its_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs): the console tests need it")
    result = subprocess.run(
        [node, "--experimental-detect-module", "--test", "tests/console/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
