"""Lambda functions run in process, as AWS runs them: each "container" is its own copy of the handler
module and serves one request at a time; concurrent requests get more containers."""

import importlib.util
import itertools
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

_module_numbers = itertools.count()


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


class _Container:
    def __init__(self, module: ModuleType, entry: str) -> None:
        self.handler = getattr(module, entry)
        self.lock = threading.Lock()


class LocalFunction:
    def __init__(self, name: str, code_dir: Path, handler: str, max_containers: int = 16) -> None:
        self.name = name
        self._module_file = code_dir / f"{handler.rsplit('.', 1)[0]}.py"
        self._entry = handler.rsplit(".", 1)[1]
        self._containers: list[_Container] = []
        self._slots = threading.BoundedSemaphore(max_containers)
        self._pool_lock = threading.Lock()

    def _load(self) -> _Container:
        module_name = f"stormwatch_local_{self.name}_{next(_module_numbers)}"
        spec = importlib.util.spec_from_file_location(module_name, self._module_file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {self._module_file}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return _Container(module, self._entry)

    def warm(self) -> None:
        with self._pool_lock:
            if not self._containers:
                self._containers.append(self._load())

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._slots:
            container = self._acquire()
            try:
                context = LambdaContext(self.name, str(uuid.uuid4()))
                result: dict[str, Any] = container.handler(event, context)
                return result
            finally:
                container.lock.release()

    def _acquire(self) -> _Container:
        with self._pool_lock:
            for container in self._containers:
                if container.lock.acquire(blocking=False):
                    return container
        container = self._load()
        container.lock.acquire()
        with self._pool_lock:
            self._containers.append(container)
        return container
