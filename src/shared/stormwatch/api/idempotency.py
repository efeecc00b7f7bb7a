"""`Idempotency-Key` on commands: a retry with the same key and body answers the first answer and writes
nothing; the same key with another body is 409. Records live in Stormwatch's table, one partition each,
scoped by org, route and path, and expire after a day. Only answers are kept: a command that failed
(4xx, 503) runs again when retried.
"""

from collections.abc import Callable
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from stormwatch.api.http import Routes, current_caller, json_response
from stormwatch.domain.errors import Conflict, InvalidInput
from stormwatch.domain.models import Caller
from stormwatch.settings import get_settings
from stormwatch.store.codec import encode_item
from stormwatch.store.keys import IdempotencyKeys
from stormwatch.store.table import dynamodb_client

RECORD_LIFETIME_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255

Answer = tuple[HTTPStatus, Any]


@lru_cache(maxsize=1)
def _runner() -> tuple[Any, Callable[..., dict[str, Any]]]:
    # Imported only when a request carries a key: powertools idempotency (and boto3 with it) costs ~200 ms.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    class SingleTablePersistence(DynamoDBPersistenceLayer):
        """Powertools' DynamoDB persistence with a partition per record, not one shared partition key."""

        def _get_key(self, idempotency_key: str) -> dict[str, Any]:
            return encode_item(IdempotencyKeys.of(idempotency_key))

    settings = get_settings()
    persistence = SingleTablePersistence(
        table_name=settings.table_name,
        key_attr="pk",
        sort_key_attr="sk",
        expiry_attr="expires_at",
        boto3_client=dynamodb_client(settings),
    )
    config = IdempotencyConfig(
        event_key_jmespath="[org, key, route, path]",
        payload_validation_jmespath="body",
        expires_after_seconds=RECORD_LIFETIME_SECONDS,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=persistence, config=config
    )
    def run(request: dict[str, Any], command: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return command()

    return config, run


def command(routes: Routes, status: HTTPStatus, act: Callable[[Caller], object]) -> Response[str]:
    """The answer of a command that `act` carries out as the request's caller: `status` with what it
    returns, once per Idempotency-Key."""
    caller = current_caller(routes)
    return idempotent(routes, caller, lambda: (status, act(caller)))


def idempotent(routes: Routes, caller: Caller, command: Callable[[], Answer]) -> Response[str]:
    event = routes.current_event
    key = event.headers.get("idempotency-key")
    if key is None:
        status, body = command()
        return json_response(status, body)
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(
            f"Idempotency-Key: 1 to {MAX_KEY_LENGTH} characters",
            details=[{"field": "header.Idempotency-Key", "problem": "length"}],
        )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    config, run = _runner()
    config.register_lambda_context(routes.lambda_context)
    request = {
        "org": caller.org,
        "key": key,
        "route": event.raw_event.get("routeKey", ""),
        "path": event.path,
        "body": event.body or "",
    }

    def answer() -> dict[str, Any]:
        status, body = command()
        return {"status": status.value, "body": body}

    try:
        result = run(request=request, command=answer)
    except IdempotencyValidationError:
        raise Conflict(
            "Idempotency-Key was already used with another request body",
            details={"reason": "idempotency_key_reused"},
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "a request with this Idempotency-Key is still in progress; retry shortly",
            details={"reason": "idempotency_key_in_progress"},
        ) from None
    return json_response(HTTPStatus(result["status"]), result["body"])
