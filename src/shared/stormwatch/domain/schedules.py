"""On-call schedules: who is on call at an instant, and the final shifts of a window. Pure computation.

A schedule has an IANA time zone, layers and overrides.
- A layer rotates its participants in order, one shift each. The first shift starts on the layer's
  `start_date` at its `handoff_time` (for weekly shifts with a `handoff_day`: on the first such weekday on
  or after the start date); before it, the layer has nobody.
- Shift lengths: `hours` are elapsed time (a 12-hour shift is 12 hours long even across a daylight-saving
  change, so its local hand-off time moves by the change); `days` and `weeks` are calendar steps in the
  schedule's zone (a weekly hand-off at 09:00 stays at 09:00 local, so a shift across a change is an hour
  shorter or longer).
- A local time that does not exist (a hand-off at 02:30 on the day clocks spring forward from 02:00 to
  03:00) happens at the next valid instant, the end of the gap (03:00 local). A local time that exists
  twice (clocks falling back) means its first occurrence.
- Restrictions limit a layer to weekly windows of local time (`{days, start, end}`; an `end` at or before
  `start` runs to that time the next day): outside them the layer has nobody. A window starts on its day.
- A later layer covers the earlier ones wherever it has someone; an override covers every layer in its
  span, and a later override covers an earlier one.
Final shifts are contiguous and cover the window asked for: where nobody is on call, a shift says so
(`member` None); adjacent shifts of the same member are one shift.

Shift reminders: `reminder_hours` (default 24, 0: none) before each final shift of someone starts, its member
is told. A shift is its member and start: each is reminded once, and only before it starts; a change that
makes a new shift (an override, a moved hand-off) reminds its member of it, at once if it starts sooner than
`reminder_hours`. The schedule keeps the shifts already reminded until they start.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from stormwatch.clock import iso
from stormwatch.domain.members import HANDLE_PATTERN
from stormwatch.domain.models import LazyModel, UtcTime
from stormwatch.ids import new_event_id

# Every shift length is at most this long, so a look this far ahead sees a hand-off of every layer.
MAX_SHIFT = timedelta(days=84)
MAX_WINDOW = timedelta(days=93)
MAX_OVERRIDE = timedelta(days=93)
MAX_OVERRIDES = 200
# Instants a schedule answers for (dates far outside would overflow the calendar arithmetic).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_LOOKAHEADS = (timedelta(days=1), timedelta(days=8), MAX_WINDOW)
DEFAULT_REMINDER_HOURS = 24
MAX_REMINDER_HOURS = 168
# How far past the reminder lead a sweep looks for the next shift to remind of; finding none, it looks again
# this much later.
REMINDER_LOOKAHEAD = timedelta(days=7)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday 0, as date.weekday()."""
        return list(Weekday).index(self)


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


_MAX_LENGTH = {ShiftUnit.HOURS: 336, ShiftUnit.DAYS: 84, ShiftUnit.WEEKS: 12}


def _zone_name(name: str) -> str:
    zone(name)
    return name


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)") from None


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone_name)]
LocalTime = Annotated[str, Field(pattern=_LOCAL_TIME)]
Handle = Annotated[str, Field(pattern=HANDLE_PATTERN)]


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class Restriction(LazyModel):
    """A weekly window of local time in which a layer is on call."""

    days: list[Weekday] = Field(default_factory=lambda: list(Weekday), min_length=1, max_length=7)
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _distinct_days(self) -> "Restriction":
        if len(set(self.days)) != len(self.days):
            raise ValueError("days: a day is named twice")
        return self

    def weekly_spans(self) -> list[tuple[int, int]]:
        """The window as minutes of the week (Monday 00:00 is 0); an end past the week wraps."""
        start = _minutes(self.start)
        end = _minutes(self.end)
        length = end - start if end > start else end - start + 1440
        return [(day.number * 1440 + start, day.number * 1440 + start + length) for day in self.days]


def _minutes(text: str) -> int:
    clock = _clock(text)
    return clock.hour * 60 + clock.minute


class Layer(LazyModel):
    name: str = Field(min_length=1, max_length=100)
    participants: list[Handle] = Field(min_length=1, max_length=50)
    shift_length: int = Field(ge=1)
    shift_unit: ShiftUnit
    handoff_time: LocalTime = "09:00"
    # Weekly shifts only: the weekday of the hand-off; by default the start date's.
    handoff_day: Weekday | None = None
    start_date: date = Field(ge=EARLIEST.date(), le=LATEST.date())
    restrictions: list[Restriction] = Field(default_factory=list, max_length=14)

    @model_validator(mode="after")
    def _consistent(self) -> "Layer":
        limit = _MAX_LENGTH[self.shift_unit]
        if self.shift_length > limit:
            raise ValueError(f"shift_length: at most {limit} {self.shift_unit.value}")
        if self.handoff_day is not None and self.shift_unit is not ShiftUnit.WEEKS:
            raise ValueError("handoff_day: only weekly shifts have a hand-off day")
        spans = sorted(span for restriction in self.restrictions for span in restriction.weekly_spans())
        # Windows of one layer may not overlap, the wrap past Sunday midnight included.
        following = [*spans[1:], (spans[0][0] + 7 * 1440, 0)] if spans else []
        for (_, end), (start, _) in zip(spans, following, strict=True):
            if end > start:
                raise ValueError("restrictions: two windows overlap")
        return self

    def first_handoff_date(self) -> date:
        if self.handoff_day is None:
            return self.start_date
        return self.start_date + timedelta(days=(self.handoff_day.number - self.start_date.weekday()) % 7)

    def step(self) -> timedelta:
        """The nominal length of a shift (for days and weeks, in calendar days)."""
        if self.shift_unit is ShiftUnit.HOURS:
            return timedelta(hours=self.shift_length)
        return timedelta(days=self.shift_length * (7 if self.shift_unit is ShiftUnit.WEEKS else 1))


class Override(LazyModel):
    id: str
    member: Handle
    start: UtcTime
    end: UtcTime
    created_at: UtcTime
    created_by: str


class RemindedShift(LazyModel):
    """A shift whose member has been reminded of it."""

    member: Handle
    start: UtcTime


class Schedule(LazyModel):
    id: str
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    time_zone: TimeZoneName
    # Empty only when every participant has left: then nobody is on call but overrides.
    layers: list[Layer] = Field(max_length=10)
    overrides: list[Override] = Field(default_factory=list)
    created_at: UtcTime
    updated_at: UtcTime
    version: int = 1
    # The SHA-256 of the calendar feed's token, if one is issued; the token itself is shown once.
    calendar_token_hash: str | None = None
    # How long before a shift starts its member is reminded; 0: never.
    reminder_hours: int = Field(default=DEFAULT_REMINDER_HOURS, ge=0, le=MAX_REMINDER_HOURS)
    # The shifts reminded of that have not started yet.
    reminded: list[RemindedShift] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_layer_names(self) -> "Schedule":
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError("layers: two layers have the same name")
        return self

    def members(self) -> set[str]:
        return {handle for layer in self.layers for handle in layer.participants} | {
            override.member for override in self.overrides
        }


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    member: str | None


@dataclass(frozen=True)
class OnCall:
    member: str | None
    # When that changes; None when it does not within MAX_WINDOW.
    until: datetime | None


def local_instant(tz: ZoneInfo, day: date, clock: time) -> datetime:
    """The UTC instant of a local date and time: the next valid instant when the time falls in a gap,
    the first occurrence when it falls in an overlap."""
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=tz, fold=0)
    moment = first.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    # In a gap: fold=1 reads the wall time with the offset after the change, fold=0 with the one before,
    # so the change happened between the two readings. Its second is the first instant with the later offset.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(moment.timestamp())
    later = moment.astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == later:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


class _Rotation:
    """A layer's hand-offs: the instant of its k-th hand-off, and which shift an instant falls in."""

    def __init__(self, layer: Layer, tz: ZoneInfo) -> None:
        self._layer = layer
        self._tz = tz
        self._first_date = layer.first_handoff_date()
        self._clock = _clock(layer.handoff_time)
        self._origin = local_instant(tz, self._first_date, self._clock)
        self._step = layer.step()

    def handoff(self, k: int) -> datetime:
        if self._layer.shift_unit is ShiftUnit.HOURS:
            return self._origin + k * self._step
        return local_instant(self._tz, self._first_date + k * self._step, self._clock)

    def index(self, moment: datetime) -> int:
        """The shift that `moment` falls in (negative: before the first hand-off)."""
        k = (moment - self._origin) // self._step
        # Calendar steps differ from elapsed ones by a daylight-saving change or two: step to the right one.
        while self.handoff(k) > moment:
            k -= 1
        while self.handoff(k + 1) <= moment:
            k += 1
        return k

    def member(self, k: int) -> str:
        participants = self._layer.participants
        return participants[k % len(participants)]


def restriction_windows(
    layer: Layer, tz: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The layer's restriction windows meeting [since, until), as sorted UTC spans, clipped to it."""
    first = since.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date()
    spans: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for restriction in layer.restrictions:
            if list(Weekday)[day.weekday()] not in restriction.days:
                continue
            start_clock, end_clock = _clock(restriction.start), _clock(restriction.end)
            start = local_instant(tz, day, start_clock)
            end_day = day if end_clock > start_clock else day + timedelta(days=1)
            end = local_instant(tz, end_day, end_clock)
            if end > since and start < until and end > start:
                spans.append((max(start, since), min(end, until)))
        day += timedelta(days=1)
    return sorted(spans)


def layer_shifts(layer: Layer, tz: ZoneInfo, since: datetime, until: datetime) -> list[Shift]:
    """Who the layer has on call in [since, until): sorted, non-overlapping, only where it has someone."""
    rotation = _Rotation(layer, tz)
    shifts: list[Shift] = []
    k = max(rotation.index(since), 0)
    start = rotation.handoff(k)
    while start < until:
        end = rotation.handoff(k + 1)
        if end > since:
            shifts.append(Shift(max(start, since), min(end, until), rotation.member(k)))
        k += 1
        start = end
    if not layer.restrictions:
        return shifts
    return _intersect(shifts, restriction_windows(layer, tz, since, until))


def _intersect(shifts: list[Shift], windows: list[tuple[datetime, datetime]]) -> list[Shift]:
    result: list[Shift] = []
    i = j = 0
    while i < len(shifts) and j < len(windows):
        shift, (start, end) = shifts[i], windows[j]
        low, high = max(shift.start, start), min(shift.end, end)
        if low < high:
            result.append(Shift(low, high, shift.member))
        if shift.end <= end:
            i += 1
        else:
            j += 1
    return result


def final_shifts(schedule: Schedule, since: datetime, until: datetime) -> list[Shift]:
    """The shifts of [since, until) with layers and overrides applied: contiguous, covering the window."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if until <= since:
        return []
    tz = zone(schedule.time_zone)
    # Painted bottom up: each level is sorted and non-overlapping, and a later level wins.
    levels = [layer_shifts(layer, tz, since, until) for layer in schedule.layers]
    levels += [
        [Shift(max(override.start, since), min(override.end, until), override.member)]
        for override in sorted(schedule.overrides, key=lambda override: override.created_at)
        if override.end > since and override.start < until
    ]
    points = sorted(
        {since, until} | {edge for level in levels for shift in level for edge in (shift.start, shift.end)}
    )
    positions = [0] * len(levels)
    shifts: list[Shift] = []
    for left, right in pairwise(points):
        member = None
        for number in range(len(levels) - 1, -1, -1):
            level, position = levels[number], positions[number]
            while position < len(level) and level[position].end <= left:
                position += 1
            positions[number] = position
            if position < len(level) and level[position].start <= left:
                member = level[position].member
                break
        if shifts and shifts[-1].member == member:
            shifts[-1] = Shift(shifts[-1].start, right, member)
        else:
            shifts.append(Shift(left, right, member))
    return shifts


def on_call(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at `at`, and until when (None: no change within MAX_WINDOW)."""
    at = at.astimezone(UTC)
    for lookahead in _LOOKAHEADS:
        current = final_shifts(schedule, at, at + lookahead)[0]
        if current.end < at + lookahead:
            return OnCall(current.member, current.end)
    return OnCall(current.member, None)


def member_shifts(schedule: Schedule, handle: str, since: datetime, until: datetime) -> list[Shift]:
    return [shift for shift in final_shifts(schedule, since, until) if shift.member == handle]


@dataclass(frozen=True)
class ShiftReminder:
    """A member to remind of their shift: from `start` until `end` (None: not within MAX_WINDOW)."""

    member: str
    start: datetime
    end: datetime | None


def _starting(schedule: Schedule, after: datetime, by: datetime) -> list[tuple[str, datetime]]:
    """(member, start) of each final shift of someone that starts after `after` and by `by`, in order, less
    the ones reminded of already."""
    # The first shift of a window starts where the window does: only the ones after it begin there.
    shifts = final_shifts(schedule, after, by + timedelta(seconds=1))[1:]
    reminded = {(shift.member, shift.start) for shift in schedule.reminded}
    return [
        (shift.member, shift.start)
        for shift in shifts
        if shift.member is not None and shift.start <= by and (shift.member, shift.start) not in reminded
    ]


def reminders_due(schedule: Schedule, now: datetime) -> list[ShiftReminder]:
    """The shifts whose members are to be reminded at `now`: not started, starting within the schedule's
    `reminder_hours`, not reminded of yet."""
    if not schedule.reminder_hours:
        return []
    by = now + timedelta(hours=schedule.reminder_hours)
    return [
        ShiftReminder(member, start, on_call(schedule, start).until)
        for member, start in _starting(schedule, now, by)
    ]


def next_reminder_at(schedule: Schedule, now: datetime) -> datetime | None:
    """When the schedule's next reminder is due (`now` if one is due already); None if it sends none."""
    if not schedule.reminder_hours:
        return None
    lead = timedelta(hours=schedule.reminder_hours)
    for _, start in _starting(schedule, now, now + lead + REMINDER_LOOKAHEAD):
        return max(start - lead, now)
    return now + REMINDER_LOOKAHEAD


def with_reminded(schedule: Schedule, reminders: list[ShiftReminder], now: datetime) -> Schedule:
    """The schedule once `reminders` are sent: they join the shifts reminded of, and the ones that have
    started by `now` go."""
    kept = [shift for shift in schedule.reminded if shift.start > now]
    sent = [RemindedShift(member=reminder.member, start=reminder.start) for reminder in reminders]
    return schedule.model_copy(update={"reminded": [*kept, *sent]})


class ScheduleNotification(LazyModel):
    """Something to tell a member about a schedule (a shift about to start): written to the outbox with the
    schedule's change that causes it, delivered to the member's contact points. It belongs to no incident."""

    id: str
    org: str
    schedule_id: str
    kind: str
    member: str
    at: UtcTime
    data: dict[str, Any] = Field(default_factory=dict)


class ReminderDelivery(LazyModel):
    """The outcome of a reminder on one of the member's contact points."""

    channel: str
    to: str
    status: str
    attempts: int
    reason: str | None = None
    delivered_at: UtcTime | None = None


class SentReminder(LazyModel):
    """A shift reminder as sent, for people to check: whom, when, which shift, and how each delivery went."""

    id: str
    at: UtcTime
    member: str
    start: UtcTime
    end: UtcTime | None
    hours_before: int
    deliveries: list[ReminderDelivery] = Field(default_factory=list)


def shift_reminder(
    org: str, schedule: Schedule, reminder: ShiftReminder, now: datetime
) -> ScheduleNotification:
    return ScheduleNotification(
        id=new_event_id(now),
        org=org,
        schedule_id=schedule.id,
        kind="shift_reminder",
        member=reminder.member,
        at=now,
        data={
            "schedule_name": schedule.name,
            "time_zone": schedule.time_zone,
            "start": iso(reminder.start),
            "end": iso(reminder.end) if reminder.end is not None else None,
            "hours_before": schedule.reminder_hours,
        },
    )


def without_member(schedule: Schedule, handle: str, now: datetime) -> Schedule:
    """The schedule once `handle` has left: out of every layer (the rotation closes up; a layer left with
    nobody goes), and their overrides that have not ended are gone."""
    layers = [
        layer.model_copy(update={"participants": [p for p in layer.participants if p != handle]})
        for layer in schedule.layers
    ]
    overrides = [o for o in schedule.overrides if not (o.member == handle and o.end > now)]
    return schedule.model_copy(
        update={"layers": [layer for layer in layers if layer.participants], "overrides": overrides}
    )


def prune_overrides(overrides: list[Override], now: datetime) -> list[Override]:
    """Overrides kept on a schedule: those not ended more than a week ago."""
    return [override for override in overrides if override.end > now - timedelta(days=7)]
