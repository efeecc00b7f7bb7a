"""Reading incidents: the list with filters, the detail with alerts and timeline, the metrics; members and
integrations for everyone who may see them."""

from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import AwareDatetime

from stormwatch.api.http import create_app, current_caller, json_response
from stormwatch.api.openapi import packaged
from stormwatch.api.schemas import (
    detail_view,
    event_view,
    incident_view,
    integration_view,
    member_view,
    policy_view,
)
from stormwatch.domain.listing import IncidentFilter, Sort
from stormwatch.domain.models import Severity, Status
from stormwatch.wiring import incident_queries, integration_admin, member_admin, metrics_queries, policy_admin

logger = Logger()
app = create_app()


@app.get("/v1/incidents")
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
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
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
    items, next_cursor = incident_queries().list_incidents(current_caller(app), wanted, limit, cursor)
    return json_response(
        HTTPStatus.OK, {"items": [incident_view(item) for item in items], "next_cursor": next_cursor}
    )


@app.get("/v1/incidents/<incident_id>")
def get_incident(incident_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, detail_view(incident_queries().detail(current_caller(app), incident_id))
    )


@app.get("/v1/incidents/<incident_id>/timeline")
def get_timeline(
    incident_id: str,
    order: Annotated[Literal["oldest", "newest"], Query()] = "oldest",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    events, next_cursor = incident_queries().timeline(
        current_caller(app), incident_id, order == "newest", limit, cursor
    )
    return json_response(
        HTTPStatus.OK, {"items": [event_view(event) for event in events], "next_cursor": next_cursor}
    )


@app.get("/v1/metrics")
def get_metrics(
    since: Annotated[
        AwareDatetime | None, Query(description="window start, included; default until - 30 days")
    ] = (None),
    until: Annotated[AwareDatetime | None, Query(description="window end, excluded; default now")] = None,
    service: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response[str]:
    return json_response(HTTPStatus.OK, metrics_queries().report(current_caller(app), since, until, service))


@app.get("/v1/escalation-policies")
def list_policies() -> Response[str]:
    policies = policy_admin().list_policies(current_caller(app))
    return json_response(
        HTTPStatus.OK, {"items": [policy_view(policy) for policy in policies], "next_cursor": None}
    )


@app.get("/v1/escalation-policies/<policy_id>")
def get_policy(policy_id: str) -> Response[str]:
    return json_response(HTTPStatus.OK, policy_view(policy_admin().get(current_caller(app), policy_id)))


@app.get("/v1/org/settings")
def get_org_settings() -> Response[str]:
    return json_response(HTTPStatus.OK, policy_admin().settings(current_caller(app)).model_dump(mode="json"))


@app.get("/v1/openapi.json")
def openapi_document() -> Response[str]:
    return Response(status_code=HTTPStatus.OK.value, content_type="application/json", body=packaged())


@app.get("/v1/members")
def list_members() -> Response[str]:
    members = member_admin().list_members(current_caller(app))
    return json_response(
        HTTPStatus.OK, {"items": [member_view(member) for member in members], "next_cursor": None}
    )


@app.get("/v1/members/<handle>")
def get_member(handle: str) -> Response[str]:
    return json_response(HTTPStatus.OK, member_view(member_admin().get(current_caller(app), handle.lower())))


@app.get("/v1/integrations")
def list_integrations() -> Response[str]:
    integrations = integration_admin().list_integrations(current_caller(app))
    return json_response(
        HTTPStatus.OK, {"items": [integration_view(i) for i in integrations], "next_cursor": None}
    )


@app.get("/v1/integrations/<integration_id>")
def get_integration(integration_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, integration_view(integration_admin().get(current_caller(app), integration_id))
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
