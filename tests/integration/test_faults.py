"""A throttled or conflicting store: commands retry with backoff and jitter, and when they give up the
answer is 503 and nothing is half-written. A refusal no retry cures is a 500 at once, not a 503 that
senders would retry for ever."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from stormwatch import wiring
from stormwatch.services.retry import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS
from tests.support.aws import count_items


class FailingCalls:
    """Wraps a client so that `operation` fails `times` times with `code` before it works again."""

    def __init__(
        self, client: Any, operation: str, code: str, times: int, reasons: list[str] | None = None
    ) -> None:
        self._client = client
        self._operation = operation
        self._code = code
        self.remaining = times
        self._reasons = reasons

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def call(**kwargs: Any) -> Any:
            if self.remaining > 0:
                self.remaining -= 1
                response: dict[str, Any] = {"Error": {"Code": self._code, "Message": "injected"}}
                if self._reasons:
                    response["CancellationReasons"] = [{"Code": reason} for reason in self._reasons]
                raise ClientError(response, self._operation)
            return real(**kwargs)

        return call


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(wiring, "sleep", waited.append)
    wiring.incident_commands.cache_clear()
    wiring.ingest_service.cache_clear()
    return waited


def inject(operation: str, code: str, times: int, reasons: list[str] | None = None) -> FailingCalls:
    store = wiring.incident_store()
    failing = FailingCalls(store._client, operation, code, times, reasons)
    store._client = failing
    return failing


def test_a_command_survives_transient_transaction_conflicts(stack, sleeps):
    incident_id = stack.fire("db::lag")
    inject("transact_write_items", "TransactionCanceledException", 2, ["None", "TransactionConflict"])
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    assert answer.status == 200
    assert len(sleeps) == 2
    assert all(0 <= wait <= BACKOFF_CAP_SECONDS for wait in sleeps)
    assert stack.incident(incident_id)["status"] == "acknowledged"


def test_a_command_that_keeps_conflicting_is_503_and_writes_nothing(stack, sleeps):
    incident_id = stack.fire("db::lag")
    before = stack.incident(incident_id)
    items = count_items(stack.client)
    inject("transact_write_items", "TransactionCanceledException", 1000, ["TransactionConflict"])
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    assert answer.status == 503
    assert answer.body["error"]["code"] == "unavailable"
    assert answer.headers.get("Retry-After") == "1"
    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert stack.incident(incident_id) == before
    assert count_items(stack.client) == items


def test_a_transaction_refused_for_a_reason_no_retry_cures_is_a_500_at_once_and_writes_nothing(stack, sleeps):
    incident_id = stack.fire("db::lag")
    before = stack.incident(incident_id)
    items = count_items(stack.client)
    inject("transact_write_items", "TransactionCanceledException", 1000, ["None", "ValidationError"])
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    assert (answer.status, answer.body["error"]["code"]) == (500, "internal")
    assert sleeps == []
    assert stack.incident(incident_id) == before
    assert count_items(stack.client) == items


def test_a_throttled_webhook_is_503_so_the_sender_retries_and_the_retry_lands(stack, sleeps):
    stack.fire("db::lag")
    items = count_items(stack.client)
    failing = inject("update_item", "ProvisionedThroughputExceededException", 1000)
    answer = stack.hook("generic_firing", body={"incident_key": "db::lag", "severity": "high"})
    assert answer.status == 503
    assert count_items(stack.client) == items
    failing.remaining = 0
    retried = stack.hook("generic_firing", body={"incident_key": "db::lag", "severity": "high"})
    assert retried.status == 202
    assert stack.incidents()[0]["alert_count"] == 2


def test_a_store_that_does_not_answer_in_time_is_503_for_the_sender_to_retry(stack, sleeps):
    from botocore.exceptions import ReadTimeoutError

    store = wiring.incident_store()
    real = store._client

    class TimingOut:
        def __getattr__(self, name: str) -> Any:
            if name != "update_item":
                return getattr(real, name)

            def call(**kwargs: Any) -> Any:
                raise ReadTimeoutError(endpoint_url="http://dynamodb")

            return call

    store._client = TimingOut()
    answer = stack.hook("generic_firing")
    assert answer.status == 503, answer.body
    assert answer.body["error"]["message"] == "the incident store did not answer in time; retry shortly"
