import pytest

from tests.support.aws import count_items


def open_manual(stack, **overrides):
    body = {"title": "Checkout latency over SLO", "severity": "high", "service": "checkout", **overrides}
    return stack.rest("commands/open_incident", body=body)


def test_a_responder_opens_an_incident_by_hand(stack):
    answer = open_manual(stack)
    assert answer.status == 201
    incident = answer.body
    assert incident["status"] == "open"
    assert incident["severity"] == "high"
    assert incident["source"] == "manual"
    assert incident["created_by"] == "user:alice"
    assert incident["alert_count"] == 0
    assert stack.incident(incident["id"])["timeline"][0]["type"] == "created"


def test_opening_a_key_that_is_already_active_is_409_naming_the_incident(stack):
    first = open_manual(stack, incident_key="checkout::latency").body
    answer = open_manual(stack, incident_key="checkout::latency")
    assert answer.status == 409
    assert answer.body["error"]["details"]["incident_id"] == first["id"]


def test_a_viewer_cannot_open_an_incident(stack):
    answer = stack.rest("commands/open_incident", roles="[viewer]", body={"title": "t", "severity": "low"})
    assert answer.status == 403
    assert answer.body["error"]["code"] == "forbidden"
    assert "responder" in answer.body["error"]["message"]


def test_acknowledge_records_who_and_when(stack):
    incident_id = open_manual(stack).body["id"]
    stack.clock.advance(minutes=2)
    answer = stack.rest("commands/acknowledge", user="bob", incident_id=incident_id)
    assert answer.status == 200
    assert answer.body["status"] == "acknowledged"
    assert answer.body["acknowledged_by"] == "user:bob"
    assert answer.body["acknowledged_at"] == "2026-11-22T09:02:00.000Z"
    assert answer.body["tta_seconds"] == 120
    timeline = stack.incident(incident_id)["timeline"]
    assert timeline[0]["type"] == "status_changed"
    assert timeline[0]["data"] == {"from": "open", "to": "acknowledged", "note": "looking"}


def test_resolving_then_an_invalid_move_is_409_naming_status_and_moves(stack):
    incident_id = open_manual(stack).body["id"]
    assert stack.rest("commands/resolve", incident_id=incident_id).status == 200
    answer = stack.rest("commands/acknowledge", incident_id=incident_id)
    assert answer.status == 409
    assert answer.body["error"]["message"] == f"incident {incident_id} is resolved; it can move to open"
    assert answer.body["error"]["details"] == {"current_status": "resolved", "allowed": ["open"]}
    assert stack.incident(incident_id)["status"] == "resolved"


def test_cancelling_needs_a_lead(stack):
    incident_id = open_manual(stack).body["id"]
    body = {"status": "cancelled", "note": "false alarm"}
    assert stack.rest("commands/acknowledge", incident_id=incident_id, body=body).status == 403
    answer = stack.rest("commands/acknowledge", roles="[lead]", incident_id=incident_id, body=body)
    assert answer.status == 200
    assert answer.body["status"] == "cancelled"


@pytest.mark.parametrize("incident_id", ["nonexistent", "aaaaaaaaaaaaaaaaaaaa-1", "aaaaaaaaaaaaaaaaaaaa-0"])
def test_an_unknown_incident_is_404(stack, incident_id):
    answer = stack.rest("commands/acknowledge", incident_id=incident_id)
    assert answer.status == 404
    assert answer.body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "bogus"}, "body.status"),
        ({}, "body.status"),
        ({"status": "resolved", "note": 5}, "body.note"),
        ({"status": "resolved", "extra": 1}, "body.extra"),
        ("{not json", "body"),
    ],
)
def test_a_bad_status_body_is_400_naming_the_field_and_changes_nothing(stack, body, field):
    incident_id = open_manual(stack).body["id"]
    before = count_items(stack.client)
    answer = stack.rest("commands/acknowledge", incident_id=incident_id, body=body)
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith(field)
    assert count_items(stack.client) == before
    assert stack.incident(incident_id)["status"] == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"severity": "high"}, "body.title"),
        ({"title": "t", "severity": "urgent"}, "body.severity"),
        ({"title": "", "severity": "low"}, "body.title"),
    ],
)
def test_a_bad_new_incident_is_400_naming_the_field(stack, body, field):
    answer = stack.rest("commands/open_incident", body=body)
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith(field)


def test_a_form_encoded_body_is_415(stack):
    incident_id = open_manual(stack).body["id"]
    event_answer = stack.rest("commands/acknowledge", incident_id=incident_id, body="status=acknowledged")
    assert event_answer.status == 400
    from tests.integration.conftest import load_event

    event = load_event("commands/acknowledge.json")
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    event["requestContext"]["authorizer"]["jwt"]["claims"]["org"] = "acme"
    assert stack.invoke("commands", event).status == 415


def test_a_request_without_claims_is_401(stack):
    from tests.integration.conftest import load_event

    event = load_event("commands/open_incident.json")
    del event["requestContext"]["authorizer"]
    answer = stack.invoke("commands", event)
    assert answer.status == 401
    assert answer.body["error"]["code"] == "unauthenticated"
