"""DynamoDB for the local stack: moto's server with the local engine (stormwatch.local.dynamodb_engine:
transactions that copy only what they touch, a stream kept 24 hours), one request at a time.

A DynamoDB, DynamoDB Streams or EventBridge request (its X-Amz-Target names the API) goes straight to
moto's handler of that API: moto's server would first find the service among all of moto's by the
request's host and headers (statting each of moto's service directories for every request: most of a
PutEvents, which the notifier sends for each new incident), then route it through a Flask application to
the same handler, which adds a CORS header and a default Content-Type that no SDK reads. SES, which the
notifier uses too, takes that way.

moto applies a request in several steps (a transaction writes item after item and puts back what it
touched on failure), so two requests interleaved by threads can lose each other's writes. DynamoDB applies
each request atomically; serializing requests gives the local stack the same guarantee the code relies on
in AWS.
"""

import io
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from moto.events.responses import EventsHandler
from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication, create_backend_app

from stormwatch.local import dynamodb_engine

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MotoHandler = Callable[..., tuple[int | str, dict[str, Any], str | bytes]]

# The X-Amz-Target prefixes of the APIs the engine serves.
HANDLERS: dict[str, MotoHandler] = {
    "DynamoDB_20120810": dynamodb_engine.LocalDynamoHandler.dispatch,
    "DynamoDBStreams_20120810": dynamodb_engine.LocalDynamoDBStreamsHandler.dispatch,
    "AWSEvents": EventsHandler.dispatch,
}


# What werkzeug builds a request's URL from (moto's Request.raw_url): the scheme, the host, the path and the
# query string.
URL_PARTS = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "RAW_URI",
    "PATH_INFO",
    "QUERY_STRING",
)
URLS_KEPT = 256
_raw_urls: dict[tuple[Any, ...], str] = {}


def _raw_url(request: BackendRequest) -> str:
    """moto's Request.raw_url, which werkzeug builds anew for each request through its URL quoting (a tenth
    of a GetItem): every request of an SDK to this server has the same, built once here."""
    key = tuple(request.environ.get(part) for part in URL_PARTS)
    url = _raw_urls.get(key)
    if url is None:
        if len(_raw_urls) >= URLS_KEPT:
            _raw_urls.clear()
        url = _raw_urls[key] = request.raw_url
    return url


def direct(app: WsgiApp) -> WsgiApp:
    """The requests of the APIs in HANDLERS to their handlers, the others to `app` (moto's server)."""

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = HANDLERS.get(environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0])
        if handler is None:
            return app(environ, start_response)
        request = BackendRequest(environ)
        # moto's server also hands the handler a copy of the request's headers; given none, it reads them
        # from the request.
        status, headers, body = handler(request, _raw_url(request), None)
        status = int(status)
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [(name, str(value)) for name, value in headers.items() if name.lower() != "status"],
        )
        return [body.encode() if isinstance(body, str) else body]

    return dispatch


class FirstComeFirstServed:
    """A lock taken in the order it was asked for. threading.Lock lets whichever thread runs first take
    it, often the one that just released it: under a storm, with the stream pump, the sweep and every
    container's requests behind it, one request could wait for seconds while later ones went first."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()

    def __enter__(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder before us, which hands the lock over

    def __exit__(self, *_: object) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


def serialized(app: WsgiApp) -> WsgiApp:
    lock = FirstComeFirstServed()

    def one_at_a_time(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            # Drain the response inside the lock: the work happens while it is produced.
            return list(app(environ, start_response))

    return one_at_a_time


class _RequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (botocore keeps its connections), each request handed to the WSGI app and
    its answer written in one send: werkzeug's development server writes the status line, the headers and
    the body apart, which on loopback costs the sender's and the receiver's TCP work for each."""

    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method: moto's services answer what they do not serve
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path),
            "QUERY_STRING": query,
            "RAW_URI": self.path,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer[:] = [status, headers]

        chunks = self.server.app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = answer
        lines = [f"{self.protocol_version} {status}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() != "content-length"]
        lines.append(f"Content-Length: {len(content)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + content if self.command != "HEAD" else head)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, host: str, port: int, app: WsgiApp) -> None:
        super().__init__((host, port), _RequestHandler)
        self.app = app


class LocalDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        dynamodb_engine.install()
        self._server = _Server(
            host, port, serialized(direct(DomainDispatcherApplication(create_backend_app)))
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-dynamodb", daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
