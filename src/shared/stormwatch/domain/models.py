"""The domain's nouns: severities, statuses, roles, alerts, incidents, timeline events."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from stormwatch.clock import iso

UtcTime = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="always")]


class LazyModel(BaseModel):
    """A model whose validator and serializer are built when first used, not when its module is imported:
    a handler imports many models it may never use in a given container (each costs about a millisecond to
    build), and pays only for those its requests use."""

    model_config = ConfigDict(defer_build=True)


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher is worse: low 1 … critical 4."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


# A post-mortem's status, kept on its incident's snapshot too (`postmortem_status`).
class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self not in (Status.RESOLVED, Status.CANCELLED)


ACTIVE_STATUSES = tuple(status for status in Status if status.is_active)


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def level(self) -> int:
        return list(Role).index(self)


class Caller(LazyModel):
    """Who is asking, as the JWT authorizer vouched for it."""

    model_config = ConfigDict(frozen=True)

    org: str
    user: str
    roles: frozenset[Role]

    def has(self, needed: Role) -> bool:
        return any(role.level >= needed.level for role in self.roles)

    @property
    def actor(self) -> str:
        return f"user:{self.user}"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    # PagerDuty's acknowledge event: the source says someone is on it.
    ACKNOWLEDGED = "acknowledged"
    # The source reports something that changes no incident (Sentry's issue triage): answered `ignored`.
    NOTED = "noted"


class SourceUrl(LazyModel):
    """A link out of Stormwatch: a dashboard, a runbook, a Sentry issue, a generator URL."""

    type: str
    url: str


class Owner(LazyModel):
    name: str | None = None
    slack_webhook: str | None = None


class AlertEvent(LazyModel):
    """One alarm from one source, normalized. The input of correlation."""

    source: str
    incident_key: str
    fingerprint: str
    status: AlertStatus = AlertStatus.FIRING
    severity: Severity = Severity.MEDIUM
    # The severity as the source named it, for the integration's severity mapping.
    source_severity: str | None = None
    title: str
    description: str | None = None
    service: str | None = None
    environment: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    urls: list[SourceUrl] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    owner: Owner | None = None
    started_at: UtcTime | None = None
    # Alerts of the same delivery that the source left out (Alertmanager's truncatedAlerts).
    truncated_alerts: int = 0
    # Set by the integration's settings (`project`, `correlation_key_label`, `trace_id_label`).
    project: str | None = None
    correlation_key: str | None = None
    trace_id: str | None = None


class AlertState(LazyModel):
    """What an incident knows of one fingerprint: the counters that repeats update."""

    fingerprint: str
    status: AlertStatus
    count: int
    first_seen: UtcTime
    last_seen: UtcTime
    # The severity its latest firing carried, kept like a counter (repeats set it). None: stored before
    # snapshots kept it (the alert's first severity is then in its detail item).
    severity: Severity | None = None


class IncidentLink(LazyModel):
    """A link to another incident: parent, child, duplicate_of, or duplicate (on the original)."""

    type: str
    incident_id: str
    # On a parent's `child` link: the child resolves when the parent does.
    resolve_with_parent: bool = False


class Ticket(LazyModel):
    """A ticket tracking the incident elsewhere (Jira, GitHub, Linear, ServiceNow, any URL)."""

    system: str
    key: str | None = None
    url: str


class Incident(LazyModel):
    """The snapshot of one incident. Field names are part of the public contract."""

    id: str
    org: str
    incident_key: str
    title: str
    description: str | None = None
    status: Status = Status.OPEN
    severity: Severity
    service: str | None = None
    environment: str | None = None
    source: str
    assignee: str | None = None
    owner: str | None = None
    owner_slack_webhook: str | None = None
    alert_count: int = 0
    first_seen: UtcTime
    last_seen: UtcTime
    created_at: UtcTime
    created_by: str
    acknowledged_at: UtcTime | None = None
    acknowledged_by: str | None = None
    investigating_at: UtcTime | None = None
    mitigated_at: UtcTime | None = None
    resolved_at: UtcTime | None = None
    resolved_by: str | None = None
    cancelled_at: UtcTime | None = None
    cancelled_by: str | None = None
    resolution_note: str | None = None
    reopened_at: UtcTime | None = None
    tta_seconds: float | None = None
    ttr_seconds: float | None = None
    # The last escalation level paged (1-based; 0: none yet in this cycle of the incident).
    escalation_level: int = 0
    # The next escalation step, [level index, policy cycle], and when it is due (None: not walking).
    escalation_step: tuple[int, int] = (0, 0)
    escalate_at: UtcTime | None = None
    # From the policy at the first escalation: how long an acknowledgement holds without a resolution.
    ack_timeout_minutes: int | None = None
    ack_expires_at: UtcTime | None = None
    silenced_until: UtcTime | None = None
    flapping: bool = False
    reopen_count: int = 0
    # When the latest reopens happened (the last few), to tell flapping from a genuine recurrence.
    reopen_times: list[UtcTime] = Field(default_factory=list)
    # Alerts of the group the source left out of its last delivery (Alertmanager's truncatedAlerts).
    truncated_alerts: int = 0
    parent_id: str | None = None
    escalation_policy_id: str | None = None
    previous_incident_id: str | None = None
    # Set when a later alert opened a new incident for the same key: this one is then history.
    superseded_by: str | None = None
    links: list[IncidentLink] = Field(default_factory=list)
    urls: list[SourceUrl] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    # Keyed by the fingerprint's short hash, so a repeat can address its counters by path.
    alerts: dict[str, AlertState] = Field(default_factory=dict)
    version: int = 1
    # none, draft, in_review or published, kept by `postmortem` events (`required` is shown, not kept: see
    # domain/postmortems.py).
    postmortem_status: str = "none"
    postmortem_published_at: UtcTime | None = None
    # Context (domain/context.py): what the incident is about beyond its alerts, kept by its events.
    project: str | None = None
    correlation_keys: list[str] = Field(default_factory=list)
    trace_ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    tickets: list[Ticket] = Field(default_factory=list)
    signal_count: int = 0
    slo_violation_count: int = 0
    action_count: int = 0
    updated_at: UtcTime
    # The newest timeline event that a person would call activity (comments too, deliveries not).
    last_activity_at: UtcTime

    @property
    def generation(self) -> int:
        return int(self.id.rsplit("-", 1)[1])

    @property
    def closed_at(self) -> datetime | None:
        return self.resolved_at or self.cancelled_at

    @property
    def firing_alerts(self) -> int:
        return sum(1 for alert in self.alerts.values() if alert.status is AlertStatus.FIRING)


@dataclass(frozen=True)
class NewIncident:
    """What a person gives to open an incident by hand."""

    title: str
    severity: Severity
    description: str | None = None
    service: str | None = None
    environment: str | None = None
    incident_key: str | None = None
    labels: dict[str, str] | None = None
    escalation_policy_id: str | None = None
    project: str | None = None
    # "open_for_service": answer the service's open incident instead of opening another.
    dedupe: str | None = None


class TimelineEvent(LazyModel):
    id: str
    type: str
    at: UtcTime
    actor: str
    data: dict[str, Any] = Field(default_factory=dict)


class Notification(LazyModel):
    """Something to tell a member, written to the outbox with the change it reports; the notifier
    delivers it to the member's contact points."""

    id: str
    org: str
    incident_id: str
    kind: str
    # A member to reach on each of their contact points, or a single target (a Slack or webhook URL, an
    # email address: {type, value, webhook_secret?}).
    member: str | None = None
    target: dict[str, str] | None = None
    at: UtcTime
    data: dict[str, Any] = Field(default_factory=dict)


def incident_id(key_hash: str, generation: int) -> str:
    """An incident's id names its key and its generation, so a repeat firing finds it without a read."""
    return f"{key_hash}-{generation}"


class Integration(LazyModel):
    """A source of alerts configured for an org; its key authenticates that source's webhook."""

    id: str
    org: str
    source: str
    name: str
    created_at: UtcTime
    updated_at: UtcTime | None = None
    # The normalized alert's fields forming the incident key, e.g. "{service}::{labels.alertname}".
    key_template: str | None = None
    # Source severity names (lower-cased) to Stormwatch severities, applied before the built-in aliases.
    severity_map: dict[str, Severity] = Field(default_factory=dict)
    # For sources that carry no severity (CloudWatch).
    default_severity: Severity = Severity.HIGH
    auto_resolve: bool = True
    reopen_window_seconds: int | None = None
    # Reopens within the reopen window beyond which the incident is flapping.
    flapping_threshold: int = 3
    default_assignee: str | None = None
    escalation_policy_id: str | None = None
    # Without a default assignee, new incidents go to whoever this schedule (else the org's default
    # schedule) has on call.
    default_schedule_id: str | None = None
    # When set, the integration promises a heartbeat at least this often; a missed one opens an incident.
    heartbeat_minutes: int | None = None
    # CloudWatch INSUFFICIENT_DATA: ignore it, treat it as firing, or as resolved.
    insufficient_data: str = "ignore"
    # Grafana and Sentry sign their bodies with HMAC-SHA256 when given a secret.
    signing_secret: str | None = None
    # The project of its incidents, and the alert labels whose values become an incident's correlation key
    # and trace id.
    project: str | None = None
    correlation_key_label: str | None = None
    trace_id_label: str | None = None
