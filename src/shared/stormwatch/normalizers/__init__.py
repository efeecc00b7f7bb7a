"""One normalizer per webhook format: a decoded payload in, normalized AlertEvents out.

Each rejects what is not its format with InvalidInput naming the field, before anything is stored.
"""

import importlib
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


def validated(model: type[ModelT], payload: Any, where: str = "body") -> ModelT:
    """Validate a payload against a pydantic model; errors name the field as `body.field[index]`."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise invalid_from(error, where) from None


def invalid_from(error: ValidationError, where: str) -> InvalidInput:
    details = [
        {"field": field_path(where, problem["loc"]), "problem": problem["msg"]} for problem in error.errors()
    ]
    first = details[0]
    more = f" (and {len(details) - 1} more problems)" if len(details) > 1 else ""
    return InvalidInput(f"{first['field']}: {first['problem']}{more}", details=details)


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
