"""A loopback HTTP server that records what it is sent, and can fail the first requests of a path or hold
its answers until released."""

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def signed_with(self, secret: str) -> bool:
        """Whether the request carries Stormwatch's signature with `secret`, checked as README.md says."""
        timestamp = self.headers["x-stormwatch-timestamp"]
        digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["x-stormwatch-signature"], f"v1={digest}")


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Path -> how many more requests of it to answer 500.
    failures: dict[str, int] = field(default_factory=dict)
    # Paths whose requests are recorded at once but answered only when `released` is set.
    held: set[str] = field(default_factory=set)
    released: threading.Event = field(default_factory=threading.Event)
    arrived: list[str] = field(default_factory=list)

    def delivered(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path and request.status == 200]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.arrived.append(self.path)
            if self.path in state.held:
                state.released.wait(60)
            failing = state.failures.get(self.path, 0)
            status = 500 if failing else 200
            if failing:
                state.failures[self.path] = failing - 1
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
            )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
