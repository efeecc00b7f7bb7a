"""What an integration's settings do to a normalized alert: its incident key and its severity."""

import re

from stormwatch.domain.models import AlertEvent, Integration

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\.([^{}]+))?\}")
TEMPLATE_FIELDS = (
    "incident_key",
    "fingerprint",
    "title",
    "service",
    "environment",
    "source",
    "severity",
    "labels",
)


def render_key(template: str, alert: AlertEvent) -> str:
    """`{field}` or `{labels.name}` from the normalized alert; a field the alert lacks renders empty."""

    def value(match: re.Match[str]) -> str:
        name, label = match.group(1), match.group(2)
        if name == "labels":
            return alert.labels.get(label or "", "")
        found = getattr(alert, name, None) if name in TEMPLATE_FIELDS else None
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, template)


def configured(alert: AlertEvent, integration: Integration) -> AlertEvent:
    updates: dict[str, object] = {}
    if integration.key_template:
        updates["incident_key"] = render_key(integration.key_template, alert)
    source_severity = (alert.source_severity or "").strip().lower()
    mapped = integration.severity_map.get(source_severity) if source_severity else None
    if mapped is not None and mapped is not alert.severity:
        updates["severity"] = mapped
    return alert.model_copy(update=updates) if updates else alert
