"""template.yaml is what AWS deploys and what the local stack serves: it must lint, and every route in it
must reach a handler that answers for that path."""

import subprocess
import sys
from pathlib import Path

from stormwatch.local.template import Template
from tests.integration.conftest import load_event
from tests.support.paths import ROOT, TEMPLATE


def test_the_template_passes_cfn_lint():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_table_has_keys_indexes_stream_and_ttl():
    definition = Template(TEMPLATE).table("t")
    request = definition.create_table
    assert [key["AttributeName"] for key in request["KeySchema"]] == ["pk", "sk"]
    assert {index["IndexName"] for index in request["GlobalSecondaryIndexes"]} == {
        "gsi1",
        "gsi2",
        "gsi3",
        "gsi4",
        "gsi5",
    }
    assert request["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert definition.ttl_attribute == "expires_at"


def test_webhooks_skip_the_jwt_authorizer_and_rest_routes_use_it():
    routes = Template(TEMPLATE).routes()
    assert routes, "no routes"
    for route in routes:
        public = route.path.startswith("/v1/hooks/") or route.path in (
            "/v2/enqueue",
            "/v1/openapi.json",
            # Calendar apps hold the feed's own revocable token instead of a JWT.
            "/v1/schedules/{id}/calendar.ics",
            "/",
            "/console/{proxy+}",
        )
        assert route.authorized is not public, route


def test_every_route_is_answered_by_its_handler(stack):
    # The console's routes answer files, not JSON: tests/integration/test_console_files.py walks them.
    for route in (route for route in Template(TEMPLATE).routes() if route.code_dir.name != "console"):
        assert route.code_dir.resolve().is_relative_to(ROOT / "functions")
        event = load_event("queries/get_incident.json")
        path = route.path.replace("{id}", "aaaaaaaaaaaaaaaaaaaa-1")
        event.update(rawPath=path, routeKey=f"{route.method} {route.path}")
        event["requestContext"]["http"].update(method=route.method, path=path)
        event["body"] = "{}"
        answer = stack.invoke(route.code_dir.name, event)
        assert answer.body.get("error", {}).get("message") != "no such route", route
