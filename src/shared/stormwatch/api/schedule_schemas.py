"""Request bodies and response views of on-call schedules."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, Field

from stormwatch.api.schemas import Handle, NotNull, Strict, cleared, kept
from stormwatch.clock import iso
from stormwatch.domain.schedules import (
    DEFAULT_REMINDER_HOURS,
    MAX_REMINDER_HOURS,
    Layer,
    OnCall,
    Override,
    Schedule,
    SentReminder,
    Shift,
    TimeZoneName,
)

if TYPE_CHECKING:
    # Types of two views only: the schedules service (and the stores it drives) loads when a request builds
    # it, not with every route of the commands and queries handlers.
    from stormwatch.services.schedules import MemberShift, ScheduleOnCall

_REMINDER_HOURS = "how long before a shift starts its member is reminded (0: no reminders)"


class ScheduleBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    time_zone: TimeZoneName = Field(description="IANA time zone, e.g. Europe/Berlin")
    layers: list[Layer] = Field(
        min_length=1, max_length=10, description="later layers cover earlier ones where they have someone"
    )
    reminder_hours: int = Field(
        default=DEFAULT_REMINDER_HOURS, ge=0, le=MAX_REMINDER_HOURS, description=_REMINDER_HOURS
    )


class SchedulePatch(Strict):
    name: Annotated[str, NotNull] = kept(min_length=1, max_length=200)
    description: str | None = cleared("no description", max_length=2000)
    time_zone: Annotated[TimeZoneName, NotNull] = kept(description="IANA time zone, e.g. Europe/Berlin")
    layers: Annotated[list[Layer], NotNull] = kept(min_length=1, max_length=10)
    reminder_hours: Annotated[int, NotNull] = kept(ge=0, le=MAX_REMINDER_HOURS, description=_REMINDER_HOURS)


class OverrideBody(Strict):
    member: Handle
    start: AwareDatetime
    end: AwareDatetime


def schedule_view(schedule: Schedule) -> dict[str, Any]:
    view = schedule.model_dump(mode="json", exclude={"calendar_token_hash", "reminded"})
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


def everyone_view(found: "list[ScheduleOnCall]") -> dict[str, Any]:
    return {"items": [on_call_view(item.schedule, item.on_call) for item in found], "next_cursor": None}


def member_shifts_view(found: "list[MemberShift]") -> dict[str, Any]:
    items = [
        {"schedule_id": item.schedule.id, "schedule_name": item.schedule.name, **shift_view(item.shift)}
        for item in found
    ]
    return {"items": items, "next_cursor": None}


def reminders_view(since: datetime, until: datetime, found: list[SentReminder]) -> dict[str, Any]:
    return {
        "window": {"since": iso(since), "until": iso(until)},
        "items": [reminder.model_dump(mode="json") for reminder in found],
    }
