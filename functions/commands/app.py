"""Commands people give: incidents (open, status, severity, assignment, silence, links, comments), members,
integrations, escalation policies and the org's settings. Every POST honours Idempotency-Key; incident
commands honour If-Match."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths

from stormwatch.api.http import create_app, current_caller, expected_version, guard_request, json_response
from stormwatch.api.idempotency import idempotent
from stormwatch.api.schemas import (
    AssignmentBody,
    CommentBody,
    CreateIncidentBody,
    IntegrationBody,
    IntegrationPatch,
    LinkBody,
    MemberBody,
    MemberPatch,
    OrgSettingsBody,
    PolicyBody,
    PolicyPatch,
    SeverityBody,
    SilenceBody,
    StatusChangeBody,
    incident_view,
    integration_view,
    member_view,
    policy_view,
)
from stormwatch.wiring import incident_commands, integration_admin, member_admin, policy_admin

logger = Logger()
app = create_app()


@app.post("/v1/incidents")
def open_incident(body: Annotated[CreateIncidentBody, Body()]) -> Response[str]:
    caller = current_caller(app)
    return idempotent(
        app,
        caller,
        lambda: (HTTPStatus.CREATED, incident_view(incident_commands().open(caller, body.to_request()))),
    )


@app.post("/v1/incidents/<incident_id>/status")
def change_status(incident_id: str, body: Annotated[StatusChangeBody, Body()]) -> Response[str]:
    caller, version = current_caller(app), expected_version(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.OK,
            incident_view(
                incident_commands().set_status(caller, incident_id, body.status, body.note, version)
            ),
        ),
    )


@app.post("/v1/incidents/<incident_id>/severity")
def change_severity(incident_id: str, body: Annotated[SeverityBody, Body()]) -> Response[str]:
    caller, version = current_caller(app), expected_version(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.OK,
            incident_view(
                incident_commands().set_severity(caller, incident_id, body.severity, body.reason, version)
            ),
        ),
    )


@app.post("/v1/incidents/<incident_id>/assignment")
def change_assignment(incident_id: str, body: Annotated[AssignmentBody, Body()]) -> Response[str]:
    caller, version = current_caller(app), expected_version(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.OK,
            incident_view(incident_commands().assign(caller, incident_id, body.assignee, version)),
        ),
    )


@app.post("/v1/incidents/<incident_id>/silence")
def silence_incident(incident_id: str, body: Annotated[SilenceBody, Body()]) -> Response[str]:
    caller, version = current_caller(app), expected_version(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.OK,
            incident_view(incident_commands().silence(caller, incident_id, body.until, version)),
        ),
    )


@app.delete("/v1/incidents/<incident_id>/silence")
def end_silence(incident_id: str) -> Response[str]:
    incident = incident_commands().unsilence(current_caller(app), incident_id, expected_version(app))
    return json_response(HTTPStatus.OK, incident_view(incident))


@app.post("/v1/incidents/<incident_id>/links")
def link_incident(incident_id: str, body: Annotated[LinkBody, Body()]) -> Response[str]:
    caller, version = current_caller(app), expected_version(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.OK,
            incident_view(
                incident_commands().link(
                    caller, incident_id, body.type, body.incident_id, body.resolve_with_parent, version
                )
            ),
        ),
    )


@app.post("/v1/incidents/<incident_id>/comments")
def add_comment(incident_id: str, body: Annotated[CommentBody, Body()]) -> Response[str]:
    caller = current_caller(app)
    return idempotent(
        app, caller, lambda: (HTTPStatus.CREATED, incident_commands().comment(caller, incident_id, body.body))
    )


@app.patch("/v1/incidents/<incident_id>/comments/<comment_id>")
def edit_comment(incident_id: str, comment_id: str, body: Annotated[CommentBody, Body()]) -> Response[str]:
    event = incident_commands().edit_comment(current_caller(app), incident_id, comment_id, body.body)
    return json_response(HTTPStatus.OK, event)


@app.delete("/v1/incidents/<incident_id>/comments/<comment_id>")
def delete_comment(incident_id: str, comment_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, incident_commands().delete_comment(current_caller(app), incident_id, comment_id)
    )


@app.post("/v1/members")
def create_member(body: Annotated[MemberBody, Body()]) -> Response[str]:
    caller = current_caller(app)
    return idempotent(
        app,
        caller,
        lambda: (HTTPStatus.CREATED, member_view(member_admin().create(caller, body.model_dump()))),
    )


@app.patch("/v1/members/<handle>")
def update_member(handle: str, body: Annotated[MemberPatch, Body()]) -> Response[str]:
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    return json_response(
        HTTPStatus.OK, member_view(member_admin().update(current_caller(app), handle.lower(), fields))
    )


@app.delete("/v1/members/<handle>")
def remove_member(handle: str) -> Response[str]:
    member_admin().remove(current_caller(app), handle.lower())
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@app.post("/v1/escalation-policies")
def create_policy(body: Annotated[PolicyBody, Body()]) -> Response[str]:
    caller = current_caller(app)
    return idempotent(
        app,
        caller,
        lambda: (
            HTTPStatus.CREATED,
            policy_view(policy_admin().create(caller, body.model_dump(mode="json"))),
        ),
    )


@app.patch("/v1/escalation-policies/<policy_id>")
def update_policy(policy_id: str, body: Annotated[PolicyPatch, Body()]) -> Response[str]:
    fields = body.model_dump(mode="json", exclude_unset=True)
    return json_response(
        HTTPStatus.OK, policy_view(policy_admin().update(current_caller(app), policy_id, fields))
    )


@app.delete("/v1/escalation-policies/<policy_id>")
def delete_policy(policy_id: str) -> Response[str]:
    policy_admin().delete(current_caller(app), policy_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@app.put("/v1/org/settings")
def update_org_settings(body: Annotated[OrgSettingsBody, Body()]) -> Response[str]:
    fields = body.model_dump(mode="json", exclude_unset=True)
    settings = policy_admin().update_settings(current_caller(app), fields)
    return json_response(HTTPStatus.OK, settings.model_dump(mode="json"))


@app.post("/v1/integrations")
def create_integration(body: Annotated[IntegrationBody, Body()]) -> Response[str]:
    caller = current_caller(app)

    def create() -> tuple[HTTPStatus, Any]:
        issued = integration_admin().create_for(caller, body.source, body.name, body.settings())
        return HTTPStatus.CREATED, integration_view(issued.integration, issued.key)

    return idempotent(app, caller, create)


@app.patch("/v1/integrations/<integration_id>")
def update_integration(integration_id: str, body: Annotated[IntegrationPatch, Body()]) -> Response[str]:
    settings: dict[str, Any] = body.model_dump(exclude_unset=True)
    integration = integration_admin().update(current_caller(app), integration_id, settings)
    return json_response(HTTPStatus.OK, integration_view(integration))


@app.post("/v1/integrations/<integration_id>/rotate")
def rotate_integration_key(integration_id: str) -> Response[str]:
    caller = current_caller(app)

    def rotate() -> tuple[HTTPStatus, Any]:
        issued = integration_admin().rotate(caller, integration_id)
        return HTTPStatus.OK, integration_view(issued.integration, issued.key)

    return idempotent(app, caller, rotate)


@app.delete("/v1/integrations/<integration_id>")
def delete_integration(integration_id: str) -> Response[str]:
    integration_admin().delete(current_caller(app), integration_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@guard_request(json_body=True)
def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return resolve(event, context)
