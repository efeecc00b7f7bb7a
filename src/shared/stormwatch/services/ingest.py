"""Ingestion: a webhook body in, incidents out. Alerta's flow: dedup first, then correlate.

A delivery is authenticated (integration key; signatures where the source signs), normalized, shaped by
its integration's settings, and grouped by incident key in arrival order, so a body carrying many alerts
for few keys writes once per key (per chunk), not once per alert. For each chunk, the store first tries
to count it as plain repeats in one conditional write with no read; when that condition fails it hands
back the stored snapshot, correlation decides, and the store writes the outcome conditionally. A lost
race re-runs the chunk from the top, so concurrent deliveries never create a second active incident.

A delivery that takes more than one write (or that names itself, like SNS's MessageId) writes a marker
with each of its writes: when it fails half-way and the sender retries, the parts that landed are
skipped rather than counted twice.
"""

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from stormwatch.clock import Clock
from stormwatch.domain.context import with_integration_context
from stormwatch.domain.correlation import Action, CorrelationPolicy, correlate
from stormwatch.domain.errors import InvalidInput, NotFound, Unauthenticated
from stormwatch.domain.escalation import chosen_policy_id
from stormwatch.domain.events import Change
from stormwatch.domain.integrations import configured
from stormwatch.domain.models import AlertEvent, AlertStatus, Integration, Notification
from stormwatch.domain.timers import TimerKind, heartbeat_alert
from stormwatch.domain.work import notify
from stormwatch.ids import key_hash, short_hash
from stormwatch.normalizers import WebhookRequest, body_text, normalizer_for, pagerduty, parse_json
from stormwatch.normalizers.limits import MAX_EVIDENCE_KEYS, check_labels
from stormwatch.normalizers.pagerduty import routing_key
from stormwatch.services.cascade import with_children_resolved
from stormwatch.services.retry import retrying
from stormwatch.services.signatures import VERIFIERS
from stormwatch.services.webhook_auth import WebhookAuthenticator
from stormwatch.store.incidents import DeliveryMarker, DuplicateDelivery, IncidentStore
from stormwatch.store.integrations import IntegrationStore
from stormwatch.store.keys import IntegrationKeys
from stormwatch.store.policies import PolicyReads
from stormwatch.store.timers import Claim, TimerStore, timer_item

if TYPE_CHECKING:
    from stormwatch.services.sns import SnsVerifier

# One write covers at most this many fingerprints, which keeps its expression under DynamoDB's 4 KB and its
# transaction (snapshot, one detail item per new fingerprint, their events) far under 100 items.
MAX_FINGERPRINTS_PER_WRITE = 10
# How long a delivery's markers outlive it: long enough for a sender's retries, shorter than the interval
# at which Alertmanager re-sends an unchanged group (which must count as a repeat).
RETRY_WINDOW = timedelta(minutes=10)
# SNS MessageIds are unique, so their markers can live long.
SNS_DEDUP_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class AlertResult:
    incident_id: str | None
    incident_key: str
    action: Action


@dataclass(frozen=True)
class PagerDutyAnswer:
    """PagerDuty's own answer: accepted with the dedup key, or rejected with its error messages."""

    dedup_key: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Heartbeat:
    next_deadline: datetime
    results: list[AlertResult]


@dataclass(frozen=True)
class _Delivery:
    key: str
    lifetime: timedelta
    always: bool


class IngestService:
    def __init__(
        self,
        authenticator: WebhookAuthenticator,
        incidents: IncidentStore,
        clock: Clock,
        default_reopen_window: timedelta,
        sleep: Callable[[float], None],
        sns: "Callable[[], SnsVerifier]",
        integrations: IntegrationStore,
        timers: TimerStore,
        policies: PolicyReads,
        default_on_call: Callable[[str, Sequence[str | None], datetime], tuple[str, str] | None],
    ) -> None:
        self._authenticator = authenticator
        self._policies = policies
        self._incidents = incidents
        self._integrations = integrations
        self._timers = timers
        self._clock = clock
        self._default_reopen_window = default_reopen_window
        self._sleep = sleep
        self._sns = sns
        self._default_on_call = default_on_call

    def receive(self, source: str, headers: Mapping[str, str], raw_body: bytes) -> list[AlertResult]:
        """Authenticate, verify, normalize and correlate one webhook delivery. The key is checked before the
        body is read, so a wrong key is 401 whatever the body."""
        normalize = normalizer_for(source)
        if normalize is None or source == "pagerduty":
            raise NotFound(f"no webhook for source {source!r}")
        integration = self._authenticator.authenticate(headers.get("authorization"), source)
        body = body_text(raw_body)
        verify = VERIFIERS.get(source)
        if verify is not None:
            verify(integration, headers, body, self._clock.now())
        payload = parse_json(body)
        delivery = _Delivery(
            hashlib.sha256(f"{source}\x00{body}".encode()).hexdigest()[:32], RETRY_WINDOW, False
        )
        if source == "cloudwatch":
            if not isinstance(payload, dict):
                raise InvalidInput(
                    "body: expected an SNS message (a JSON object)", details=[{"field": "body"}]
                )
            sns = self._sns()
            sns.verify(payload)
            if payload.get("Type") == "SubscriptionConfirmation":
                sns.confirm_subscription(payload)
                return []
            if payload.get("Type") != "Notification":
                return []
            delivery = _Delivery(short_hash(f"sns\x00{payload.get('MessageId')}"), SNS_DEDUP_WINDOW, True)
        alerts = [
            configured(alert, integration)
            for alert in normalize(WebhookRequest(payload, headers), integration)
        ]
        for alert in alerts:
            check_labels(alert.labels)
        return self.ingest(integration, alerts, delivery)

    def heartbeat(self, authorization: str | None) -> Heartbeat:
        """An integration says it is alive: its deadline moves, and if it had missed one, the incident that
        opened resolves."""
        integration = self._authenticator.authenticate_any(authorization, "heartbeat")
        if integration.heartbeat_minutes is None:
            raise InvalidInput(
                f"integration {integration.id} expects no heartbeat: set its heartbeat_minutes first",
                details=[{"field": "heartbeat_minutes"}],
            )
        now = self._clock.now()
        deadline = now + timedelta(minutes=integration.heartbeat_minutes)
        key = IntegrationKeys.heartbeat(integration.org, integration.id)
        item = timer_item(
            key, TimerKind.HEARTBEAT, integration.org, {"integration_id": integration.id}, deadline
        )
        before = self._timers.replace({**item, "missed": False})
        results = []
        if before is not None and before.get("missed"):
            results = self.ingest(integration, [heartbeat_alert(integration, AlertStatus.RESOLVED)])
        return Heartbeat(deadline, results)

    def missed_heartbeat(self, claim: Claim, now: datetime) -> None:
        """The sweep found a heartbeat deadline passed: mark it missed (out of the timer index until the next
        heartbeat), then open the incident. A heartbeat landing meanwhile voids the claim: nothing opens."""
        timer = claim.timer
        assert timer.integration_id is not None
        try:
            integration, _ = self._integrations.get(timer.org, timer.integration_id)
        except NotFound:
            self._timers.settle(claim, None)
            return
        if integration.heartbeat_minutes is None:
            self._timers.settle(claim, None)
            return
        missed = {
            **claim.timer.key,
            "entity": "timer",
            "kind": TimerKind.HEARTBEAT.value,
            "org": timer.org,
            "integration_id": timer.integration_id,
            "due": timer.due,
            "missed": True,
        }
        if self._timers.settle(claim, missed):
            self.ingest(integration, [heartbeat_alert(integration, AlertStatus.FIRING)])

    def enqueue(self, raw_body: bytes) -> PagerDutyAnswer:
        """PagerDuty Events API v2: the routing key authenticates, the dedup key is the incident key."""
        try:
            payload = parse_json(body_text(raw_body))
        except InvalidInput as error:
            return PagerDutyAnswer(errors=[error.message])
        key = routing_key(payload)
        if key is None:
            return PagerDutyAnswer(errors=["'routing_key' is missing or blank"])
        try:
            integration = self._authenticator.authenticate(f"Bearer {key}", "pagerduty")
        except Unauthenticated:
            return PagerDutyAnswer(errors=["Invalid routing key"])
        try:
            alerts = [
                configured(alert, integration)
                for alert in pagerduty.normalize(WebhookRequest(payload), integration)
            ]
        except InvalidInput as error:
            return PagerDutyAnswer(errors=[error.message])
        self.ingest(integration, alerts)
        return PagerDutyAnswer(dedup_key=alerts[0].incident_key)

    def ingest(
        self, integration: Integration, alerts: list[AlertEvent], delivery: _Delivery | None = None
    ) -> list[AlertResult]:
        now = self._clock.now()
        policy = CorrelationPolicy(
            reopen_window=(
                timedelta(seconds=integration.reopen_window_seconds)
                if integration.reopen_window_seconds is not None
                else self._default_reopen_window
            ),
            auto_resolve=integration.auto_resolve,
            flapping_threshold=integration.flapping_threshold,
            default_assignee=integration.default_assignee,
            escalation_policy_id=integration.escalation_policy_id,
            default_schedule_id=integration.default_schedule_id,
        )
        alerts = [with_integration_context(integration, alert) for alert in alerts]
        if policy.escalation_policy_id is None or policy.default_assignee is None:
            # Read once per delivery, and only if an incident opens, whatever the keys and retries.
            plain = policy
            policy = replace(plain, opening=cache(lambda: self._opening(integration.org, plain)))
        results: list[AlertResult | None] = [None] * len(alerts)
        # Per key, alerts are taken fingerprint by fingerprint (each fingerprint keeps its own order, which is
        # all correlation depends on), so a chunk of 10 fingerprints holds every alert of those fingerprints.
        groups: dict[str, dict[str, list[int]]] = {}
        for index, alert in enumerate(alerts):
            if alert.status is AlertStatus.NOTED:
                results[index] = AlertResult(None, alert.incident_key, Action.IGNORED)
                continue
            by_fingerprint = groups.setdefault(key_hash(integration.org, alert.incident_key), {})
            by_fingerprint.setdefault(alert.fingerprint, []).append(index)
        chunks = [
            (hashed, chunk)
            for hashed, by_fingerprint in groups.items()
            for chunk in _chunks([index for run in by_fingerprint.values() for index in run], alerts)
        ]
        marked = delivery is not None and (delivery.always or len(chunks) > 1)
        for number, (hashed_key, chunk) in enumerate(chunks):
            batch = [alerts[index] for index in chunk]
            marker = None
            if marked and delivery is not None:
                marker = DeliveryMarker(
                    org=integration.org,
                    key=f"{delivery.key}-{number}",
                    now=int(now.timestamp()),
                    expires_at=int((now + delivery.lifetime).timestamp()),
                )
            try:
                actions, incident_id = self._correlate_batch(
                    integration.org, hashed_key, batch, now, policy, marker
                )
            except DuplicateDelivery:
                actions, incident_id = [Action.IGNORED] * len(batch), None
            for index, action in zip(chunk, actions, strict=True):
                results[index] = AlertResult(incident_id, alerts[index].incident_key, action)
        return [result for result in results if result is not None]

    def _opening(self, org: str, policy: CorrelationPolicy) -> CorrelationPolicy:
        """What a new incident takes from the org's settings as they are at this moment: the org's default
        policy, and the default on-call (the integration's schedule, else the org's) when the integration
        names no assignee."""
        settings = self._policies.settings(org, "default_escalation_policy_id", "default_schedule_id")
        schedules = [policy.default_schedule_id, settings.default_schedule_id]
        return replace(
            policy,
            escalation_policy_id=chosen_policy_id(policy.escalation_policy_id, settings),
            default_on_call=(
                (lambda moment: self._default_on_call(org, schedules, moment))
                if policy.default_assignee is None and any(schedules)
                else None
            ),
        )

    def _correlate_batch(
        self,
        org: str,
        hashed_key: str,
        batch: list[AlertEvent],
        now: datetime,
        policy: CorrelationPolicy,
        marker: DeliveryMarker | None,
    ) -> tuple[list[Action], str | None]:
        """The actions on a batch's alerts, and the id of the incident they end on (None if none)."""
        # What the one-write path can count: firing alerts of a delivery that truncated nothing.
        repeatable = all(alert.status is AlertStatus.FIRING and not alert.truncated_alerts for alert in batch)

        def attempt() -> tuple[list[Action], str | None]:
            if repeatable:
                repeat = self._incidents.record_repeats(org, hashed_key, batch, now, marker)
                if repeat.counted_into is not None:
                    return [Action.UPDATED] * len(batch), repeat.counted_into
                stored = repeat.stored
            else:
                stored = self._incidents.current(org, hashed_key)
            outcome = correlate(org, hashed_key, stored, batch, now, policy)
            if outcome.changes:
                changes = with_children_resolved(self._incidents, outcome.changes, now)
                self._incidents.commit(changes, _assignment_notices(changes, now), marker=marker)
            return outcome.actions, outcome.incident.id if outcome.incident is not None else None

        return retrying(attempt, self._sleep, f"incident key {hashed_key}")


def _assignment_notices(changes: list[Change], now: datetime) -> list[Notification]:
    """A new incident given to the integration's default assignee tells them."""
    return [
        notify(change.after, "assigned", str(event.data["assignee"]), now, by=event.actor)
        for change in changes
        for event in change.events
        if event.type == "assigned" and change.before is None
    ]


def _chunks(indexes: list[int], alerts: list[AlertEvent]) -> Iterator[list[int]]:
    """Cut a key's alerts into runs of at most MAX_FINGERPRINTS_PER_WRITE fingerprints and
    MAX_EVIDENCE_KEYS evidence keys, keeping arrival order."""
    chunk: list[int] = []
    fingerprints: set[str] = set()
    evidence_keys: set[str] = set()
    for index in indexes:
        alert = alerts[index]
        grown_fingerprints = fingerprints | {short_hash(alert.fingerprint)}
        grown_evidence = evidence_keys | alert.evidence.keys()
        if chunk and (
            len(grown_fingerprints) > MAX_FINGERPRINTS_PER_WRITE or len(grown_evidence) > MAX_EVIDENCE_KEYS
        ):
            yield chunk
            chunk, grown_fingerprints, grown_evidence = (
                [],
                {short_hash(alert.fingerprint)},
                set(alert.evidence),
            )
        chunk.append(index)
        fingerprints, evidence_keys = grown_fingerprints, grown_evidence
    if chunk:
        yield chunk
