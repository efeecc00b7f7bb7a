"""Signed webhooks: Grafana and Sentry sign bodies with HMAC-SHA256 when the integration has a secret.

- Grafana: `X-Grafana-Alerting-Signature` is the hex HMAC of the body, or of `<timestamp>:<body>` when
  `X-Grafana-Alerting-Signature-Timestamp` is sent (then the timestamp must be within 5 minutes).
- Sentry: `Sentry-Hook-Signature` is the hex HMAC of the body with the integration's client secret.
"""

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime

from stormwatch.domain.errors import Unauthenticated
from stormwatch.domain.models import Integration

MAX_SIGNATURE_AGE_SECONDS = 300

Verifier = Callable[[Integration, Mapping[str, str], str, datetime], None]


def _expect(secret: str, signed: str, signature: str | None, header: str) -> None:
    if not signature:
        raise Unauthenticated(f"missing {header}: this integration requires signed deliveries")
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthenticated(f"bad {header}")


def verify_grafana(integration: Integration, headers: Mapping[str, str], body: str, now: datetime) -> None:
    if not integration.signing_secret:
        return
    timestamp = headers.get("x-grafana-alerting-signature-timestamp")
    signed = body
    if timestamp is not None:
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
            raise Unauthenticated("stale or malformed X-Grafana-Alerting-Signature-Timestamp")
        signed = f"{timestamp}:{body}"
    _expect(
        integration.signing_secret,
        signed,
        headers.get("x-grafana-alerting-signature"),
        "X-Grafana-Alerting-Signature",
    )


def verify_sentry(integration: Integration, headers: Mapping[str, str], body: str, now: datetime) -> None:
    if integration.signing_secret:
        _expect(
            integration.signing_secret, body, headers.get("sentry-hook-signature"), "Sentry-Hook-Signature"
        )


VERIFIERS: dict[str, Verifier] = {"grafana": verify_grafana, "sentry": verify_sentry}
