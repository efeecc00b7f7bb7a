"""Reading post-mortems: one incident's (JSON or markdown), search across the org, the org's action items
and the post-mortem template."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stormwatch.api.http import answers, create_router, current_caller, json_response, text_answers
from stormwatch.api.postmortem_schemas import item_view, postmortem_view
from stormwatch.domain.models import PostmortemStatus, Severity
from stormwatch.domain.postmortems import ActionItemStatus
from stormwatch.wiring import postmortems

router = create_router()


@router.get(
    "/v1/incidents/<incident_id>/postmortem",
    responses=answers(HTTPStatus.OK, "PostmortemDetail", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_postmortem(incident_id: str) -> Response[str]:
    postmortem, items = postmortems().get(current_caller(router), incident_id)
    return json_response(HTTPStatus.OK, postmortem_view(postmortem, items))


@router.get(
    "/v1/incidents/<incident_id>/postmortem/markdown",
    responses=text_answers(HTTPStatus.OK, "text/markdown", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_postmortem_markdown(incident_id: str) -> Response[str]:
    text = postmortems().markdown(current_caller(router), incident_id)
    return Response(status_code=HTTPStatus.OK.value, content_type="text/markdown; charset=utf-8", body=text)


@router.get(
    "/v1/postmortems",
    responses=answers(HTTPStatus.OK, "PostmortemList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN),
)
def search_postmortems(
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="words of title and sections")
    ] = None,
    status: Annotated[PostmortemStatus | None, Query()] = None,
    service: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    severity: Annotated[Severity | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    found, next_cursor = postmortems().search(
        current_caller(router), q, status, service, severity, limit, cursor
    )
    return json_response(
        HTTPStatus.OK, {"items": [postmortem_view(item) for item in found], "next_cursor": next_cursor}
    )


@router.get(
    "/v1/action-items",
    responses=answers(HTTPStatus.OK, "ActionItemList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN),
)
def list_action_items(
    assignee: Annotated[str | None, Query(min_length=1, max_length=64, description="a handle, or me")] = None,
    status: Annotated[ActionItemStatus | None, Query()] = None,
    overdue: Annotated[bool, Query(description="open items whose due date has passed")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    page, next_cursor = postmortems().list_items(
        current_caller(router), assignee.lower() if assignee else None, status, overdue, limit, cursor
    )
    return json_response(
        HTTPStatus.OK,
        {"items": [item_view(item, incident_id) for incident_id, item in page], "next_cursor": next_cursor},
    )


@router.get(
    "/v1/org/postmortem-template",
    responses=answers(HTTPStatus.OK, "PostmortemTemplate", HTTPStatus.FORBIDDEN),
)
def get_template() -> Response[str]:
    sections = postmortems().template(current_caller(router))
    return json_response(HTTPStatus.OK, {"sections": [section.model_dump() for section in sections]})
