"""Members of an org: every role reads them (handles, names, roles: what mentions and assignment complete
from), only admins see their contact points and write them. Removing a member hands over their active
incidents first."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stormwatch.clock import Clock
from stormwatch.domain.errors import NotFound
from stormwatch.domain.members import Member
from stormwatch.domain.models import Caller, Role
from stormwatch.domain.permissions import require
from stormwatch.domain.schedules import on_call
from stormwatch.domain.work import assign, notify
from stormwatch.services.retry import retrying
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.members import MemberStore
from stormwatch.store.policies import PolicyStore
from stormwatch.store.schedules import ScheduleStore

if TYPE_CHECKING:
    from stormwatch.domain.schedules import Schedule
    from stormwatch.services.schedules import ScheduleAdmin


class MemberAdmin:
    def __init__(
        self,
        members: MemberStore,
        incidents: IncidentStore,
        policies: PolicyStore,
        clock: Clock,
        sleep: Callable[[float], None],
        schedules: "ScheduleAdmin",
        schedule_store: ScheduleStore,
    ) -> None:
        self._members = members
        self._incidents = incidents
        self._policies = policies
        self._clock = clock
        self._sleep = sleep
        self._schedules = schedules
        self._schedule_store = schedule_store

    def create(self, caller: Caller, fields: dict[str, Any]) -> Member:
        require(caller, Role.ADMIN)
        now = self._clock.now()
        member = Member.model_validate({**fields, "created_at": now, "updated_at": now})
        self._members.create(caller.org, member)
        return member

    def list_members(self, caller: Caller) -> list[Member]:
        require(caller, Role.VIEWER)
        members = self._members.list_members(caller.org)
        return [_as_seen_by(caller, member) for member in members if not member.removing]

    def get(self, caller: Caller, handle: str) -> Member:
        require(caller, Role.VIEWER)
        return _as_seen_by(caller, self._members.get(caller.org, handle))

    def update(self, caller: Caller, handle: str, fields: dict[str, Any]) -> Member:
        require(caller, Role.ADMIN)
        before = self._members.get(caller.org, handle, consistent=True)
        after = Member.model_validate({**before.model_dump(), **fields, "updated_at": self._clock.now()})
        self._members.replace(caller.org, before, after)
        return after

    def remove(self, caller: Caller, handle: str) -> list["Schedule"]:
        """Remove a member: out of every schedule's layers first (the rotation closes up), then their active
        incidents go to the default on-call (whoever the org's default schedule has on call), else to the
        owner of each incident's escalation policy, else become unassigned, each with a timeline event
        saying why. A removal cut short is finished by calling it again. Answers the schedules changed."""
        require(caller, Role.ADMIN)
        self._members.mark_removing(caller.org, handle)
        changed = self._schedules.remove_member(caller.org, handle)
        on_call = self._on_call_after(caller.org, handle)
        for incident in self._incidents.assigned_active(caller.org, handle):
            self._hand_over(caller, incident.id, handle, on_call)
        self._members.delete(caller.org, handle)
        return changed

    def _on_call_after(self, org: str, handle: str) -> tuple[str, str] | None:
        """Who the org's default schedule has on call now that `handle` left its layers (member, schedule
        id), read once for every incident and consistently: a read that missed the removal just written
        could name the leaver."""
        schedule_id = self._policies.settings(org, consistent=True).default_schedule_id
        if schedule_id is None:
            return None
        try:
            schedule = self._schedule_store.get(org, schedule_id, consistent=True)
        except NotFound:
            return None
        member = on_call(schedule, self._clock.now()).member
        # A write that raced the removal (an override given to the leaver) may name them still: never them.
        return (member, schedule_id) if member is not None and member != handle else None

    def _hand_over(
        self, caller: Caller, incident_id: str, handle: str, on_call: tuple[str, str] | None
    ) -> None:
        def attempt() -> None:
            incident = self._incidents.get(caller.org, incident_id, consistent=True)
            if incident.assignee != handle:
                return
            if on_call is not None:
                owner: str | None = on_call[0]
                reason = f"assignee {handle} left; {owner} is on call for schedule {on_call[1]}"
            else:
                policy = self._policies.effective(caller.org, incident.escalation_policy_id)
                owner = policy.owner if policy is not None and policy.owner != handle else None
                if owner is not None and not self._members.existing(caller.org, [owner]):
                    owner = None
                reason = f"assignee {handle} left" + (
                    f"; {owner} owns the escalation policy" if owner else ""
                )
            change = assign(incident, owner, caller.actor, self._clock.now(), reason=reason)
            notifications = (
                [notify(change.after, "assigned", owner, self._clock.now(), by=caller.actor)] if owner else []
            )
            self._incidents.commit([change], notifications)

        retrying(attempt, self._sleep, f"incident {incident_id}")


_CONTACT_POINTS = {"email": None, "slack_webhook": None, "webhook_url": None, "webhook_secret": None}


def _as_seen_by(caller: Caller, member: Member) -> Member:
    """Contact points are the admins' to see: another role reads who the member is, not how to reach them."""
    if caller.has(Role.ADMIN):
        return member
    return member.model_copy(update=_CONTACT_POINTS)
