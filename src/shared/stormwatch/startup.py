"""A handler's cold start: `importing()` is its first statement, `imported()` its last.

Everything a handler's imports create lives as long as its container, so the garbage collector's passes
over it are work for nothing: `importing()` pauses collection, and `imported()` moves what the imports made
out of every later collection and turns collection back on.

`importing()` also defers the `__init__` of the packages in `DEFERRED_INITS`: each only gathers names from
its submodules (powertools' event handler gathers every resolver, AppSync's with asyncio; its data classes
gather some forty event sources), while a handler uses a few of them. Such a package is registered with its
own `__path__`, `__all__` and docstring and a module `__getattr__` (PEP 562) that imports the submodule
defining a name when the name is first asked for, so every name resolves to the same object as after the
package's own `__init__`. A package whose `__init__` does anything else (or is already imported) is left to
the ordinary import.
"""

import ast
import gc
import importlib
import importlib.util
import sys
from typing import Any

DEFERRED_INITS = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.utilities.data_classes",
)


def importing() -> None:
    gc.disable()
    for package in DEFERRED_INITS:
        defer_init(package)


def imported() -> None:
    # Once per process: a process that loads handlers again and again (the test suite) freezes only what
    # was there at the first, rather than keeping every later test's garbage for good.
    if not gc.get_freeze_count():
        gc.freeze()
    gc.enable()


def defer_init(package: str) -> None:
    """Register `package` with a deferred `__init__` if its `__init__` only gathers names (see above)."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    get_source = getattr(spec.loader, "get_source", None)
    source = get_source(package) if get_source is not None else None
    gathered = _gathered(package, source) if source is not None else None
    if gathered is None:
        return
    doc, names, submodules, exported = gathered
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> Any:
        if name in names:
            source_module, original = names[name]
            value = getattr(importlib.import_module(source_module), original)
        elif name in submodules:
            value = importlib.import_module(submodules[name])
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    module.__dict__.update(__doc__=doc, __all__=exported, __getattr__=__getattr__)
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


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
