"""Commands on incidents: open, status, severity, assignment, silence, links, comments. Every POST honours
Idempotency-Key; incident commands honour If-Match."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import (
    BODY_ERRORS,
    answers,
    create_router,
    current_caller,
    expected_version,
    json_response,
    reused_answer,
)
from stormwatch.api.idempotency import command, idempotent
from stormwatch.api.schemas import (
    AssignmentBody,
    CommentBody,
    CreateIncidentBody,
    LinkBody,
    SeverityBody,
    SilenceBody,
    StatusChangeBody,
    incident_view,
)
from stormwatch.wiring import context_commands, incident_commands

router = create_router()
# A command on one incident: its body, its role, the incident, its state, and If-Match.
INCIDENT_COMMAND = (
    *BODY_ERRORS,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
    HTTPStatus.CONFLICT,
    HTTPStatus.PRECONDITION_FAILED,
)


@router.post(
    "/v1/incidents",
    responses={
        **answers(
            HTTPStatus.CREATED,
            "Incident",
            *BODY_ERRORS,
            HTTPStatus.FORBIDDEN,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.CONFLICT,
        ),
        **reused_answer(),
    },
)
def open_incident(body: Annotated[CreateIncidentBody, Body()]) -> Response[str]:
    caller = current_caller(router)
    request = body.to_request()

    def opened() -> tuple[HTTPStatus, dict[str, object]]:
        if request.dedupe is None:
            return HTTPStatus.CREATED, incident_view(incident_commands().open(caller, request))
        incident, reused = context_commands().open_for_service(caller, request)
        status = HTTPStatus.OK if reused else HTTPStatus.CREATED
        return status, {**incident_view(incident), "reused": reused}

    return idempotent(router, caller, opened)


@router.post(
    "/v1/incidents/<incident_id>/status", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def change_status(incident_id: str, body: Annotated[StatusChangeBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            incident_commands().set_status(
                caller, incident_id, body.status, body.note, expected_version(router)
            )
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/severity", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def change_severity(incident_id: str, body: Annotated[SeverityBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            incident_commands().set_severity(
                caller, incident_id, body.severity, body.reason, expected_version(router)
            )
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/assignment", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def change_assignment(incident_id: str, body: Annotated[AssignmentBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            incident_commands().assign(caller, incident_id, body.assignee, expected_version(router))
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/silence", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def silence_incident(incident_id: str, body: Annotated[SilenceBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            incident_commands().silence(caller, incident_id, body.until, expected_version(router))
        ),
    )


@router.delete(
    "/v1/incidents/<incident_id>/silence",
    responses=answers(
        HTTPStatus.OK,
        "Incident",
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        HTTPStatus.PRECONDITION_FAILED,
    ),
)
def end_silence(incident_id: str) -> Response[str]:
    incident = incident_commands().unsilence(current_caller(router), incident_id, expected_version(router))
    return json_response(HTTPStatus.OK, incident_view(incident))


@router.post(
    "/v1/incidents/<incident_id>/links", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def link_incident(incident_id: str, body: Annotated[LinkBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            incident_commands().link(
                caller,
                incident_id,
                body.type,
                body.incident_id,
                body.resolve_with_parent,
                expected_version(router),
            )
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/comments",
    responses=answers(
        HTTPStatus.CREATED,
        "TimelineEvent",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def add_comment(incident_id: str, body: Annotated[CommentBody, Body()]) -> Response[str]:
    caller = current_caller(router)
    return idempotent(
        router,
        caller,
        lambda: (HTTPStatus.CREATED, incident_commands().comment(caller, incident_id, body.body)),
    )


@router.patch(
    "/v1/incidents/<incident_id>/comments/<comment_id>",
    responses=answers(
        HTTPStatus.OK,
        "TimelineEvent",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def edit_comment(incident_id: str, comment_id: str, body: Annotated[CommentBody, Body()]) -> Response[str]:
    event = incident_commands().edit_comment(current_caller(router), incident_id, comment_id, body.body)
    return json_response(HTTPStatus.OK, event)


@router.delete(
    "/v1/incidents/<incident_id>/comments/<comment_id>",
    responses=answers(
        HTTPStatus.OK, "TimelineEvent", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT
    ),
)
def delete_comment(incident_id: str, comment_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, incident_commands().delete_comment(current_caller(router), incident_id, comment_id)
    )
