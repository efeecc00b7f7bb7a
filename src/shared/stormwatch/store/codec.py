"""Plain Python values to DynamoDB attribute values and back (JSON-shaped data only: no sets, no binary), and
models to items."""

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

Item = dict[str, Any]


def model_item(model: BaseModel, always: Collection[str] = ()) -> Item:
    """A model as an item: every field at its default is left out (reading fills it back in), so a field
    costs no bytes, hence no write units, until it is set; a field added later costs nothing where it is
    unused. `always` names fields stored even at their defaults."""
    item: Item = model.model_dump(mode="json", exclude_defaults=True)
    missing = set(always) - item.keys()
    if missing:
        item.update(model.model_dump(mode="json", include=missing))
    return item


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": repr(value) if isinstance(value, float) else str(value)}
    if isinstance(value, dict):
        return {"M": {str(key): to_attr(inner) for key, inner in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(inner) for inner in value]}
    raise TypeError(f"cannot store a {type(value).__name__}")


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return float(value) if any(mark in value for mark in ".eE") else int(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: from_attr(inner) for key, inner in value.items()}
    if kind == "L":
        return [from_attr(inner) for inner in value]
    raise TypeError(f"unexpected DynamoDB type {kind}")


def encode_item(item: Item) -> dict[str, Any]:
    return {key: to_attr(value) for key, value in item.items()}


def decode_item(raw: dict[str, Any]) -> Item:
    return {key: from_attr(value) for key, value in raw.items()}
