"""moto in process, as the local stack runs it (stormwatch.local's engine), with one request applied at a
time as DynamoDB applies each request atomically.

moto's transaction deep-copies the table and restores the copy on failure, so two requests interleaved
by threads could lose each other's writes; the lock gives the tests DynamoDB's guarantee, no more.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends

from stormwatch import wiring
from stormwatch.local import dynamodb_engine
from stormwatch.local.cli import create_table
from stormwatch.settings import get_settings
from stormwatch.store.table import dynamodb_client
from tests.support.paths import TEMPLATE

_lock = threading.RLock()
_original_call = BotocoreStubber.__call__


def _serialized_call(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
    with _lock:
        return _original_call(self, *args, **kwargs)


@contextmanager
def local_table() -> Iterator[Any]:
    """A fresh moto DynamoDB with the table from template.yaml; yields the client the services use."""
    BotocoreStubber.__call__ = _serialized_call  # type: ignore[method-assign]
    # install() changes the classes moto builds for this process: moto's own are put back after.
    stock = dynamodb_backends.backend, dynamodbstreams_backends.backend
    try:
        with mock_aws():
            dynamodb_engine.install()
            wiring.reset()
            client = dynamodb_client(get_settings())
            create_table(client, TEMPLATE, get_settings().table_name)
            yield client
            wiring.reset()
    finally:
        dynamodb_backends.backend, dynamodbstreams_backends.backend = stock
        BotocoreStubber.__call__ = _original_call  # type: ignore[method-assign]


def count_items(client: Any) -> int:
    """Every item in the table (tests only: the code under test never scans)."""
    total = 0
    request: dict[str, Any] = {"TableName": get_settings().table_name, "Select": "COUNT"}
    while True:
        page = client.scan(**request)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
