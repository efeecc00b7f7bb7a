import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll an outside process (not the clock) until it has done something, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
