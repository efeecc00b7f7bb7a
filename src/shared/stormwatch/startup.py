"""A handler's cold start: `importing()` is its first statement, `imported()` its last.

Everything a handler's imports create lives as long as its container, so the garbage collector's passes
over it are work for nothing: `importing()` pauses collection, and `imported()` moves what the imports made
out of every later collection and turns collection back on.

Between the two, the `__init__` of the packages in `DEFERRED_INITS` is deferred if they are imported: each
only gathers names from its submodules (powertools' event handler gathers every resolver, AppSync's with
asyncio; its data classes gather some forty event sources), while a handler uses a few of them. Such a
package is made by the ordinary import with its own spec (`__path__`, `__file__`), its `__all__` and
docstring, and a module `__getattr__` and `__dir__` (PEP 562) in place of its `__init__`'s body: a name
imports the submodule defining it when it is first asked for, so every name resolves to the same object as
after the package's own `__init__`. A package whose `__init__` does anything else is imported as usual.
"""

import ast
import gc
import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

DEFERRED_INITS = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.utilities.data_classes",
)


def importing() -> None:
    gc.disable()
    sys.meta_path.insert(0, DeferredInits(DEFERRED_INITS))


def imported() -> None:
    # Later imports (a service's, on first use) go the ordinary way, without a finder asked first for each.
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, DeferredInits)]
    # Once per process: a process that loads handlers again and again (the test suite) freezes only what
    # was there at the first, rather than keeping every later test's garbage for good.
    if not gc.get_freeze_count():
        gc.freeze()
    gc.enable()


class DeferredInits:
    """An import finder ahead of the ordinary ones: it finds `packages` as the ordinary path finder does,
    and gives the spec of one whose `__init__` only gathers names a loader that defers it."""

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.submodule_search_locations is None:
            return spec
        get_source = getattr(spec.loader, "get_source", None)
        source = get_source(name) if get_source is not None else None
        gathered = _gathered(name, source) if source is not None else None
        if gathered is not None:
            spec.loader = _GatheredNames(*gathered)
        return spec


class _GatheredNames(importlib.abc.Loader):
    """Loads a package whose `__init__` only gathers names: its body becomes a module `__getattr__`."""

    def __init__(
        self,
        doc: str | None,
        names: dict[str, tuple[str, str]],
        submodules: dict[str, str],
        exported: list[str] | tuple[str, ...],
    ) -> None:
        self.doc = doc
        self.names = names
        self.submodules = submodules
        self.exported = exported

    def exec_module(self, module: ModuleType) -> None:
        names, submodules = self.names, self.submodules

        def __getattr__(name: str) -> Any:
            if name in names:
                origin, original = names[name]
                value = getattr(importlib.import_module(origin), original)
            elif name in submodules:
                value = importlib.import_module(submodules[name])
            else:
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
            setattr(module, name, value)
            return value

        def __dir__() -> list[str]:
            return sorted({*vars(module), *names, *submodules})

        module.__dict__.update(
            __doc__=self.doc, __all__=self.exported, __getattr__=__getattr__, __dir__=__dir__
        )


def _gathered(
    package: str, source: str
) -> tuple[str | None, dict[str, tuple[str, str]], dict[str, str], list[str] | tuple[str, ...]] | None:
    """What an `__init__` made only of a docstring, `from <its submodule> import names` and a literal
    `__all__` binds: (docstring, name -> (submodule, name there), submodule attribute -> submodule,
    `__all__`); None for any other `__init__`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    doc = ast.get_docstring(tree, clean=False)
    names: dict[str, tuple[str, str]] = {}
    submodules: dict[str, str] = {}
    exported: list[str] | tuple[str, ...] | None = None
    for statement in tree.body[1:] if doc is not None else tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module and statement.level in (0, 1):
            origin = statement.module if statement.level == 0 else f"{package}.{statement.module}"
            if not origin.startswith(package + ".") or any(alias.name == "*" for alias in statement.names):
                return None
            # Importing a submodule binds it on the package, as the names imported from it are.
            child = origin.removeprefix(package + ".").split(".")[0]
            submodules[child] = f"{package}.{child}"
            names.update((alias.asname or alias.name, (origin, alias.name)) for alias in statement.names)
        elif exported is None:
            exported = _literal_all(statement)
            if exported is None:
                return None
        else:
            return None
    if exported is None or not set(exported) <= names.keys():
        return None
    return doc, names, submodules, exported


def _literal_all(statement: ast.stmt) -> list[str] | tuple[str, ...] | None:
    """The value of `__all__ = [...]` or `(...)` of string literals; None for any other statement."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == "__all__"
        and isinstance(statement.value, ast.List | ast.Tuple)
        and all(isinstance(item, ast.Constant) and type(item.value) is str for item in statement.value.elts)
    ):
        return None
    value: list[str] | tuple[str, ...] = ast.literal_eval(statement.value)
    return value
