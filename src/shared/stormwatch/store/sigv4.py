"""Signature Version 4 for DynamoDB's requests, at a fraction of botocore's cost per request.

botocore's `SigV4Auth` builds an email-style header map twice per request to choose what to sign, and
derives the signing key anew each time: about 180 us of CPU per request, a fifth of a repeat firing's
CPU in the ingest handler. DynamoDB's requests are all alike (POST, JSON body, an `X-Amz-Target`), so
this signer signs the headers that identify the request (content type, host, date, target and the
session token), as SigV4 allows, and keeps each day's signing key. It is botocore's algorithm otherwise
(and checked against it in the tests); botocore picks it through its own `choose-signer` event.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

import botocore.auth
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.exceptions import NoCredentialsError
from botocore.utils import normalize_url_path

SIGNATURE_VERSION = "stormwatch-dynamodb-v4"
_SIGNED = ("content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target")
_EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


@lru_cache(maxsize=8)
def _signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _host(url: SplitResult) -> str:
    """The Host header's value: lowercase, without user info or the scheme's default port."""
    host = url.netloc.rpartition("@")[2].lower()
    default_port = {"http": ":80", "https": ":443"}.get(url.scheme)
    return host.removesuffix(default_port) if default_port else host


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DynamoDBSigV4Auth(SigV4Auth):
    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        super().__init__(credentials, service_name, region_name)
        self.service = service_name
        self.region = region_name

    def add_auth(self, request: Any) -> None:
        credentials = self.credentials
        if credentials is None:
            raise NoCredentialsError()
        timestamp = _utc_now().strftime(SIGV4_TIMESTAMP)
        request.context["timestamp"] = timestamp
        headers = request.headers
        # A retry signs the same request again: the previous attempt's signature goes first.
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in headers:
                del headers[name]
        headers["X-Amz-Date"] = timestamp
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        url = urlsplit(request.url)
        values = {name: headers.get(name) for name in _SIGNED}
        values["host"] = _host(url)
        signed = [name for name in _SIGNED if values[name] is not None]
        body = request.data
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes | bytearray):
            body = request.body
        canonical = "\n".join(
            (
                request.method.upper(),
                quote(normalize_url_path(url.path), safe="/~"),
                self.canonical_query_string(request),
                "".join(f"{name}:{' '.join(_text(values[name]).split())}\n" for name in signed),
                ";".join(signed),
                hashlib.sha256(body).hexdigest() if body else _EMPTY_BODY_SHA256,
            )
        )
        day = timestamp[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        key = _signing_key(credentials.secret_key, day, self.region, self.service)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}"
        )


def choose_signer(signature_version: Any, **_: Any) -> str | None:
    """`choose-signer` handler: this signer wherever botocore would sign with plain SigV4."""
    return SIGNATURE_VERSION if signature_version == "v4" else None


botocore.auth.AUTH_TYPE_MAPS[SIGNATURE_VERSION] = DynamoDBSigV4Auth
