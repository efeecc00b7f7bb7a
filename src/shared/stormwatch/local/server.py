"""The HTTP API of the local stack: routes from template.yaml, each request handed to its Lambda handler as
the API Gateway HTTP API (payload format 2.0) event, with dev JWTs standing in for the JWT authorizer."""

import base64
import functools
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stormwatch.api.http import error_body
from stormwatch.domain.errors import Unauthenticated
from stormwatch.local import devjwt
from stormwatch.local.lambdas import LocalFunction
from stormwatch.local.template import Route

# API Gateway HTTP APIs refuse bodies over 10 MB before any Lambda runs.
MAX_GATEWAY_BODY = 10 * 1024 * 1024
# An oversized body is read (and dropped) up to this much before answering, so the sender sees the 413
# rather than a reset connection; beyond it the connection is closed after the answer.
MAX_DRAINED_BODY = 64 * 1024 * 1024
# A request whose body stops arriving is answered 408 after this long, as API Gateway's idle timeout.
BODY_TIMEOUT_SECONDS = 30

# The browsable API page (GET /docs), built in the browser from GET /v1/openapi.json.
API_PAGE = Path(__file__).with_name("apidocs.html")


@functools.cache
def api_page() -> bytes:
    return API_PAGE.read_bytes()


# The local sign-in page (GET /local/sign-in): a form posting to itself.
SIGN_IN_PAGE = Path(__file__).with_name("signin.html")


@functools.cache
def sign_in_page() -> bytes:
    return SIGN_IN_PAGE.read_bytes()


Answer = tuple[int, dict[str, str], bytes]
# The local stack's own pages (GET only), beside the template's routes.
LOCAL_PAGES: dict[str, Callable[[], Answer]] = {
    "/health": lambda: (200, {"Content-Type": "application/json"}, b'{"status": "ok"}'),
    "/docs": lambda: (200, {"Content-Type": "text/html; charset=utf-8"}, api_page()),
}


@dataclass
class BoundRoute:
    route: Route
    pattern: re.Pattern[str]
    function: LocalFunction


def path_pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{part[1:-2]}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}$")


class LocalApi:
    def __init__(self, routes: list[Route], dev_secret: str, clock: Callable[[], datetime]) -> None:
        functions: dict[str, LocalFunction] = {}
        self.routes: list[BoundRoute] = []
        for route in routes:
            function = functions.setdefault(
                route.function, LocalFunction(route.function, route.code_dir, route.handler)
            )
            self.routes.append(BoundRoute(route, path_pattern(route.path), function))
        self.functions = functions
        self.dev_secret = dev_secret
        self.clock = clock

    def warm(self) -> None:
        for function in self.functions.values():
            function.warm()

    def match(self, method: str, path: str) -> tuple[BoundRoute, dict[str, str]] | None:
        for bound in self.routes:
            if bound.route.method != method:
                continue
            found = bound.pattern.match(path)
            if found:
                return bound, found.groupdict()
        return None

    def methods(self, path: str) -> list[str]:
        """The methods that some route serves on this path (none: no such path)."""
        return sorted({bound.route.method for bound in self.routes if bound.pattern.match(path)})

    def event(
        self,
        bound: BoundRoute,
        path_parameters: dict[str, str],
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        claims: dict[str, str] | None,
    ) -> dict[str, Any]:
        split = urlsplit(target)
        now = self.clock()
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        try:
            text_body: str | None = body.decode("utf-8") if body else None
            encoded = False
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode(), True
        route_key = f"{bound.route.method} {bound.route.path}"
        request_context: dict[str, Any] = {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": split.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        }
        if claims is not None:
            request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": split.path,
            "rawQueryString": split.query,
            "headers": headers,
            "requestContext": request_context,
            "isBase64Encoded": encoded,
        }
        if query:
            event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
        if path_parameters:
            event["pathParameters"] = path_parameters
        if text_body is not None:
            event["body"] = text_body
        return event

    def authorize(self, headers: dict[str, str]) -> dict[str, str]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("missing bearer token: send Authorization: Bearer <JWT>")
        claims = devjwt.verify(token.strip(), self.dev_secret, self.clock())
        return devjwt.as_http_api_claims(claims)


class _UnreadableBody(Exception):
    """A body the server cannot read: (status, message)."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: "LocalHttpServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    timeout = BODY_TIMEOUT_SECONDS

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 for a method without a do_<METHOD>: every method is routed here instead,
        # so OPTIONS, TRACE, CONNECT or any other gets the 404 or 405 that API Gateway's routing decides.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long, ...), in the contract's
        error shape; what it would answer 5xx (an HTTP version it does not speak) is the sender's 400."""
        status = HTTPStatus(code) if code < 500 else HTTPStatus.BAD_REQUEST
        self.close_connection = True
        # A request line that could not be read leaves HTTP/0.9, which would answer without a status line.
        self.request_version = self.protocol_version
        self._send_error(status, status.phrase.lower().replace(" ", "_"), message or status.phrase)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_error(
        self, status: HTTPStatus, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send(
            status.value,
            {"Content-Type": "application/json", **(headers or {})},
            error_body(code, message).encode(),
        )

    def handle_expect_100(self) -> bool:
        """A sender that waits for 100 Continue is refused an oversized body before sending it."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_GATEWAY_BODY:
            self.close_connection = True
            self._send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", "body over 10 MB")
            return False
        result: bool = super().handle_expect_100()
        return result

    def _body(self) -> bytes | None:
        """The request's body, or None once a 4xx has been answered for a body that cannot be read."""
        try:
            return self._read_body()
        except _UnreadableBody as problem:
            status, message = problem.args
        except TimeoutError:
            status, message = HTTPStatus.REQUEST_TIMEOUT, f"no body within {BODY_TIMEOUT_SECONDS} s"
        # The rest of the connection cannot be framed after a body that could not be read.
        self.close_connection = True
        codes = {
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "payload_too_large",
            HTTPStatus.REQUEST_TIMEOUT: "timeout",
        }
        self._send_error(status, codes.get(status, "bad_request"), message)
        return None

    def _read_body(self) -> bytes:
        lengths = self.headers.get_all("Content-Length") or []
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked and lengths:
            raise _UnreadableBody(HTTPStatus.BAD_REQUEST, "both Content-Length and Transfer-Encoding")
        if chunked:
            return self._chunked_body()
        if len(set(lengths)) > 1 or not all(value.strip().isdigit() for value in lengths):
            raise _UnreadableBody(HTTPStatus.BAD_REQUEST, "Content-Length is not one whole number")
        length = int(lengths[0]) if lengths else 0
        if length > MAX_GATEWAY_BODY:
            self._drain(length)
            raise _UnreadableBody(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 10 MB")
        body: bytes = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _UnreadableBody(HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length")
        return body

    def _chunked_body(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise _UnreadableBody(HTTPStatus.BAD_REQUEST, "malformed chunked body") from None
            if size == 0:
                # Trailer lines, up to the blank line that ends the body.
                while self.rfile.readline(8192).strip():
                    pass
                return bytes(body)
            if len(body) + size > MAX_GATEWAY_BODY:
                raise _UnreadableBody(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over 10 MB")
            chunk = self.rfile.read(size)
            self.rfile.readline(8)
            if len(chunk) < size:
                raise _UnreadableBody(HTTPStatus.BAD_REQUEST, "malformed chunked body")
            body += chunk

    def _drain(self, length: int) -> None:
        remaining = min(length, MAX_DRAINED_BODY)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1024 * 1024))
            if not chunk:
                return
            remaining -= len(chunk)

    def _sign_in(self, body: bytes) -> None:
        """The local stack's sign-in page (never on AWS): a form that signs a development token for the chosen
        org, user and role, then opens the console with it in the URL fragment."""
        if self.command == "GET":
            headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
            self._send(200, headers, sign_in_page())
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        try:
            token = devjwt.sign_for_form(form, self.server.api.dev_secret, self.server.api.clock())
        except ValueError as error:
            self._send_error(HTTPStatus.BAD_REQUEST, "invalid_input", str(error))
            return
        self._send(303, {"Location": f"/#token={token}", "Cache-Control": "no-store"}, b"")

    def _dispatch(self) -> None:
        api = self.server.api
        path = urlsplit(self.path).path
        body = self._body()
        if body is None:
            return
        local = LOCAL_PAGES.get(path)
        if local is not None and self.command == "GET":
            self._send(*local())
            return
        if path == devjwt.SIGN_IN_PATH and self.command in ("GET", "POST"):
            self._sign_in(body)
            return
        matched = api.match(self.command, path)
        if matched is None and self.command == "GET" and path == "/":
            # A template without the console: the API page is the home page.
            self._send(302, {"Location": "/docs"}, b"")
            return
        if matched is None:
            methods = sorted({*api.methods(path), *(["GET"] if local else [])})
            if methods:
                self._send_error(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    f"{self.command} is not served on {path}: use {', '.join(methods)}",
                    {"Allow": ", ".join(methods)},
                )
            else:
                self._send_error(HTTPStatus.NOT_FOUND, "not_found", f"no route for {self.command} {path}")
            return
        bound, path_parameters = matched
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        claims = None
        if bound.route.authorized:
            try:
                claims = api.authorize(headers)
            except Unauthenticated as error:
                self._send_error(HTTPStatus.UNAUTHORIZED, "unauthenticated", error.message)
                return
        event = api.event(
            bound, path_parameters, self.command, self.path, headers, body, self.client_address[0], claims
        )
        try:
            response = bound.function.invoke(event)
        except RuntimeError as error:
            self.log_error("%s", error)
            self._send_error(HTTPStatus.BAD_GATEWAY, "handler_failed", "the Lambda handler failed")
            return
        payload = response.get("body") or ""
        raw = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        headers_out = dict(response.get("headers") or {})
        for cookie in response.get("cookies") or []:
            headers_out.setdefault("Set-Cookie", cookie)
        self._send(int(response.get("statusCode", 200)), headers_out, raw)


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Stopping does not wait for requests in flight (one may be waiting for a body that never comes).
    block_on_close = False
    # Room for bursts of concurrent senders (the kernel default backlog of 5 refuses connections).
    request_queue_size = 256

    def __init__(self, host: str, port: int, api: LocalApi, verbose: bool = False) -> None:
        super().__init__((host, port), _RequestHandler)
        self.api = api
        self.verbose = verbose
        self._thread = threading.Thread(target=self.serve_forever, name="local-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
