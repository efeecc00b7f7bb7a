"""Request bodies (validated by the resolver, and the source of the OpenAPI schema) and response views."""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from stormwatch.domain.escalation import EscalationPolicy, Level
from stormwatch.domain.integrations import TEMPLATE_FIELDS
from stormwatch.domain.members import DELIVERY_URL_PATTERN, HANDLE_PATTERN, Member
from stormwatch.domain.models import (
    AlertState,
    Incident,
    Integration,
    NewIncident,
    Role,
    Severity,
    Status,
    TimelineEvent,
)
from stormwatch.domain.severity import lookup_severity
from stormwatch.store.incidents import IncidentDetail


def _severity_alias(value: Any) -> Any:
    return (lookup_severity(value) or value) if isinstance(value, str) else value


SeverityInput = Annotated[Severity, BeforeValidator(_severity_alias)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreateIncidentBody(Strict):
    title: str = Field(min_length=1, max_length=1024)
    severity: SeverityInput
    description: str | None = Field(default=None, max_length=16_384)
    service: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=200)
    incident_key: str | None = Field(default=None, min_length=1, max_length=1024)
    labels: dict[str, str] | None = Field(default=None, max_length=64)

    def to_request(self) -> NewIncident:
        return NewIncident(**self.model_dump())


class StatusChangeBody(Strict):
    status: Status
    note: str | None = Field(default=None, max_length=16_384)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


Handle = Annotated[str, BeforeValidator(_lower), Field(pattern=HANDLE_PATTERN)]
DeliveryUrl = Annotated[str, Field(max_length=2048, pattern=DELIVERY_URL_PATTERN)]


class SeverityBody(Strict):
    severity: SeverityInput
    reason: str | None = Field(default=None, max_length=4096)


class AssignmentBody(Strict):
    assignee: Handle | None


class SilenceBody(Strict):
    until: AwareDatetime


class LinkBody(Strict):
    type: Literal["parent", "child", "duplicate_of"]
    incident_id: str = Field(min_length=1, max_length=64)
    resolve_with_parent: bool = False


class CommentBody(Strict):
    body: str = Field(min_length=1, max_length=16_384)


class MemberBody(Strict):
    handle: Handle
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.RESPONDER
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    slack_webhook: DeliveryUrl | None = None
    webhook_url: DeliveryUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)


class MemberPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    slack_webhook: DeliveryUrl | None = None
    webhook_url: DeliveryUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)


def _key_template(value: str | None) -> str | None:
    if value is None:
        return value
    for name in re.findall(r"\{([a-z_]+)", value):
        if name not in TEMPLATE_FIELDS:
            raise ValueError(
                f"unknown field {{{name}}}; use " + ", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)
            )
    if "{" not in value:
        raise ValueError("a key template needs at least one {field}")
    return value


KeyTemplate = Annotated[str, Field(min_length=3, max_length=512), AfterValidator(_key_template)]


class IntegrationSettings(Strict):
    key_template: KeyTemplate | None = None
    severity_map: dict[Annotated[str, BeforeValidator(_lower)], SeverityInput] | None = Field(
        default=None, max_length=50
    )
    default_severity: SeverityInput | None = None
    auto_resolve: bool | None = None
    reopen_window_seconds: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    flapping_threshold: int | None = Field(default=None, ge=1, le=100)
    default_assignee: Handle | None = None
    escalation_policy_id: str | None = Field(default=None, max_length=64)
    default_schedule_id: str | None = Field(default=None, max_length=64)
    heartbeat_minutes: int | None = Field(default=None, ge=1, le=10080)
    insufficient_data: Literal["ignore", "firing", "resolved"] | None = None
    signing_secret: str | None = Field(default=None, min_length=16, max_length=256)


class IntegrationBody(IntegrationSettings):
    source: Literal["generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog", "pagerduty"]
    name: str = Field(min_length=1, max_length=200)

    def settings(self) -> dict[str, Any]:
        return self.model_dump(exclude={"source", "name"}, exclude_none=True)


class IntegrationPatch(IntegrationSettings):
    name: str | None = Field(default=None, min_length=1, max_length=200)


def integration_view(integration: Integration, key: str | None = None) -> dict[str, Any]:
    view = integration.model_dump(mode="json", exclude={"signing_secret", "org"})
    view["has_signing_secret"] = integration.signing_secret is not None
    if key is not None:
        view["key"] = key
    return view


def member_view(member: Member) -> dict[str, Any]:
    view = member.model_dump(mode="json", exclude={"webhook_secret", "removing"})
    view["has_webhook_secret"] = member.webhook_secret is not None
    return view


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


class PolicyBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    levels: list[Level] = Field(min_length=1, max_length=10)
    repeat: int = Field(default=0, ge=0, le=10)
    ack_timeout_minutes: int | None = Field(default=None, ge=1, le=10080)
    owner: Handle | None = None


class PolicyPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    levels: list[Level] | None = Field(default=None, min_length=1, max_length=10)
    repeat: int | None = Field(default=None, ge=0, le=10)
    ack_timeout_minutes: int | None = Field(default=None, ge=1, le=10080)
    owner: Handle | None = None


class OrgSettingsBody(Strict):
    default_escalation_policy_id: str | None = Field(default=None, max_length=64)
    default_schedule_id: str | None = Field(default=None, max_length=64)
    inactivity_days: int | None = Field(default=None, ge=1, le=90)


def policy_view(policy: EscalationPolicy) -> dict[str, Any]:
    view = policy.model_dump(mode="json")
    for level in view["levels"]:
        for target in level["targets"]:
            target["has_webhook_secret"] = target.pop("webhook_secret", None) is not None
    return view
