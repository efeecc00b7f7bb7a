"""One normalizer per webhook format: a decoded payload in, normalized AlertEvents out.

Each rejects what is not its format with InvalidInput naming the field, before anything is stored.
"""

import importlib
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertEvent, Integration

ModelT = TypeVar("ModelT", bound=BaseModel)
SOURCES = ("generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog", "pagerduty")


@dataclass(frozen=True)
class WebhookRequest:
    """A delivery as a normalizer sees it: the decoded body and the headers (names lower-cased)."""

    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


Normalizer = Callable[[WebhookRequest, Integration], list[AlertEvent]]


def body_text(raw: bytes, where: str = "body") -> str:
    """The body as text. Every format Stormwatch reads is JSON, which is UTF-8 on the wire (RFC 8259)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{where}: not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "send JSON as UTF-8",
            details=[{"field": where, "problem": "not UTF-8"}],
        ) from None


def json_syntax_message(error: json.JSONDecodeError, where: str = "body") -> str:
    """The one message for a body that is not JSON, webhooks and REST alike: what is wrong, and where."""
    return f"{where}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"


def strict_json(text: str) -> Any:
    """`json.loads`, refusing NaN and Infinity: Python's decoder takes them, JSON has no such values. The one
    decoder of every body, webhooks and REST alike."""

    def reject_constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not a JSON value", text, text.find(name))

    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # An integer past the digits Python converts (4,300), which nothing could keep anyway.
        found = re.search(rf"\d{{{sys.get_int_max_str_digits() + 1},}}", text)
        raise json.JSONDecodeError("a number too long to read", text, found.start() if found else 0) from None


def parse_json(text: str, where: str = "body") -> Any:
    """Decode a JSON body, refusing what is not JSON with the message naming where."""
    try:
        return strict_json(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            json_syntax_message(error, where),
            details=[{"field": where, "problem": "not JSON", "line": error.lineno, "column": error.colno}],
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"{where}: nested too deeply", details=[{"field": where, "problem": "too deep"}]
        ) from None


def validated(model: type[ModelT], payload: Any, where: str = "body") -> ModelT:
    """Validate a payload against a pydantic model; errors name the field as `body.field[index]`."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise invalid_from(error, where) from None


def invalid_from(error: ValidationError, where: str) -> InvalidInput:
    details = [
        {"field": field_path(where, problem["loc"]), "problem": _problem(problem)}
        for problem in error.errors()
    ]
    first = details[0]
    more = f" (and {len(details) - 1} more problems)" if len(details) > 1 else ""
    return InvalidInput(f"{first['field']}: {first['problem']}{more}", details=details)


def _problem(problem: Any) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown field"
    return str(problem["msg"])


def field_path(where: str, location: tuple[Any, ...] | list[Any]) -> str:
    path = where
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def normalizer_for(source: str) -> Normalizer | None:
    """The normalizer of a source, imported on demand so a handler loads only the formats it receives."""
    if source not in SOURCES:
        return None
    module = importlib.import_module(f"stormwatch.normalizers.{source}")
    normalize: Normalizer = module.normalize
    return normalize


def require_object(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput(f"body: expected {what} (a JSON object)", details=[{"field": "body"}])
    return payload
