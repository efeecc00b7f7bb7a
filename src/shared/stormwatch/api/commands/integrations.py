"""Integrations: create (the key is shown once), change, rotate the key, delete (admin)."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import BODY_ERRORS, answers, create_router, current_caller, json_response
from stormwatch.api.idempotency import idempotent
from stormwatch.api.schemas import (
    IntegrationBody,
    IntegrationPatch,
    integration_view,
)
from stormwatch.wiring import integration_admin

router = create_router()


@router.post(
    "/v1/integrations",
    responses=answers(
        HTTPStatus.CREATED, "IssuedIntegration", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT
    ),
)
def create_integration(body: Annotated[IntegrationBody, Body()]) -> Response[str]:
    caller = current_caller(router)

    def create() -> tuple[HTTPStatus, Any]:
        issued = integration_admin().create_for(caller, body.source, body.name, body.settings())
        return HTTPStatus.CREATED, integration_view(issued.integration, issued.key)

    return idempotent(router, caller, create)


@router.patch(
    "/v1/integrations/<integration_id>",
    responses=answers(
        HTTPStatus.OK,
        "Integration",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def update_integration(integration_id: str, body: Annotated[IntegrationPatch, Body()]) -> Response[str]:
    settings: dict[str, Any] = body.model_dump(exclude_unset=True)
    integration = integration_admin().update(current_caller(router), integration_id, settings)
    return json_response(HTTPStatus.OK, integration_view(integration))


@router.post(
    "/v1/integrations/<integration_id>/rotate",
    responses=answers(
        HTTPStatus.OK,
        "IssuedIntegration",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def rotate_integration_key(integration_id: str) -> Response[str]:
    caller = current_caller(router)

    def rotate() -> tuple[HTTPStatus, Any]:
        issued = integration_admin().rotate(caller, integration_id)
        return HTTPStatus.OK, integration_view(issued.integration, issued.key)

    return idempotent(router, caller, rotate)


@router.delete(
    "/v1/integrations/<integration_id>",
    responses=answers(
        HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT
    ),
)
def delete_integration(integration_id: str) -> Response[str]:
    integration_admin().delete(current_caller(router), integration_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")
