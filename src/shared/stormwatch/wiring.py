"""The composition root: builds each service once per process from the settings.

`clock` is the one source of time for every service built here; tests replace it before building.
Services are imported where they are built, so a handler loads only the modules its services need.
"""

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from stormwatch.clock import Clock, SystemClock
from stormwatch.settings import get_settings
from stormwatch.store.table import dynamodb_client

if TYPE_CHECKING:
    from stormwatch.services.incidents import IncidentCommands
    from stormwatch.services.ingest import IngestService
    from stormwatch.services.integrations import IntegrationAdmin
    from stormwatch.services.queries import IncidentQueries
    from stormwatch.store.incidents import IncidentStore
    from stormwatch.store.integrations import IntegrationStore

clock: Clock = SystemClock()


@lru_cache(maxsize=1)
def incident_store() -> "IncidentStore":
    from stormwatch.store.incidents import IncidentStore

    settings = get_settings()
    return IncidentStore(dynamodb_client(settings), settings.table_name)


@lru_cache(maxsize=1)
def integration_store() -> "IntegrationStore":
    from stormwatch.store.integrations import IntegrationStore

    settings = get_settings()
    return IntegrationStore(dynamodb_client(settings), settings.table_name)


@lru_cache(maxsize=1)
def ingest_service() -> "IngestService":
    from stormwatch.services.ingest import IngestService
    from stormwatch.services.webhook_auth import WebhookAuthenticator

    settings = get_settings()
    authenticator = WebhookAuthenticator(integration_store(), clock, settings.integration_cache_seconds)
    return IngestService(
        authenticator, incident_store(), clock, timedelta(seconds=settings.reopen_window_seconds)
    )


@lru_cache(maxsize=1)
def incident_commands() -> "IncidentCommands":
    from stormwatch.services.incidents import IncidentCommands

    return IncidentCommands(incident_store(), clock)


@lru_cache(maxsize=1)
def incident_queries() -> "IncidentQueries":
    from stormwatch.services.queries import IncidentQueries

    return IncidentQueries(incident_store(), get_settings().timeline_page_size)


@lru_cache(maxsize=1)
def integration_admin() -> "IntegrationAdmin":
    from stormwatch.services.integrations import IntegrationAdmin

    return IntegrationAdmin(integration_store(), clock)


def reset() -> None:
    """Forget every service built so far (tests, and the local stack after changing settings)."""
    for cached in (
        incident_store,
        integration_store,
        ingest_service,
        incident_commands,
        incident_queries,
        integration_admin,
        dynamodb_client,
        get_settings,
    ):
        cached.cache_clear()
