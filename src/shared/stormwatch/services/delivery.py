"""The channels a notification goes out on: Slack incoming webhooks, signed generic webhooks, email (SES),
and EventBridge for other automation. Each raises DeliveryFailed with a reason a person can act on.

Webhook signatures, for receivers: `X-Stormwatch-Timestamp` is the unix time of sending, and
`X-Stormwatch-Signature` is `v1=` and the hex HMAC-SHA256, keyed with the target's `webhook_secret`, of
`{timestamp}.{body}` (the raw body bytes). Compare in constant time and refuse old timestamps.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from stormwatch.domain.errors import DomainError

HTTP_TIMEOUT_SECONDS = 5


class DeliveryFailed(DomainError):
    """A channel refused or could not be reached; `message` says why."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def post_json(url: str, payload: dict[str, Any]) -> None:
    _post_bytes(url, json.dumps(payload, separators=(",", ":")).encode(), {})


def post_signed(url: str, payload: dict[str, Any], secret: str | None, now: datetime) -> None:
    """A generic webhook; signed when the target has a secret."""
    if secret is None:
        post_json(url, payload)
        return
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "X-Stormwatch-Timestamp": str(timestamp),
        "X-Stormwatch-Signature": signature(secret, timestamp, body),
    }
    # The signed bytes are the bytes sent: serialize once.
    _post_bytes(url, body, headers)


def _post_bytes(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", "Stormwatch")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"{host_of(url)} answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryFailed(f"{host_of(url)} unreachable: {getattr(error, 'reason', error)}") from None


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or "the endpoint"


class EmailSender:
    """`client` builds the SES client on first use: a batch without email pays nothing for it."""

    def __init__(self, client: Callable[[], Any], sender: str | None) -> None:
        self._client = client
        self._sender = sender

    def send(self, to: str, subject: str, text: str) -> None:
        if self._sender is None:
            raise DeliveryFailed("email is not configured (STORMWATCH_EMAIL_SENDER)")
        try:
            self._client().send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": [to]},
                Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
            )
        except Exception as error:
            raise DeliveryFailed(f"SES refused: {error}") from None


class EventPublisher:
    def __init__(self, client: Callable[[], Any], bus_name: str | None) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        if self._bus is None:
            return
        response = self._client().put_events(
            Entries=[
                {
                    "Source": "stormwatch",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":")),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused {detail_type}: {response['Entries']}")
