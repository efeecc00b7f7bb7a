"""Reading incidents. Every read is keyed by the caller's org, so other orgs' incidents do not exist here."""

from stormwatch.domain.models import Caller, Role, Severity, Status, TimelineEvent
from stormwatch.domain.permissions import require
from stormwatch.store.incidents import IncidentDetail, IncidentPage, IncidentStore


class IncidentQueries:
    def __init__(self, incidents: IncidentStore, timeline_page_size: int) -> None:
        self._incidents = incidents
        self._timeline_page_size = timeline_page_size

    def list_incidents(
        self,
        caller: Caller,
        status: Status | None,
        severities: list[Severity],
        limit: int,
        cursor: str | None,
    ) -> IncidentPage:
        require(caller, Role.VIEWER)
        return self._incidents.list_incidents(caller.org, status, severities, limit, cursor)

    def timeline(
        self, caller: Caller, incident_id: str, newest_first: bool, limit: int, cursor: str | None
    ) -> tuple[list[TimelineEvent], str | None]:
        require(caller, Role.VIEWER)
        incident = self._incidents.get(caller.org, incident_id)
        return self._incidents.timeline_page(incident, newest_first, limit, cursor)

    def detail(self, caller: Caller, incident_id: str) -> IncidentDetail:
        require(caller, Role.VIEWER)
        return self._incidents.detail(caller.org, incident_id, self._timeline_page_size)
