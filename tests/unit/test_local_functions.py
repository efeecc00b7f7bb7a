"""A local Lambda function stops at once, even while a container is busy (a sweep, a delivery)."""

import threading
import time

import pytest

from stormwatch.local.lambdas import LocalFunction
from tests.support.paths import ROOT
from tests.support.waiting import wait_for

BUSY = ROOT / "tests" / "support" / "busy_lambda"


def test_stopping_ends_a_busy_container_and_its_invocation_fails(tmp_path):
    function = LocalFunction("busy", BUSY, "app.lambda_handler", max_containers=1)
    function.warm()
    marker = tmp_path / "started"
    outcome: list[BaseException] = []

    def invoke() -> None:
        try:
            function.invoke({"started": str(marker)})
        except RuntimeError as error:
            outcome.append(error)

    invoker = threading.Thread(target=invoke)
    invoker.start()
    wait_for(marker.exists, 30, "the handler to start")

    started = time.monotonic()
    function.stop()
    invoker.join(timeout=5)
    elapsed = time.monotonic() - started

    assert not invoker.is_alive()
    assert [type(error) for error in outcome] == [RuntimeError]
    assert elapsed < 2, f"stopping took {elapsed:.1f} s"
    with pytest.raises(RuntimeError, match="stopped"):
        function.invoke({"started": str(marker)})
