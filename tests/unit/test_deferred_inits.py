"""The package `__init__`s a handler defers (stormwatch/startup.py): each name resolves to the same object as
after the package's own `__init__`, the handlers answer their requests with them deferred, and a package
whose `__init__` does more than gather names is imported as usual."""

import json
import subprocess
import sys
import textwrap

import pytest

from stormwatch import startup
from tests.support.paths import EVENTS, ROOT

SAME_OBJECTS = """
import importlib
import importlib.machinery
import importlib.util
import sys

from stormwatch import startup

startup.importing()
package = importlib.import_module({package!r})
assert "__getattr__" in vars(package), "not deferred"
deferred = {{name: getattr(package, name) for name in package.__all__}}
# The package's own __init__, run on a module of its own: it takes its names from the same submodules.
parent = {package!r}.rpartition(".")[0]
spec = importlib.machinery.PathFinder.find_spec({package!r}, sys.modules[parent].__path__)
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)
bound = {{name: value for name, value in vars(real).items() if not name.startswith("__")}}
print(package.__all__ == real.__all__, package.__doc__ == real.__doc__, package.__path__ == real.__path__)
print(sorted(name for name, value in bound.items() if getattr(package, name) is not value))
print(sorted(name for name, value in deferred.items() if value is not bound[name]))
"""
ANSWER = """
import json
import sys
import app
from stormwatch.local.lambdas import LambdaContext

print([package for package in {packages!r} if "__getattr__" in vars(sys.modules[package])])
print(json.dumps(app.lambda_handler(json.loads(sys.stdin.read()), LambdaContext("cold", "request"))))
"""


def _run(code: str, cwd, stdin: str = "") -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={"PYTHONPATH": f"{cwd}:{ROOT / 'src' / 'shared'}", "AWS_DEFAULT_REGION": "us-east-1"},
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize("package", startup.DEFERRED_INITS)
def test_every_name_of_a_deferred_package_is_the_object_its_init_binds(package):
    assert _run(SAME_OBJECTS.format(package=package), ROOT) == ["True True True", "[]", "[]"]


def _event(name: str, **changes) -> str:
    event = json.loads((EVENTS / name).read_text())
    event.update(changes)
    return json.dumps(event)


@pytest.mark.parametrize(
    ("function", "event", "status"),
    [
        ("queries", _event("queries/get_incident.json", rawPath="/v1/openapi.json"), 200),
        # Request validation (powertools' OpenAPI models) answers before any service is built.
        ("commands", _event("commands/open_incident.json", body='{"title": "x", "severity": "dire"}'), 400),
        ("ingest", _event("ingest/generic_no_key.json"), 401),
    ],
)
def test_a_handler_answers_with_the_inits_deferred(function, event, status):
    # The ingest function prints its metrics (embedded metric format) between the two.
    deferred, *_, answer = _run(
        ANSWER.format(packages=startup.DEFERRED_INITS), ROOT / "functions" / function, event
    )
    assert deferred == str(list(startup.DEFERRED_INITS))
    assert json.loads(answer)["statusCode"] == status


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """A folder on the import path for made-up packages, "gathering" and "doing" deferred if they may be;
    all forgotten again after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [startup.DeferredInits(["gathering", "doing"]), *sys.meta_path])
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def _package(root, name: str, init: str, **submodules: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(textwrap.dedent(init))
    for submodule, source in submodules.items():
        (root / name / f"{submodule}.py").write_text(textwrap.dedent(source))


def test_a_gathering_init_imports_a_submodule_on_the_first_use_of_its_name(packages):
    _package(
        packages,
        "gathering",
        '''
        """Docs."""
        from gathering.first import one
        from .second import two as deux

        __all__ = ["one", "deux"]
        ''',
        first="one = [1]\n",
        second="two = [2]\n",
    )
    import gathering

    assert {"one", "deux", "first", "second"} <= set(dir(gathering))
    assert gathering.__doc__ == "Docs."
    assert "gathering.first" not in sys.modules
    assert gathering.one == [1]
    assert "gathering.second" not in sys.modules
    assert gathering.deux is sys.modules["gathering.second"].two
    # The submodule is bound on the package, as an ordinary import of the package binds it.
    assert gathering.second is sys.modules["gathering.second"]
    assert gathering.__file__ == str(packages / "gathering" / "__init__.py")
    with pytest.raises(AttributeError, match="has no attribute 'three'"):
        gathering.three  # noqa: B018


@pytest.mark.parametrize(
    "init",
    [
        'from doing.first import one\n\n__all__ = ["one"]\nprint("side effect")\n',
        # A name __all__ promises that no import binds.
        'from doing.first import one\n\n__all__ = ["one", "two"]\n',
        'from doing.first import *\n\n__all__ = ["one"]\n',
        'from os import path as one\n\n__all__ = ["one"]\n',
        "from doing.first import one\n",
    ],
)
def test_an_init_that_does_more_is_left_to_the_ordinary_import(packages, init):
    _package(packages, "doing", init, first="one = 1\n")
    import doing

    # Its body ran: the name is bound, not looked up on first use.
    assert "__getattr__" not in vars(doing)
    assert "one" in vars(doing)
