"""The generic alarm: what our first users post today, and what any script can send.

    {"route": "GET /orders", "kind": "error_rate", "severity": "critical", "evidence": {...},
     "owner": {"owner": "payments", "slack_webhook": "https://hooks.slack.com/..."},
     "sentry_url": "https://sentry.io/...", "title": "...", "incident_key": "...", "status": "firing"}

The body is one alarm or a JSON array of alarms. The incident key is `incident_key`, else `route::kind`.
Severity is required while firing.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.members import DeliveryUrl
from stormwatch.domain.models import (
    AlertEvent,
    AlertStatus,
    Integration,
    LazyModel,
    Owner,
    Severity,
    SourceUrl,
)
from stormwatch.domain.severity import parse_severity
from stormwatch.normalizers import WebhookRequest, field_path, invalid_from
from stormwatch.normalizers.limits import StringMap, check_evidence


class GenericOwner(LazyModel):
    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(default=None, max_length=200)
    slack_webhook: DeliveryUrl | None = None


class GenericAlarm(LazyModel):
    # The format is Stormwatch's own: a field it does not know is a typo, refused rather than lost.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    route: str | None = Field(default=None, min_length=1, max_length=512)
    kind: str | None = Field(default=None, min_length=1, max_length=200)
    incident_key: str | None = Field(default=None, min_length=1, max_length=1024)
    fingerprint: str | None = Field(default=None, min_length=1, max_length=1024)
    status: Literal["firing", "resolved"] = "firing"
    severity: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, min_length=1, max_length=1024)
    description: str | None = Field(default=None, max_length=16_384)
    service: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=200)
    evidence: dict[str, Any] = Field(default_factory=dict)
    labels: StringMap = Field(default_factory=dict, max_length=64)
    owner: GenericOwner | None = None
    sentry_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://")


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    payload = request.payload
    if isinstance(payload, list):
        if not payload:
            raise InvalidInput("body: an empty list carries no alarm", details=[{"field": "body"}])
        return [_alarm(item, f"body[{index}]") for index, item in enumerate(payload)]
    return [_alarm(payload, "body")]


def _alarm(payload: Any, where: str) -> AlertEvent:
    if not isinstance(payload, dict):
        raise InvalidInput(f"{where}: expected a JSON object", details=[{"field": where}])
    try:
        alarm = GenericAlarm.model_validate(payload)
    except ValidationError as error:
        raise invalid_from(error, where) from None
    if alarm.incident_key:
        key = alarm.incident_key
    elif alarm.route and alarm.kind:
        key = f"{alarm.route}::{alarm.kind}"
    else:
        missing = "route" if not alarm.route else "kind"
        raise InvalidInput(
            f"{where}.{missing}: required (or give incident_key)",
            details=[{"field": f"{where}.{missing}", "problem": "missing"}],
        )
    firing = alarm.status == "firing"
    if alarm.severity is None and firing:
        raise InvalidInput(
            f"{where}.severity: required for a firing alarm",
            details=[{"field": f"{where}.severity", "problem": "missing"}],
        )
    severity = (
        parse_severity(alarm.severity, field_path(where, ["severity"])) if alarm.severity else Severity.MEDIUM
    )
    urls = [SourceUrl(type="sentry", url=alarm.sentry_url)] if alarm.sentry_url else []
    owner = Owner(name=alarm.owner.owner, slack_webhook=alarm.owner.slack_webhook) if alarm.owner else None
    return AlertEvent(
        source="generic",
        source_severity=alarm.severity,
        incident_key=key,
        fingerprint=alarm.fingerprint or key,
        status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
        severity=severity,
        title=alarm.title or _default_title(alarm, key),
        description=alarm.description,
        service=alarm.service,
        environment=alarm.environment,
        labels=alarm.labels,
        urls=urls,
        evidence=check_evidence(alarm.evidence, f"{where}.evidence"),
        owner=owner,
    )


def _default_title(alarm: GenericAlarm, key: str) -> str:
    if alarm.route and alarm.kind:
        return f"{alarm.kind} on {alarm.route}"
    return key
