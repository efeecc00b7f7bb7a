"""Request bodies and response views of on-call schedules."""

from typing import Any

from pydantic import AwareDatetime, Field

from stormwatch.api.schemas import Handle, Strict
from stormwatch.clock import iso
from stormwatch.domain.schedules import Layer, OnCall, Override, Schedule, Shift, TimeZoneName
from stormwatch.services.schedules import MemberShift, ScheduleOnCall


class ScheduleBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    time_zone: TimeZoneName = Field(description="IANA time zone, e.g. Europe/Berlin")
    layers: list[Layer] = Field(
        min_length=1, max_length=10, description="later layers cover earlier ones where they have someone"
    )


class SchedulePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    time_zone: TimeZoneName | None = None
    layers: list[Layer] | None = Field(default=None, min_length=1, max_length=10)


class OverrideBody(Strict):
    member: Handle
    start: AwareDatetime
    end: AwareDatetime


def schedule_view(schedule: Schedule) -> dict[str, Any]:
    view = schedule.model_dump(mode="json", exclude={"calendar_token_hash"})
    view["has_calendar_token"] = schedule.calendar_token_hash is not None
    return view


def override_view(override: Override) -> dict[str, Any]:
    return override.model_dump(mode="json")


def shift_view(shift: Shift) -> dict[str, Any]:
    return {"start": iso(shift.start), "end": iso(shift.end), "member": shift.member}


def on_call_view(schedule: Schedule, answer: OnCall) -> dict[str, Any]:
    return {
        "schedule_id": schedule.id,
        "schedule_name": schedule.name,
        "member": answer.member,
        "until": iso(answer.until) if answer.until is not None else None,
    }


def everyone_view(found: list[ScheduleOnCall]) -> dict[str, Any]:
    return {"items": [on_call_view(item.schedule, item.on_call) for item in found], "next_cursor": None}


def member_shifts_view(found: list[MemberShift]) -> dict[str, Any]:
    items = [
        {"schedule_id": item.schedule.id, "schedule_name": item.schedule.name, **shift_view(item.shift)}
        for item in found
    ]
    return {"items": items, "next_cursor": None}
