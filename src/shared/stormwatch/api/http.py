"""Resolver set-up shared by every HTTP handler.

The one place where domain errors become HTTP answers, in the contract's shape
`{"error": {"code", "message", "details"}}`.
"""

import base64
import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from stormwatch.domain.errors import (
    ConcurrentModification,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    TemporarilyUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)
from stormwatch.domain.models import Caller, Role
from stormwatch.normalizers import body_text, field_path, json_syntax_message, strict_json
from stormwatch.settings import Settings, get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

logger = Logger(child=True)

# A handler's resolver, or one of the routers it includes: either reads the request being resolved.
Routes = APIGatewayHttpResolver | APIGatewayHttpRouter

ERROR_STATUS: dict[type[DomainError], tuple[HTTPStatus, str]] = {
    InvalidInput: (HTTPStatus.BAD_REQUEST, "invalid_input"),
    Unauthenticated: (HTTPStatus.UNAUTHORIZED, "unauthenticated"),
    Forbidden: (HTTPStatus.FORBIDDEN, "forbidden"),
    NotFound: (HTTPStatus.NOT_FOUND, "not_found"),
    Conflict: (HTTPStatus.CONFLICT, "conflict"),
    ConcurrentModification: (HTTPStatus.CONFLICT, "conflict"),
    PreconditionFailed: (HTTPStatus.PRECONDITION_FAILED, "precondition_failed"),
    PayloadTooLarge: (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large"),
    UnsupportedMediaType: (HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    # 503, never 429: Alertmanager and most senders retry only 5xx.
    TemporarilyUnavailable: (HTTPStatus.SERVICE_UNAVAILABLE, "unavailable"),
}

_ORG_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


# What each error status means on a REST route, for the OpenAPI document.
ERROR_MEANING: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "the request is not valid; the message names the field",
    HTTPStatus.UNAUTHORIZED: "no valid token (on AWS the JWT authorizer answers this)",
    HTTPStatus.FORBIDDEN: "the caller's role may not do this",
    HTTPStatus.NOT_FOUND: "no such item in the caller's org",
    HTTPStatus.CONFLICT: "the item's state does not allow this, or the Idempotency-Key is in use",
    HTTPStatus.PRECONDITION_FAILED: "If-Match names another version",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "the body is over the size limit",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "the body is not declared as JSON",
    HTTPStatus.SERVICE_UNAVAILABLE: "the store is busy: retry after Retry-After seconds",
}
# Every REST route can be refused for the token, or asked to retry.
_ALWAYS = (HTTPStatus.UNAUTHORIZED, HTTPStatus.SERVICE_UNAVAILABLE)
# Every route with a body is checked for its size, type and encoding before it is read.
BODY_ERRORS = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
)


def answers(status: HTTPStatus, schema: str | None, *errors: HTTPStatus) -> dict[int, Any]:
    """What a REST route answers, for the OpenAPI document: its success (the component schema it returns
    by name, or None for no body) and the errors it can give, each in the contract's error shape. Plain
    references, so a handler imports no response model."""
    success: dict[str, Any] = {"description": status.phrase}
    if schema is not None:
        success["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    documented: dict[int, Any] = {status.value: success}
    for error in sorted({*errors, *_ALWAYS}):
        documented[error.value] = {
            "description": ERROR_MEANING[error],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return documented


def reused_answer() -> dict[int, Any]:
    """`POST /v1/incidents` with `dedupe`: 200 when it answers the service's open incident."""
    schema = {"$ref": "#/components/schemas/ReusedIncident"}
    return {
        HTTPStatus.OK.value: {
            "description": "dedupe: the service's open incident, reused",
            "content": {"application/json": {"schema": schema}},
        }
    }


def text_answers(status: HTTPStatus, media_type: str, *errors: HTTPStatus) -> dict[int, Any]:
    """What a REST route answering text (markdown, iCalendar) answers, for the OpenAPI document."""
    documented = answers(status, None, *errors)
    documented[status.value]["content"] = {media_type: {"schema": {"type": "string"}}}
    return documented


def error_body(code: str, message: str, details: Any = None) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": details}})


def error_response(status: HTTPStatus, code: str, message: str, details: Any = None) -> Response[str]:
    headers = {"Retry-After": "1"} if status is HTTPStatus.SERVICE_UNAVAILABLE else None
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details),
        headers=headers,
    )


def json_response(status: HTTPStatus, body: Any) -> Response[str]:
    return Response(
        status_code=status.value, content_type=content_types.APPLICATION_JSON, body=json.dumps(body)
    )


class ResourceResolver(APIGatewayHttpResolver):
    """The resolver of a handler whose routes live in a Router per resource module (`stormwatch.api.commands`,
    `.queries`): a module is imported, and its routes included, when a request first needs it, so a
    container pays at its cold start for the resources it serves rather than for all of them (an incident
    command does not import the schedules' models).

    `routes` names each module of `package` with the rules its router declares (a test holds the two
    equal). A request includes every module with a rule of its path's shape, whatever the method: a
    module none of whose rules fits could not answer it, and the rules of two modules never fit the same
    path (tested too), so the order in which modules come in decides nothing. The OpenAPI document
    includes them all."""

    def __init__(self, package: str, routes: Mapping[str, Sequence[str]], **options: Any) -> None:
        super().__init__(**options)
        self._pending = {
            f"{package}.{module}": [rule.split("/") for rule in rules] for module, rules in routes.items()
        }

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if self._pending:
            # The path the resolver matches: an HTTP API's raw path less a named stage.
            self.include_routes_for(APIGatewayProxyEventV2(cast(dict[str, Any], event)).path)
        return super().resolve(event, context)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.include_routes_for(None)
        return super().get_openapi_schema(*args, **kwargs)

    def include_routes_for(self, path: str | None) -> None:
        """Includes the router of every module with a rule fitting `path` (every module for None)."""
        segments = path.split("/") if path is not None else None
        for module, rules in list(self._pending.items()):
            if segments is None or any(_fits(rule, segments) for rule in rules):
                self.include_router(importlib.import_module(module).router)
                del self._pending[module]


def _fits(rule: list[str], segments: list[str]) -> bool:
    """Whether a path's segments have a rule's shape: its literal segments, and something (no slash) for
    each `<name>`; the resolver's own match, by regular expression, fits no path this does not."""
    return len(rule) == len(segments) and all(
        part == segment or (part.startswith("<") and segment != "")
        for part, segment in zip(rule, segments, strict=True)
    )


def create_app(
    validation: bool = True, resources: tuple[str, Mapping[str, Sequence[str]]] | None = None
) -> APIGatewayHttpResolver:
    """The resolver, mapping domain errors to the contract's answers. `validation` checks requests against
    the routes' pydantic models; a handler whose routes read their bodies themselves (the webhooks) goes
    without, which keeps powertools' validation machinery (about 100 ms) off its cold start and its
    per-request work off every delivery. `resources` (a package and its modules' rules) makes a
    `ResourceResolver`."""
    # The body is decoded as webhooks decode theirs: NaN and Infinity are not JSON.
    options: dict[str, Any] = {"json_body_deserializer": strict_json}
    if validation:
        # A response that fails its own schema is our bug: 500, never a 4xx blaming the caller.
        options.update(
            enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
        )
    app = APIGatewayHttpResolver(**options) if resources is None else ResourceResolver(*resources, **options)
    if validation:
        from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

        app.exception_handler(RequestValidationError)(_validation_error)
    for error_type, (status, code) in ERROR_STATUS.items():
        app.exception_handler(error_type)(_domain_error_handler(status, code))
    app.not_found(_route_not_found)
    app.exception_handler(Exception)(_unexpected_error)
    return app


def create_router() -> APIGatewayHttpRouter:
    """A resource's routes, included by its handler's resolver (which maps the errors)."""
    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _domain_error_handler(status: HTTPStatus, code: str) -> Callable[[DomainError], Response[str]]:
    def handle(error: DomainError) -> Response[str]:
        return error_response(status, code, error.message, error.details)

    return handle


def _validation_error(error: "RequestValidationError") -> Response[str]:
    problems = error.errors()
    if problems and problems[0].get("type") == "json_invalid" and isinstance(error.body, str):
        # The resolver keeps only the offset; the line and column are what an editor shows.
        decoded = json.JSONDecodeError(problems[0]["ctx"]["error"], error.body, problems[0]["loc"][1])
        message = json_syntax_message(decoded)
        details = [{"field": "body", "problem": "not JSON", "line": decoded.lineno, "column": decoded.colno}]
        return error_response(HTTPStatus.BAD_REQUEST, "invalid_input", message, details)
    details = [
        {"field": field_path(str(problem["loc"][0]), problem["loc"][1:]), "problem": problem.get("msg", "")}
        for problem in problems
    ]
    if not details:
        return error_response(HTTPStatus.BAD_REQUEST, "invalid_input", "the request is not valid")
    first = details[0]
    message = f"{first['field']}: {first['problem']}"
    return error_response(HTTPStatus.BAD_REQUEST, "invalid_input", message, details)


def _route_not_found(error: NotFoundError) -> Response[str]:
    return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")


def _unexpected_error(error: Exception) -> Response[str]:
    logger.exception("unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "internal error")


def caller_from_claims(claims: dict[str, Any], settings: Settings) -> Caller:
    """Org, user and roles from the JWT authorizer's claims. HTTP APIs pass every claim as a string (an
    array as "[a b]"); Lambda proxy integrations of other kinds pass JSON values; both are read."""
    org = claims.get(settings.org_claim)
    user = claims.get(settings.user_claim)
    if not isinstance(org, str) or not _ORG_ID.match(org):
        raise Unauthenticated(f"the token has no valid {settings.org_claim!r} claim")
    if not isinstance(user, str) or not user:
        raise Unauthenticated(f"the token has no {settings.user_claim!r} claim")
    raw_roles = claims.get(settings.roles_claim, [])
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.strip().strip("[]").replace(",", " ").split()
    known = {role.value: role for role in Role}
    roles = frozenset(known[name] for name in raw_roles if isinstance(name, str) and name in known)
    return Caller(org=org, user=user, roles=roles)


def current_caller(routes: Routes) -> Caller:
    authorizer = routes.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    return caller_from_claims(claims, get_settings())


def expected_version(routes: Routes) -> int | None:
    """The incident version an `If-Match` header names (3, "3" or W/"3"), if any."""
    header = routes.current_event.headers.get("if-match")
    if header is None:
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(
            "If-Match: expected the incident's version, e.g. If-Match: 3",
            details=[{"field": "header.If-Match", "problem": "not a version"}],
        )
    return int(text)


LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def guard_request(json_body: bool) -> Callable[[LambdaHandler], LambdaHandler]:
    """Checks made on the raw event, before routing and request validation parse anything: a body over the
    limit is 413; with `json_body`, a body declared as something other than JSON is 415 (a form-encoded
    body would otherwise be parsed as a form and fail validation confusingly) and one that is not UTF-8
    is 400."""

    def decorate(handler: LambdaHandler) -> LambdaHandler:
        @wraps(handler)
        def guarded(event: dict[str, Any], context: Any) -> dict[str, Any]:
            limit = get_settings().max_body_bytes
            body = event.get("body") or ""
            raw = raw_body(event)
            size = len(raw)
            if size > limit:
                return _raw_error(
                    PayloadTooLarge(
                        f"body: {size} bytes is over the limit of {limit} bytes", {"limit": limit}
                    )
                )
            headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
            declared = (
                headers.get("content-type", content_types.APPLICATION_JSON).split(";")[0].strip().lower()
            )
            if json_body and body and not (declared == "application/json" or declared.endswith("+json")):
                return _raw_error(
                    UnsupportedMediaType(
                        f"body: send JSON with Content-Type: application/json, not {declared}"
                    )
                )
            if json_body:
                # Webhooks decode their bodies after the key check, so a wrong key is 401 whatever it sent.
                try:
                    body_text(raw)
                except InvalidInput as error:
                    return _raw_error(error)
            return handler(event, context)

        return guarded

    return decorate


def raw_body(event: dict[str, Any]) -> bytes:
    """The body's bytes as they arrived. powertools' `decoded_body` decodes them as UTF-8 and raises on
    anything else; callers decode them themselves, answering 400 for what is not UTF-8."""
    body = event.get("body") or ""
    # surrogatepass: a text body holding lone surrogates (bytes a front end could not decode) encodes to
    # bytes that are not UTF-8, and is refused as such rather than failing here.
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8", "surrogatepass")


def _raw_error(error: DomainError) -> dict[str, Any]:
    status, code = ERROR_STATUS[type(error)]
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": error_body(code, error.message, error.details),
        "isBase64Encoded": False,
    }
