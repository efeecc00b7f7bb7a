"""The local stack's HTTP layer answers every request in the contract's error shape, as API Gateway routes
it: a path with another method is 405 naming the methods it has, an unknown path 404, whatever the method;
a request whose body cannot be read is a 4xx, never a 5xx or a dropped connection."""

import http.client
import json
import re
import socket
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from stormwatch.local.template import Template
from tests.support.paths import TEMPLATE

pytestmark = pytest.mark.e2e
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"]


def template_paths() -> dict[str, set[str]]:
    """Each path the template declares (its parameters filled in) with the methods it serves."""
    paths: dict[str, set[str]] = defaultdict(set)
    for route in Template(TEMPLATE).routes():
        paths[re.sub(r"\{[^}]+\}", "p1", route.path)].add(route.method)
    return paths


def send(stack, method, path, body=None, headers=None):
    url = urlsplit(stack.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw(stack, data: bytes) -> tuple[int, bytes]:
    """Bytes as sent, the status line's code and the body as answered."""
    url = urlsplit(stack.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def error_code(body: bytes) -> str:
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    return str(error["code"])


def test_every_template_path_answers_405_with_its_methods_to_any_other(local_stack):
    for path, served in template_paths().items():
        for method in sorted(set(METHODS) - served):
            status, headers, body = send(local_stack, method, path)
            assert status == 405, (method, path, status)
            assert sorted(headers["Allow"].split(", ")) == sorted(served), (method, path)
            assert headers["Content-Type"] == "application/json"
            if method == "HEAD":
                assert body == b""
            else:
                assert error_code(body) == "method_not_allowed"


@pytest.mark.parametrize("method", METHODS)
def test_an_unknown_path_is_404_in_the_error_shape_whatever_the_method(local_stack, method):
    status, _, body = send(local_stack, method, "/v1/nowhere")
    assert status == 404
    if method != "HEAD":
        assert error_code(body) == "not_found"


def test_the_local_pages_are_get_only(local_stack):
    assert send(local_stack, "GET", "/health")[0] == 200
    status, headers, _ = send(local_stack, "POST", "/health")
    assert (status, headers["Allow"]) == (405, "GET")


@pytest.mark.parametrize(
    ("framing", "status", "code"),
    [
        (b"Content-Length: abc\r\n", 400, "bad_request"),
        (b"Content-Length: -1\r\n", 400, "bad_request"),
        (b"Content-Length: 2\r\nContent-Length: 3\r\n", 400, "bad_request"),
        (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", 400, "bad_request"),
        (b"Transfer-Encoding: chunked\r\n", 400, "bad_request"),
    ],
)
def test_a_body_that_cannot_be_framed_is_a_400(local_stack, framing, status, code):
    request = b"POST /v1/hooks/generic HTTP/1.1\r\nHost: local\r\n" + framing + b"\r\nzz\r\n"
    answered, body = raw(local_stack, request)
    assert (answered, error_code(body)) == (status, code)


def test_a_body_shorter_than_its_length_is_a_400(local_stack):
    url = urlsplit(local_stack.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(b"POST /v1/hooks/generic HTTP/1.1\r\nHost: local\r\nContent-Length: 50\r\n\r\n{}")
        connection.shutdown(socket.SHUT_WR)
        answer = connection.makefile("rb").read()
    assert answer.split()[1] == b"400"
    assert error_code(answer.partition(b"\r\n\r\n")[2]) == "bad_request"


@pytest.mark.parametrize(
    "request_line",
    [b"NOT A REQUEST LINE AT ALL\r\n\r\n", b"GET /health HTTP/2.0\r\n\r\n", b"GET /health HTTP/x\r\n\r\n"],
)
def test_a_malformed_request_is_a_400_in_the_error_shape(local_stack, request_line):
    status, body = raw(local_stack, request_line)
    assert status == 400
    error_code(body)


def test_an_oversized_body_is_a_413_that_the_sender_reads(local_stack):
    key = local_stack.credentials["integration_keys"]["generic"]
    body = b"x" * (10 * 1024 * 1024 + 1)
    status, _, answer = send(
        local_stack, "POST", "/v1/hooks/generic", body, {"Authorization": f"Bearer {key}"}
    )
    assert (status, error_code(answer)) == (413, "payload_too_large")


def test_an_oversized_body_announced_with_expect_100_is_refused_before_it_is_sent(local_stack):
    request = (
        b"POST /v1/hooks/generic HTTP/1.1\r\nHost: local\r\nContent-Length: 20000000\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    status, body = raw(local_stack, request)
    assert (status, error_code(body)) == (413, "payload_too_large")


def test_a_chunked_body_is_read_as_the_gateway_reads_it(local_stack):
    key = local_stack.credentials["integration_keys"]["generic"]
    alarm = json.dumps({"incident_key": "chunked::body", "severity": "low", "title": "chunked"}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (alarm[:10], alarm[10:]))
    request = (
        b"POST /v1/hooks/generic HTTP/1.1\r\nHost: local\r\nConnection: close\r\n"
        + f"Authorization: Bearer {key}\r\n".encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )
    status, body = raw(local_stack, request)
    assert status == 202
    assert json.loads(body)["results"][0]["incident_key"] == "chunked::body"
