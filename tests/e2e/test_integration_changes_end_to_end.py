"""An integration's changes apply to the next webhook on every Lambda container of the local stack: each
round sends 3 requests at once, so the ingest function runs them on several containers (processes), each
of which authenticated the key before the change."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.e2e

SENDERS = 3


def at_once(local_stack, path, key, body=None):
    def send(_):
        alarm = {"route": f"GET /changes/{uuid.uuid4().hex[:8]}", "kind": "k", "severity": "low"}
        return local_stack.request("POST", path, body if body is not None else alarm, key=key).status

    with ThreadPoolExecutor(SENDERS) as pool:
        return sorted(pool.map(send, range(SENDERS)))


def test_a_setting_change_and_a_deletion_apply_to_the_next_request_on_every_container(local_stack):
    token = local_stack.credentials["admin_token"]
    created = local_stack.request(
        "POST",
        "/v1/integrations",
        {"source": "generic", "name": f"changes {uuid.uuid4().hex[:6]}"},
        token=token,
    )
    assert created.status == 201, created.body
    key, integration = created.body["key"], f"/v1/integrations/{created.body['id']}"
    assert at_once(local_stack, "/v1/hooks/generic", key) == [202] * SENDERS
    assert at_once(local_stack, "/v1/hooks/heartbeat", key, {}) == [400] * SENDERS

    assert local_stack.request("PATCH", integration, {"heartbeat_minutes": 30}, token=token).status == 200
    assert at_once(local_stack, "/v1/hooks/heartbeat", key, {}) == [202] * SENDERS

    assert local_stack.request("DELETE", integration, token=token).status == 204
    assert at_once(local_stack, "/v1/hooks/generic", key) == [401] * SENDERS
    assert at_once(local_stack, "/v1/hooks/heartbeat", key, {}) == [401] * SENDERS
