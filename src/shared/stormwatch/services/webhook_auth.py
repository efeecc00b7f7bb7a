"""Authenticating webhooks by integration key.

The key arrives as `Authorization: Bearer KEY` or as the password of HTTP Basic (SNS delivers the
credentials of its endpoint URL that way). Lookups are cached per process for a short time, so a warm
handler counts a repeat firing with no read at all; a revoked key stops working within that time.
"""

import base64
import binascii
import hmac
from datetime import datetime, timedelta

from stormwatch.clock import Clock
from stormwatch.domain.errors import Unauthenticated
from stormwatch.domain.models import Integration
from stormwatch.ids import secret_hash
from stormwatch.store.integrations import IntegrationStore


def key_from_authorization(header: str | None) -> str:
    if not header:
        raise Unauthenticated(
            "missing integration key: send Authorization: Bearer KEY (or Basic with the key)"
        )
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        _, _, password = decoded.partition(":")
        if password:
            return password
    raise Unauthenticated(
        "unsupported Authorization header: use Bearer KEY or Basic with the key as password"
    )


class WebhookAuthenticator:
    def __init__(self, store: IntegrationStore, clock: Clock, cache_seconds: int) -> None:
        self._store = store
        self._clock = clock
        self._ttl = timedelta(seconds=cache_seconds)
        self._cache: dict[str, tuple[Integration, datetime]] = {}

    def authenticate(self, authorization: str | None, source: str) -> Integration:
        key = key_from_authorization(authorization)
        integration = self._lookup(secret_hash(key))
        if integration is None or integration.source != source:
            # The same answer for an unknown key and a key of another source: nothing to probe.
            raise Unauthenticated(f"invalid integration key for the {source} webhook")
        return integration

    def authenticate_any(self, authorization: str | None, what: str) -> Integration:
        """Any integration of any source (heartbeats are accepted from every integration)."""
        integration = self._lookup(secret_hash(key_from_authorization(authorization)))
        if integration is None:
            raise Unauthenticated(f"invalid integration key for the {what}")
        return integration

    def _lookup(self, key_hash: str) -> Integration | None:
        now = self._clock.now()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = self._store.find_by_secret_hash(key_hash, now)
        if found is None or not hmac.compare_digest(found[1], key_hash):
            # Unknown keys are not cached: random keys must not grow the cache.
            return None
        integration = found[0]
        self._cache[key_hash] = (integration, now + self._ttl)
        return integration
