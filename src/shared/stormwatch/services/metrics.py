"""`GET /v1/metrics`: the figures of a window, from the aggregates the stream keeps."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from stormwatch.clock import Clock
from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.metrics import MAX_WINDOW_DAYS, IncidentFact, in_window, summarize
from stormwatch.domain.models import Caller, Role, Severity
from stormwatch.domain.permissions import require
from stormwatch.store.metrics import MetricsStore

DEFAULT_WINDOW = timedelta(days=30)


class MetricsQueries:
    def __init__(
        self,
        store: MetricsStore,
        clock: Clock,
        ack_sla_seconds: dict[Severity, int],
        learning: Callable[[str, list[IncidentFact], datetime, datetime], dict[str, Any]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._ack_sla_seconds = ack_sla_seconds
        # The post-mortem and action-item figures of the window (services/postmortems.py).
        self._learning = learning

    def report(
        self, caller: Caller, since: datetime | None, until: datetime | None, service: str | None
    ) -> dict[str, Any]:
        """The window defaults to the 30 days up to now."""
        require(caller, Role.VIEWER)
        until = until or self._clock.now()
        since = since or until - DEFAULT_WINDOW
        if since >= until:
            raise InvalidInput("since: must be before until", details=[{"field": "since"}])
        if until - since > timedelta(days=MAX_WINDOW_DAYS):
            raise InvalidInput(
                f"since: the window is at most {MAX_WINDOW_DAYS} days", details=[{"field": "since"}]
            )
        facts, open_now = self._store.read(caller.org, since, until)
        body = summarize(facts, open_now, since, until, service, self._ack_sla_seconds)
        return {**body, **self._learning(caller.org, in_window(facts, since, until, service), since, until)}
