"""The org's metrics for a window."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from stormwatch.api.http import answers, create_router, current_caller, json_response
from stormwatch.domain.metrics import MAX_WINDOW_DAYS
from stormwatch.wiring import metrics_queries

router = create_router()


@router.get(
    "/v1/metrics", responses=answers(HTTPStatus.OK, "Metrics", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN)
)
def get_metrics(
    since: Annotated[
        AwareDatetime | None,
        Query(
            description=f"window start, included; default until - 30 days; before until, and at most "
            f"{MAX_WINDOW_DAYS} days before it (else 400)"
        ),
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="window end, excluded; default now")] = None,
    service: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response[str]:
    return json_response(
        HTTPStatus.OK, metrics_queries().report(current_caller(router), since, until, service)
    )
