"""The browser console: static files shipped with this function, answered without a JWT.

Plain Lambda code (no resolver, no pydantic on the static path) because every page load of the console asks
this function for a dozen small files: its cold start is the console's first paint. `/console/config.json`
is the one dynamic answer, the deployment's sign-in settings, read through the settings model on first use.
"""

import gzip
import hashlib
import json
from base64 import b64encode
from functools import cache
from pathlib import Path
from typing import Any

STATIC = (Path(__file__).parent / "static").resolve()
PREFIX = "/console/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
}
# Revalidated on every load (an ETag makes that a 304 without a body): module URLs carry no version, and a
# deploy must never leave a browser mixing old and new modules.
CACHE_CONTROL = "no-cache"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The console's own files only; it calls this API and, to sign in, the OIDC issuer's endpoints (https).
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self' https:"
    ),
}


@cache
def _asset(relative: str) -> tuple[bytes, bytes, str, str] | None:
    """(body, its gzip, content type, ETag) of a shipped file, or None if there is none at that path."""
    candidate = (STATIC / relative).resolve()
    # A path that climbs out of the static folder (`..`, a symlink) is simply not a file of the console.
    if not candidate.is_relative_to(STATIC) or not candidate.is_file():
        return None
    content_type = CONTENT_TYPES.get(candidate.suffix)
    if content_type is None:
        return None
    body = candidate.read_bytes()
    # mtime=0: the same file gives the same bytes in every container.
    return body, gzip.compress(body, mtime=0), content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _file_for(path: str) -> str | None:
    """The shipped file that answers a request path: pages (no file extension) are the single index.html,
    whose router draws them."""
    if path == "/":
        return "index.html"
    if not path.startswith(PREFIX):
        return None
    relative = path.removeprefix(PREFIX)
    if any(segment in ("", ".", "..") for segment in relative.split("/")):
        return None
    last = relative.rsplit("/", 1)[-1]
    if "." not in last:
        return "index.html"
    return relative


@cache
def _config() -> bytes:
    from stormwatch.settings import get_settings

    settings = get_settings()
    return json.dumps(
        {
            "oidc": (
                {
                    "issuer": settings.oidc_issuer,
                    "client_id": settings.console_client_id,
                    "audience": settings.oidc_audience,
                    "scopes": settings.console_scopes,
                }
                if settings.oidc_issuer and settings.console_client_id
                else None
            ),
            # Which claims name the user, the org and the roles (the API reads the same ones).
            "claims": {"user": settings.user_claim, "org": settings.org_claim, "roles": settings.roles_claim},
            "dev_sign_in": "/local/sign-in" if settings.console_dev_sign_in else None,
        }
    ).encode()


def _answer(
    status: int, body: bytes, content_type: str, headers: dict[str, str], binary: bool = False
) -> dict[str, Any]:
    text_like = not binary and content_type.startswith(("text/", "application/json", "image/svg"))
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, **SECURITY_HEADERS, **headers},
        "body": body.decode() if text_like else b64encode(body).decode(),
        "isBase64Encoded": not text_like,
    }


def _not_found(path: str) -> dict[str, Any]:
    body = {"error": {"code": "not_found", "message": f"no console file at {path}", "details": None}}
    return _answer(404, json.dumps(body).encode(), "application/json", {"Cache-Control": "no-store"})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event.get("rawPath") or "/"
    if path == PREFIX + "config.json":
        return _answer(200, _config(), "application/json", {"Cache-Control": "no-store"})
    relative = _file_for(path)
    asset = _asset(relative) if relative else None
    if asset is None:
        return _not_found(path)
    body, compressed, content_type, etag = asset
    request_headers = event.get("headers") or {}
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "Vary": "Accept-Encoding"}
    presented = request_headers.get("if-none-match", "")
    if etag in (tag.strip().removeprefix("W/") for tag in presented.split(",")):
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    # API Gateway HTTP APIs do not compress; the console's text shrinks to about a quarter.
    if "gzip" in request_headers.get("accept-encoding", "") and len(compressed) < len(body):
        return _answer(200, compressed, content_type, {**headers, "Content-Encoding": "gzip"}, binary=True)
    return _answer(200, body, content_type, headers)
