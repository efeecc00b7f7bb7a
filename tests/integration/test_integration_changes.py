"""Every change of an integration applies to the next webhook: deleting it, a rotated key's grace ending,
and each setting. (Across two Lambda containers: tests/e2e/test_integration_changes_end_to_end.py.)"""

import hashlib
import hmac
import json

from stormwatch.ids import secret_hash
from stormwatch.store.codec import to_attr
from stormwatch.store.keys import IntegrationKeys
from tests.integration.conftest import load_event


def integration_of(stack, source):
    items = stack.call("GET", "/v1/integrations", roles="[admin]").body["items"]
    return next(item for item in items if item["source"] == source and item["name"] == f"acme {source}")


def patch(stack, integration_id, settings):
    answer = stack.call("PATCH", f"/v1/integrations/{integration_id}", settings, roles="[admin]")
    assert answer.status == 200, answer.body


def heartbeat(stack, key):
    event = load_event("ingest/heartbeat.json")
    event["headers"]["authorization"] = f"Bearer {key}"
    return stack.invoke("ingest", event)


def test_a_deleted_integrations_key_is_refused_on_the_next_request(stack):
    assert stack.hook("generic_firing").status == 202
    generic = integration_of(stack, "generic")
    assert stack.call("DELETE", f"/v1/integrations/{generic['id']}", roles="[admin]").status == 204
    answer = stack.hook("generic_firing")
    assert answer.status == 401
    assert answer.body["error"]["message"] == "invalid integration key for the generic webhook"


def test_a_rotated_key_works_for_its_grace_and_is_refused_the_moment_it_ends(stack):
    old = stack.keys[("acme", "generic")]
    generic = integration_of(stack, "generic")
    rotated = stack.call("POST", f"/v1/integrations/{generic['id']}/rotate", roles="[admin]")
    assert rotated.status == 200, rotated.body
    assert stack.hook("generic_firing", authorization=f"Bearer {old}").status == 202
    stack.clock.advance(hours=24)
    assert stack.hook("generic_firing", authorization=f"Bearer {old}").status == 401
    assert stack.hook("generic_firing", authorization=f"Bearer {rotated.body['key']}").status == 202


def test_setting_heartbeat_minutes_lets_the_next_heartbeat_in(stack):
    key = stack.keys[("acme", "generic")]
    assert heartbeat(stack, key).status == 400
    patch(stack, integration_of(stack, "generic")["id"], {"heartbeat_minutes": 30})
    answer = heartbeat(stack, key)
    assert answer.status == 202, answer.body


def test_a_new_grafana_signing_secret_refuses_the_next_unsigned_body(stack):
    assert stack.hook("grafana_firing").status == 202
    secret = "grafana-secret-0123456789"
    patch(stack, integration_of(stack, "grafana")["id"], {"signing_secret": secret})
    assert stack.hook("grafana_firing").status == 401
    body = load_event("ingest/grafana_firing.json")["body"]
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    assert stack.hook("grafana_firing", headers={"x-grafana-alerting-signature": signature}).status == 202


def test_settings_reach_the_retired_key_too_while_its_grace_lasts(stack):
    old = stack.keys[("acme", "generic")]
    generic = integration_of(stack, "generic")
    assert stack.call("POST", f"/v1/integrations/{generic['id']}/rotate", roles="[admin]").status == 200
    patch(stack, generic["id"], {"key_template": "{service}::fixed"})
    answer = stack.hook("generic_firing", authorization=f"Bearer {old}")
    assert answer.body["results"][0]["incident_key"].endswith("::fixed")


def _key_item_key(stack, source):
    key = stack.keys[("acme", source)]
    return {name: {"S": value} for name, value in IntegrationKeys.by_secret_hash(secret_hash(key)).items()}


def test_a_key_item_stored_before_it_carried_the_settings_still_authenticates(stack):
    item_key = _key_item_key(stack, "generic")
    stack.client.update_item(
        TableName="stormwatch-test", Key=item_key, UpdateExpression="REMOVE integration_json"
    )
    assert stack.hook("generic_firing").status == 202
    generic = integration_of(stack, "generic")
    patch(stack, generic["id"], {"key_template": "{service}::fixed"})
    assert stack.hook("generic_firing").body["results"][0]["incident_key"].endswith("::fixed")
    assert stack.call("DELETE", f"/v1/integrations/{generic['id']}", roles="[admin]").status == 204
    assert stack.hook("generic_firing").status == 401


def test_a_key_item_carrying_the_settings_as_a_map_still_applies_them_until_they_are_rewritten(stack):
    generic = integration_of(stack, "generic")
    patch(stack, generic["id"], {"key_template": "{service}::mapped"})
    item_key = _key_item_key(stack, "generic")
    stored = stack.client.get_item(TableName="stormwatch-test", Key=item_key)["Item"]
    # The layout written before the settings were one JSON text: the same settings, as a map attribute.
    settings = json.loads(stored["integration_json"]["S"])
    stack.client.update_item(
        TableName="stormwatch-test",
        Key=item_key,
        UpdateExpression="SET integration = :settings REMOVE integration_json",
        ExpressionAttributeValues={":settings": to_attr(settings)},
    )
    assert stack.hook("generic_firing").body["results"][0]["incident_key"].endswith("::mapped")
    patch(stack, generic["id"], {"key_template": "{service}::rewritten"})
    rewritten = stack.client.get_item(TableName="stormwatch-test", Key=item_key)["Item"]
    assert "integration" not in rewritten
    assert json.loads(rewritten["integration_json"]["S"])["key_template"] == "{service}::rewritten"
    assert stack.hook("generic_firing").body["results"][0]["incident_key"].endswith("::rewritten")
