"""Reading incidents: the list with filters, the detail with alerts and timeline, the whole timeline."""

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.api.schemas import (
    detail_view,
    event_view,
    incident_view,
)
from stormwatch.domain.context import ContextFilter
from stormwatch.domain.listing import IncidentFilter, Sort
from stormwatch.domain.models import Severity, Status
from stormwatch.wiring import incident_queries

router = create_router()


@router.get(
    "/v1/incidents",
    responses=answers(HTTPStatus.OK, "IncidentList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN),
)
def list_incidents(
    status: Annotated[list[Status] | None, Query(description="one or more, comma-separated")] = None,
    severity: Annotated[list[Severity] | None, Query(description="one or more, comma-separated")] = None,
    service: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    environment: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=64, description="a handle, or me")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="words in title, service or key")
    ] = None,
    created_after: Annotated[AwareDatetime | None, Query()] = None,
    created_before: Annotated[AwareDatetime | None, Query()] = None,
    sort: Annotated[Sort, Query(description="created: newest first; activity: latest activity first")] = (
        Sort.CREATED
    ),
    correlation_key: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    trace_id: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=64, description="case-insensitive")] = None,
    project: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    context = ContextFilter(correlation_key, trace_id, tag.lower() if tag else None, project)
    wanted = IncidentFilter.parse(
        status or [],
        severity or [],
        service,
        environment,
        assignee.lower() if assignee else None,
        q,
        created_after,
        created_before,
        sort,
    )
    items, next_cursor = incident_queries().list_incidents(
        current_caller(router), wanted, limit, cursor, context
    )
    return json_response(
        HTTPStatus.OK, {"items": [incident_view(item) for item in items], "next_cursor": next_cursor}
    )


@router.get(
    "/v1/incidents/<incident_id>",
    responses=answers(HTTPStatus.OK, "IncidentDetail", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_incident(incident_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, detail_view(incident_queries().detail(current_caller(router), incident_id))
    )


@router.get(
    "/v1/incidents/<incident_id>/timeline",
    responses=answers(
        HTTPStatus.OK, "TimelineEventList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND
    ),
)
def get_timeline(
    incident_id: str,
    order: Annotated[Literal["oldest", "newest"], Query()] = "oldest",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    events, next_cursor = incident_queries().timeline(
        current_caller(router), incident_id, order == "newest", limit, cursor
    )
    return json_response(
        HTTPStatus.OK, {"items": [event_view(event) for event in events], "next_cursor": next_cursor}
    )
