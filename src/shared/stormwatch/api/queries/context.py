"""Reading an incident's context: related incidents, and an SLO's violations across the org."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stormwatch.api.context_schemas import related_view, violation_view
from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.wiring import context_queries

router = create_router()


@router.get(
    "/v1/incidents/<incident_id>/related",
    responses=answers(
        HTTPStatus.OK,
        "RelatedIncidentList",
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
    ),
)
def related_incidents(incident_id: str, limit: Annotated[int, Query(ge=1, le=50)] = 20) -> Response[str]:
    related = context_queries().related(current_caller(router), incident_id, limit)
    return json_response(
        HTTPStatus.OK, {"items": [related_view(*entry) for entry in related], "next_cursor": None}
    )


@router.get(
    "/v1/slos/<slo_id>/violations",
    responses=answers(HTTPStatus.OK, "SloViolationList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN),
)
def slo_violations(
    slo_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    found, next_cursor = context_queries().slo_violations(current_caller(router), slo_id, limit, cursor)
    return json_response(
        HTTPStatus.OK, {"items": [violation_view(item) for item in found], "next_cursor": next_cursor}
    )
