"""On-call schedules: admins write them, everyone of the org reads who is on call. Responders may add and
remove overrides (the everyday "cover my Tuesday"). Each read is one GetItem (or one Query for the org's
schedules) and the computation of domain/schedules.py. The sweep asks who is on call for escalations, and
fires each schedule's shift reminders."""

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from stormwatch.clock import Clock
from stormwatch.domain.calendar import calendar
from stormwatch.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from stormwatch.domain.models import Caller, Role
from stormwatch.domain.permissions import require
from stormwatch.domain.schedules import (
    EARLIEST,
    LATEST,
    MAX_OVERRIDE,
    MAX_OVERRIDES,
    MAX_WINDOW,
    OnCall,
    Override,
    Schedule,
    SentReminder,
    Shift,
    final_shifts,
    member_shifts,
    on_call,
    prune_overrides,
    reminders_due,
    shift_reminder,
    with_reminded,
    without_member,
)
from stormwatch.ids import new_event_id
from stormwatch.normalizers import field_path
from stormwatch.services.retry import retrying
from stormwatch.store.members import MemberStore
from stormwatch.store.policies import PolicyStore
from stormwatch.store.schedules import ScheduleStore
from stormwatch.store.timers import Claim, TimerStore

DEFAULT_UPCOMING = timedelta(days=28)
DEFAULT_REMINDERS_BACK = timedelta(days=7)
CALENDAR_BEHIND = timedelta(days=7)
CALENDAR_AHEAD = timedelta(days=84)


@dataclass(frozen=True)
class ScheduleOnCall:
    schedule: Schedule
    on_call: OnCall


@dataclass(frozen=True)
class MemberShift:
    schedule: Schedule
    shift: Shift


class ScheduleAdmin:
    def __init__(
        self,
        schedules: ScheduleStore,
        members: MemberStore,
        policies: PolicyStore,
        clock: Clock,
        sleep: Callable[[float], None],
        timers: TimerStore,
    ) -> None:
        self._schedules = schedules
        self._members = members
        self._policies = policies
        self._clock = clock
        self._sleep = sleep
        self._timers = timers

    def create(self, caller: Caller, fields: dict[str, Any]) -> Schedule:
        require(caller, Role.ADMIN)
        now = self._clock.now()
        self._require_members(caller.org, fields.get("layers", []))
        schedule = _valid(
            {**fields, "id": f"sch_{new_event_id(now).lower()}", "created_at": now, "updated_at": now}
        )
        self._schedules.create(caller.org, schedule, now)
        return schedule

    def list_schedules(self, caller: Caller) -> list[Schedule]:
        require(caller, Role.VIEWER)
        return self._schedules.list_schedules(caller.org)

    def get(self, caller: Caller, schedule_id: str) -> Schedule:
        require(caller, Role.VIEWER)
        return self._schedules.get(caller.org, schedule_id)

    def update(self, caller: Caller, schedule_id: str, fields: dict[str, Any]) -> Schedule:
        require(caller, Role.ADMIN)
        if "layers" in fields:
            self._require_members(caller.org, fields["layers"])
        return self._change(caller.org, schedule_id, lambda before: _valid({**before.model_dump(), **fields}))

    def delete(self, caller: Caller, schedule_id: str) -> None:
        """A schedule that an escalation policy pages cannot go: its levels would page nobody."""
        require(caller, Role.ADMIN)
        users = [
            policy.id
            for policy in self._policies.list_policies(caller.org)
            if any(
                target.type.value == "schedule" and target.value == schedule_id
                for level in policy.levels
                for target in level.targets
            )
        ]
        if users:
            raise Conflict(
                f"schedule {schedule_id} is paged by escalation policies {', '.join(users)}; "
                "change those first",
                details={"policy_ids": users},
            )
        retrying(
            lambda: self._schedules.delete(
                caller.org, self._schedules.get(caller.org, schedule_id, consistent=True)
            ),
            self._sleep,
            f"schedule {schedule_id}",
        )

    def add_override(self, caller: Caller, schedule_id: str, fields: dict[str, Any]) -> Override:
        require(caller, Role.RESPONDER)
        now = self._clock.now()
        start, end = fields["start"], fields["end"]
        if end <= start:
            raise InvalidInput("body.end: must be after start", details=[{"field": "body.end"}])
        if end - start > MAX_OVERRIDE:
            raise InvalidInput(
                f"body.end: an override lasts at most {MAX_OVERRIDE.days} days",
                details=[{"field": "body.end"}],
            )
        if end <= now:
            raise InvalidInput(
                "body.end: the override would be over already", details=[{"field": "body.end"}]
            )
        _instant("body.end", end)
        if not self._members.existing(caller.org, [fields["member"]]):
            raise InvalidInput(
                f"body.member: {fields['member']} is not a member of the org",
                details=[{"field": "body.member"}],
            )
        override = Override(
            id=f"ovr_{new_event_id(now).lower()}",
            member=fields["member"],
            start=start,
            end=end,
            created_at=now,
            created_by=caller.actor,
        )

        def add(before: Schedule) -> Schedule:
            kept = prune_overrides(before.overrides, now)
            if len(kept) >= MAX_OVERRIDES:
                raise Conflict(f"schedule {schedule_id} has {MAX_OVERRIDES} overrides; remove some first")
            return before.model_copy(update={"overrides": [*kept, override]})

        self._change(caller.org, schedule_id, add)
        return override

    def remove_override(self, caller: Caller, schedule_id: str, override_id: str) -> None:
        require(caller, Role.RESPONDER)

        def remove(before: Schedule) -> Schedule:
            kept = [override for override in before.overrides if override.id != override_id]
            if len(kept) == len(before.overrides):
                raise NotFound(f"override {override_id} not found", details={"override_id": override_id})
            return before.model_copy(update={"overrides": kept})

        self._change(caller.org, schedule_id, remove)

    def on_call(self, caller: Caller, schedule_id: str, at: datetime | None) -> ScheduleOnCall:
        require(caller, Role.VIEWER)
        moment = _instant("at", at or self._clock.now())
        schedule = self._schedules.get(caller.org, schedule_id)
        return ScheduleOnCall(schedule, on_call(schedule, moment))

    def shifts(
        self, caller: Caller, schedule_id: str, since: datetime | None, until: datetime | None
    ) -> tuple[datetime, datetime, list[Shift]]:
        """The final shifts of a window (default: the next 7 days; at most MAX_WINDOW)."""
        require(caller, Role.VIEWER)
        since, until = _window(since or self._clock.now(), until, timedelta(days=7))
        return since, until, final_shifts(self._schedules.get(caller.org, schedule_id), since, until)

    def everyone_on_call(self, caller: Caller, at: datetime | None) -> list[ScheduleOnCall]:
        require(caller, Role.VIEWER)
        moment = _instant("at", at or self._clock.now())
        return [
            ScheduleOnCall(schedule, on_call(schedule, moment))
            for schedule in self._schedules.list_schedules(caller.org)
        ]

    def upcoming_shifts(
        self, caller: Caller, handle: str, since: datetime | None, until: datetime | None
    ) -> list[MemberShift]:
        """A member's shifts from now (or `since`) to `until` (default 28 days later), every schedule's,
        by start."""
        require(caller, Role.VIEWER)
        since, until = _window(since or self._clock.now(), until, DEFAULT_UPCOMING)
        if not self._members.existing(caller.org, [handle]):
            raise NotFound(f"member {handle} not found", details={"handle": handle})
        found = [
            MemberShift(schedule, shift)
            for schedule in self._schedules.list_schedules(caller.org)
            if handle in schedule.members()
            for shift in member_shifts(schedule, handle, since, until)
        ]
        return sorted(found, key=lambda found: (found.shift.start, found.schedule.id))

    def issue_calendar_token(self, caller: Caller, schedule_id: str) -> tuple[Schedule, str]:
        """A new feed token for the schedule's calendar, shown this once; the previous one stops working."""
        require(caller, Role.ADMIN)
        token = f"swcal_{secrets.token_urlsafe(24)}"
        return self._replace_token(caller.org, schedule_id, _token_hash(token)), token

    def revoke_calendar_token(self, caller: Caller, schedule_id: str) -> Schedule:
        require(caller, Role.ADMIN)
        return self._replace_token(caller.org, schedule_id, None)

    def _replace_token(self, org: str, schedule_id: str, token_hash: str | None) -> Schedule:
        def attempt() -> Schedule:
            before = self._schedules.get(org, schedule_id, consistent=True)
            after = before.model_copy(
                update={
                    "calendar_token_hash": token_hash,
                    "version": before.version + 1,
                    "updated_at": self._clock.now(),
                }
            )
            self._schedules.replace_calendar_token(org, before, after)
            return after

        return retrying(attempt, self._sleep, f"schedule {schedule_id}")

    def calendar_feed(self, schedule_id: str, token: str | None, member: str | None) -> tuple[Schedule, str]:
        """The schedule's iCalendar feed, from a week ago to CALENDAR_AHEAD from now, for a calendar app
        holding its token (no other credentials); `member` keeps only that member's shifts."""
        owner = self._schedules.calendar_owner(_token_hash(token)) if token else None
        if owner is None or owner[1] != schedule_id:
            raise Unauthenticated("token: not a calendar token of this schedule (revoked, or never issued)")
        schedule = self._schedules.get(owner[0], schedule_id)
        now = self._clock.now()
        shifts = final_shifts(schedule, now - CALENDAR_BEHIND, now + CALENDAR_AHEAD)
        if member is not None:
            shifts = [shift for shift in shifts if shift.member == member]
        return schedule, calendar(schedule, shifts, now)

    def default_on_call(
        self, org: str, schedule_ids: Sequence[str | None], now: datetime
    ) -> tuple[str, str] | None:
        """The default on-call at `now` (member, schedule id): whoever the first of `schedule_ids` with
        someone on call has on call; None when none has anyone."""
        for schedule_id in dict.fromkeys(found for found in schedule_ids if found is not None):
            member = self.member_on_call(org, schedule_id, now)
            if member is not None:
                return member, schedule_id
        return None

    def org_on_call(self, org: str, now: datetime) -> tuple[str, str] | None:
        """Whoever the org's default schedule has on call at `now` (its settings read as they are now)."""
        return self.default_on_call(org, [self._policies.settings(org).default_schedule_id], now)

    def member_on_call(self, org: str, schedule_id: str, now: datetime) -> str | None:
        """Whoever the schedule has on call at `now`; None when nobody is, or the schedule is gone."""
        try:
            return on_call(self._schedules.get(org, schedule_id), now).member
        except NotFound:
            return None

    def remind_shifts(self, claim: Claim, now: datetime) -> None:
        """The sweep found a schedule's reminder timer due: remind each member whose shift starts within the
        schedule's `reminder_hours` and who was not reminded of it, and move the timer to the next reminder.
        A change of the schedule meanwhile voids the claim: nothing is sent, and the next sweep looks again
        at the schedule as it is then."""
        timer = claim.timer
        assert timer.schedule_id is not None
        try:
            before = self._schedules.get(timer.org, timer.schedule_id, consistent=True)
        except NotFound:
            self._timers.settle(claim, None)
            return
        due = reminders_due(before, now)
        after = (
            with_reminded(before, due, now).model_copy(update={"version": before.version + 1})
            if due
            else before
        )
        notifications = [shift_reminder(timer.org, before, reminder, now) for reminder in due]
        self._schedules.remind(timer.org, before, after, notifications, claim, now)

    def reminders_sent(
        self, caller: Caller, schedule_id: str, since: datetime | None, until: datetime | None
    ) -> tuple[datetime, datetime, list[SentReminder]]:
        """The shift reminders the schedule sent in a window (default: the 7 days up to now, both ends
        included), newest first, each with the outcome of its deliveries."""
        require(caller, Role.VIEWER)
        end = until or self._clock.now()
        since, until = _window(since or end - DEFAULT_REMINDERS_BACK, end, DEFAULT_REMINDERS_BACK)
        self._schedules.get(caller.org, schedule_id)
        return since, until, self._schedules.reminders(caller.org, schedule_id, since, until)

    def remove_member(self, org: str, handle: str) -> list[Schedule]:
        """Take a departing member out of every schedule; the schedules that changed."""
        now = self._clock.now()
        return [
            self._change(org, schedule.id, lambda before: without_member(before, handle, now))
            for schedule in self._schedules.list_schedules(org)
            if handle in schedule.members()
        ]

    def _change(self, org: str, schedule_id: str, change: Callable[[Schedule], Schedule]) -> Schedule:
        """Read, change and write the schedule, again from the read when someone else wrote meanwhile."""

        def attempt() -> Schedule:
            before = self._schedules.get(org, schedule_id, consistent=True)
            now = self._clock.now()
            after = change(before).model_copy(update={"version": before.version + 1, "updated_at": now})
            self._schedules.replace(org, before, after, now)
            return after

        return retrying(attempt, self._sleep, f"schedule {schedule_id}")

    def _require_members(self, org: str, layers: list[dict[str, Any]]) -> None:
        named = [
            (f"body.layers[{number}].participants[{place}]", handle)
            for number, layer in enumerate(layers)
            for place, handle in enumerate(layer.get("participants", []))
        ]
        known = set(self._members.existing(org, sorted({handle for _, handle in named})))
        unknown = [
            {"field": field, "problem": f"{handle} is not a member"}
            for field, handle in named
            if handle not in known
        ]
        if unknown:
            raise InvalidInput.naming(unknown)


def _valid(fields: dict[str, Any]) -> Schedule:
    """The schedule, or a 400 naming the field: the request's own checks passed, so what fails here is a
    rule across fields (a PATCH's layers against the stored zone, say)."""
    try:
        return Schedule.model_validate(fields)
    except ValidationError as error:
        problems = [
            {"field": field_path("body", problem["loc"]), "problem": problem["msg"]}
            for problem in error.errors()
        ]
        raise InvalidInput.naming(problems) from None


def _instant(field: str, moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(
            f"{field}: schedules answer for {EARLIEST.year} to {LATEST.year - 1}", details=[{"field": field}]
        )
    return moment


def _window(since: datetime, until: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    _instant("since", since)
    until = _instant("until", until or since + default)
    if until <= since:
        raise InvalidInput("until: must be after since", details=[{"field": "until"}])
    if until - since > MAX_WINDOW:
        raise InvalidInput(
            f"until: the window is at most {MAX_WINDOW.days} days", details=[{"field": "until"}]
        )
    return since, until


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
