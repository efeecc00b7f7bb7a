import json
import re

from stormwatch.api.openapi import PACKAGED, generate
from stormwatch.local.template import Template
from tests.integration.conftest import load_event
from tests.support.paths import ROOT, TEMPLATE


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_packaged_document_is_what_the_code_generates():
    packaged = json.loads(PACKAGED.read_text())
    assert packaged == generate(ROOT / "functions"), "run: .venv/bin/stormwatch openapi --write"


def test_every_route_of_the_template_is_documented_with_its_method():
    document = json.loads(PACKAGED.read_text())
    documented = {
        (method.upper(), shape(path)) for path, item in document["paths"].items() for method in item
    }
    # The console's routes serve its files, not the API: test_console_files.py covers them.
    for route in (route for route in Template(TEMPLATE).routes() if route.code_dir.name != "console"):
        path = "/v1/hooks/{}" if route.path.startswith("/v1/hooks/") else shape(route.path)
        assert (route.method, path) in documented, route


def test_request_bodies_are_the_validating_models():
    document = json.loads(PACKAGED.read_text())
    body = document["paths"]["/v1/incidents"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CreateIncidentBody")
    fields = document["components"]["schemas"]["CreateIncidentBody"]["properties"]
    assert {"title", "severity", "incident_key"} <= set(fields)


def test_the_document_is_served_without_a_token(stack):
    event = load_event("queries/list_incidents.json")
    del event["requestContext"]["authorizer"]
    event.pop("queryStringParameters", None)
    event["rawQueryString"] = ""
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/openapi.json"
    answer = stack.invoke("queries", event)
    assert answer.status == 200
    assert answer.body == json.loads(PACKAGED.read_text())
