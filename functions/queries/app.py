"""Reading incidents (the list with filters, the detail with alerts and timeline), the metrics; members,
integrations, escalation policies and settings for everyone who may see them, a Router per resource, each
included when a request first needs it; and the OpenAPI document."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.logging import correlation_paths

from stormwatch.api import queries
from stormwatch.api.http import create_app
from stormwatch.api.openapi import CALENDAR_TOKEN_SCHEMES, packaged

logger = Logger()
app = create_app(resources=(queries.__name__, queries.ROUTES))
# The calendar feed's token scheme, which its security names.
app.configure_openapi(security_schemes=cast(Any, CALENDAR_TOKEN_SCHEMES))


@app.get(
    "/v1/openapi.json",
    responses={
        200: {"description": "this document", "content": {"application/json": {"schema": {"type": "object"}}}}
    },
)
def openapi_document() -> Response[str]:
    return Response(status_code=HTTPStatus.OK.value, content_type="application/json", body=packaged())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


startup.imported()
