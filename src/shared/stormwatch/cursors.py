"""Opaque, tamper-proof page cursors.

A cursor carries a position (a sort key, which the store turns into a key condition within the caller's
own partitions) and an HMAC over the position and the scope it was made for: the org, the list and its
filter. A cursor edited by hand, or made for another org, list or filter, does not verify and is refused
as bad input: it never selects data.
"""

import base64
import binascii
import hashlib
import hmac

from stormwatch.domain.errors import InvalidInput

_MAC_BYTES = 16


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the cursor secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, scope: str, payload: str) -> bytes:
        message = f"{scope}\n{payload}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def sign(self, scope: str, position: str) -> str:
        payload = _encode(position.encode())
        return f"{payload}.{_encode(self._mac(scope, payload))}"

    def open(self, scope: str, cursor: str) -> str:
        """The position of a cursor made for `scope`."""
        payload, _, mac = cursor.partition(".")
        try:
            valid = hmac.compare_digest(_decode(mac), self._mac(scope, payload))
            position = _decode(payload).decode() if valid else ""
        except (binascii.Error, ValueError):
            valid, position = False, ""
        if not valid:
            raise InvalidInput(
                "cursor: not a cursor of this list (edited, or made for another list or filter); "
                "start again without it",
                details=[{"field": "cursor", "problem": "invalid"}],
            )
        return position
