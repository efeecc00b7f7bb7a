"""Authenticating webhooks by integration key.

The key arrives as `Authorization: Bearer KEY` or as the password of HTTP Basic (SNS delivers the
credentials of its endpoint URL that way). Every request reads its key's item, consistently and uncached:
a deleted or retired key is refused, and a changed setting applies, from the next request on, on every
container (one read, 1 RCU, per delivery).
"""

import base64
import binascii
import hmac

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
    def __init__(self, store: IntegrationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

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
        found = self._store.find_by_secret_hash(key_hash, self._clock.now())
        if found is None or not hmac.compare_digest(found[1], key_hash):
            return None
        return found[0]
