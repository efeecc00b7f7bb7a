"""Bounds on what one alert may carry, so a snapshot stays far below DynamoDB's 400 KB item limit and a
repeat's update expression stays within its 4 KB."""

import json
from typing import Any

from stormwatch.domain.errors import InvalidInput

MAX_EVIDENCE_KEYS = 50
MAX_EVIDENCE_BYTES = 32_768


def check_evidence(evidence: dict[str, Any], field: str) -> dict[str, Any]:
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
