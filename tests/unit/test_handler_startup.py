"""What a handler's cold start does. It pauses garbage collection while it imports (stormwatch/startup.py):
once imported, collection must be on again, or the container would keep every request's garbage, and what
the imports made is kept out of later collections; the finder that defers powertools' gathering `__init__`s
is gone too. The REST handlers import a resource's routes when a request first needs them (its models and
views), and not the services and stores behind them: those load when a request builds its service. No
handler builds a model of its own while importing (its schema is built when the model is first used)."""

import subprocess
import sys

import pytest

from tests.support.paths import ROOT

HANDLERS = ("ingest", "commands", "queries", "aggregates", "notifier", "sweeps")
LOADED = """
import sys
import app
{request}
print(sorted(
    name
    for name in sys.modules
    if name.startswith(
        ("stormwatch.services.", "stormwatch.store.", "stormwatch.api.commands.", "stormwatch.api.queries.")
    )
))
"""
BUILT_MODELS = """
import app
import pydantic


def subclasses(model):
    for subclass in model.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


print(sorted({
    f"{model.__module__}.{model.__qualname__}"
    for model in subclasses(pydantic.BaseModel)
    if model.__module__.startswith("stormwatch") and model.__dict__.get("__pydantic_complete__")
}))
"""
IMPORTED = """
import gc
import sys
import app
from stormwatch.startup import DeferredInits
print(gc.isenabled(), gc.get_freeze_count() > 0, any(isinstance(f, DeferredInits) for f in sys.meta_path))
"""


def _run(function: str, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "functions" / function,
        env={"PYTHONPATH": str(ROOT / "functions" / function), "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_collects_garbage_and_imports_the_ordinary_way_once_imported(function):
    assert _run(function, IMPORTED).split() == ["True", "True", "False"]


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_builds_none_of_its_models_while_importing(function):
    assert _run(function, BUILT_MODELS) == "[]"


@pytest.mark.parametrize("function", ["commands", "queries"])
def test_a_rest_handler_imports_none_of_its_resources_routes_until_a_request_needs_them(function):
    assert _run(function, LOADED.format(request="")) == "[]"


@pytest.mark.parametrize(
    ("function", "path", "loaded"),
    [
        # The incidents' routes, the table's client (its request signer and error translation) and the
        # Idempotency-Key records' keys.
        (
            "commands",
            "/v1/incidents/i-1/status",
            [
                "stormwatch.api.commands.incidents",
                "stormwatch.store.codec",
                "stormwatch.store.keys",
                "stormwatch.store.sigv4",
                "stormwatch.store.table",
            ],
        ),
        (
            "queries",
            "/v1/incidents",
            [
                "stormwatch.api.queries.incidents",
                "stormwatch.store.codec",
                "stormwatch.store.sigv4",
                "stormwatch.store.table",
            ],
        ),
    ],
)
def test_a_request_imports_its_resources_routes_and_no_service_or_store(function, path, loaded):
    assert _run(function, LOADED.format(request=f"app.app.include_routes_for({path!r})")) == str(loaded)
