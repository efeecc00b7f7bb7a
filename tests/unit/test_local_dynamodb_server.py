"""The embedded server's direct routes (stormwatch.local.dynamodb.direct) answer as moto's server does."""

import io
import json
import sys
from typing import Any
from urllib.parse import unquote

import pytest
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from stormwatch.local.dynamodb import HANDLERS, direct

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/events/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)


def request_environ(target: str, data: bytes) -> dict[str, Any]:
    """A request's WSGI environ as botocore sends it to the embedded server."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-amz-json-1.1",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_X_AMZ_TARGET": target,
        "HTTP_AUTHORIZATION": AUTHORIZATION,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def call(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """One request through a WSGI app: the status code, headers and JSON answer."""
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer[:] = [status, dict(headers)]

    content = b"".join(app(environ, start_response))
    return int(answer[0].split()[0]), answer[1], json.loads(content)


def eventbridge_answers(app: Any, bus: str) -> list[tuple[int, str | None, Any]]:
    """What the notifier's requests are answered (event ids and the bus's name left out): a bus made, an
    event put on it, an event put on a bus that does not exist."""
    entry = {"Source": "stormwatch", "DetailType": "incident.opened", "Detail": "{}", "EventBusName": bus}
    answers = []
    for target, body in (
        ("AWSEvents.CreateEventBus", {"Name": bus}),
        ("AWSEvents.PutEvents", {"Entries": [entry]}),
        ("AWSEvents.PutEvents", {"Entries": [{**entry, "EventBusName": f"{bus}-absent"}]}),
    ):
        status, headers, content = call(app, request_environ(target, json.dumps(body).encode()))
        text = json.dumps(content).replace(bus, "BUS")
        for event in content.get("Entries", []):
            text = text.replace(event["EventId"], "ID")
        answers.append((status, headers.get("X-Amzn-ErrorType"), json.loads(text)))
    return answers


def test_eventbridge_requests_go_straight_to_moto_s_handler_and_answer_as_through_its_server() -> None:
    assert "AWSEvents" in HANDLERS
    with mock_aws():
        server = DomainDispatcherApplication(create_backend_app)
        direct_answers = eventbridge_answers(direct(server), "direct")
        server_answers = eventbridge_answers(server, "server")

    assert direct_answers == server_answers
    assert [status for status, _, _ in direct_answers] == [200, 200, 400]
    assert direct_answers[2][1] == "ResourceNotFoundException"


def test_a_request_s_url_is_moto_s_for_each_host_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[tuple[str, str]] = []

    def handler(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        handed.append((full_url, request.raw_url))
        return 200, {}, "{}"

    monkeypatch.setitem(HANDLERS, "Recorded", handler)
    for host, path, query in (
        ("127.0.0.1:5000", "/", ""),
        ("localhost:5000", "/", ""),
        ("127.0.0.1:5000", "/", ""),
        ("127.0.0.1:80", "/other/%2Fpath", "a=1&b=%20"),
    ):
        environ = request_environ("Recorded.Action", b"{}")
        environ.update(HTTP_HOST=host, PATH_INFO=unquote(path), RAW_URI=f"{path}?{query}", QUERY_STRING=query)
        call(direct(lambda environ, start_response: []), environ)

    assert [url for url, _ in handed] == [url for _, url in handed]
    assert handed[3][0] == "http://127.0.0.1/other/%2Fpath?a=1&b=%20"
