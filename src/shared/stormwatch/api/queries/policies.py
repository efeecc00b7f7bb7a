"""Escalation policies and the org's settings."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Response

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.api.schemas import (
    policy_view,
)
from stormwatch.wiring import policy_admin

router = create_router()


@router.get(
    "/v1/escalation-policies", responses=answers(HTTPStatus.OK, "EscalationPolicyList", HTTPStatus.FORBIDDEN)
)
def list_policies() -> Response[str]:
    policies = policy_admin().list_policies(current_caller(router))
    return json_response(
        HTTPStatus.OK, {"items": [policy_view(policy) for policy in policies], "next_cursor": None}
    )


@router.get(
    "/v1/escalation-policies/<policy_id>",
    responses=answers(HTTPStatus.OK, "EscalationPolicy", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_policy(policy_id: str) -> Response[str]:
    return json_response(HTTPStatus.OK, policy_view(policy_admin().get(current_caller(router), policy_id)))


@router.get("/v1/org/settings", responses=answers(HTTPStatus.OK, "OrgSettings", HTTPStatus.FORBIDDEN))
def get_org_settings() -> Response[str]:
    return json_response(
        HTTPStatus.OK, policy_admin().settings(current_caller(router)).model_dump(mode="json")
    )
