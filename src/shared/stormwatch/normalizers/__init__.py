"""One normalizer per webhook format: a decoded payload in, normalized AlertEvents out.

Each rejects what is not its format with InvalidInput naming the field, before anything is stored.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertEvent

Normalizer = Callable[[Any], list[AlertEvent]]
ModelT = TypeVar("ModelT", bound=BaseModel)


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
    # Imported on demand so a handler loads only the formats it is asked for.
    if source == "generic":
        from stormwatch.normalizers.generic import normalize

        return normalize
    if source == "alertmanager":
        from stormwatch.normalizers.alertmanager import normalize

        return normalize
    return None
