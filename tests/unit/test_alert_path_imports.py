"""The alert path speaks DynamoDB through botocore alone (DESIGN "Data"): what the ingest and sweeps
functions build, including the schedules service a new incident asks for its default on-call, loads no
PynamoDB, so their cold start does not pay for it."""

import subprocess
import sys

import pytest

from tests.support.paths import ROOT

BUILDS = """
import sys
import app
from stormwatch import wiring
for factory in {factories}:
    getattr(wiring, factory)()
print(sorted(name for name in sys.modules if name.split(".")[0] == "pynamodb"))
"""


@pytest.mark.parametrize(
    ("function", "factories"),
    [("ingest", ["ingest_service", "schedule_admin"]), ("sweeps", ["sweeper", "ingest_service"])],
)
def test_the_alert_path_loads_no_pynamodb(function, factories):
    result = subprocess.run(
        [sys.executable, "-c", BUILDS.format(factories=factories)],
        cwd=ROOT / "functions" / function,
        env={"PYTHONPATH": str(ROOT / "functions" / function), "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
