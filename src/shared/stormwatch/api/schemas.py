"""Request bodies (validated by the resolver, and the source of the OpenAPI schema) and response views."""

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from stormwatch.domain.escalation import EscalationPolicy, Level
from stormwatch.domain.integrations import TEMPLATE_FIELDS
from stormwatch.domain.members import HANDLE_PATTERN, DeliveryUrl, Member
from stormwatch.domain.models import (
    AlertState,
    Incident,
    Integration,
    LazyModel,
    NewIncident,
    Role,
    Severity,
    Status,
    TimelineEvent,
)
from stormwatch.domain.severity import lookup_severity

if TYPE_CHECKING:
    # The detail view's type only: the incident store loads when a request builds a service.
    from stormwatch.store.incidents import IncidentDetail


def _severity_alias(value: Any) -> Any:
    return (lookup_severity(value) or value) if isinstance(value, str) else value


SeverityInput = Annotated[Severity, BeforeValidator(_severity_alias)]


class Strict(LazyModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "may not be null; leave the field out to keep its value")
    return value


def _hide_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


NotNull = BeforeValidator(_refuse_null)
CLEARS = "null clears it"


def kept(**constraints: Any) -> Any:
    """A patch field that keeps its stored value when left out and has no empty value: null is refused (a
    400 naming the field), and the document says neither null nor a default."""
    return Field(default=None, json_schema_extra=_hide_default, **constraints)


def cleared(description: str, **constraints: Any) -> Any:
    """A patch field that null clears; left out, it keeps its stored value."""
    return Field(default=None, description=f"{CLEARS}: {description}", **constraints)


# A label's name is a map key in the stored item: never empty.
LabelName = Annotated[str, Field(min_length=1, max_length=128)]


class CreateIncidentBody(Strict):
    title: str = Field(min_length=1, max_length=1024)
    severity: SeverityInput
    description: str | None = Field(default=None, max_length=16_384)
    service: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=200)
    incident_key: str | None = Field(default=None, min_length=1, max_length=1024)
    labels: dict[LabelName, Annotated[str, Field(max_length=1024)]] | None = Field(
        default=None, max_length=64
    )
    escalation_policy_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="a policy of the org; default: the org's default",
    )
    project: str | None = Field(default=None, min_length=1, max_length=200)
    dedupe: Literal["open_for_service"] | None = Field(
        default=None,
        description="open_for_service: answer the service's open incident (200, reused: true) if it has one",
    )

    def to_request(self) -> NewIncident:
        return NewIncident(**self.model_dump())


class StatusChangeBody(Strict):
    status: Status
    note: str | None = Field(default=None, max_length=16_384)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


Handle = Annotated[str, BeforeValidator(_lower), Field(pattern=HANDLE_PATTERN)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


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
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    slack_webhook: DeliveryUrl | None = None
    webhook_url: DeliveryUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)


class MemberPatch(Strict):
    name: Annotated[str, NotNull] = kept(min_length=1, max_length=200)
    role: Annotated[Role, NotNull] = kept()
    email: str | None = cleared("no email", max_length=320, pattern=EMAIL_PATTERN)
    slack_webhook: DeliveryUrl | None = cleared("no Slack messages")
    webhook_url: DeliveryUrl | None = cleared("no webhook deliveries")
    webhook_secret: str | None = cleared("webhooks go unsigned", min_length=16, max_length=256)


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


# What `_key_template` checks, for the document (enforced by the validator, which names the unknown field).
_FIELDS = "|".join(TEMPLATE_FIELDS)
KEY_TEMPLATE_PATTERN = rf"^[^{{]*(?:\{{(?:{_FIELDS})(?![a-z_])[^{{]*)+$"
KeyTemplate = Annotated[
    str,
    Field(min_length=3, max_length=512, json_schema_extra={"pattern": KEY_TEMPLATE_PATTERN}),
    AfterValidator(_key_template),
]


class IntegrationSettings(Strict):
    key_template: KeyTemplate | None = cleared("the source's default key")
    # A name may not be empty: DynamoDB stores no empty map key.
    severity_map: Annotated[
        dict[Annotated[str, BeforeValidator(_lower), Field(min_length=1, max_length=100)], SeverityInput],
        NotNull,
    ] = kept(max_length=50, description="{} empties it")
    default_severity: Annotated[SeverityInput, NotNull] = kept()
    auto_resolve: Annotated[bool, NotNull] = kept()
    reopen_window_seconds: int | None = cleared("the server's default window", ge=0, le=7 * 24 * 3600)
    flapping_threshold: Annotated[int, NotNull] = kept(ge=1, le=100)
    default_assignee: Handle | None = cleared("new incidents start unassigned")
    escalation_policy_id: str | None = cleared("the org's default policy", max_length=64)
    default_schedule_id: str | None = cleared("the org's default on-call", max_length=64)
    heartbeat_minutes: int | None = cleared("no heartbeat expected", ge=1, le=10080)
    insufficient_data: Annotated[Literal["ignore", "firing", "resolved"], NotNull] = kept()
    signing_secret: str | None = cleared("bodies are not signed", min_length=16, max_length=256)
    project: str | None = cleared("its incidents have no project", min_length=1, max_length=200)
    correlation_key_label: LabelName | None = cleared("alerts set no correlation key")
    trace_id_label: LabelName | None = cleared("alerts set no trace id")


class IntegrationBody(IntegrationSettings):
    source: Literal["generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog", "pagerduty"]
    name: str = Field(min_length=1, max_length=200)

    def settings(self) -> dict[str, Any]:
        return self.model_dump(exclude={"source", "name"}, exclude_none=True)


class IntegrationPatch(IntegrationSettings):
    name: Annotated[str, NotNull] = kept(min_length=1, max_length=200)


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


def detail_view(detail: "IncidentDetail") -> dict[str, Any]:
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
                "severity": state.severity or alert.severity,
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
    name: Annotated[str, NotNull] = kept(min_length=1, max_length=200)
    levels: Annotated[list[Level], NotNull] = kept(min_length=1, max_length=10)
    repeat: Annotated[int, NotNull] = kept(ge=0, le=10)
    ack_timeout_minutes: int | None = cleared("acknowledgements do not expire", ge=1, le=10080)
    owner: Handle | None = cleared("a leaving member's incidents become unassigned")


class OrgSettingsBody(Strict):
    default_escalation_policy_id: str | None = cleared("no default policy", max_length=64)
    default_schedule_id: str | None = cleared("no default on-call", max_length=64)
    inactivity_days: Annotated[int, NotNull] = kept(ge=1, le=90)
    postmortem_required_severities: Annotated[list[SeverityInput], NotNull] = kept(max_length=4)


def policy_view(policy: EscalationPolicy) -> dict[str, Any]:
    view = policy.model_dump(mode="json")
    for level in view["levels"]:
        for target in level["targets"]:
            target["has_webhook_secret"] = target.pop("webhook_secret", None) is not None
    return view
