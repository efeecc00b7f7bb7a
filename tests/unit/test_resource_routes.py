"""The REST handlers include a resource's router when a request first needs it (`api.http.ResourceResolver`):
the rules each handler's package names for its modules must be its routers' own, no path may fit the rules
of two modules (the order in which modules come in would then decide), and a request must reach its route
whatever the stage, while the OpenAPI document has every route."""

import importlib
import itertools
import json
import pkgutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stormwatch.api import commands, queries
from stormwatch.api.http import ResourceResolver, create_app

PACKAGES = [commands, queries]


def _module_rules(package: Any) -> dict[str, list[str]]:
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        router = importlib.import_module(f"{package.__name__}.{module.name}").router
        found[module.name] = sorted({rule for rule, *_ in router._routes})
    return found


def _overlap(first: str, second: str) -> bool:
    """Whether some path fits both rules: as many segments, and at each either a `<name>` or the same text."""
    a, b = first.split("/"), second.split("/")
    return len(a) == len(b) and all(
        x == y or x.startswith("<") or y.startswith("<") for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.__name__)
def test_a_handlers_route_index_names_every_module_with_its_routers_rules(package):
    assert {name: sorted(rules) for name, rules in package.ROUTES.items()} == _module_rules(package)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.__name__)
def test_no_path_fits_the_rules_of_two_modules(package):
    clashes = [
        (first_module, first, second_module, second)
        for (first_module, first_rules), (second_module, second_rules) in itertools.combinations(
            package.ROUTES.items(), 2
        )
        for first in first_rules
        for second in second_rules
        if _overlap(first, second)
    ]
    assert clashes == []


ROUTER = """
from stormwatch.api.http import create_router, json_response
from http import HTTPStatus

router = create_router()


@router.get("{rule}")
def answer(thing_id: str):
    return json_response(HTTPStatus.OK, {{"module": __name__, "thing_id": thing_id}})
"""


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    """A package of two resource modules, `things` and `parts`, whose routes answer their module's name."""
    name = f"resources_{uuid.uuid4().hex}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "things.py").write_text(ROUTER.format(rule="/v1/things/<thing_id>"))
    (root / "parts.py").write_text(ROUTER.format(rule="/v1/things/<thing_id>/parts"))
    sys.path.insert(0, str(tmp_path))
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [module for module in sys.modules if module.startswith(name)]:
            del sys.modules[module]


def _resolver(package: str) -> ResourceResolver:
    routes = {"things": ("/v1/things/<thing_id>",), "parts": ("/v1/things/<thing_id>/parts",)}
    app = create_app(resources=(package, routes))
    assert isinstance(app, ResourceResolver)
    return app


def _get(app: ResourceResolver, raw_path: str, stage: str = "$default") -> tuple[int, Any]:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": raw_path}, "stage": stage},
        "isBase64Encoded": False,
    }
    answer = app.resolve(event, None)
    return answer["statusCode"], json.loads(answer["body"])


def _loaded(package: str) -> list[str]:
    return sorted(module.rsplit(".", 1)[1] for module in sys.modules if module.startswith(f"{package}."))


def test_a_request_includes_only_the_module_its_path_needs(package):
    app = _resolver(package)
    assert _loaded(package) == []
    assert _get(app, "/v1/things/t-1") == (200, {"module": f"{package}.things", "thing_id": "t-1"})
    assert _loaded(package) == ["things"]
    assert _get(app, "/v1/things/t-1/parts")[1]["module"] == f"{package}.parts"
    assert _loaded(package) == ["parts", "things"]


def test_a_named_stage_is_taken_off_the_path_before_it_is_matched(package):
    app = _resolver(package)
    assert _get(app, "/prod/v1/things/t-1/parts", stage="prod")[1]["module"] == f"{package}.parts"
    assert _loaded(package) == ["parts"]


def test_a_path_that_fits_no_rule_is_the_contracts_404_and_includes_nothing(package):
    app = _resolver(package)
    for path in ("/v1/things", "/v1/things/", "/v1/things//parts", "/v1/other/t-1"):
        status, body = _get(app, path)
        assert (status, body["error"]["code"]) == (404, "not_found"), path
    assert _loaded(package) == []


def test_the_openapi_document_has_every_modules_routes(package):
    paths = _resolver(package).get_openapi_schema().paths or {}
    assert sorted(paths) == ["/v1/things/{thing_id}", "/v1/things/{thing_id}/parts"]
