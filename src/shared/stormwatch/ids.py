"""Identifiers and key hashes. User strings never go into a DynamoDB key raw: they are hashed here."""

import base64
import hashlib
import os
import threading
import unicodedata
from datetime import datetime

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _b32_prefix(digest: bytes, characters: int) -> str:
    """The first `characters` of the digest's base32, encoding only the 5-byte groups they come from
    (base32 is pure Python, and every webhook computes a few of these)."""
    return _b32(digest[: -(-characters // 8) * 5])[:characters]


def normalize_key(text: str) -> str:
    """The canonical form of an incident key: NFC, surrounding blanks stripped."""
    return unicodedata.normalize("NFC", text).strip()


def key_hash(org: str, incident_key: str) -> str:
    """20 base32 characters (100 bits) naming one (org, incident key) pair."""
    digest = hashlib.sha256(f"{org}\x00{normalize_key(incident_key)}".encode()).digest()
    return _b32_prefix(digest, 20)


def short_hash(text: str) -> str:
    """A stable 16-character name for a user string (fingerprints) used inside keys and map paths."""
    return _b32_prefix(hashlib.sha256(text.encode()).digest(), 16)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_last_id_value = 0
_id_lock = threading.Lock()


def new_event_id(moment: datetime) -> str:
    """A ULID-shaped id: 48 bits of milliseconds then 80 random bits, Crockford base32.

    Monotonic within a process, so events written in one transaction keep their order on the timeline.
    """
    global _last_id_value
    with _id_lock:
        value = (int(moment.timestamp() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
        if value <= _last_id_value and value >> 80 == _last_id_value >> 80:
            value = _last_id_value + 1
        _last_id_value = value
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_secret(prefix: str) -> str:
    return f"{prefix}_{_b32(os.urandom(20))}"
