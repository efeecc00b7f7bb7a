"""Grafana unified alerting webhook (`version: "1"`): Alertmanager's group shape plus per-alert `values`,
and links to the silence form, dashboard, panel and image. The deprecated top-level `state`, `title` and
`message` are not needed: each alert carries its own status.

When the integration has a signing secret, the body must carry Grafana's HMAC signature (checked by the
ingest service before this runs)."""

from typing import Any

from pydantic import Field

from stormwatch.domain.models import AlertEvent, Integration, SourceUrl
from stormwatch.normalizers import WebhookRequest, require_object, validated
from stormwatch.normalizers.alertmanager import GroupAlert, GroupWebhook, group_alert, require_version


class GrafanaAlert(GroupAlert):
    values: dict[str, float | int | None] | None = None
    valueString: str | None = None
    silenceURL: str | None = None
    dashboardURL: str | None = None
    panelURL: str | None = None
    imageURL: str | None = None


class GrafanaWebhook(GroupWebhook):
    alerts: list[GrafanaAlert] = Field(min_length=1)  # type: ignore[assignment]


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    webhook = validated(GrafanaWebhook, require_object(request.payload, "a Grafana webhook"))
    require_version(webhook.version, "1", "Grafana unified alerting webhook")
    events = []
    for index, alert in enumerate(webhook.alerts):
        urls = [
            SourceUrl(type=kind, url=url)
            for kind, url in (
                ("silence", alert.silenceURL),
                ("dashboard", alert.dashboardURL),
                ("panel", alert.panelURL),
                ("image", alert.imageURL),
            )
            if url
        ]
        evidence: dict[str, Any] = {}
        if alert.values:
            evidence["values"] = alert.values
        if alert.valueString:
            evidence["value_string"] = alert.valueString
        events.append(group_alert(webhook, alert, index, "grafana", urls, evidence))
    return events
