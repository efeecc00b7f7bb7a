import pytest

from tests.support.aws import count_items


def test_a_lead_sets_severity_either_way_with_a_reason(stack):
    incident_id = stack.fire("db::lag", severity="critical")
    assert stack.call("POST", f"/v1/incidents/{incident_id}/severity", {"severity": "low"}).status == 403
    answer = stack.call(
        "POST",
        f"/v1/incidents/{incident_id}/severity",
        {"severity": "sev4", "reason": "internal only"},
        roles="[lead]",
    )
    assert answer.status == 200
    assert answer.body["severity"] == "low"
    event = stack.incident(incident_id)["timeline"][0]
    assert (event["type"], event["data"]) == (
        "severity_changed",
        {"from": "critical", "to": "low", "reason": "internal only"},
    )
    same = stack.call("POST", f"/v1/incidents/{incident_id}/severity", {"severity": "low"}, roles="[lead]")
    assert same.body["version"] == answer.body["version"]


def test_silence_until_a_time_then_end_it(stack):
    incident_id = stack.fire("db::lag")
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/silence", {"until": "2026-11-22T11:00:00Z"})
    assert answer.status == 200
    assert answer.body["silenced_until"] == "2026-11-22T11:00:00.000Z"
    assert answer.body["status"] == "open"
    ended = stack.call("DELETE", f"/v1/incidents/{incident_id}/silence")
    assert ended.body["silenced_until"] is None
    assert [e["type"] for e in stack.incident(incident_id)["timeline"][:2]] == ["unsilenced", "silenced"]


@pytest.mark.parametrize(
    ("until", "status", "text"),
    [
        ("2026-11-22T08:00:00Z", 400, "body.until"),
        ("2027-01-22T08:00:00Z", 400, "body.until"),
        ("tomorrow", 400, "body.until"),
        ("2026-11-22T10:00:00", 400, "body.until"),
    ],
)
def test_bad_silences_are_rejected(stack, until, status, text):
    incident_id = stack.fire("db::lag")
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/silence", {"until": until})
    assert answer.status == status
    assert answer.body["error"]["message"].startswith(text)
    assert stack.incident(incident_id)["silenced_until"] is None


def test_parent_and_child_are_linked_on_both_timelines(stack):
    parent, child = stack.fire("region::eu-down"), stack.fire("checkout::errors")
    answer = stack.call("POST", f"/v1/incidents/{child}/links", {"type": "parent", "incident_id": parent})
    assert answer.status == 200
    assert answer.body["parent_id"] == parent
    assert answer.body["links"] == [{"type": "parent", "incident_id": parent, "resolve_with_parent": False}]
    assert stack.incident(parent)["links"] == [
        {"type": "child", "incident_id": child, "resolve_with_parent": False}
    ]
    assert stack.incident(parent)["timeline"][0]["type"] == "linked"
    again = stack.call("POST", f"/v1/incidents/{child}/links", {"type": "parent", "incident_id": parent})
    assert again.status == 409
    cycle = stack.call("POST", f"/v1/incidents/{parent}/links", {"type": "parent", "incident_id": child})
    assert cycle.status == 409


def test_a_child_that_asks_to_resolves_with_its_parent(stack):
    parent, follower, independent = stack.fire("p"), stack.fire("c1"), stack.fire("c2")
    linked = stack.call(
        "POST",
        f"/v1/incidents/{parent}/links",
        {"type": "child", "incident_id": follower, "resolve_with_parent": True},
    )
    assert linked.body["id"] == parent  # the answer is the incident in the path
    assert linked.body["links"] == [{"type": "child", "incident_id": follower, "resolve_with_parent": True}]
    stack.call("POST", f"/v1/incidents/{parent}/links", {"type": "child", "incident_id": independent})
    resolved = stack.call(
        "POST", f"/v1/incidents/{parent}/status", {"status": "resolved", "note": "fixed the LB"}
    )
    assert resolved.status == 200
    follower_now = stack.incident(follower)
    assert follower_now["status"] == "resolved"
    assert follower_now["resolution_note"] == f"Resolved with parent {parent}"
    assert follower_now["resolved_by"] == "user:alice"
    assert stack.incident(independent)["status"] == "open"


def test_a_duplicate_is_cancelled_pointing_at_the_original(stack):
    original, duplicate = stack.fire("db::lag"), stack.fire("db::replica-lag")
    body = {"type": "duplicate_of", "incident_id": original}
    assert stack.call("POST", f"/v1/incidents/{duplicate}/links", body).status == 403
    answer = stack.call("POST", f"/v1/incidents/{duplicate}/links", body, roles="[lead]")
    assert answer.status == 200
    assert answer.body["status"] == "cancelled"
    assert answer.body["resolution_note"] == f"Duplicate of {original}"
    assert {"type": "duplicate", "incident_id": duplicate, "resolve_with_parent": False} in stack.incident(
        original
    )["links"]


@pytest.mark.parametrize("target", ["self", "unknown", "foreign"])
def test_links_to_itself_unknown_or_other_orgs_incidents_are_refused(stack, target):
    incident_id = stack.fire("a")
    other = {
        "self": incident_id,
        "unknown": "aaaaaaaaaaaaaaaaaaaa-1",
        "foreign": stack.fire("b", org="globex"),
    }[target]
    answer = stack.call(
        "POST", f"/v1/incidents/{incident_id}/links", {"type": "parent", "incident_id": other}
    )
    assert answer.status == (400 if target == "self" else 404)
    assert stack.incident(incident_id)["links"] == []


def test_a_retried_command_with_the_same_key_answers_the_first_answer_and_writes_nothing(stack):
    incident_id = stack.fire("db::lag")
    headers = {"idempotency-key": "ack-7f3a"}
    first = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, headers=headers
    )
    assert first.status == 200
    items = count_items(stack.client)
    stack.clock.advance(minutes=1)
    retry = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, headers=headers
    )
    assert (retry.status, retry.body) == (first.status, first.body)
    assert count_items(stack.client) == items

    other_body = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "mitigated"}, headers=headers
    )
    assert other_body.status == 409
    assert "Idempotency-Key" in other_body.body["error"]["message"]
    assert stack.incident(incident_id)["status"] == "acknowledged"


def test_idempotency_keys_are_scoped_by_org(stack):
    headers = {"idempotency-key": "same-key"}
    body = {"title": "Checkout slow", "severity": "high"}
    acme = stack.call("POST", "/v1/incidents", body, headers=headers)
    globex = stack.call("POST", "/v1/incidents", body, org="globex", headers=headers)
    assert acme.status == globex.status == 201
    assert acme.body["id"] != globex.body["id"]
    assert len(stack.incidents(org="globex")) == 1


def test_a_failed_command_is_not_remembered(stack):
    incident_id = stack.fire("db::lag")
    body = {"status": "acknowledged"}
    stale = {"idempotency-key": "ack-1", "if-match": "99"}
    assert stack.call("POST", f"/v1/incidents/{incident_id}/status", body, headers=stale).status == 412
    retried = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", body, headers={"idempotency-key": "ack-1"}
    )
    assert retried.status == 200
    assert retried.body["status"] == "acknowledged"


def test_if_match_applies_a_command_only_to_the_version_named(stack):
    incident_id = stack.fire("db::lag")
    version = stack.incident(incident_id)["version"]
    stale = stack.call(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "acknowledged"},
        headers={"if-match": str(version - 1)},
    )
    assert stale.status == 412
    assert stale.body["error"]["details"] == {"version": version}
    fresh = stack.call(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "acknowledged"},
        headers={"if-match": f'"{version}"'},
    )
    assert fresh.status == 200
    assert fresh.body["version"] == version + 1
    malformed = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "mitigated"}, headers={"if-match": "latest"}
    )
    assert malformed.status == 400
    assert malformed.body["error"]["message"].startswith("If-Match")
