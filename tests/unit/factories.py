from datetime import datetime
from typing import Any

from stormwatch.domain.correlation import CorrelationPolicy, Outcome, correlate
from stormwatch.domain.models import AlertEvent, AlertStatus, Incident, Severity
from stormwatch.ids import key_hash

ORG = "acme"
KEY = "GET /orders::error_rate"


def alert(**overrides: Any) -> AlertEvent:
    fields: dict[str, Any] = {
        "source": "generic",
        "incident_key": KEY,
        "fingerprint": KEY,
        "severity": Severity.MEDIUM,
        "title": "error_rate on GET /orders",
    }
    fields.update(overrides)
    return AlertEvent(**fields)


def resolved(**overrides: Any) -> AlertEvent:
    return alert(status=AlertStatus.RESOLVED, **overrides)


def run(stored: Incident | None, alerts: list[AlertEvent], now: datetime, **policy: Any) -> Outcome:
    return correlate(ORG, key_hash(ORG, KEY), stored, alerts, now, CorrelationPolicy(**policy))


def opened(now: datetime, *alerts: AlertEvent) -> Incident:
    outcome = run(None, list(alerts) or [alert()], now)
    assert outcome.incident is not None
    return outcome.incident
