"""Sentry integration-platform webhooks, told apart by the `Sentry-Hook-Resource` header:

- `event_alert` (an issue alert rule fired): the key is the Sentry issue id, severity the event level;
- `metric_alert` (`critical`, `warning`, `resolved`): the key is the alert rule, so a rule's incident
  fires, changes severity and resolves in one place;
- `issue` (an internal integration subscribed to issues): `created` fires and `resolved` resolves, on the
  same key as the issue's alerts; `assigned`, `ignored`, `archived` and `unresolved` are Sentry-side triage
  and change nothing here (answered `ignored`).
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertEvent, AlertStatus, Integration, LazyModel, Severity, SourceUrl
from stormwatch.normalizers import WebhookRequest, require_object, validated

_LEVELS = {"fatal": Severity.CRITICAL, "error": Severity.HIGH, "warning": Severity.MEDIUM}


class SentryEvent(LazyModel):
    model_config = ConfigDict(extra="ignore")

    issue_id: str
    title: str
    level: str | None = None
    culprit: str | None = None
    web_url: str | None = None
    project: int | str | None = None
    environment: str | None = None
    release: str | None = None
    tags: list[Any] = []


class EventAlertData(LazyModel):
    model_config = ConfigDict(extra="ignore")

    event: SentryEvent
    triggered_rule: str | None = None


class EventAlert(LazyModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["triggered"]
    data: EventAlertData


class AlertRule(LazyModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    projects: list[str] = []
    environment: str | None = None
    query: str | None = None
    aggregate: str | None = None


class MetricAlertBody(LazyModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    alert_rule: AlertRule


class MetricAlertData(LazyModel):
    model_config = ConfigDict(extra="ignore")

    metric_alert: MetricAlertBody
    description_title: str
    description_text: str | None = None
    web_url: str | None = None


class SentryProject(LazyModel):
    model_config = ConfigDict(extra="ignore")

    slug: str | None = None


class SentryIssue(LazyModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    culprit: str | None = None
    level: str | None = None
    web_url: str | None = None
    permalink: str | None = None
    project: SentryProject | None = None


class IssueData(LazyModel):
    model_config = ConfigDict(extra="ignore")

    issue: SentryIssue


class IssueWebhook(LazyModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["created", "resolved", "assigned", "ignored", "archived", "unresolved"]
    data: IssueData


# The other actions are triage in Sentry, which says nothing about whether the problem is happening.
_ISSUE_STATUS = {"created": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}


class MetricAlert(LazyModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["critical", "warning", "resolved"]
    data: MetricAlertData


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    resource = request.headers.get("sentry-hook-resource", "")
    payload = require_object(request.payload, "a Sentry webhook")
    if resource == "event_alert":
        return [_issue_alert(validated(EventAlert, payload))]
    if resource == "metric_alert":
        return [_metric_alert(validated(MetricAlert, payload))]
    if resource == "issue":
        return [_issue(validated(IssueWebhook, payload))]
    raise InvalidInput(
        "header Sentry-Hook-Resource: expected event_alert, metric_alert or issue, "
        f"got {resource or 'nothing'!r}",
        details=[{"field": "header.Sentry-Hook-Resource"}],
    )


def _issue_key(issue_id: str) -> str:
    return f"sentry:issue:{issue_id}"


def _issue_alert(alert: EventAlert) -> AlertEvent:
    event = alert.data.event
    key = _issue_key(event.issue_id)
    level = (event.level or "error").lower()
    labels = {"project": str(event.project)} if event.project is not None else {}
    if alert.data.triggered_rule:
        labels["rule"] = alert.data.triggered_rule
    return AlertEvent(
        source="sentry",
        incident_key=key,
        fingerprint=key,
        severity=_LEVELS.get(level, Severity.LOW),
        source_severity=level,
        title=event.title,
        description=event.culprit,
        environment=event.environment,
        labels=labels,
        urls=[SourceUrl(type="sentry", url=event.web_url)] if event.web_url else [],
        evidence={"release": event.release} if event.release else {},
    )


def _metric_alert(alert: MetricAlert) -> AlertEvent:
    rule = alert.data.metric_alert.alert_rule
    key = f"sentry:metric_alert:{rule.id}"
    labels = {"rule": rule.name, "projects": ",".join(rule.projects)}
    evidence = {
        name: value for name, value in (("query", rule.query), ("aggregate", rule.aggregate)) if value
    }
    return AlertEvent(
        source="sentry",
        incident_key=key,
        fingerprint=key,
        status=AlertStatus.RESOLVED if alert.action == "resolved" else AlertStatus.FIRING,
        severity=Severity.CRITICAL if alert.action == "critical" else Severity.MEDIUM,
        source_severity=alert.action,
        title=rule.name,
        description=alert.data.description_text,
        environment=rule.environment,
        labels=labels,
        urls=[SourceUrl(type="sentry", url=alert.data.web_url)] if alert.data.web_url else [],
        evidence=evidence,
    )


def _issue(webhook: IssueWebhook) -> AlertEvent:
    issue = webhook.data.issue
    key = _issue_key(issue.id)
    level = (issue.level or "error").lower()
    url = issue.web_url or issue.permalink
    return AlertEvent(
        source="sentry",
        incident_key=key,
        fingerprint=key,
        status=_ISSUE_STATUS.get(webhook.action, AlertStatus.NOTED),
        severity=_LEVELS.get(level, Severity.LOW),
        source_severity=level,
        title=issue.title,
        description=issue.culprit,
        labels={"project": issue.project.slug} if issue.project and issue.project.slug else {},
        urls=[SourceUrl(type="sentry", url=url)] if url else [],
    )
