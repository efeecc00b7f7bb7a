"""Datadog monitors through the Webhooks integration. Datadog posts whatever JSON template the user sets;
Stormwatch reads this one (paste it as the webhook's payload; it is also in the README):

    {"id": "$ID", "title": "$EVENT_TITLE", "body": "$EVENT_MSG", "date": "$DATE",
     "last_updated": "$LAST_UPDATED", "event_type": "$EVENT_TYPE", "severity": "$ALERT_PRIORITY",
     "alert_type": "$ALERT_TYPE", "alert_query": "$ALERT_QUERY", "alert_transition": "$ALERT_TRANSITION",
     "scopes": "$ALERT_SCOPE", "monitor_id": "$ALERT_ID", "url": "$LINK", "tags": "$TAGS",
     "org": {"id": "$ORG_ID", "name": "$ORG_NAME"}}

The key is the monitor and its scope (one incident per monitor and group). Recovered resolves; every other
transition fires. Severity is the monitor priority (P1 to P5) when set, else the alert type.
"""

import re

from pydantic import ConfigDict, Field

from stormwatch.domain.models import AlertEvent, AlertStatus, Integration, LazyModel, Severity, SourceUrl
from stormwatch.domain.severity import lookup_severity
from stormwatch.normalizers import WebhookRequest, require_object, validated
from stormwatch.normalizers.limits import check_evidence

_ALERT_TYPES = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.LOW,
    "success": Severity.LOW,
}
_TRANSITION_PREFIX = re.compile(r"^\[[^\]]*\]\s*")


class DatadogEvent(LazyModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    monitor_id: str = Field(min_length=1)
    alert_transition: str = Field(min_length=1)
    title: str = Field(min_length=1)
    scopes: str = ""
    body: str | None = None
    severity: str = ""
    alert_type: str = ""
    alert_query: str | None = None
    url: str | None = None
    tags: str = ""
    id: str | None = None


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    event = validated(DatadogEvent, require_object(request.payload, "a Datadog webhook"))
    key = f"datadog:{event.monitor_id}:{event.scopes or '*'}"
    resolved = event.alert_transition.lower() == "recovered"
    severity = lookup_severity(event.severity) if event.severity else None
    # A tag is `name:value` or a bare name; one with no name (":x") names nothing and is left out.
    tags = dict(tag.split(":", 1) for tag in event.tags.split(",") if ":" in tag and not tag.startswith(":"))
    evidence = {"transition": event.alert_transition, "query": event.alert_query, "message": event.body}
    return [
        AlertEvent(
            source="datadog",
            incident_key=key,
            fingerprint=key,
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            severity=severity or _ALERT_TYPES.get(event.alert_type.lower(), Severity.MEDIUM),
            source_severity=event.severity or event.alert_type or None,
            title=_TRANSITION_PREFIX.sub("", event.title) or event.title,
            service=tags.get("service"),
            environment=tags.get("env"),
            labels={"monitor_id": event.monitor_id, "scope": event.scopes, **tags},
            urls=[SourceUrl(type="datadog", url=event.url)] if event.url else [],
            evidence=check_evidence({k: v for k, v in evidence.items() if v}, "body"),
        )
    ]
