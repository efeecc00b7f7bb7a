"""The OpenAPI document of every route of every handler, generated from the same models that validate
requests, and packaged with the layer: on AWS each function ships only its own code, so the document is
built ahead (`stormwatch openapi --write`) and a test fails when it no longer matches the code."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGED = Path(__file__).with_name("openapi.json")
HANDLERS = ("ingest", "commands", "queries")


def generate(functions_dir: Path) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBase, HTTPBearer

    from stormwatch.api.hooks_openapi import INTEGRATION_KEY_SCHEMES

    merge = OpenAPIMerge(
        title="Stormwatch",
        version="1",
        description=(
            "Alerting tools post webhooks (integration key); people work incidents through the REST API "
            '(JWT with org, sub and roles claims). Errors are {"error": {"code", "message", "details"}}.'
        ),
        security_schemes={
            "jwt": HTTPBearer(bearerFormat="JWT"),
            **{name: HTTPBase.model_validate(scheme) for name, scheme in INTEGRATION_KEY_SCHEMES.items()},
        },
    )
    for name in HANDLERS:
        merge.add_file(functions_dir / name / "app.py")
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    return document


@lru_cache(maxsize=1)
def packaged() -> str:
    return PACKAGED.read_text(encoding="utf-8")
