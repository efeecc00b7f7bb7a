"""Amazon SNS HTTP(S) deliveries: signature verification and subscription confirmation.

A message is trusted only if its signature verifies (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA)
with the certificate at `SigningCertURL`, and that URL is HTTPS on an SNS host of the AWS domain. A
subscription is confirmed (by visiting `SubscribeURL`, also an SNS host) only after that. Fetching is
injected, so tests and the local stack run offline with a test certificate.
"""

import base64
import binascii
import re
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from stormwatch.domain.errors import InvalidInput, TemporarilyUnavailable, Unauthenticated

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}

Fetch = Callable[[str], bytes]


def fetch_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (the URL is checked to be an SNS https URL)
        body: bytes = response.read()
        return body


def require_sns_url(url: Any, field: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not SNS_HOST.match(parts.hostname or ""):
        raise Unauthenticated(f"{field} is not an https URL of an SNS host: {url!r}")
    return str(url)


def string_to_sign(message: dict[str, Any]) -> bytes:
    message_type = message.get("Type")
    fields = _SIGNED_FIELDS.get(message_type) if isinstance(message_type, str) else None
    if fields is None:
        raise InvalidInput(
            f"body.Type: not an SNS message type: {message_type!r}", details=[{"field": "body.Type"}]
        )
    lines = []
    for name in fields:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue
            raise InvalidInput(
                f"body.{name}: required in an SNS {message_type}", details=[{"field": f"body.{name}"}]
            )
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode()


class SnsVerifier:
    def __init__(self, fetch_certificate: Fetch, confirm: Fetch) -> None:
        self._fetch_certificate = fetch_certificate
        self._confirm = confirm
        self._certificates: dict[str, Any] = {}

    def verify(self, message: dict[str, Any]) -> None:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        signed = string_to_sign(message)
        # SignatureVersion 1 is SHA1withRSA by SNS's definition; 2 is SHA256withRSA.
        algorithms = {"1": hashes.SHA1(), "2": hashes.SHA256()}  # noqa: S303
        algorithm = algorithms.get(str(message.get("SignatureVersion")))
        if algorithm is None:
            raise Unauthenticated(f"unsupported SNS SignatureVersion {message.get('SignatureVersion')!r}")
        url = require_sns_url(message.get("SigningCertURL"), "SigningCertURL")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except binascii.Error:
            raise Unauthenticated("malformed SNS Signature") from None
        key = self._certificates.get(url)
        if key is None:
            # A certificate that cannot be had leaves the message unverifiable: refused like a bad signature.
            try:
                pem = self._fetch_certificate(url)
            except OSError as error:
                raise Unauthenticated(
                    f"the SNS signing certificate at {url} could not be fetched ({error}), "
                    "so the message cannot be verified"
                ) from None
            try:
                key = x509.load_pem_x509_certificate(pem).public_key()
            except ValueError:
                raise Unauthenticated(f"{url} did not answer a PEM certificate") from None
            self._certificates[url] = key
        if not isinstance(key, rsa.RSAPublicKey):
            raise Unauthenticated("the SNS signing certificate is not an RSA certificate")
        try:
            key.verify(signature, signed, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise Unauthenticated("bad SNS signature") from None

    def confirm_subscription(self, message: dict[str, Any]) -> None:
        """Visit SubscribeURL. When it cannot be reached the answer is 503, so SNS sends the confirmation
        again (it retries only answers outside 200-499)."""
        url = require_sns_url(message.get("SubscribeURL"), "SubscribeURL")
        try:
            self._confirm(url)
        except OSError as error:
            raise TemporarilyUnavailable(
                f"the SNS subscription could not be confirmed: {url} could not be reached ({error})",
                details={"subscribe_url": url},
            ) from None
