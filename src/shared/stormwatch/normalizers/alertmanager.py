"""Prometheus Alertmanager webhook, version 4 (Grafana's version 1 is the same group shape; see grafana.py).

One body is one group: its alerts share the `groupKey`, which is the incident key, and each alert is one
fingerprint of that incident. Severity comes from the `severity` label; a value Stormwatch does not know
maps to medium (the label is free text in Prometheus rules, and rejecting the body would drop alerts).
`truncatedAlerts` (alerts Alertmanager left out of a long group) is kept on the incident.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import (
    AlertEvent,
    AlertStatus,
    Integration,
    LazyModel,
    Owner,
    Severity,
    SourceUrl,
)
from stormwatch.domain.severity import lookup_severity
from stormwatch.ids import short_hash
from stormwatch.normalizers import WebhookRequest, require_object, validated
from stormwatch.normalizers.limits import StringMap, check_evidence

# Annotations that become fields of the alert rather than evidence.
_PROMOTED_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard_url")


class GroupAlert(LazyModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: StringMap = Field(max_length=128)
    annotations: StringMap = Field(default_factory=dict, max_length=128)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = Field(default=None, max_length=256)


class GroupWebhook(LazyModel):
    model_config = ConfigDict(extra="ignore")

    version: str
    groupKey: str = Field(min_length=1, max_length=4096)
    status: Literal["firing", "resolved"]
    receiver: str | None = None
    alerts: list[GroupAlert] = Field(min_length=1)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str | None = None
    truncatedAlerts: int = Field(default=0, ge=0)


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    webhook = validated(GroupWebhook, require_object(request.payload, "an Alertmanager webhook"))
    require_version(webhook.version, "4", "Alertmanager webhook v4")
    return [group_alert(webhook, alert, index, "alertmanager") for index, alert in enumerate(webhook.alerts)]


def require_version(version: str, expected: str, what: str) -> None:
    if version != expected:
        raise InvalidInput(
            f"body.version: expected {expected!r} ({what}), got {version!r}",
            details=[{"field": "body.version", "problem": "unsupported version"}],
        )


def group_alert(
    webhook: GroupWebhook,
    alert: GroupAlert,
    index: int,
    source: str,
    urls: list[SourceUrl] | None = None,
    evidence: dict[str, Any] | None = None,
) -> AlertEvent:
    labels = alert.labels
    annotations = alert.annotations
    severity_label = labels.get("severity")
    severity = (lookup_severity(severity_label) if severity_label else None) or Severity.MEDIUM
    links = [SourceUrl(type="generator", url=alert.generatorURL)] if alert.generatorURL else []
    for name in ("runbook_url", "dashboard_url"):
        if annotations.get(name):
            links.append(SourceUrl(type=name.removesuffix("_url"), url=annotations[name]))
    found = {name: value for name, value in annotations.items() if name not in _PROMOTED_ANNOTATIONS}
    owner_name = labels.get("owner") or labels.get("team")
    return AlertEvent(
        source=source,
        incident_key=webhook.groupKey,
        fingerprint=alert.fingerprint or short_hash(repr(sorted(labels.items()))),
        status=AlertStatus.FIRING if alert.status == "firing" else AlertStatus.RESOLVED,
        severity=severity,
        source_severity=severity_label,
        title=annotations.get("summary") or labels.get("alertname") or webhook.groupKey,
        description=annotations.get("description"),
        service=labels.get("service") or labels.get("job"),
        environment=labels.get("environment") or labels.get("env"),
        labels=labels,
        urls=links + (urls or []),
        evidence=check_evidence({**found, **(evidence or {})}, f"body.alerts[{index}]"),
        owner=Owner(name=owner_name) if owner_name else None,
        started_at=alert.startsAt,
        truncated_alerts=webhook.truncatedAlerts,
    )
