"""On-call schedules (admin) and their overrides (responder)."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import BODY_ERRORS, answers, create_router, current_caller, json_response
from stormwatch.api.idempotency import command
from stormwatch.api.schedule_schemas import (
    OverrideBody,
    ScheduleBody,
    SchedulePatch,
    override_view,
    schedule_view,
)
from stormwatch.wiring import schedule_admin

router = create_router()


@router.post(
    "/v1/schedules",
    responses=answers(
        HTTPStatus.CREATED, "Schedule", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT
    ),
)
def create_schedule(body: Annotated[ScheduleBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: schedule_view(schedule_admin().create(caller, body.model_dump(mode="json"))),
    )


@router.patch(
    "/v1/schedules/<schedule_id>",
    responses=answers(HTTPStatus.OK, "Schedule", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def update_schedule(schedule_id: str, body: Annotated[SchedulePatch, Body()]) -> Response[str]:
    fields = body.model_dump(mode="json", exclude_unset=True)
    return json_response(
        HTTPStatus.OK, schedule_view(schedule_admin().update(current_caller(router), schedule_id, fields))
    )


@router.delete(
    "/v1/schedules/<schedule_id>",
    responses=answers(
        HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT
    ),
)
def delete_schedule(schedule_id: str) -> Response[str]:
    schedule_admin().delete(current_caller(router), schedule_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@router.post(
    "/v1/schedules/<schedule_id>/overrides",
    responses=answers(
        HTTPStatus.CREATED,
        "Override",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def add_override(schedule_id: str, body: Annotated[OverrideBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: override_view(schedule_admin().add_override(caller, schedule_id, body.model_dump())),
    )


@router.delete(
    "/v1/schedules/<schedule_id>/overrides/<override_id>",
    responses=answers(HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def remove_override(schedule_id: str, override_id: str) -> Response[str]:
    schedule_admin().remove_override(current_caller(router), schedule_id, override_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@router.post(
    "/v1/schedules/<schedule_id>/calendar-token",
    responses=answers(HTTPStatus.CREATED, "CalendarToken", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def issue_calendar_token(schedule_id: str) -> Response[str]:
    schedule, token = schedule_admin().issue_calendar_token(current_caller(router), schedule_id)
    answer = {"token": token, "path": f"/v1/schedules/{schedule.id}/calendar.ics?token={token}"}
    return json_response(HTTPStatus.CREATED, answer)


@router.delete(
    "/v1/schedules/<schedule_id>/calendar-token",
    responses=answers(HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def revoke_calendar_token(schedule_id: str) -> Response[str]:
    schedule_admin().revoke_calendar_token(current_caller(router), schedule_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")
