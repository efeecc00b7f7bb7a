"""A handler pauses garbage collection while it imports (stormwatch/startup.py): once imported, collection
must be on again, or the container would keep every request's garbage, and what the imports made is kept
out of later collections."""

import subprocess
import sys

import pytest

from tests.support.paths import ROOT

HANDLERS = ("ingest", "commands", "queries", "aggregates", "notifier", "sweeps")
IMPORTED = """
import gc
import app
print(gc.isenabled(), gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_collects_garbage_once_imported(function):
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED],
        cwd=ROOT / "functions" / function,
        env={"PYTHONPATH": str(ROOT / "functions" / function), "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]
