"""Lambda functions run locally as AWS runs them: each container holds its own copy of the handler and
serves one request at a time; concurrent requests get more containers.

Containers are worker processes, because Lambda's process isolation is something handlers may rely on:
powertools' resolver, for one, keeps the current event on its class, so two requests resolved at once in
one process would read each other's events. `in_process=True` (tests that run moto inside the test
process) loads handlers into this process instead and runs one invocation at a time.
"""

import contextlib
import ctypes
import importlib.util
import itertools
import multiprocessing
import signal
import threading
import traceback
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

PR_SET_NAME = 15
_module_numbers = itertools.count()
# powertools' resolver state is per class, hence per process: one in-process invocation at a time.
_in_process_lock = threading.RLock()


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_handler(name: str, module_file: Path, entry: str) -> Any:
    module_name = f"stormwatch_local_{name}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(module_name, module_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {module_file}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, entry)


def _name_process(name: str) -> None:
    """The container's name as the system shows it (ps, top, /proc/PID/comm), 15 bytes at most: which
    function a process serves, for whoever reads its CPU and memory. Linux only; elsewhere it stays
    python."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _serve(name: str, module_file: Path, entry: str, connection: Connection) -> None:
    """A container: load the handler once, then answer events until the connection closes."""
    _name_process(name)
    # Ctrl-C reaches the whole process group: the stack, not each container, decides when they end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = load_handler(name, module_file, entry)
    connection.send(("ready", None))
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", handler(event, LambdaContext(name, str(uuid.uuid4())))))
        except Exception:
            connection.send(("error", traceback.format_exc()))


class _Worker:
    def __init__(self, name: str, module_file: Path, entry: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(name, module_file, entry, child), name=f"lambda-{name}", daemon=True
        )
        self.process.start()
        child.close()
        state, detail = self.connection.recv()
        if state != "ready":
            raise RuntimeError(f"container of {name} did not start: {detail}")
        self.lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            self.connection.send(event)
            state, result = self.connection.recv()
        except (EOFError, OSError):
            raise RuntimeError(f"the container of {self.process.name} ended") from None
        if state != "ok":
            raise RuntimeError(f"handler failed:\n{result}")
        response: dict[str, Any] = result
        return response

    def end(self) -> None:
        """End the container now, idle or busy, as Lambda discards an environment: whatever it was doing
        (a sweep, a delivery, a request) is retried or idempotent. A busy one's invoker reads end of input."""
        self.process.kill()
        self.process.join()


class LocalFunction:
    def __init__(
        self, name: str, code_dir: Path, handler: str, max_containers: int = 8, in_process: bool = False
    ) -> None:
        self.name = name
        self._module_file = code_dir / f"{handler.rsplit('.', 1)[0]}.py"
        self._entry = handler.rsplit(".", 1)[1]
        self._in_process = in_process
        self._handler: Any = None
        self._workers: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(max_containers)
        self._pool_lock = threading.Lock()
        self._stopped = False

    def warm(self) -> None:
        if self._in_process:
            self._loaded()
            return
        with self._pool_lock:
            if not self._workers:
                self._workers.append(_Worker(self.name, self._module_file, self._entry))

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if self._in_process:
            with _in_process_lock:
                result: dict[str, Any] = self._loaded()(event, LambdaContext(self.name, str(uuid.uuid4())))
                return result
        with self._slots:
            if self._stopped:
                raise RuntimeError(f"{self.name} is stopped")
            worker = self._acquire()
            try:
                return worker.invoke(event)
            finally:
                worker.lock.release()

    def _loaded(self) -> Any:
        if self._handler is None:
            self._handler = load_handler(self.name, self._module_file, self._entry)
        return self._handler

    def _acquire(self) -> _Worker:
        with self._pool_lock:
            for worker in self._workers:
                if worker.lock.acquire(blocking=False):
                    return worker
        worker = _Worker(self.name, self._module_file, self._entry)
        worker.lock.acquire()
        with self._pool_lock:
            self._workers.append(worker)
            stopped = self._stopped
        if stopped:
            # Started while the function was being stopped: end it with the others.
            worker.process.kill()
            raise RuntimeError(f"{self.name} is stopped")
        return worker

    def stop(self) -> None:
        """End every container at once; an invocation still running raises RuntimeError, later ones too."""
        with self._pool_lock:
            self._stopped = True
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.end()
