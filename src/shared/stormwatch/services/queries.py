"""Reading incidents. Every read is keyed by the caller's org, so other orgs' incidents do not exist here."""

from collections.abc import Callable, Sequence
from dataclasses import replace

from stormwatch.cursors import CursorSigner
from stormwatch.domain.context import ContextFilter
from stormwatch.domain.listing import IncidentFilter
from stormwatch.domain.models import Caller, Incident, Role, Severity, Status, TimelineEvent
from stormwatch.domain.permissions import require
from stormwatch.domain.postmortems import shown_status
from stormwatch.store.context import ContextStore
from stormwatch.store.incidents import IncidentDetail, IncidentStore

ME = "me"
NO_CONTEXT = ContextFilter()


class IncidentQueries:
    def __init__(
        self,
        incidents: IncidentStore,
        cursors: CursorSigner,
        timeline_page_size: int,
        required_severities: Callable[[str], Sequence[Severity]],
        context: ContextStore,
    ) -> None:
        self._incidents = incidents
        self._context = context
        self._cursors = cursors
        self._timeline_page_size = timeline_page_size
        # The org's post-mortem_required_severities, read only for a page that holds a resolved incident
        # without a post-mortem.
        self._required_severities = required_severities

    def list_incidents(
        self,
        caller: Caller,
        wanted: IncidentFilter,
        limit: int,
        cursor: str | None,
        context: ContextFilter = NO_CONTEXT,
    ) -> tuple[list[Incident], str | None]:
        """A page of the org's incidents. A context filter (correlation key, trace id, tag, project) reads
        that value's index partition; the others read the list's indexes."""
        require(caller, Role.VIEWER)
        if wanted.assignee == ME:
            wanted = replace(wanted, assignee=caller.user)
        context.check(wanted)
        selector = context.selector()
        scope = f"incidents\n{caller.org}\n{wanted.scope()}"
        if selector is not None:
            scope += f"\n{context.scope()}"
        position = self._cursors.open(scope, cursor) if cursor is not None else None
        if selector is None:
            incidents, next_position = self._incidents.list_incidents(caller.org, wanted, limit, position)
        else:
            incidents, next_position = self._context.incidents_page(
                caller.org,
                *selector,
                limit,
                position,
                keep=lambda incident: context.matches(incident, wanted),
                filtered=context.narrows(wanted),
                since=wanted.created_after,
                until=wanted.created_before,
            )
        shown = self._with_postmortem_status(caller.org, incidents)
        return shown, self._cursors.sign(scope, next_position) if next_position else None

    def timeline(
        self, caller: Caller, incident_id: str, newest_first: bool, limit: int, cursor: str | None
    ) -> tuple[list[TimelineEvent], str | None]:
        require(caller, Role.VIEWER)
        incident = self._incidents.get(caller.org, incident_id)
        scope = f"timeline\n{caller.org}\n{incident_id}\n{'newest' if newest_first else 'oldest'}"
        position = self._cursors.open(scope, cursor) if cursor is not None else None
        events, next_position = self._incidents.timeline_page(incident, newest_first, limit, position)
        return events, self._cursors.sign(scope, next_position) if next_position else None

    def detail(self, caller: Caller, incident_id: str) -> IncidentDetail:
        require(caller, Role.VIEWER)
        detail = self._incidents.detail(caller.org, incident_id, self._timeline_page_size)
        (detail.incident,) = self._with_postmortem_status(caller.org, [detail.incident])
        return detail

    def _with_postmortem_status(self, org: str, incidents: list[Incident]) -> list[Incident]:
        """`postmortem_status` as shown: `required` for a resolved incident that needs one and has none."""
        if not any(i.status is Status.RESOLVED and i.postmortem_status == "none" for i in incidents):
            return incidents
        required = self._required_severities(org)
        return [i.model_copy(update={"postmortem_status": shown_status(i, required)}) for i in incidents]
