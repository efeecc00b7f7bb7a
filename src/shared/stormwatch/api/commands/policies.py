"""Escalation policies and the org's settings (admin)."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import BODY_ERRORS, answers, create_router, current_caller, json_response
from stormwatch.api.idempotency import command
from stormwatch.api.schemas import (
    OrgSettingsBody,
    PolicyBody,
    PolicyPatch,
    policy_view,
)
from stormwatch.wiring import policy_admin

router = create_router()


@router.post(
    "/v1/escalation-policies",
    responses=answers(
        HTTPStatus.CREATED, "EscalationPolicy", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT
    ),
)
def create_policy(body: Annotated[PolicyBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: policy_view(policy_admin().create(caller, body.model_dump(mode="json"))),
    )


@router.patch(
    "/v1/escalation-policies/<policy_id>",
    responses=answers(
        HTTPStatus.OK,
        "EscalationPolicy",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def update_policy(policy_id: str, body: Annotated[PolicyPatch, Body()]) -> Response[str]:
    fields = body.model_dump(mode="json", exclude_unset=True)
    return json_response(
        HTTPStatus.OK, policy_view(policy_admin().update(current_caller(router), policy_id, fields))
    )


@router.delete(
    "/v1/escalation-policies/<policy_id>",
    responses=answers(HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def delete_policy(policy_id: str) -> Response[str]:
    policy_admin().delete(current_caller(router), policy_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@router.put(
    "/v1/org/settings",
    responses=answers(HTTPStatus.OK, "OrgSettings", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def update_org_settings(body: Annotated[OrgSettingsBody, Body()]) -> Response[str]:
    fields = body.model_dump(mode="json", exclude_unset=True)
    settings = policy_admin().update_settings(current_caller(router), fields)
    return json_response(HTTPStatus.OK, settings.model_dump(mode="json"))
