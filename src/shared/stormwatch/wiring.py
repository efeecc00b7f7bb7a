"""The composition root: builds each service once per process from the settings.

`clock` is the one source of time, and `sleep` the one way to wait (retry backoff), for every service built
here; tests replace them before building.
Services are imported where they are built, so a handler loads only the modules its services need.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from stormwatch.clock import Clock, SystemClock
from stormwatch.settings import get_settings
from stormwatch.store.table import dynamodb_client

if TYPE_CHECKING:
    from stormwatch.cursors import CursorSigner
    from stormwatch.services.aggregates import IncidentAggregates
    from stormwatch.services.context import ContextCommands, ContextQueries
    from stormwatch.services.incidents import IncidentCommands
    from stormwatch.services.ingest import IngestService
    from stormwatch.services.integrations import IntegrationAdmin
    from stormwatch.services.members import MemberAdmin
    from stormwatch.services.metrics import MetricsQueries
    from stormwatch.services.notifier import Notifier
    from stormwatch.services.policies import PolicyAdmin
    from stormwatch.services.postmortems import Postmortems
    from stormwatch.services.queries import IncidentQueries
    from stormwatch.services.schedules import ScheduleAdmin
    from stormwatch.services.sns import SnsVerifier
    from stormwatch.services.sweeps import Sweeper
    from stormwatch.store.context import ContextStore
    from stormwatch.store.incidents import IncidentStore
    from stormwatch.store.integrations import IntegrationStore
    from stormwatch.store.members import MemberStore
    from stormwatch.store.metrics import MetricsStore
    from stormwatch.store.policies import PolicyReads, PolicyStore
    from stormwatch.store.schedules import ScheduleStore
    from stormwatch.store.timers import TimerStore

clock: Clock = SystemClock()
sleep: Callable[[float], None] = time.sleep


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
def member_store() -> "MemberStore":
    from stormwatch.store.members import MemberStore

    return MemberStore(get_settings())


@lru_cache(maxsize=1)
def ingest_service() -> "IngestService":
    from stormwatch.services.ingest import IngestService
    from stormwatch.services.webhook_auth import WebhookAuthenticator

    settings = get_settings()
    authenticator = WebhookAuthenticator(integration_store(), clock)
    return IngestService(
        authenticator,
        incident_store(),
        clock,
        timedelta(seconds=settings.reopen_window_seconds),
        sleep,
        sns,
        integration_store(),
        timer_store(),
        policy_reads(),
        lambda org, schedule_ids, now: schedule_admin().default_on_call(org, schedule_ids, now),
    )


@lru_cache(maxsize=1)
def sns() -> "SnsVerifier":
    """SNS verification; the local stack trusts a test certificate instead of fetching AWS's."""
    from stormwatch.services.sns import SnsVerifier, fetch_url

    settings = get_settings()
    if settings.sns_test_certificate is None:
        return SnsVerifier(fetch_url, fetch_url)
    certificate = settings.sns_test_certificate.encode()
    return SnsVerifier(lambda url: certificate, lambda url: b"")


@lru_cache(maxsize=1)
def incident_commands() -> "IncidentCommands":
    from stormwatch.services.incidents import IncidentCommands

    return IncidentCommands(incident_store(), member_store(), policy_store(), clock, sleep)


@lru_cache(maxsize=1)
def cursor_signer() -> "CursorSigner | None":
    """Signs page cursors; None where the function has no cursor secret (only the queries function does)."""
    from stormwatch.cursors import CursorSigner

    secret = get_settings().cursor_secret
    return CursorSigner(secret.get_secret_value().encode()) if secret is not None else None


@lru_cache(maxsize=1)
def incident_queries() -> "IncidentQueries":
    from stormwatch.services.queries import IncidentQueries

    settings = get_settings()
    signer = cursor_signer()
    if signer is None:
        raise RuntimeError("STORMWATCH_CURSOR_SECRET is not set: page cursors cannot be signed")
    return IncidentQueries(
        incident_store(),
        signer,
        settings.timeline_page_size,
        # Incident reads take the one setting they show through botocore, as list indexes are the alert
        # path's: no PynamoDB for them.
        lambda org: (
            policy_reads().settings(org, "postmortem_required_severities").postmortem_required_severities
        ),
        context_store(),
    )


@lru_cache(maxsize=1)
def context_store() -> "ContextStore":
    from stormwatch.store.context import ContextStore

    settings = get_settings()
    return ContextStore(dynamodb_client(settings), settings.table_name, incident_store())


@lru_cache(maxsize=1)
def context_commands() -> "ContextCommands":
    from stormwatch.services.context import ContextCommands

    return ContextCommands(incident_store(), member_store(), policy_store(), context_store(), clock, sleep)


@lru_cache(maxsize=1)
def context_queries() -> "ContextQueries":
    from stormwatch.services.context import ContextQueries

    signer = cursor_signer()
    if signer is None:
        raise RuntimeError("STORMWATCH_CURSOR_SECRET is not set: page cursors cannot be signed")
    return ContextQueries(incident_store(), context_store(), signer, clock)


@lru_cache(maxsize=1)
def member_admin() -> "MemberAdmin":
    from stormwatch.services.members import MemberAdmin

    return MemberAdmin(
        member_store(), incident_store(), policy_store(), clock, sleep, schedule_admin(), schedule_store()
    )


@lru_cache(maxsize=1)
def integration_admin() -> "IntegrationAdmin":
    from stormwatch.services.integrations import IntegrationAdmin

    return IntegrationAdmin(integration_store(), clock)


@lru_cache(maxsize=1)
def metrics_store() -> "MetricsStore":
    from stormwatch.store.metrics import MetricsStore

    settings = get_settings()
    return MetricsStore(dynamodb_client(settings), settings.table_name, settings.metrics_shards)


@lru_cache(maxsize=1)
def metrics_queries() -> "MetricsQueries":
    from stormwatch.domain.models import Severity
    from stormwatch.services.metrics import MetricsQueries

    settings = get_settings()
    sla = {severity: getattr(settings, f"ack_sla_{severity.value}_seconds") for severity in Severity}
    return MetricsQueries(
        metrics_store(),
        clock,
        sla,
        lambda org, facts, since, until: postmortems().figures(org, facts, since, until),
    )


@lru_cache(maxsize=1)
def incident_aggregates() -> "IncidentAggregates":
    from stormwatch.services.aggregates import IncidentAggregates

    return IncidentAggregates(metrics_store())


@lru_cache(maxsize=1)
def policy_store() -> "PolicyStore":
    from stormwatch.store.policies import PolicyStore

    return PolicyStore(get_settings())


@lru_cache(maxsize=1)
def policy_reads() -> "PolicyReads":
    """The alert path's reads of policies and settings (botocore: ingest and the sweep load no PynamoDB)."""
    from stormwatch.store.policies import PolicyReads

    settings = get_settings()
    return PolicyReads(dynamodb_client(settings), settings.table_name)


@lru_cache(maxsize=1)
def policy_admin() -> "PolicyAdmin":
    from stormwatch.services.policies import PolicyAdmin

    return PolicyAdmin(policy_store(), clock, schedule_store())


@lru_cache(maxsize=1)
def schedule_store() -> "ScheduleStore":
    from stormwatch.store.schedules import ScheduleStore

    settings = get_settings()
    return ScheduleStore(dynamodb_client(settings), settings.table_name)


@lru_cache(maxsize=1)
def schedule_admin() -> "ScheduleAdmin":
    from stormwatch.services.schedules import ScheduleAdmin

    return ScheduleAdmin(schedule_store(), member_store(), policy_store(), clock, sleep, timer_store())


@lru_cache(maxsize=1)
def timer_store() -> "TimerStore":
    from stormwatch.store.timers import TimerStore

    settings = get_settings()
    return TimerStore(dynamodb_client(settings), settings.table_name)


@lru_cache(maxsize=1)
def sweeper() -> "Sweeper":
    from stormwatch.services.sweeps import Sweeper

    return Sweeper(
        timer_store(),
        incident_store(),
        policy_reads(),
        clock,
        lambda claim, now: ingest_service().missed_heartbeat(claim, now),
        lambda claim, incident, now: postmortems().remind(claim, incident, now),
        schedule_admin(),
    )


@lru_cache(maxsize=1)
def postmortems() -> "Postmortems":
    """Post-mortems and action items (PynamoDB models, loaded only here); pages need the cursor secret,
    which only the queries function has."""
    from stormwatch.services.postmortems import Postmortems
    from stormwatch.store.postmortems import PostmortemStore

    return Postmortems(
        incident_store(),
        PostmortemStore(get_settings()),
        policy_store(),
        member_store().existing,
        cursor_signer(),
        clock,
        sleep,
    )


@lru_cache(maxsize=1)
def notifier() -> "Notifier":
    import botocore.session

    from stormwatch.services.delivery import EmailSender, EventPublisher
    from stormwatch.services.notifier import Notifier

    settings = get_settings()

    def client(service: str) -> Callable[[], Any]:
        """A client built on first use, then kept."""

        @lru_cache(maxsize=1)
        def build() -> Any:
            return botocore.session.get_session().create_client(
                service, region_name=settings.region, endpoint_url=settings.services_endpoint_url
            )

        return build

    return Notifier(
        incident_store(),
        member_store(),
        EmailSender(client("sesv2"), settings.email_sender),
        EventPublisher(client("events"), settings.event_bus_name),
        clock,
        sleep,
        schedule_store(),
    )


def reset() -> None:
    """Forget every service built so far (tests, and the local stack after changing settings)."""
    for cached in (
        cursor_signer,
        incident_store,
        integration_store,
        member_store,
        ingest_service,
        sns,
        incident_commands,
        incident_queries,
        context_store,
        context_commands,
        context_queries,
        member_admin,
        integration_admin,
        metrics_store,
        metrics_queries,
        policy_store,
        policy_reads,
        policy_admin,
        schedule_store,
        schedule_admin,
        timer_store,
        sweeper,
        postmortems,
        notifier,
        incident_aggregates,
        dynamodb_client,
        get_settings,
    ):
        cached.cache_clear()
