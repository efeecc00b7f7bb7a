"""Re-running a read-decide-write step until it lands.

A lost race (ConcurrentModification: a snapshot changed between read and write) re-runs the step at once:
it reads again and decides again, so the change is applied only if it still applies. A busy store
(TemporarilyUnavailable: throttling or transaction conflicts that outlived botocore's own retries) re-runs
it after a capped exponential backoff with full jitter. Transactions are atomic, so a step that gives up
has written nothing.
"""

import random
from collections.abc import Callable
from typing import TypeVar

from stormwatch.domain.errors import ConcurrentModification, TemporarilyUnavailable

T = TypeVar("T")

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0


def retrying(step: Callable[[], T], sleep: Callable[[float], None], what: str) -> T:
    for attempt in range(MAX_ATTEMPTS):
        try:
            return step()
        except ConcurrentModification:
            continue
        except TemporarilyUnavailable:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))
    raise TemporarilyUnavailable(f"{what} kept changing under concurrent writes; retry shortly")
