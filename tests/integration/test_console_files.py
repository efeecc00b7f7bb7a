"""The console's function: its files from template.yaml's routes, with their types, ETags and caching; pages
answered by the one index.html; nothing outside its folder; misses in the contract's error shape."""

import base64
import gzip
import json
from typing import Any

import pytest

from stormwatch.local.lambdas import load_handler
from stormwatch.local.template import Template
from stormwatch.settings import get_settings
from tests.support.paths import ROOT, TEMPLATE

CONSOLE = ROOT / "functions" / "console"


@pytest.fixture
def console():
    return load_handler("console", CONSOLE / "app.py", "lambda_handler")


def get(handler: Any, path: str, **headers: str) -> dict[str, Any]:
    return handler({"version": "2.0", "rawPath": path, "headers": headers}, None)


def text(answer: dict[str, Any]) -> str:
    body = answer["body"]
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    if answer["headers"].get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return raw.decode()


def test_the_console_routes_skip_the_authorizer_and_reach_the_console_function():
    routes = {(route.method, route.path): route for route in Template(TEMPLATE).routes()}
    for key in (("GET", "/"), ("GET", "/console/{proxy+}")):
        assert routes[key].code_dir.name == "console"
        assert routes[key].authorized is False


def test_home_and_every_page_path_answer_the_index(console):
    for path in ("/", "/console/incidents", "/console/incidents/abc-1", "/console/admin/members"):
        answer = get(console, path)
        assert answer["statusCode"] == 200, path
        assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
        assert '<script type="module" src="/console/assets/main.js">' in text(answer)


def test_modules_and_styles_have_their_types_and_revalidate_by_etag(console):
    expected = {
        "/console/assets/main.js": "text/javascript; charset=utf-8",
        "/console/assets/console.css": "text/css; charset=utf-8",
        "/console/assets/icon.svg": "image/svg+xml",
    }
    for path, content_type in expected.items():
        first = get(console, path)
        assert (first["statusCode"], first["headers"]["Content-Type"]) == (200, content_type)
        assert first["headers"]["Cache-Control"] == "no-cache"
        again = get(console, path, **{"if-none-match": first["headers"]["ETag"]})
        assert (again["statusCode"], again["body"]) == (304, "")


def test_a_browser_accepting_gzip_gets_the_same_file_smaller(console):
    plain = get(console, "/console/assets/pages/incidents.js")
    packed = get(console, "/console/assets/pages/incidents.js", **{"accept-encoding": "gzip, br"})
    assert packed["headers"]["Content-Encoding"] == "gzip"
    assert len(base64.b64decode(packed["body"])) < len(plain["body"]) / 2
    assert text(packed) == plain["body"]
    assert packed["headers"]["ETag"] == plain["headers"]["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/console/assets/../app.py",
        "/console/assets/../../../../etc/passwd",
        "/console/..%2fapp.py",
        "/console/assets//main.js",
        "/console/assets/missing.js",
        "/console/assets/main.py",
        "/favicon.ico",
    ],
)
def test_nothing_outside_the_console_files_is_served(console, path):
    answer = get(console, path)
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "not_found"


def test_the_config_offers_no_sign_in_where_none_is_configured(console):
    assert json.loads(get(console, "/console/config.json")["body"]) == {
        "oidc": None,
        "claims": {"user": "sub", "org": "org", "roles": "roles"},
        "dev_sign_in": None,
    }


def test_the_config_names_the_deployments_issuer_and_client(monkeypatch):
    monkeypatch.setenv("STORMWATCH_OIDC_ISSUER", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc")
    monkeypatch.setenv("STORMWATCH_OIDC_AUDIENCE", "client123")
    monkeypatch.setenv("STORMWATCH_CONSOLE_CLIENT_ID", "client123")
    monkeypatch.setenv("STORMWATCH_USER_CLAIM", "cognito:username")
    monkeypatch.setenv("STORMWATCH_ROLES_CLAIM", "cognito:groups")
    get_settings.cache_clear()
    try:
        handler = load_handler("console", CONSOLE / "app.py", "lambda_handler")
        answer = get(handler, "/console/config.json")
    finally:
        get_settings.cache_clear()
    assert answer["headers"]["Cache-Control"] == "no-store"
    assert json.loads(answer["body"]) == {
        "oidc": {
            "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
            "client_id": "client123",
            "audience": "client123",
            "scopes": "openid profile email",
        },
        "claims": {"user": "cognito:username", "org": "org", "roles": "cognito:groups"},
        "dev_sign_in": None,
    }
