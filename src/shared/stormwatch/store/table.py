"""The DynamoDB client and the translation of its errors into domain errors."""

import gzip
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from botocore.handlers import BUILTIN_HANDLERS, REGISTER_FIRST, REGISTER_LAST
from botocore.loaders import JSONFileLoader, Loader, instance_cache

from stormwatch.domain.errors import TemporarilyUnavailable
from stormwatch.settings import Settings
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.sigv4 import choose_signer

RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
# A transaction's cancellation reasons that a retry can cure; any other (ValidationError: an item DynamoDB
# refuses) is a bug of ours, which retrying would only repeat.
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"})


class ConditionFailed(Exception):
    """A conditional write found the item not as expected. `item` is what was there (None if absent);
    `index` is the failed operation's place in a transaction (0 for a single write)."""

    def __init__(self, item: Any, index: int = 0) -> None:
        super().__init__("condition failed")
        self.item = item
        self.index = index


class _PlainJSONFileLoader(JSONFileLoader):
    """botocore's data files parsed into plain dicts, which keep their order as the OrderedDicts of
    botocore's own file loader do: building the client parses the endpoints (1.25 MB) and DynamoDB's
    models, and an OrderedDict for every JSON object made that three times slower (about a tenth of a cold
    start's work before the first request)."""

    def load_file(self, file_path: str) -> Any:
        for extension, open_file in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(file_path + extension):
                with open_file(file_path + extension, "rb") as data:
                    return json.loads(data.read())
        return None


class _FolderListingLoader(Loader):
    """botocore's model loader, except that a service is any folder of its search paths, and files are
    parsed into plain dicts. botocore's own also opens each of the 400-odd services' folders to see that it
    has the model type asked for (about 2,700 file checks, a third of building the DynamoDB client on a
    cold start); a service without that model is still refused, when its model is loaded."""

    def __init__(self) -> None:
        super().__init__(file_loader=_PlainJSONFileLoader())

    @instance_cache
    def list_available_services(self, type_name: str) -> list[str]:
        return sorted(
            {name for path in self.search_paths if os.path.isdir(path) for name in os.listdir(path)}
        )


def fires_for_dynamodb(event_name: str) -> bool:
    """Whether a handler registered for `event_name` can run for a DynamoDB client's events: botocore's
    emitter runs a handler for the events its name is a prefix of, segment by segment ('*' matches any),
    and a client names its service in the second segment (`before-call.dynamodb.GetItem`). `docs.` events
    are emitted only when documentation is generated."""
    segments = event_name.split(".")
    if segments[0] == "docs":
        return False
    return len(segments) == 1 or segments[1] in ("*", "dynamodb")


class _DynamoDBSession(botocore.session.Session):
    """A botocore session for the DynamoDB client alone: of botocore's ~130 built-in event handlers it
    registers the dozen that can run for DynamoDB; the rest (S3's, EC2's, documentation's) were checked and
    registered on every cold start, about a twentieth of a handler's work before its first request."""

    def _register_builtin_handlers(self, events: Any) -> None:
        # botocore's own loop, over the handlers kept.
        for event_name, handler, *order in BUILTIN_HANDLERS:
            if not fires_for_dynamodb(event_name):
                continue
            if not order:
                self.register(event_name, handler)
            elif order[0] is REGISTER_FIRST:
                events.register_first(event_name, handler)
            elif order[0] is REGISTER_LAST:
                events.register_last(event_name, handler)


@lru_cache(maxsize=4)
def dynamodb_client(settings: Settings) -> Any:
    # botocore alone: boto3 would add s3transfer and ~100 ms to every cold start for nothing used here.
    session = _DynamoDBSession()
    session.register_component("data_loader", _FolderListingLoader())
    # No client-side parameter validation: every request is built by the store, DynamoDB validates it
    # again, and checking it here was about a sixth of a webhook's CPU time.
    client = session.create_client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 4},
            connect_timeout=2,
            read_timeout=5,
            max_pool_connections=50,
            parameter_validation=False,
        ),
    )
    # Handlers of choose-signer answer a signature version (the stubs type every handler as returning None).
    client.meta.events.register_first("choose-signer.dynamodb", choose_signer)  # type: ignore[arg-type]
    return client


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Throttles, transaction conflicts and timeouts that outlived botocore's retries become
    TemporarilyUnavailable (a 503: the sender retries); a failed condition becomes ConditionFailed; any
    other error is raised as it is (a 500)."""
    try:
        yield
    except (ReadTimeoutError, EndpointConnectionError, ConnectionClosedError) as error:
        raise TemporarilyUnavailable("the incident store did not answer in time; retry shortly") from error
    except ClientError as error:
        code = error_code(error)
        if code in RETRYABLE_CODES:
            raise TemporarilyUnavailable("the incident store is busy; retry shortly") from error
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(error.response.get("Item")) from error
        if code == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons", [])
            codes = {reason.get("Code") for reason in reasons}
            if "ConditionalCheckFailed" in codes:
                index, failed = next(
                    (i, r) for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"
                )
                raise ConditionFailed(failed.get("Item"), index) from error
            if codes & RETRYABLE_REASONS:
                raise TemporarilyUnavailable("the incident store is busy; retry shortly") from error
        raise


def query_all(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query selects, page after page, decoded."""
    request = dict(request)
    while True:
        with translated_errors():
            response = client.query(**request)
        yield from (decode_item(raw) for raw in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def batch_get(
    client: Any, table: str, keys: list[dict[str, Any]], projection: str
) -> Iterator[dict[str, Any]]:
    """The items at `keys` that exist (distinct keys, at most 100: one BatchGetItem, and again for what it
    leaves unprocessed), decoded, in no particular order."""
    if not keys:
        return
    pending: dict[str, Any] = {table: {"Keys": keys, "ProjectionExpression": projection}}
    while pending:
        with translated_errors():
            response = client.batch_get_item(RequestItems=pending)
        yield from (decode_item(raw) for raw in response.get("Responses", {}).get(table, []))
        pending = response.get("UnprocessedKeys") or {}


def exists(client: Any, table: str, key: dict[str, str]) -> bool:
    """Whether an item is at `key` (a strongly consistent read of its key alone)."""
    with translated_errors():
        response = client.get_item(
            TableName=table, Key=encode_item(key), ProjectionExpression="pk", ConsistentRead=True
        )
    return "Item" in response


def put_once(client: Any, table: str, item: dict[str, Any]) -> None:
    """Put `item` unless one is at its key already (a retried write of the same thing writes nothing)."""
    try:
        with translated_errors():
            client.put_item(
                TableName=table, Item=encode_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
    except ConditionFailed:
        return
