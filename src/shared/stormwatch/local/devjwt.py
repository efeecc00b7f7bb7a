"""Development JWTs (HS256) for the local stack, which stands in for API Gateway's JWT authorizer."""

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from typing import Any

from stormwatch.domain.errors import Unauthenticated

ISSUER = "stormwatch-local"
AUDIENCE = "stormwatch"
ROLES = ("viewer", "responder", "lead", "admin")
# The local stack's sign-in page for the console; AWS has no such route.
SIGN_IN_PATH = "/local/sign-in"
SIGN_IN_TTL = timedelta(hours=12)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(org: str, user: str, roles: list[str], secret: str, now: datetime, ttl: timedelta) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user,
        "org": org,
        "roles": roles,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def sign_for_form(form: dict[str, str], secret: str, now: datetime) -> str:
    """A token for the sign-in form's `org`, `user` and `role`; ValueError naming a bad field."""
    org, user, role = (form.get(name, "").strip().lower() for name in ("org", "user", "role"))
    for name, value in (("org", org), ("user", user)):
        if not _NAME.match(value):
            raise ValueError(f"{name}: 1 to 64 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise ValueError(f"role: one of {', '.join(ROLES)}")
    return sign(org, user, [role], secret, now, SIGN_IN_TTL)


def verify(token: str, secret: str, now: datetime) -> dict[str, Any]:
    """The token's claims, if it is an unexpired HS256 token of this stack; Unauthenticated otherwise."""
    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(_unb64(header_part))
        claims = json.loads(_unb64(claims_part))
        signature = _unb64(signature_part)
    except ValueError:
        raise Unauthenticated("malformed token") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise Unauthenticated("unsupported token")
    expected = hmac.new(secret.encode(), f"{header_part}.{claims_part}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise Unauthenticated("bad token signature")
    if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
        raise Unauthenticated("token from another issuer or for another audience")
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= now.timestamp():
        raise Unauthenticated("token expired")
    return claims


def as_http_api_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as an HTTP API JWT authorizer hands them to Lambda: every value a string, arrays as "[a b]"."""
    rendered = {}
    for name, value in claims.items():
        if isinstance(value, list):
            rendered[name] = "[" + " ".join(str(item) for item in value) + "]"
        else:
            rendered[name] = str(value)
    return rendered
