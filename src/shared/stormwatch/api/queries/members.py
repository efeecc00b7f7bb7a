"""The org's members, for everyone who may see them (contact points only for admins)."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Response

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.api.schemas import member_view
from stormwatch.domain.models import Role
from stormwatch.wiring import member_admin

router = create_router()


@router.get("/v1/members", responses=answers(HTTPStatus.OK, "MemberList", HTTPStatus.FORBIDDEN))
def list_members() -> Response[str]:
    caller = current_caller(router)
    members = member_admin().list_members(caller)
    admin = caller.has(Role.ADMIN)
    return json_response(
        HTTPStatus.OK, {"items": [member_view(member, admin) for member in members], "next_cursor": None}
    )


@router.get(
    "/v1/members/<handle>",
    responses=answers(HTTPStatus.OK, "Member", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_member(handle: str) -> Response[str]:
    caller = current_caller(router)
    member = member_admin().get(caller, handle.lower())
    return json_response(HTTPStatus.OK, member_view(member, caller.has(Role.ADMIN)))
