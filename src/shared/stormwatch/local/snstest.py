"""A test signing key and certificate for SNS messages, and SNS's envelope around a CloudWatch alarm: what
the local stack trusts with `--sns-test-cert` and `stormwatch send-sns` signs with. Signed as SNS signs
(SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA), over the same string the verifier checks."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from stormwatch.services.sns import string_to_sign

# An SNS host, as the verifier requires; the local stack answers it with the test certificate.
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-stormwatch-test.pem"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:stormwatch-local"


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    common_name: str,
    valid_for: timedelta,
    extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
) -> x509.Certificate:
    """A certificate for `key` signed by itself, valid from a day ago; extensions as (value, critical)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + valid_for)
    )
    for extension, critical in extensions or []:
        builder = builder.add_extension(extension, critical)
    return builder.sign(key, hashes.SHA256())


class SnsTestSigner:
    def __init__(self, key: rsa.RSAPrivateKey | None = None) -> None:
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = self_signed_certificate(self.key, "sns.amazonaws.com", timedelta(days=365))
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def load(cls, key_file: Path) -> "SnsTestSigner":
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_file} is not an RSA private key")
        return cls(key)

    @classmethod
    def at(cls, certificate: Path) -> "SnsTestSigner":
        """The signer whose key is kept beside `certificate` (`.key`), made and written there if missing;
        the certificate is (re)written from it."""
        key_file = certificate.with_suffix(".key")
        if key_file.is_file():
            signer = cls.load(key_file)
        else:
            signer = cls()
            certificate.parent.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_bytes(
                signer.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        certificate.write_bytes(signer.pem)
        return signer

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        # SignatureVersion 1 is SHA1withRSA by SNS's definition.
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}

    def body(self, message: dict[str, Any], version: str = "2") -> str:
        return json.dumps(self.sign(message, version))


def notification(alarm: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The SNS Notification that carries a CloudWatch alarm (unsigned), as SNS delivers it over HTTP."""
    state = alarm.get("NewStateValue", "ALARM")
    subject = (
        f'{state}: "{alarm.get("AlarmName", "alarm")}" in {alarm.get("Region", "US East (N. Virginia)")}'
    )
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC_ARN,
        "Subject": subject[:100],
        "Message": json.dumps(alarm),
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC_ARN}",
    }
