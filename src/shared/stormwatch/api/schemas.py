"""Request bodies (validated by the resolver, and the source of the OpenAPI schema) and response views."""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from stormwatch.domain.models import AlertState, Incident, Severity, Status, TimelineEvent
from stormwatch.domain.severity import lookup_severity
from stormwatch.services.incidents import NewIncident
from stormwatch.store.incidents import IncidentDetail


def _severity_alias(value: Any) -> Any:
    return (lookup_severity(value) or value) if isinstance(value, str) else value


SeverityInput = Annotated[Severity, BeforeValidator(_severity_alias)]


class CreateIncidentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=1024)
    severity: SeverityInput
    description: str | None = Field(default=None, max_length=16_384)
    service: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=200)
    incident_key: str | None = Field(default=None, min_length=1, max_length=1024)
    labels: dict[str, str] | None = Field(default=None, max_length=64)

    def to_request(self) -> NewIncident:
        return NewIncident(**self.model_dump())


class StatusChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Status
    note: str | None = Field(default=None, max_length=16_384)


_INTERNAL_FIELDS = {"org", "owner_slack_webhook", "alerts"}
# Event data that is stored for replay but is a secret to whoever reads the timeline.
_PRIVATE_EVENT_DATA = {"owner_slack_webhook"}


def incident_view(incident: Incident) -> dict[str, Any]:
    return incident.model_dump(mode="json", exclude=_INTERNAL_FIELDS)


def event_view(event: TimelineEvent) -> dict[str, Any]:
    view = event.model_dump(mode="json")
    view["data"] = {name: value for name, value in view["data"].items() if name not in _PRIVATE_EVENT_DATA}
    return view


def detail_view(detail: IncidentDetail) -> dict[str, Any]:
    """The incident with one entry per fingerprint (live counters joined to stored details) and the newest
    page of its timeline."""
    counters: dict[str, AlertState] = {state.fingerprint: state for state in detail.incident.alerts.values()}
    alerts = []
    for alert in detail.alerts:
        state = counters.get(alert.fingerprint)
        if state is None:
            continue
        alerts.append(
            {
                **state.model_dump(mode="json"),
                "title": alert.title,
                "severity": alert.severity,
                "labels": alert.labels,
                "started_at": alert.started_at,
            }
        )
    return {
        **incident_view(detail.incident),
        "alerts": alerts,
        "timeline": [event_view(event) for event in detail.timeline],
    }
