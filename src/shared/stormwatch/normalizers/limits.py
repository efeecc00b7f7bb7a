"""Bounds on what one alert may carry, so a snapshot stays far below DynamoDB's 400 KB item limit and a
repeat's update expression stays within its 4 KB, and so that everything it carries can be stored: DynamoDB
refuses an empty map key, so a label, annotation or evidence map (at any depth) may not have one, and a
number past its range (38 digits, magnitudes from 1E-130 to under 1E+126), which JSON allows (1e200, or
1e400, which decodes as infinity)."""

import json
import math
from typing import Annotated, Any

from pydantic import AfterValidator

from stormwatch.domain.errors import InvalidInput

MAX_EVIDENCE_KEYS = 50
MAX_EVIDENCE_BYTES = 32_768
MAX_EVIDENCE_DEPTH = 16


EMPTY_KEY_REPLACEMENT = "(empty)"


def _non_empty_keys(value: dict[str, Any]) -> dict[str, Any]:
    if "" in value:
        raise ValueError("a key may not be empty")
    return value


# A map of names to strings (labels, annotations): validated in the normalizers' pydantic models.
StringMap = Annotated[dict[str, str], AfterValidator(_non_empty_keys)]


MAX_LABELS = 128
MAX_LABEL_NAME = 256
MAX_LABEL_VALUE = 1024


def check_labels(labels: dict[str, str]) -> None:
    """An alert's labels, whichever source's fields made them (Datadog's tags, CloudWatch's dimensions,
    Prometheus labels), bounded so that the snapshot and the alert's own item stay within DynamoDB's 400
    KB: a label name of 256 characters at most, a value of 1,024, and 128 labels."""
    problem = _label_problem(labels)
    if problem is not None:
        raise InvalidInput(f"body: {problem}", details=[{"field": "body", "problem": problem}])


def _label_problem(labels: dict[str, str]) -> str | None:
    if len(labels) > MAX_LABELS:
        return f"{len(labels)} labels, over the {MAX_LABELS} an alert may have"
    for name, value in labels.items():
        if len(name) > MAX_LABEL_NAME:
            return f"a label name of {len(name):,} characters, over the {MAX_LABEL_NAME} it may have"
        if len(value) > MAX_LABEL_VALUE:
            return (
                f"the label {name!r} is {len(value):,} characters, over the {MAX_LABEL_VALUE:,} a label "
                "value may have"
            )
    return None


UNSTORABLE_NUMBER = "a number past what can be stored (38 digits, magnitudes 1e-130 to 1e125)"


def unstorable_number(value: Any) -> bool:
    """Whether a JSON value is a number DynamoDB refuses (booleans are not numbers to it)."""
    if isinstance(value, float):
        # A float's repr has at most 17 digits: only its magnitude can be out of range.
        return not (value == 0 or (math.isfinite(value) and 1e-130 <= abs(value) < 1e126))
    return isinstance(value, int) and not isinstance(value, bool) and not -(10**38) < value < 10**38


def _storable_float(value: float) -> float:
    if unstorable_number(value):
        raise ValueError(UNSTORABLE_NUMBER)
    return value


# For a number field of a request (an SLO violation's budget, a post-mortem's duration): bounds of its own
# do not keep out a magnitude as small as 1e-300, which DynamoDB refuses. `Storable` goes after a field's
# constraints, so that the document still shows them as its minimum and maximum.
Storable = AfterValidator(_storable_float)
StorableFloat = Annotated[float, Storable]


def unstorable_path(value: Any, field: str, depth: int = 0) -> tuple[str, str] | None:
    """Where in a JSON value a map has an empty key, a number is past DynamoDB's range, or the nesting goes
    deeper than DynamoDB stores (32 levels, of which the snapshot uses a few), with the problem."""
    if depth > MAX_EVIDENCE_DEPTH:
        return field, f"nested deeper than {MAX_EVIDENCE_DEPTH} levels"
    if unstorable_number(value):
        return field, UNSTORABLE_NUMBER
    if isinstance(value, dict):
        if "" in value:
            return field, "a key may not be empty"
        children = [(f"{field}.{name}", item) for name, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{field}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for path, item in children:
        found = unstorable_path(item, path, depth + 1)
        if found is not None:
            return found
    return None


def storable_json(value: Any) -> Any:
    """The value with every empty map key renamed and every number past DynamoDB's range kept as its text,
    for free-form maps a source may really send (PagerDuty's custom_details is any JSON)."""
    if isinstance(value, dict):
        return {(name or EMPTY_KEY_REPLACEMENT): storable_json(item) for name, item in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if unstorable_number(value):
        return repr(value)
    return value


def check_evidence(evidence: dict[str, Any], field: str) -> dict[str, Any]:
    unstorable = unstorable_path(evidence, field)
    if unstorable is not None:
        path, problem = unstorable
        raise InvalidInput(f"{path}: {problem}", details=[{"field": path, "problem": problem}])
    if len(evidence) > MAX_EVIDENCE_KEYS:
        raise InvalidInput(
            f"{field}: at most {MAX_EVIDENCE_KEYS} keys (got {len(evidence)})",
            details=[{"field": field, "problem": "too many keys"}],
        )
    size = len(json.dumps(evidence, separators=(",", ":")).encode())
    if size > MAX_EVIDENCE_BYTES:
        raise InvalidInput(
            f"{field}: at most {MAX_EVIDENCE_BYTES} bytes as JSON (got {size})",
            details=[{"field": field, "problem": "too large"}],
        )
    return evidence
