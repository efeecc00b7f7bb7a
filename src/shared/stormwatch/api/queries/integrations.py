"""The org's integrations."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Response

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.api.schemas import (
    integration_view,
)
from stormwatch.wiring import integration_admin

router = create_router()


@router.get("/v1/integrations", responses=answers(HTTPStatus.OK, "IntegrationList", HTTPStatus.FORBIDDEN))
def list_integrations() -> Response[str]:
    integrations = integration_admin().list_integrations(current_caller(router))
    return json_response(
        HTTPStatus.OK, {"items": [integration_view(i) for i in integrations], "next_cursor": None}
    )


@router.get(
    "/v1/integrations/<integration_id>",
    responses=answers(HTTPStatus.OK, "Integration", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_integration(integration_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, integration_view(integration_admin().get(current_caller(router), integration_id))
    )
