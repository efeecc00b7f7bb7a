"""The sweep: every minute, fire each due timer exactly once.

For each shard of the timer index it reads the timers due now, claims each (a conditional write), and acts:
the action is one transaction that records what happened (on the incident's timeline, or for a schedule's
shift reminder, the schedule's reminders sent), writes the notifications to the outbox and moves or removes
the timer, on the condition that the claim still holds.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stormwatch.clock import Clock
from stormwatch.domain.errors import ConcurrentModification, NotFound
from stormwatch.domain.escalation import (
    TargetType,
    due_level,
    escalate,
    expire_acknowledgement,
    nudge,
    step_due,
)
from stormwatch.domain.events import Change
from stormwatch.domain.models import Incident, Notification
from stormwatch.domain.timers import TimerKind, incident_timers
from stormwatch.services.schedules import ScheduleAdmin
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.keys import IncidentKeys
from stormwatch.store.policies import PolicyReads
from stormwatch.store.timers import Claim, TimerStore, timer_item

logger = logging.getLogger(__name__)

# A claim lasts less than the schedule's minute: a sweep that died after claiming delays that timer to the
# next sweep, no more.
CLAIM_LEASE = timedelta(seconds=50)


@dataclass
class SweepReport:
    due: int = 0
    fired: int = 0
    # Claimed by another sweep, or changed under this one: not this sweep's to fire.
    skipped: int = 0
    failed: int = 0
    fired_by_kind: dict[str, int] = field(default_factory=dict)


class Sweeper:
    def __init__(
        self,
        timers: TimerStore,
        incidents: IncidentStore,
        policies: PolicyReads,
        clock: Clock,
        heartbeat: Callable[[Claim, datetime], None],
        remind: Callable[[Claim, Incident, datetime], None],
        schedules: ScheduleAdmin,
    ) -> None:
        self._timers = timers
        self._incidents = incidents
        self._policies = policies
        self._clock = clock
        self._heartbeat = heartbeat
        # Post-mortem and action-item reminders: built on first use (their models load PynamoDB).
        self._remind = remind
        self._schedules = schedules

    def run(self, now: datetime | None = None) -> SweepReport:
        now = now or self._clock.now()
        sweep_id = uuid.uuid4().hex
        report = SweepReport()
        for shard in self._timers.shards():
            for timer in self._timers.due(shard, now):
                report.due += 1
                claim = self._timers.claim(timer, sweep_id, now, CLAIM_LEASE)
                if claim is None:
                    report.skipped += 1
                    continue
                try:
                    self._fire(claim, now)
                except ConcurrentModification:
                    report.skipped += 1
                    continue
                except Exception:
                    # The claim runs out and the next sweep tries again; the others go on.
                    logger.exception(
                        "timer %s of %s failed",
                        timer.kind,
                        timer.incident_id or timer.integration_id or timer.schedule_id,
                    )
                    report.failed += 1
                    continue
                report.fired += 1
                report.fired_by_kind[timer.kind.value] = report.fired_by_kind.get(timer.kind.value, 0) + 1
        return report

    def _fire(self, claim: Claim, now: datetime) -> None:
        timer = claim.timer
        if timer.kind is TimerKind.HEARTBEAT:
            self._heartbeat(claim, now)
            return
        if timer.kind is TimerKind.SHIFT_REMINDER:
            self._schedules.remind_shifts(claim, now)
            return
        assert timer.incident_id is not None
        try:
            incident = self._incidents.get(timer.org, timer.incident_id, consistent=True)
        except NotFound:
            self._timers.settle(claim, None)
            return
        if timer.kind is TimerKind.ESCALATION:
            self._escalate(incident, claim, now)
        elif timer.kind is TimerKind.ACK_TIMEOUT:
            self._expire(incident, claim, now)
        elif timer.kind is TimerKind.INACTIVITY:
            self._nudge(incident, claim, now)
        elif timer.kind in (TimerKind.POSTMORTEM, TimerKind.ACTION_ITEM):
            self._remind(claim, incident, now)

    def _escalate(self, incident: Incident, claim: Claim, now: datetime) -> None:
        due = step_due(incident)
        if due is None or due > now:
            self._reschedule(incident, claim, due)
            return
        change, notifications = self._step(incident, now)
        self._incidents.commit([change], notifications, claim=claim)

    def _expire(self, incident: Incident, claim: Claim, now: datetime) -> None:
        due = incident_timers(incident).get(TimerKind.ACK_TIMEOUT)
        if due is None or due > now:
            self._reschedule(incident, claim, due)
            return
        # The walk starts over at once: the first level hears of it in the same minute.
        expired = expire_acknowledgement(incident, now)
        escalated, notifications = self._step(expired.after, now)
        change = Change(incident, escalated.after, expired.events + escalated.events)
        self._incidents.commit([change], notifications, claim=claim)

    def _step(self, incident: Incident, now: datetime) -> tuple[Change, list[Notification]]:
        """The escalation step, with whoever each schedule the level pages has on call now."""
        policy = self._policies.effective(incident.org, incident.escalation_policy_id)
        level = due_level(incident, policy)
        paged = dict.fromkeys(
            target.value
            for target in (level.targets if level is not None else [])
            if target.type is TargetType.SCHEDULE
        )
        on_call = {
            schedule_id: self._schedules.member_on_call(incident.org, schedule_id, now)
            for schedule_id in paged
        }
        return escalate(incident, policy, now, on_call)

    def _nudge(self, incident: Incident, claim: Claim, now: datetime) -> None:
        period = timedelta(days=self._policies.settings(incident.org, "inactivity_days").inactivity_days)
        if not incident.status.is_active or now - incident.last_activity_at < period:
            # Closed meanwhile, or the org waits longer than the check: look again when its period is up.
            self._reschedule(
                incident, claim, incident.last_activity_at + period if incident.status.is_active else None
            )
            return
        self._incidents.commit([nudge(incident, period.days, now)], claim=claim)

    def _reschedule(self, incident: Incident, claim: Claim, due: datetime | None) -> None:
        """Nothing to fire (the incident moved on since the timer was read): the timer goes where the
        incident says, or away."""
        kind = claim.timer.kind
        item = None
        if due is not None:
            key = IncidentKeys.timer(incident, kind.value)
            item = timer_item(key, kind, incident.org, {"incident_id": incident.id}, due)
        self._incidents.commit([], claim=claim, claimed_item=item)
