"""Who is on call: a schedule, its final shifts, every schedule's on-call now, a member's upcoming shifts."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from stormwatch.api.http import answers, create_router, current_caller, json_response, text_answers
from stormwatch.api.openapi import CALENDAR_TOKEN
from stormwatch.api.schedule_schemas import (
    everyone_view,
    member_shifts_view,
    on_call_view,
    reminders_view,
    schedule_view,
    shift_view,
)
from stormwatch.clock import iso
from stormwatch.wiring import schedule_admin

router = create_router()

At = Annotated[AwareDatetime | None, Query(description="the instant asked about; default now")]
Since = Annotated[AwareDatetime | None, Query(description="window start, included; default now")]
Until = Annotated[
    AwareDatetime | None, Query(description="window end, excluded; at most 93 days after since")
]


@router.get(
    "/v1/schedules",
    responses=answers(HTTPStatus.OK, "ScheduleList", HTTPStatus.FORBIDDEN),
)
def list_schedules() -> Response[str]:
    schedules = schedule_admin().list_schedules(current_caller(router))
    return json_response(HTTPStatus.OK, {"items": [schedule_view(s) for s in schedules], "next_cursor": None})


@router.get(
    "/v1/schedules/<schedule_id>",
    responses=answers(HTTPStatus.OK, "Schedule", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def get_schedule(schedule_id: str) -> Response[str]:
    return json_response(
        HTTPStatus.OK, schedule_view(schedule_admin().get(current_caller(router), schedule_id))
    )


@router.get(
    "/v1/schedules/<schedule_id>/oncall",
    responses=answers(
        HTTPStatus.OK, "OnCall", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND
    ),
)
def get_on_call(schedule_id: str, at: At = None) -> Response[str]:
    found = schedule_admin().on_call(current_caller(router), schedule_id, at)
    return json_response(HTTPStatus.OK, on_call_view(found.schedule, found.on_call))


@router.get(
    "/v1/schedules/<schedule_id>/shifts",
    responses=answers(
        HTTPStatus.OK, "Shifts", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND
    ),
)
def list_shifts(schedule_id: str, since: Since = None, until: Until = None) -> Response[str]:
    start, end, shifts = schedule_admin().shifts(current_caller(router), schedule_id, since, until)
    return json_response(
        HTTPStatus.OK,
        {"window": {"since": iso(start), "until": iso(end)}, "items": [shift_view(s) for s in shifts]},
    )


@router.get(
    "/v1/schedules/<schedule_id>/reminders",
    responses=answers(
        HTTPStatus.OK, "SentReminders", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND
    ),
)
def list_reminders(
    schedule_id: str,
    since: Annotated[
        AwareDatetime | None, Query(description="window start; default 7 days before until")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="window end, included; default now")] = None,
) -> Response[str]:
    """The shift reminders the schedule sent, newest first, each with how its deliveries went."""
    start, end, found = schedule_admin().reminders_sent(current_caller(router), schedule_id, since, until)
    return json_response(HTTPStatus.OK, reminders_view(start, end, found))


@router.get(
    "/v1/oncall",
    responses=answers(HTTPStatus.OK, "OnCallList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN),
)
def everyone_on_call(at: At = None) -> Response[str]:
    return json_response(
        HTTPStatus.OK, everyone_view(schedule_admin().everyone_on_call(current_caller(router), at))
    )


@router.get(
    "/v1/members/<handle>/shifts",
    responses=answers(
        HTTPStatus.OK, "MemberShiftList", HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND
    ),
)
def member_shifts(handle: str, since: Since = None, until: Until = None) -> Response[str]:
    found = schedule_admin().upcoming_shifts(current_caller(router), handle.lower(), since, until)
    return json_response(HTTPStatus.OK, member_shifts_view(found))


@router.get(
    "/v1/schedules/<schedule_id>/calendar.ics",
    responses=text_answers(HTTPStatus.OK, "text/calendar", HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND),
    security=CALENDAR_TOKEN,
)
def calendar_feed(
    schedule_id: str,
    token: Annotated[str | None, Query(max_length=128, description="the schedule's calendar token")] = None,
    member: Annotated[str | None, Query(max_length=40, description="only this member's shifts")] = None,
) -> Response[str]:
    """No JWT: calendar apps hold the schedule's revocable feed token instead."""
    schedule, feed = schedule_admin().calendar_feed(schedule_id, token, member.lower() if member else None)
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type="text/calendar; charset=utf-8",
        body=feed,
        headers={"Content-Disposition": f'inline; filename="{schedule.id}.ics"'},
    )
