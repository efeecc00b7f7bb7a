"""DynamoDB for the local stack: moto's server with the local engine (stormwatch.local.dynamodb_engine:
transactions that copy only what they touch, a stream kept 24 hours), one request at a time.

moto applies a request in several steps (a transaction writes item after item and puts back what it
touched on failure), so two requests interleaved by threads can lose each other's writes. DynamoDB applies
each request atomically; serializing requests gives the local stack the same guarantee the code relies on
in AWS.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from stormwatch.local import dynamodb_engine

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialized(app: WsgiApp) -> WsgiApp:
    lock = threading.Lock()

    def one_at_a_time(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            # Drain the response inside the lock: the work happens while it is produced.
            return list(app(environ, start_response))

    return one_at_a_time


class LocalDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        dynamodb_engine.install()
        app = serialized(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-dynamodb", daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
