"""Members of the org and their contact points (admin)."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import BODY_ERRORS, answers, create_router, current_caller, json_response
from stormwatch.api.idempotency import idempotent
from stormwatch.api.schemas import (
    MemberBody,
    MemberPatch,
    member_view,
)
from stormwatch.wiring import member_admin

router = create_router()


@router.post(
    "/v1/members",
    responses=answers(HTTPStatus.CREATED, "Member", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT),
)
def create_member(body: Annotated[MemberBody, Body()]) -> Response[str]:
    caller = current_caller(router)
    return idempotent(
        router,
        caller,
        lambda: (HTTPStatus.CREATED, member_view(member_admin().create(caller, body.model_dump()))),
    )


@router.patch(
    "/v1/members/<handle>",
    responses=answers(
        HTTPStatus.OK, "Member", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT
    ),
)
def update_member(handle: str, body: Annotated[MemberPatch, Body()]) -> Response[str]:
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    return json_response(
        HTTPStatus.OK, member_view(member_admin().update(current_caller(router), handle.lower(), fields))
    )


@router.delete(
    "/v1/members/<handle>",
    responses=answers(
        HTTPStatus.OK, "MemberRemoval", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT
    ),
)
def remove_member(handle: str) -> Response[str]:
    changed = member_admin().remove(current_caller(router), handle.lower())
    schedules = [{"id": schedule.id, "name": schedule.name} for schedule in changed]
    return json_response(HTTPStatus.OK, {"handle": handle.lower(), "schedules_changed": schedules})
