"""Commands on an incident's context: signals, SLO violations, tags, tickets and actions taken. Every POST
honours Idempotency-Key; tags honour If-Match."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.commands.incidents import INCIDENT_COMMAND
from stormwatch.api.context_schemas import ActionBody, SignalBody, SloViolationBody, TagsBody, TicketBody
from stormwatch.api.http import BODY_ERRORS, answers, create_router, expected_version
from stormwatch.api.idempotency import command
from stormwatch.api.schemas import event_view, incident_view
from stormwatch.wiring import context_commands

router = create_router()
# An event recorded on one incident: its body, its role, the incident, and a snapshot's limits.
RECORDED = (*BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT)


@router.post(
    "/v1/incidents/<incident_id>/signals", responses=answers(HTTPStatus.CREATED, "TimelineEvent", *RECORDED)
)
def add_signal(incident_id: str, body: Annotated[SignalBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: event_view(context_commands().signal(caller, incident_id, body.to_signal())),
    )


@router.post(
    "/v1/incidents/<incident_id>/slo-violations",
    responses=answers(HTTPStatus.CREATED, "TimelineEvent", *RECORDED),
)
def add_slo_violation(incident_id: str, body: Annotated[SloViolationBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: event_view(
            context_commands().slo_violation(
                caller,
                incident_id,
                body.slo_id,
                body.window_start,
                body.window_end,
                body.error_budget_consumed,
                body.threshold_breached,
                body.checked_details(),
            )
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/tags", responses=answers(HTTPStatus.OK, "Incident", *INCIDENT_COMMAND)
)
def change_tags(incident_id: str, body: Annotated[TagsBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            context_commands().tags(caller, incident_id, body.add, body.remove, expected_version(router))
        ),
    )


@router.post("/v1/incidents/<incident_id>/tickets", responses=answers(HTTPStatus.OK, "Incident", *RECORDED))
def link_ticket(incident_id: str, body: Annotated[TicketBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: incident_view(
            context_commands().ticket(caller, incident_id, body.system, body.key, body.url)
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/actions", responses=answers(HTTPStatus.CREATED, "TimelineEvent", *RECORDED)
)
def record_action(incident_id: str, body: Annotated[ActionBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: event_view(
            context_commands().action(caller, incident_id, body.kind, body.label, body.details)
        ),
    )
