"""Post-mortems and their action items: drafting from the timeline, edits on a version, the status moves
(each a `postmortem` event on the incident, in the same transaction as the document), the org's template,
search, the org-wide action-item list, and the reminders the sweep fires.

Every key is built from the caller's org: another org's incident, post-mortem or item does not exist here.
"""

import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import reduce
from typing import Any

from stormwatch.clock import Clock, iso, parse_iso
from stormwatch.cursors import CursorSigner
from stormwatch.domain.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from stormwatch.domain.escalation import SYSTEM_ACTOR
from stormwatch.domain.events import Change, new_event, record
from stormwatch.domain.metrics import IncidentFact
from stormwatch.domain.models import Caller, Incident, PostmortemStatus, Role, Severity, TimelineEvent
from stormwatch.domain.permissions import require
from stormwatch.domain.postmortems import (
    ActionItem,
    ActionItemStatus,
    Postmortem,
    PostmortemEdit,
    TemplateSection,
    action_item_figures,
    check_related,
    draft,
    edited,
    markdown,
    moved,
    next_reminder,
    org_sections,
    postmortem_figures,
    query_words,
    reminder_recipient,
    template_sections,
)
from stormwatch.domain.timers import TimerKind, reminder_due
from stormwatch.domain.work import narrate, notify
from stormwatch.ids import new_event_id
from stormwatch.services.retry import retrying
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.keys import IncidentKeys
from stormwatch.store.policies import PolicyStore
from stormwatch.store.postmortems import PostmortemRecord, PostmortemStore
from stormwatch.store.timers import Claim, DueTimer, timer_item, write_operation

ME = "me"


class Postmortems:
    def __init__(
        self,
        incidents: IncidentStore,
        store: PostmortemStore,
        policies: PolicyStore,
        members_exist: Callable[[str, list[str]], list[str]],
        cursors: CursorSigner | None,
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> None:
        self._incidents = incidents
        self._store = store
        self._policies = policies
        self._members_exist = members_exist
        self._cursors = cursors
        self._clock = clock
        self._sleep = sleep

    # --- the document ---------------------------------------------------------------------------------

    def create(self, caller: Caller, incident_id: str, related_ids: Sequence[str]) -> Postmortem:
        require(caller, Role.RESPONDER)
        related_ids = check_related(incident_id, related_ids)

        def attempt() -> Postmortem:
            now = self._clock.now()
            incident = self._incidents.get(caller.org, incident_id, consistent=True)
            if self._store.get(caller.org, incident_id) is not None:
                raise Conflict(f"incident {incident_id} has a post-mortem already")
            related = [self._related(caller, other) for other in related_ids]
            timelines = {i.id: self._incidents.timeline(i) for i in (incident, *related)}
            template = template_sections(self._store.template(caller.org))
            postmortem = draft(incident, timelines, related, template, caller.actor, now)
            change = self._event(incident, "created", postmortem, caller.actor, now)
            self._incidents.commit([change], operations=[self._store.created(caller.org, postmortem)])
            return postmortem

        return retrying(attempt, self._sleep, f"incident {incident_id}")

    def get(self, caller: Caller, incident_id: str) -> tuple[Postmortem, list[ActionItem]]:
        require(caller, Role.VIEWER)
        postmortem = self._existing(caller, incident_id)
        return postmortem, self._store.items(caller.org, incident_id)

    def replace(
        self, caller: Caller, incident_id: str, edit: PostmortemEdit, expected_version: int | None
    ) -> tuple[Postmortem, list[ActionItem]]:
        require(caller, Role.RESPONDER)
        if expected_version is None:
            raise InvalidInput(
                "If-Match: a post-mortem is replaced only at the version it was read, e.g. If-Match: 3",
                details=[{"field": "header.If-Match", "problem": "missing"}],
            )
        for other in check_related(incident_id, edit.related_incident_ids):
            self._related(caller, other)
        now = self._clock.now()
        before = self._at_version(caller, incident_id, expected_version)
        after = edited(before, edit, now)
        if not self._store.replace(caller.org, before, after):
            stored = self._existing(caller, incident_id)
            raise PreconditionFailed(
                f"post-mortem of {incident_id} is at version {stored.version}, not {expected_version}",
                details={"version": stored.version},
            )
        return after, self._store.items(caller.org, incident_id)

    def move(
        self, caller: Caller, incident_id: str, target: PostmortemStatus, expected_version: int | None
    ) -> Postmortem:
        require(caller, Role.RESPONDER)

        def attempt() -> Postmortem:
            now = self._clock.now()
            incident = self._incidents.get(caller.org, incident_id, consistent=True)
            before = (
                self._at_version(caller, incident_id, expected_version)
                if expected_version is not None
                else self._existing(caller, incident_id)
            )
            after = moved(before, target, caller, now)
            change = self._event(incident, "status_changed", after, caller.actor, now, before.status)
            self._incidents.commit([change], operations=[self._store.replaced(caller.org, before, after)])
            return after

        return retrying(attempt, self._sleep, f"post-mortem of {incident_id}")

    def markdown(self, caller: Caller, incident_id: str) -> str:
        postmortem, items = self.get(caller, incident_id)
        return markdown(postmortem, items, template_sections(self._store.template(caller.org)))

    # --- the org's template ---------------------------------------------------------------------------

    def template(self, caller: Caller) -> list[TemplateSection]:
        require(caller, Role.VIEWER)
        return template_sections(self._store.template(caller.org))

    def save_template(self, caller: Caller, sections: Sequence[TemplateSection]) -> list[TemplateSection]:
        """The org's own sections (the built-in ones are always there, first)."""
        require(caller, Role.LEAD)
        extra = org_sections(sections)
        self._store.save_template(caller.org, extra, iso(self._clock.now()))
        return template_sections(extra)

    # --- search ---------------------------------------------------------------------------------------

    def search(
        self,
        caller: Caller,
        q: str | None,
        status: PostmortemStatus | None,
        service: str | None,
        severity: Severity | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Postmortem], str | None]:
        require(caller, Role.VIEWER)
        words = query_words(q or "")
        conditions: list[Any] = [PostmortemRecord.search_text.contains(f" {word} ") for word in words]
        if status is not None:
            conditions.append(PostmortemRecord.status == status.value)
        if service is not None:
            conditions.append(PostmortemRecord.service == service)
        if severity is not None:
            conditions.append(PostmortemRecord.severity == severity.value)
        condition = reduce(operator.and_, conditions) if conditions else None
        scope = f"postmortems\n{caller.org}\n{words}\n{status}\n{service}\n{severity}"
        position = self._open(scope, cursor)
        found, next_position = self._store.search(caller.org, condition, position, limit)
        return found, self._sign(scope, next_position)

    def figures(
        self, org: str, facts: list[IncidentFact], since: datetime, until: datetime
    ) -> dict[str, Any]:
        """The metrics' `postmortems` (of the window's incidents) and `action_items` (created in the
        window)."""
        required = self._policies.settings(org).postmortem_required_severities
        now = self._clock.now()
        return {
            "postmortems": postmortem_figures(facts, required, now),
            "action_items": action_item_figures(self._store.item_states(org, since, until), now.date()),
        }

    # --- action items ---------------------------------------------------------------------------------

    def add_item(self, caller: Caller, incident_id: str, fields: dict[str, Any]) -> ActionItem:
        require(caller, Role.RESPONDER)
        self._existing(caller, incident_id)
        self._check_assignee(caller, fields.get("assignee"))
        now = self._clock.now()
        item = ActionItem(id=new_event_id(now).lower(), created_at=now, updated_at=now, **fields)
        incident = self._incidents.get(caller.org, incident_id)
        self._write_item(caller.org, incident, None, item)
        return item

    def update_item(
        self, caller: Caller, incident_id: str, item_id: str, fields: dict[str, Any]
    ) -> ActionItem:
        """Set the fields a PATCH names (the others stay)."""
        require(caller, Role.RESPONDER)
        self._check_assignee(caller, fields.get("assignee"))

        def attempt() -> ActionItem:
            before = self._item(caller, incident_id, item_id)
            now = self._clock.now()
            updates: dict[str, Any] = {**fields, "updated_at": now}
            status = fields.get("status")
            if status is not None and status is not before.status:
                updates["completed_at"] = None if status is ActionItemStatus.OPEN else now
                updates["reminders"] = 0
            if "due_date" in fields:
                updates["reminders"] = 0
            after = ActionItem.model_validate({**before.model_dump(), **updates})
            incident = self._incidents.get(caller.org, incident_id)
            self._write_item(caller.org, incident, before, after)
            return after

        return retrying(attempt, self._sleep, f"action item {item_id}")

    def delete_item(self, caller: Caller, incident_id: str, item_id: str) -> None:
        require(caller, Role.RESPONDER)

        def attempt() -> None:
            item = self._item(caller, incident_id, item_id)
            incident = self._incidents.get(caller.org, incident_id)
            operations = [self._store.item_deleted(caller.org, incident_id, item)]
            if item.reminder_due() is not None:
                key = self._item_timer_key(incident, item.id)
                operations.append(write_operation(self._store.table, key, None, None))
            self._incidents.commit([], operations=operations)

        retrying(attempt, self._sleep, f"action item {item_id}")

    def list_items(
        self,
        caller: Caller,
        assignee: str | None,
        status: ActionItemStatus | None,
        overdue: bool,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[tuple[str, ActionItem]], str | None]:
        require(caller, Role.VIEWER)
        if assignee == ME:
            assignee = caller.user
        if overdue and status not in (None, ActionItemStatus.OPEN):
            raise InvalidInput(
                "overdue: only open action items are overdue; drop status or ask for status=open",
                details=[{"field": "query.overdue", "problem": f"conflicts with status={status}"}],
            )
        today = self._clock.now().date()
        scope = f"action-items\n{caller.org}\n{assignee}\n{status}\n{overdue}\n{today if overdue else ''}"
        position = self._open(scope, cursor)
        page, next_position = self._store.list_items(
            caller.org, assignee, status, today if overdue else None, position, limit
        )
        return page, self._sign(scope, next_position)

    # --- reminders (the sweep) ------------------------------------------------------------------------

    def remind(self, claim: Claim, incident: Incident, now: datetime) -> None:
        """A due post-mortem or action-item timer: remind, and move the timer a day on; or, when nothing
        is owed any more, move the timer where the state says, or remove it."""
        if claim.timer.kind is TimerKind.ACTION_ITEM:
            self._remind_item(claim, incident, now)
        else:
            self._remind_postmortem(claim, incident, now)

    def _remind_postmortem(self, claim: Claim, incident: Incident, now: datetime) -> None:
        required = self._policies.settings(incident.org).postmortem_required_severities
        if reminder_due(incident) is None or incident.severity not in required:
            self._incidents.commit([], claim=claim, claimed_item=None)
            return
        recipient = reminder_recipient(incident, self._policy_owner(incident))
        hours = round((now - (incident.resolved_at or now)).total_seconds() / 3600)
        data: dict[str, Any] = {
            "about": "postmortem",
            "recipient": recipient,
            "postmortem_status": incident.postmortem_status,
            "hours_since_resolved": hours,
        }
        event = new_event("postmortem_reminder", now, SYSTEM_ACTOR, data)
        notifications = [notify(incident, "postmortem_reminder", recipient, now, **data)] if recipient else []
        following = next_reminder(parse_iso(claim.timer.due), now)
        self._incidents.commit(
            [narrate(incident, event)],
            notifications,
            claim=claim,
            claimed_item=self._timer(incident, claim.timer, following),
        )

    def _remind_item(self, claim: Claim, incident: Incident, now: datetime) -> None:
        item_id = claim.timer.sk.rsplit("#", 1)[1]
        item = self._store.item(incident.org, incident.id, item_id)
        due = item.reminder_due() if item is not None else None
        if item is None or due is None:
            self._incidents.commit([], claim=claim, claimed_item=None)
            return
        if due > now:
            self._incidents.commit([], claim=claim, claimed_item=self._timer(incident, claim.timer, due))
            return
        reminded = item.model_copy(update={"reminders": item.reminders + 1})
        data: dict[str, Any] = {
            "about": "action_item",
            "recipient": item.assignee,
            "action_item_id": item.id,
            "title": item.title,
            "due_date": item.due_date.isoformat() if item.due_date else None,
            "reminder": reminded.reminders,
        }
        event = new_event("postmortem_reminder", now, SYSTEM_ACTOR, data)
        notifications = (
            [notify(incident, "action_item_reminder", item.assignee, now, **data)] if item.assignee else []
        )
        next_due = reminded.reminder_due()
        self._incidents.commit(
            [narrate(incident, event)],
            notifications,
            [self._store.item_written(incident.org, incident.id, item, reminded)],
            claim=claim,
            claimed_item=self._timer(incident, claim.timer, next_due) if next_due else None,
        )

    # --- helpers --------------------------------------------------------------------------------------

    def _event(
        self,
        incident: Incident,
        action: str,
        postmortem: Postmortem,
        actor: str,
        now: datetime,
        previous: PostmortemStatus | None = None,
    ) -> Change:
        data: dict[str, Any] = {"action": action, "status": postmortem.status.value}
        if previous is not None:
            data["from"] = previous.value
        events: list[TimelineEvent] = []
        after = record(incident, new_event("postmortem", now, actor, data), events)
        return Change(incident, after, events)

    def _write_item(self, org: str, incident: Incident, before: ActionItem | None, after: ActionItem) -> None:
        """The item with its reminder timer, set, moved or removed in the same transaction."""
        operations = [self._store.item_written(org, incident.id, before, after)]
        was = before.reminder_due() if before is not None else None
        now_due = after.reminder_due()
        if was != now_due:
            key = self._item_timer_key(incident, after.id)
            item = (
                timer_item(key, TimerKind.ACTION_ITEM, org, {"incident_id": incident.id}, now_due)
                if now_due is not None
                else None
            )
            operations.append(write_operation(self._store.table, key, item, None))
        self._incidents.commit([], operations=operations)

    @staticmethod
    def _item_timer_key(incident: Incident, item_id: str) -> dict[str, str]:
        key = IncidentKeys.timer(incident, "action_item")
        return {"pk": key["pk"], "sk": f"{key['sk']}#{item_id}"}

    @staticmethod
    def _timer(incident: Incident, timer: DueTimer, due: datetime) -> dict[str, Any]:
        return timer_item(timer.key, timer.kind, incident.org, {"incident_id": incident.id}, due)

    def _policy_owner(self, incident: Incident) -> str | None:
        policy = self._policies.effective(incident.org, incident.escalation_policy_id)
        return policy.owner if policy is not None else None

    def _related(self, caller: Caller, other_id: str) -> Incident:
        try:
            return self._incidents.get(caller.org, other_id)
        except NotFound:
            raise NotFound(
                f"related incident {other_id} not found",
                details={"field": "body.related_incident_ids", "incident_id": other_id},
            ) from None

    def _existing(self, caller: Caller, incident_id: str) -> Postmortem:
        postmortem = self._store.get(caller.org, incident_id)
        if postmortem is None:
            # One answer whether the incident is missing, another org's, or has no post-mortem yet.
            self._incidents.get(caller.org, incident_id)
            raise NotFound(f"incident {incident_id} has no post-mortem")
        return postmortem

    def _at_version(self, caller: Caller, incident_id: str, expected: int) -> Postmortem:
        postmortem = self._existing(caller, incident_id)
        if postmortem.version != expected:
            raise PreconditionFailed(
                f"post-mortem of {incident_id} is at version {postmortem.version}, not {expected}",
                details={"version": postmortem.version},
            )
        return postmortem

    def _item(self, caller: Caller, incident_id: str, item_id: str) -> ActionItem:
        item = self._store.item(caller.org, incident_id, item_id)
        if item is None:
            raise NotFound(f"action item {item_id} not found on incident {incident_id}")
        return item

    def _check_assignee(self, caller: Caller, assignee: str | None) -> None:
        if assignee is not None and not self._members_exist(caller.org, [assignee]):
            raise NotFound(f"member {assignee} not found", details={"field": "body.assignee"})

    def _open(self, scope: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        assert self._cursors is not None, "reading pages needs the cursor secret"
        return self._cursors.open(scope, cursor)

    def _sign(self, scope: str, position: str | None) -> str | None:
        if position is None:
            return None
        assert self._cursors is not None, "reading pages needs the cursor secret"
        return self._cursors.sign(scope, position)
