"""Integrations of an org: each has a key, shown once at creation, that authenticates one source's webhook."""

from dataclasses import dataclass

from stormwatch.clock import Clock
from stormwatch.domain.models import Integration
from stormwatch.ids import new_event_id, new_secret, secret_hash
from stormwatch.store.integrations import IntegrationStore


@dataclass(frozen=True)
class CreatedIntegration:
    integration: Integration
    key: str


class IntegrationAdmin:
    def __init__(self, store: IntegrationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(self, org: str, source: str, name: str) -> CreatedIntegration:
        now = self._clock.now()
        integration = Integration(
            id=f"int_{new_event_id(now).lower()}", org=org, source=source, name=name, created_at=now
        )
        key = new_secret(f"sw_{source[:12]}")
        self._store.create(integration, secret_hash(key))
        return CreatedIntegration(integration, key)
