"""PagerDuty Events API v2 (`POST /v2/enqueue`): anything that can page PagerDuty pages Stormwatch.

`routing_key` is the integration key; `dedup_key` is the incident key (made up on a trigger without one,
and returned). trigger fires, acknowledge acknowledges, resolve resolves. Validation follows PagerDuty's
rules and names fields as PagerDuty's error messages do.
"""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertEvent, AlertStatus, Integration, LazyModel, Severity, SourceUrl
from stormwatch.normalizers import WebhookRequest, require_object, validated
from stormwatch.normalizers.limits import check_evidence, storable_json

_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.LOW,
}
_STATUS = {
    "trigger": AlertStatus.FIRING,
    "acknowledge": AlertStatus.ACKNOWLEDGED,
    "resolve": AlertStatus.RESOLVED,
}


class Payload(LazyModel):
    model_config = ConfigDict(extra="ignore")

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: dict[str, Any] | str | None = None


class Link(LazyModel):
    href: str
    text: str | None = None


class Image(LazyModel):
    src: str
    href: str | None = None
    alt: str | None = None


class Event(LazyModel):
    model_config = ConfigDict(extra="ignore")

    routing_key: str = Field(min_length=1)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: Payload | None = None
    client: str | None = None
    client_url: str | None = None
    links: list[Link] = []
    images: list[Image] = []


def routing_key(payload: Any) -> str | None:
    key = payload.get("routing_key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else None


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    event = validated(Event, require_object(request.payload, "an event"), where="")
    if event.event_action == "trigger":
        if event.payload is None:
            raise InvalidInput("'payload' is missing", details=[{"field": "payload", "problem": "missing"}])
        return [_trigger(event, event.payload)]
    if event.dedup_key is None:
        raise InvalidInput(
            "'dedup_key' is missing or blank", details=[{"field": "dedup_key", "problem": "missing"}]
        )
    return [
        AlertEvent(
            source="pagerduty",
            incident_key=event.dedup_key,
            fingerprint=event.dedup_key,
            status=_STATUS[event.event_action],
            title=event.dedup_key,
        )
    ]


def _trigger(event: Event, payload: Payload) -> AlertEvent:
    dedup_key = event.dedup_key or uuid.uuid4().hex
    labels = {
        name: value
        for name, value in (
            ("source", payload.source),
            ("component", payload.component),
            ("group", payload.group),
            ("class", payload.class_),
            ("client", event.client),
        )
        if value
    }
    urls = [SourceUrl(type=link.text or "link", url=link.href) for link in event.links]
    urls += [SourceUrl(type=image.alt or "image", url=image.href or image.src) for image in event.images]
    if event.client_url:
        urls.append(SourceUrl(type="client", url=event.client_url))
    # custom_details is any JSON, as PagerDuty takes it: what DynamoDB cannot store (empty keys, numbers past
    # its range) is renamed or kept as text.
    details = storable_json(payload.custom_details)
    evidence = details if isinstance(details, dict) else ({"details": details} if details else {})
    return AlertEvent(
        source="pagerduty",
        incident_key=dedup_key,
        fingerprint=dedup_key,
        status=AlertStatus.FIRING,
        severity=_SEVERITIES[payload.severity],
        source_severity=payload.severity,
        title=payload.summary,
        service=payload.component or payload.group,
        labels=labels,
        urls=urls,
        evidence=check_evidence(evidence, "payload.custom_details"),
        started_at=payload.timestamp,
    )
