"""The local DynamoDB serves one request at a time, in the order the requests asked for their turn."""

import threading

from stormwatch.local.dynamodb import FirstComeFirstServed
from tests.support.waiting import wait_for


def test_requests_take_their_turn_in_the_order_they_asked() -> None:
    lock = FirstComeFirstServed()
    served: list[int] = []
    asked: list[int] = []
    asking = threading.Lock()

    def request(number: int) -> None:
        with asking:
            asked.append(number)
        with lock:
            served.append(number)

    threads = []
    with lock:
        for number in range(8):
            thread = threading.Thread(target=request, args=(number,))
            thread.start()
            threads.append(thread)
            # The next one asks once this one is queued: the order asked is known.
            wait_for(lambda n=number: len(lock._waiting) == n + 1, 10, f"request {number} to queue")
    for thread in threads:
        thread.join(timeout=10)

    assert served == asked == list(range(8))
