"""Integrations of an org (admin). Each has a key, shown once at creation or rotation, that authenticates
one source's webhook. A rotated key keeps working for ROTATION_GRACE so senders can be updated."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from stormwatch.clock import Clock
from stormwatch.domain.models import Caller, Integration, Role
from stormwatch.domain.permissions import require
from stormwatch.ids import new_event_id, new_secret, secret_hash
from stormwatch.store.integrations import IntegrationStore

ROTATION_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class IssuedKey:
    integration: Integration
    key: str


class IntegrationAdmin:
    def __init__(self, store: IntegrationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(self, org: str, source: str, name: str, settings: dict[str, Any] | None = None) -> IssuedKey:
        now = self._clock.now()
        integration = Integration.model_validate(
            {
                **(settings or {}),
                "id": f"int_{new_event_id(now).lower()}",
                "org": org,
                "source": source,
                "name": name,
                "created_at": now,
                "updated_at": now,
            }
        )
        key = new_secret(f"sw_{source[:12]}")
        self._store.create(integration, secret_hash(key))
        return IssuedKey(integration, key)

    def create_for(self, caller: Caller, source: str, name: str, settings: dict[str, Any]) -> IssuedKey:
        require(caller, Role.ADMIN)
        return self.create(caller.org, source, name, settings)

    def list_integrations(self, caller: Caller) -> list[Integration]:
        require(caller, Role.ADMIN)
        return self._store.list_integrations(caller.org)

    def get(self, caller: Caller, integration_id: str) -> Integration:
        require(caller, Role.ADMIN)
        return self._store.get(caller.org, integration_id)[0]

    def update(self, caller: Caller, integration_id: str, settings: dict[str, Any]) -> Integration:
        require(caller, Role.ADMIN)
        before, stored = self._store.get(caller.org, integration_id, consistent=True)
        after = Integration.model_validate(
            {**before.model_dump(), **settings, "updated_at": self._clock.now()}
        )
        self._store.replace(before, after, stored)
        return after

    def rotate(self, caller: Caller, integration_id: str) -> IssuedKey:
        require(caller, Role.ADMIN)
        integration, stored = self._store.get(caller.org, integration_id, consistent=True)
        key = new_secret(f"sw_{integration.source[:12]}")
        self._store.rotate(integration, stored, secret_hash(key), self._clock.now() + ROTATION_GRACE)
        return IssuedKey(integration, key)

    def delete(self, caller: Caller, integration_id: str) -> None:
        require(caller, Role.ADMIN)
        integration, stored = self._store.get(caller.org, integration_id, consistent=True)
        self._store.delete(integration, stored)
