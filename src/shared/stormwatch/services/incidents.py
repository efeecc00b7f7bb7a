"""What people do to incidents. Every command reads the snapshot, decides with a domain rule, and
commits the change conditionally on the version it read; a lost race re-reads and decides again, so a
command lands only while it still applies (and answers 409 when it no longer does)."""

from collections.abc import Callable
from datetime import datetime

from stormwatch.clock import Clock
from stormwatch.domain.correlation import declare
from stormwatch.domain.errors import Forbidden, NotFound, PreconditionFailed
from stormwatch.domain.escalation import chosen_policy_id
from stormwatch.domain.events import Change, new_event
from stormwatch.domain.lifecycle import change_status
from stormwatch.domain.members import mentioned_handles
from stormwatch.domain.models import (
    AlertEvent,
    Caller,
    Incident,
    NewIncident,
    Notification,
    Role,
    Severity,
    Status,
)
from stormwatch.domain.permissions import require
from stormwatch.domain.work import (
    assign,
    comment_event,
    link,
    narrate,
    notify,
    set_severity,
    silence,
    unsilence,
)
from stormwatch.ids import key_hash, new_event_id
from stormwatch.services.cascade import with_children_resolved
from stormwatch.services.retry import retrying
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.members import MemberStore
from stormwatch.store.policies import PolicyStore

Decision = Callable[[Incident, datetime], Change]


class IncidentCommands:
    def __init__(
        self,
        incidents: IncidentStore,
        members: MemberStore,
        policies: PolicyStore,
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> None:
        self._incidents = incidents
        self._members = members
        self._policies = policies
        self._clock = clock
        self._sleep = sleep

    def open(self, caller: Caller, request: NewIncident) -> Incident:
        require(caller, Role.RESPONDER)
        key = request.incident_key or f"manual::{new_event_id(self._clock.now()).lower()}"
        declared = AlertEvent(
            source="manual",
            incident_key=key,
            fingerprint=key,
            severity=request.severity,
            title=request.title,
            description=request.description,
            service=request.service,
            environment=request.environment,
            labels=request.labels or {},
            project=request.project,
        )
        hashed_key = key_hash(caller.org, key)
        # The incident's policy is fixed now: the one named (it must be the org's), else the org's default.
        if request.escalation_policy_id is not None:
            self._policies.get(caller.org, request.escalation_policy_id)
        policy_id = chosen_policy_id(request.escalation_policy_id, self._policies.settings(caller.org))

        def attempt() -> Incident:
            now = self._clock.now()
            stored = self._incidents.current(caller.org, hashed_key)
            changes = declare(caller.org, hashed_key, stored, declared, caller.actor, now, policy_id)
            self._incidents.commit(changes)
            return changes[-1].after

        return retrying(attempt, self._sleep, f"incident key {key!r}")

    def set_status(
        self,
        caller: Caller,
        incident_id: str,
        status: Status,
        note: str | None,
        expected_version: int | None = None,
    ) -> Incident:
        require(caller, Role.LEAD if status is Status.CANCELLED else Role.RESPONDER)
        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: change_status(incident, status, caller.actor, now, note),
            cascade=True,
        )

    def set_severity(
        self,
        caller: Caller,
        incident_id: str,
        severity: Severity,
        reason: str | None,
        expected_version: int | None,
    ) -> Incident:
        require(caller, Role.LEAD)
        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: set_severity(incident, severity, reason, caller.actor, now),
        )

    def silence(
        self, caller: Caller, incident_id: str, until: datetime, expected_version: int | None
    ) -> Incident:
        require(caller, Role.RESPONDER)
        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: silence(incident, until, caller.actor, now),
        )

    def unsilence(self, caller: Caller, incident_id: str, expected_version: int | None) -> Incident:
        require(caller, Role.RESPONDER)
        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: unsilence(incident, caller.actor, now),
        )

    def assign(
        self, caller: Caller, incident_id: str, assignee: str | None, expected_version: int | None
    ) -> Incident:
        require(caller, Role.RESPONDER)
        if assignee is not None and not self._members.existing(caller.org, [assignee]):
            raise NotFound(f"member {assignee} not found", details={"assignee": assignee})

        def notifications(change: Change, now: datetime) -> list[Notification]:
            if not change.events or assignee is None or assignee == caller.user:
                return []
            return [notify(change.after, "assigned", assignee, now, by=caller.actor)]

        return self._decide(
            caller,
            incident_id,
            expected_version,
            lambda incident, now: assign(incident, assignee, caller.actor, now),
            notifications=notifications,
        )

    def link(
        self,
        caller: Caller,
        incident_id: str,
        link_type: str,
        other_id: str,
        resolve_with_parent: bool,
        expected_version: int | None,
    ) -> Incident:
        require(caller, Role.LEAD if link_type == "duplicate_of" else Role.RESPONDER)

        def attempt() -> Incident:
            now = self._clock.now()
            incident = self._read(caller, incident_id, expected_version)
            other = self._incidents.get(caller.org, other_id, consistent=True)
            changes = link(incident, other, link_type, resolve_with_parent, caller.actor, now)
            self._incidents.commit(changes)
            return next(change.after for change in changes if change.after.id == incident.id)

        return retrying(attempt, self._sleep, f"incident {incident_id}")

    def comment(self, caller: Caller, incident_id: str, body: str) -> dict[str, object]:
        """Add a comment; mentioned members get a notification. Returns the comment's timeline event."""
        require(caller, Role.RESPONDER)

        def attempt() -> dict[str, object]:
            incident = self._incidents.get(caller.org, incident_id)
            mentions = self._members.existing(caller.org, mentioned_handles(body))
            now = self._clock.now()
            event = comment_event(body, mentions, caller.actor, now)
            comment_id = str(event.data["comment_id"])
            self._incidents.commit(
                [narrate(incident, event)],
                self._mention_notifications(caller, incident, mentions, comment_id, now),
                [self._incidents.comment_created(incident, comment_id, caller.actor)],
            )
            return event.model_dump(mode="json")

        return retrying(attempt, self._sleep, f"incident {incident_id}")

    def edit_comment(self, caller: Caller, incident_id: str, comment_id: str, body: str) -> dict[str, object]:
        require(caller, Role.RESPONDER)

        def attempt() -> dict[str, object]:
            incident, revision = self._own_comment(caller, incident_id, comment_id)
            mentions = self._members.existing(caller.org, mentioned_handles(body))
            now = self._clock.now()
            data = {"comment_id": comment_id, "body": body, "mentions": mentions}
            event = new_event("comment_edited", now, caller.actor, data)
            self._incidents.commit(
                [narrate(incident, event)],
                self._mention_notifications(caller, incident, mentions, comment_id, now),
                [self._incidents.comment_changed(incident, comment_id, revision, deleted=False)],
            )
            return event.model_dump(mode="json")

        return retrying(attempt, self._sleep, f"comment {comment_id}")

    def delete_comment(self, caller: Caller, incident_id: str, comment_id: str) -> dict[str, object]:
        require(caller, Role.RESPONDER)

        def attempt() -> dict[str, object]:
            incident, revision = self._own_comment(caller, incident_id, comment_id)
            event = new_event("comment_deleted", self._clock.now(), caller.actor, {"comment_id": comment_id})
            self._incidents.commit(
                [narrate(incident, event)],
                operations=[self._incidents.comment_changed(incident, comment_id, revision, deleted=True)],
            )
            return event.model_dump(mode="json")

        return retrying(attempt, self._sleep, f"comment {comment_id}")

    @staticmethod
    def _mention_notifications(
        caller: Caller, incident: Incident, mentions: list[str], comment_id: str, now: datetime
    ) -> list[Notification]:
        return [
            notify(incident, "mentioned", handle, now, comment_id=comment_id, by=caller.actor)
            for handle in mentions
            if handle != caller.user
        ]

    def _own_comment(self, caller: Caller, incident_id: str, comment_id: str) -> tuple[Incident, int]:
        """The incident and the comment's revision, if the caller may change it (its author, or a lead)."""
        incident = self._incidents.get(caller.org, incident_id)
        state = self._incidents.comment_state(incident, comment_id)
        if state is None or state.get("deleted"):
            raise NotFound(f"comment {comment_id} not found on incident {incident_id}")
        if state["author"] != caller.actor and not caller.has(Role.LEAD):
            raise Forbidden(
                "only the comment's author or a lead may change it", details={"required_role": "lead"}
            )
        return incident, int(state["revision"])

    def _read(self, caller: Caller, incident_id: str, expected_version: int | None) -> Incident:
        incident = self._incidents.get(caller.org, incident_id, consistent=True)
        if expected_version is not None and incident.version != expected_version:
            raise PreconditionFailed(
                f"incident {incident_id} is at version {incident.version}, not {expected_version}",
                details={"version": incident.version},
            )
        return incident

    def _decide(
        self,
        caller: Caller,
        incident_id: str,
        expected_version: int | None,
        decision: Decision,
        cascade: bool = False,
        notifications: Callable[[Change, datetime], list[Notification]] | None = None,
    ) -> Incident:
        def attempt() -> Incident:
            now = self._clock.now()
            change = decision(self._read(caller, incident_id, expected_version), now)
            changes = with_children_resolved(self._incidents, [change], now) if cascade else [change]
            self._incidents.commit(changes, notifications(change, now) if notifications else ())
            return change.after

        return retrying(attempt, self._sleep, f"incident {incident_id}")
