import json
import re
from datetime import UTC, datetime

import jsonschema

from stormwatch.api.openapi import PACKAGED, generate
from stormwatch.local.template import Template
from tests.integration.conftest import load_event
from tests.integration.test_postmortems import edit_body, resolved_critical
from tests.integration.test_schedules import weekly
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
        assert (route.method, shape(route.path)) in documented, route


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


def operations(document):
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_no_operation_documents_an_answer_no_route_gives():
    document = json.loads(PACKAGED.read_text())
    for method, path, operation in operations(document):
        assert "422" not in operation["responses"], (method, path)
        if not path.startswith(("/v1/hooks/", "/v2/enqueue")):
            success = operation["responses"].get("200", {}).get("content", {})
            # Only the text answers (markdown, iCalendar) are plain strings.
            assert success.get("application/json", {}).get("schema") != {"type": "string"}, (method, path)


CALENDAR_FEED = "/v1/schedules/{schedule_id}/calendar.ics"


def test_every_rest_operation_needs_a_jwt_and_documents_its_errors_in_the_error_shape():
    document = json.loads(PACKAGED.read_text())
    for method, path, operation in operations(document):
        if path.startswith(("/v1/hooks/", "/v2/enqueue")) or path == "/v1/openapi.json":
            continue
        expected = [{"calendar_token": []}] if path == CALENDAR_FEED else [{"jwt": []}]
        assert operation["security"] == expected, (method, path)
        assert "401" in operation["responses"], (method, path)
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_answers_name_their_status_and_schema():
    document = json.loads(PACKAGED.read_text())
    created = document["paths"]["/v1/incidents"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Incident"}
    removed = document["paths"]["/v1/members/{handle}"]["delete"]["responses"]["200"]
    assert removed["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MemberRemoval"}
    incident = document["components"]["schemas"]["Incident"]["properties"]
    assert {"id", "status", "severity", "escalation_policy_id", "version"} <= set(incident)
    assert not {"org", "owner_slack_webhook", "alerts"} & set(incident)
    member = document["components"]["schemas"]["Member"]["properties"]
    assert "has_webhook_secret" in member and "webhook_secret" not in member


def test_post_mortems_and_schedules_answer_their_own_schemas_and_media_types():
    document = json.loads(PACKAGED.read_text())
    paths, schemas = document["paths"], document["components"]["schemas"]
    created = paths["/v1/incidents/{incident_id}/postmortem"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PostmortemDetail"
    }
    assert "action_items" in schemas["PostmortemDetail"]["properties"]
    assert "incident_resolved_at" not in schemas["Postmortem"]["properties"]
    assert "reminders" not in schemas["ActionItem"]["properties"]
    schedule = schemas["Schedule"]["properties"]
    assert "has_calendar_token" in schedule and "calendar_token_hash" not in schedule
    markdown = paths["/v1/incidents/{incident_id}/postmortem/markdown"]["get"]["responses"]["200"]
    assert list(markdown["content"]) == ["text/markdown"]
    feed = paths[CALENDAR_FEED]["get"]
    assert list(feed["responses"]["200"]["content"]) == ["text/calendar"]
    scheme = document["components"]["securitySchemes"]["calendar_token"]
    assert scheme == {**scheme, "type": "apiKey", "in": "query", "name": "token"}


def test_nullable_only_where_null_is_accepted():
    schemas = json.loads(PACKAGED.read_text())["components"]["schemas"]
    role = schemas["MemberPatch"]["properties"]["role"]
    assert "anyOf" not in role and "default" not in role
    email = schemas["MemberPatch"]["properties"]["email"]
    assert {"type": "null"} in email["anyOf"]
    assert email["description"].startswith("null clears it")


def test_the_readme_table_of_answers_is_the_document():
    document = json.loads(PACKAGED.read_text())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Answers of each REST route", 1)[1].split("\n\n**", 1)[0]
    rows = re.findall(
        r"^\| `([A-Z]+) (/v1/[^`]+)` \| (\d{3})[^|]*\| ([0-9, ]*) \|$", section, flags=re.MULTILINE
    )
    documented = {}
    for path, item in document["paths"].items():
        if path.startswith(("/v1/hooks/", "/v2/enqueue")) or path == "/v1/openapi.json":
            continue
        for method, operation in item.items():
            codes = sorted(operation["responses"])
            success = next(code for code in codes if int(code) < 400)
            errors = [code for code in codes if int(code) >= 400 and code not in ("401", "503")]
            documented[(method.upper(), path)] = (success, errors)
    in_readme = {
        (method, path): (success, [code.strip() for code in errors.split(",") if code.strip()])
        for method, path, success, errors in rows
    }
    assert in_readme == documented


def conforms(document, method, path, answer):
    """The answer's status is documented for the route, and its JSON body matches the documented schema."""
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(answer.status) in responses, (method, path, answer.status, answer.body)
    content = responses[str(answer.status)].get("content", {})
    if "application/json" in content:
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        jsonschema.validate(answer.body, schema)
    return answer.body


def test_post_mortem_and_schedule_answers_match_their_documented_schemas(stack):
    document = json.loads(PACKAGED.read_text())
    stack.clock.moment = datetime(2026, 3, 1, tzinfo=UTC)
    for handle in ("alice", "bob"):
        stack.add_member(handle, role="responder")
    incident_id = resolved_critical(stack)
    postmortem = "/v1/incidents/{incident_id}/postmortem"
    at = postmortem.replace("{incident_id}", incident_id)

    def check(method, path, route, body=None, **caller):
        return conforms(document, method, route, stack.call(method, path, body, **caller))

    created = check("POST", at, postmortem, {})
    check("GET", at, postmortem)
    headers = {"If-Match": str(created["version"])}
    conforms(document, "PUT", postmortem, stack.call("PUT", at, edit_body(created), headers=headers))
    check("POST", f"{at}/status", postmortem + "/status", {"status": "in_review"})
    item = check("POST", f"{at}/action-items", postmortem + "/action-items", {"title": "Alert on p99"})
    item_route = postmortem + "/action-items/{item_id}"
    check("PATCH", f"{at}/action-items/{item['id']}", item_route, {"assignee": "bob"})
    check("GET", "/v1/action-items", "/v1/action-items")
    check("GET", "/v1/postmortems", "/v1/postmortems")
    template = check("GET", "/v1/org/postmortem-template", "/v1/org/postmortem-template")
    check("PUT", "/v1/org/postmortem-template", "/v1/org/postmortem-template", template, roles="[lead]")
    markdown = stack.call("GET", f"{at}/markdown")
    assert markdown.status == 200 and markdown.headers["Content-Type"].startswith("text/markdown")
    check("DELETE", f"{at}/action-items/{item['id']}", item_route)

    schedule = check("POST", "/v1/schedules", "/v1/schedules", weekly(), roles="[admin]")
    one = "/v1/schedules/{schedule_id}"
    path = one.replace("{schedule_id}", schedule["id"])
    check("GET", "/v1/schedules", "/v1/schedules")
    check("GET", path, one)
    check("PATCH", path, one, {"description": "the payments team"}, roles="[admin]")
    check("GET", f"{path}/oncall", one + "/oncall")
    check("GET", f"{path}/shifts", one + "/shifts")
    # Alice's first shift is a day away: the sweep reminds her, the notifier records the delivery.
    stack.clock.moment = datetime(2026, 3, 1, 8, tzinfo=UTC)
    stack.sweep()
    stack.streams.drain()
    reminders = check("GET", f"{path}/reminders", one + "/reminders")
    assert [(item["member"], len(item["deliveries"])) for item in reminders["items"]] == [("alice", 1)]
    check("GET", "/v1/oncall", "/v1/oncall")
    check("GET", "/v1/members/alice/shifts", "/v1/members/{handle}/shifts")
    override = {"member": "bob", "start": "2026-03-03T08:00:00Z", "end": "2026-03-03T20:00:00Z"}
    check("POST", f"{path}/overrides", one + "/overrides", override)
    check("POST", f"{path}/calendar-token", one + "/calendar-token", roles="[admin]")
