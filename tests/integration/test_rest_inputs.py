"""Input a REST client really sends, right or wrong: bytes that are not UTF-8, JSON with a typo, explicit
nulls. Each is a clear 4xx naming the problem, or a change the document describes, never a 500."""

import base64
import json

import pytest

from stormwatch.local.template import Template
from tests.integration.conftest import load_event
from tests.support.aws import count_items
from tests.support.paths import TEMPLATE

BODY_ROUTES = sorted(
    (route.method, route.path)
    for route in Template(TEMPLATE).routes()
    if route.code_dir.name == "commands" and route.method in ("POST", "PATCH", "PUT")
)


def raw_request(stack, method, path, body: bytes, roles="[admin]"):
    """A route of the commands function with a body of raw bytes, base64-encoded as API Gateway sends
    bodies it cannot pass as text."""
    route = next(r for r in stack.routes if r.method == method and r.pattern.match(path))
    event = load_event("commands/acknowledge.json")
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route.path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["pathParameters"] = route.pattern.match(path).groupdict()
    event["requestContext"]["authorizer"]["jwt"]["claims"].update(org="acme", sub="alice", roles=roles)
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    return stack.invoke(route.function, event)


def concrete(path: str) -> str:
    return (
        path.replace("{id}", "inc-1")
        .replace("{incident_id}", "inc-1")
        .replace("{handle}", "alice")
        .replace("{comment_id}", "c1")
        .replace("{integration_id}", "int-1")
        .replace("{policy_id}", "pol-1")
    )


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_body_that_is_not_utf8_is_400_on_every_route_that_takes_one(stack, method, path):
    before = count_items(stack.client)
    answer = raw_request(stack, method, concrete(path), b'{"title": "caf\xe9", "severity": "high"}')
    assert answer.status == 400, answer.body
    assert answer.body["error"]["code"] == "invalid_input"
    assert "UTF-8" in answer.body["error"]["message"]
    assert count_items(stack.client) == before


def test_a_utf8_body_sent_base64_encoded_is_read(stack):
    body = json.dumps({"title": "café down", "severity": "high"}).encode()
    answer = raw_request(stack, "POST", "/v1/incidents", body, roles="[responder]")
    assert answer.status == 201, answer.body
    assert answer.body["title"] == "café down"


def test_malformed_json_names_line_and_column_as_webhooks_do(stack):
    answer = stack.call("POST", "/v1/incidents", '{"title": "db down"\n "severity": "high"}')
    assert answer.status == 400
    assert answer.body["error"]["message"] == (
        "body: not valid JSON: Expecting ',' delimiter at line 2, column 2"
    )
    assert answer.body["error"]["details"] == [
        {"field": "body", "problem": "not JSON", "line": 2, "column": 2}
    ]
    # Past the digits Python converts to an integer: not JSON anything could keep, and no 500.
    answer = stack.call("POST", "/v1/incidents", '{"title": "db down", "severity": ' + "7" * 5000 + "}")
    assert answer.status == 400
    assert answer.body["error"]["message"] == (
        "body: not valid JSON: a number too long to read at line 1, column 34"
    )


def member(stack, **fields):
    return stack.add_member(
        "bob",
        email="bob@example.com",
        slack_webhook="https://hooks.slack.com/services/T0/B0/bob",
        webhook_url="https://example.com/hook",
        webhook_secret="s" * 16,
        **fields,
    )


@pytest.mark.parametrize("field", ["role", "name"])
def test_null_on_a_member_field_that_cannot_be_empty_is_400_and_changes_nothing(stack, field):
    before = member(stack)
    answer = stack.call("PATCH", "/v1/members/bob", {field: None}, roles="[admin]")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"] == (
        f"body.{field}: may not be null; leave the field out to keep its value"
    )
    assert stack.call("GET", "/v1/members/bob", roles="[admin]").body == before


@pytest.mark.parametrize(
    ("field", "empty"),
    [("email", None), ("slack_webhook", None), ("webhook_url", None), ("webhook_secret", False)],
)
def test_null_clears_a_members_contact_point(stack, field, empty):
    member(stack)
    answer = stack.call("PATCH", "/v1/members/bob", {field: None}, roles="[admin]")
    assert answer.status == 200, answer.body
    shown = stack.call("GET", "/v1/members/bob", roles="[admin]").body
    name = "has_webhook_secret" if field == "webhook_secret" else field
    assert shown[name] is empty
    assert shown["role"] == "responder"


def integration(stack):
    body = {
        "source": "grafana",
        "name": "grafana",
        "key_template": "{service}::{title}",
        "heartbeat_minutes": 10,
        "signing_secret": "g" * 16,
        "default_assignee": "alice",
        "reopen_window_seconds": 60,
    }
    answer = stack.call("POST", "/v1/integrations", body, roles="[admin]")
    assert answer.status == 201, answer.body
    return answer.body["id"]


@pytest.mark.parametrize(
    "field",
    ["name", "severity_map", "default_severity", "auto_resolve", "flapping_threshold", "insufficient_data"],
)
def test_null_on_an_integration_setting_without_an_empty_value_is_400(stack, field):
    integration_id = integration(stack)
    before = stack.call("GET", f"/v1/integrations/{integration_id}", roles="[admin]").body
    answer = stack.call("PATCH", f"/v1/integrations/{integration_id}", {field: None}, roles="[admin]")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(f"body.{field}: may not be null")
    assert stack.call("GET", f"/v1/integrations/{integration_id}", roles="[admin]").body == before


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("key_template", "key_template"),
        ("heartbeat_minutes", "heartbeat_minutes"),
        ("default_assignee", "default_assignee"),
        ("reopen_window_seconds", "reopen_window_seconds"),
        ("escalation_policy_id", "escalation_policy_id"),
        ("signing_secret", "has_signing_secret"),
    ],
)
def test_null_clears_an_integration_setting(stack, field, shown):
    integration_id = integration(stack)
    answer = stack.call("PATCH", f"/v1/integrations/{integration_id}", {field: None}, roles="[admin]")
    assert answer.status == 200, answer.body
    stored = stack.call("GET", f"/v1/integrations/{integration_id}", roles="[admin]").body
    assert stored[shown] in (None, False)


def policy(stack):
    body = {
        "name": "on call",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "email", "value": "ops@example.com"}]}],
        "ack_timeout_minutes": 30,
        "owner": "alice",
    }
    answer = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]")
    assert answer.status == 201, answer.body
    return answer.body["id"]


@pytest.mark.parametrize("field", ["name", "levels", "repeat"])
def test_null_on_a_required_policy_field_is_400(stack, field):
    policy_id = policy(stack)
    answer = stack.call("PATCH", f"/v1/escalation-policies/{policy_id}", {field: None}, roles="[admin]")
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(f"body.{field}: may not be null")


@pytest.mark.parametrize("field", ["ack_timeout_minutes", "owner"])
def test_null_clears_an_optional_policy_field(stack, field):
    policy_id = policy(stack)
    answer = stack.call("PATCH", f"/v1/escalation-policies/{policy_id}", {field: None}, roles="[admin]")
    assert answer.status == 200, answer.body
    assert stack.call("GET", f"/v1/escalation-policies/{policy_id}", roles="[admin]").body[field] is None


def test_null_clears_the_default_policy_and_is_refused_for_the_inactivity_period(stack):
    policy_id = policy(stack)
    body = {"default_escalation_policy_id": policy_id, "inactivity_days": 3}
    assert stack.call("PUT", "/v1/org/settings", body, roles="[admin]").status == 200
    refused = stack.call("PUT", "/v1/org/settings", {"inactivity_days": None}, roles="[admin]")
    assert refused.status == 400
    assert refused.body["error"]["message"].startswith("body.inactivity_days: may not be null")
    cleared = stack.call("PUT", "/v1/org/settings", {"default_escalation_policy_id": None}, roles="[admin]")
    assert cleared.status == 200, cleared.body
    settings = stack.call("GET", "/v1/org/settings", roles="[viewer]").body
    assert settings["default_escalation_policy_id"] is None
    assert settings["inactivity_days"] == 3


def test_a_label_with_an_empty_name_is_400_and_nothing_is_opened(stack):
    body = {"title": "db down", "severity": "high", "labels": {"": "x"}}
    answer = stack.call("POST", "/v1/incidents", body)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith("body.labels")
    assert stack.incidents() == []


def test_a_text_body_holding_lone_surrogates_is_400(stack):
    answer = stack.call("POST", "/v1/incidents", '{"title": "\udc80\ud800", "severity": "high"}')
    assert answer.status == 400, answer.body
    assert "UTF-8" in answer.body["error"]["message"]
