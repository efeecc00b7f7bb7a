import http.client
import re
import urllib.request
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def get_without_redirects(url: str, path: str) -> http.client.HTTPResponse:
    split = urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_docs_serves_the_api_page_built_from_the_openapi_document(local_stack):
    with urllib.request.urlopen(local_stack.url + "/docs", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        page = response.read().decode("utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "/v1/openapi.json" in page
    # Self-contained: nothing is fetched from another host (no CDN; the machine may have no network).
    hosts = {match.group(1) for match in re.finditer(r"https?://([^/\s\"'<>:]+)", page)}
    assert hosts <= LOCAL_HOSTS
    assert not re.search(r"""(?:src|href)\s*=\s*["']?//""", page)


def test_root_is_the_console(local_stack):
    response = get_without_redirects(local_stack.url, "/")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
