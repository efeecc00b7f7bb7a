"""Ingestion: a webhook body in, incidents out. Alerta's flow: dedup first, then correlate.

Alerts are grouped by incident key, in arrival order, so a body carrying many alerts for few keys writes
once per key (per chunk), not once per alert. For each group, the store first tries to count the group as
plain repeats in one conditional write with no read; when that condition fails it hands back the stored
snapshot, correlation decides, and the store writes the outcome conditionally. A lost race re-runs the
group from the top, so concurrent deliveries never create a second active incident for a key.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stormwatch.clock import Clock
from stormwatch.domain.correlation import Action, CorrelationPolicy, correlate
from stormwatch.domain.errors import InvalidInput, NotFound
from stormwatch.domain.models import AlertEvent, AlertStatus, Incident, Integration
from stormwatch.ids import key_hash, short_hash
from stormwatch.normalizers import normalizer_for
from stormwatch.normalizers.limits import MAX_EVIDENCE_KEYS
from stormwatch.services.cascade import with_children_resolved
from stormwatch.services.retry import retrying
from stormwatch.services.webhook_auth import WebhookAuthenticator
from stormwatch.store.incidents import IncidentStore

# One write covers at most this many fingerprints, which keeps its expression under DynamoDB's 4 KB and its
# transaction (snapshot, one detail item per new fingerprint, their events) far under 100 items.
MAX_FINGERPRINTS_PER_WRITE = 10


@dataclass(frozen=True)
class AlertResult:
    incident_id: str | None
    incident_key: str
    action: Action


def parse_json(body: str) -> Any:
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(body, parse_constant=reject_constant)
    except ValueError as error:
        raise InvalidInput(f"body: not valid JSON ({error})", details=[{"field": "body"}]) from None


class IngestService:
    def __init__(
        self,
        authenticator: WebhookAuthenticator,
        incidents: IncidentStore,
        clock: Clock,
        default_reopen_window: timedelta,
        sleep: Callable[[float], None],
    ) -> None:
        self._authenticator = authenticator
        self._incidents = incidents
        self._clock = clock
        self._default_reopen_window = default_reopen_window
        self._sleep = sleep

    def receive(self, source: str, authorization: str | None, body: str) -> list[AlertResult]:
        """Authenticate, parse and correlate one webhook delivery."""
        normalize = normalizer_for(source)
        if normalize is None:
            raise NotFound(f"no webhook for source {source!r}")
        integration = self._authenticator.authenticate(authorization, source)
        alerts = normalize(parse_json(body))
        return self.ingest(integration, alerts)

    def ingest(self, integration: Integration, alerts: list[AlertEvent]) -> list[AlertResult]:
        now = self._clock.now()
        policy = CorrelationPolicy(
            reopen_window=(
                timedelta(seconds=integration.reopen_window_seconds)
                if integration.reopen_window_seconds is not None
                else self._default_reopen_window
            ),
            auto_resolve=integration.auto_resolve,
        )
        results: list[AlertResult | None] = [None] * len(alerts)
        groups: dict[str, list[int]] = {}
        for index, alert in enumerate(alerts):
            groups.setdefault(key_hash(integration.org, alert.incident_key), []).append(index)
        for hashed_key, indexes in groups.items():
            for chunk in _chunks(indexes, alerts):
                batch = [alerts[index] for index in chunk]
                actions, incident = self._correlate_batch(integration.org, hashed_key, batch, now, policy)
                for index, action in zip(chunk, actions, strict=True):
                    incident_id = incident.id if incident is not None else None
                    results[index] = AlertResult(incident_id, alerts[index].incident_key, action)
        return [result for result in results if result is not None]

    def _correlate_batch(
        self, org: str, hashed_key: str, batch: list[AlertEvent], now: datetime, policy: CorrelationPolicy
    ) -> tuple[list[Action], Incident | None]:
        all_firing = all(alert.status is AlertStatus.FIRING for alert in batch)

        def attempt() -> tuple[list[Action], Incident | None]:
            if all_firing:
                repeat = self._incidents.record_repeats(org, hashed_key, batch, now)
                if repeat.counted:
                    return [Action.UPDATED] * len(batch), repeat.incident
                stored = repeat.incident
            else:
                stored = self._incidents.current(org, hashed_key)
            outcome = correlate(org, hashed_key, stored, batch, now, policy)
            if outcome.changes:
                self._incidents.commit(with_children_resolved(self._incidents, outcome.changes, now))
            return outcome.actions, outcome.incident

        return retrying(attempt, self._sleep, f"incident key {hashed_key}")


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
