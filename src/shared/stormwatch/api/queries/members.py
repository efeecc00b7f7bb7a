"""The org's members, for everyone who may see them (contact points only for admins)."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Response

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.api.schemas import member_view
from stormwatch.wiring import member_admin

router = create_router()


@router.get("/v1/members", responses=answers(HTTPStatus.OK, "MemberList", HTTPStatus.FORBIDDEN))
def list_members() -> Response[str]:
    members = member_admin().list_members(current_caller(router))
    return json_response(
        HTTPStatus.OK, {"items": [member_view(member) for member in members], "next_cursor": None}
    )


@router.get(
    "/v1/members/<handle>",
    responses=answers(HTTPStatus.OK, "Member", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_member(handle: str) -> Response[str]:
    member = member_admin().get(current_caller(router), handle.lower())
    return json_response(HTTPStatus.OK, member_view(member))
