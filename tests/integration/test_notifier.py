"""The notifier, fed by the table's stream: Slack and signed webhooks to a loopback receiver, email through
SES, lifecycle events through EventBridge; retries, outcomes on the timeline, replays that send nothing
twice."""

import hashlib
import hmac
import json

import botocore.session
import pytest

from stormwatch import wiring
from tests.support.receiver import receiver

SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def hooks():
    with receiver() as state:
        yield state


@pytest.fixture
def notified(stack, hooks, monkeypatch):
    """An org whose policy pages bob (webhook and email) and a Slack channel."""
    monkeypatch.setenv("STORMWATCH_EMAIL_SENDER", "stormwatch@example.com")
    monkeypatch.setenv("STORMWATCH_EVENT_BUS_NAME", "incidents")
    wiring.reset()
    session = botocore.session.get_session()
    session.create_client("ses", region_name="us-east-1").verify_email_identity(
        EmailAddress="stormwatch@example.com"
    )
    stack.add_member(
        "bob",
        role="responder",
        webhook_url=f"{hooks.url}/bob",
        webhook_secret=SECRET,
        email="bob@example.com",
    )
    body = {
        "name": "on call",
        "levels": [
            {
                "delay_minutes": 5,
                "targets": [
                    {"type": "member", "value": "bob"},
                    {"type": "slack", "value": f"{hooks.url}/slack"},
                ],
            }
        ],
    }
    policy_id = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]").body["id"]
    stack.call("PUT", "/v1/org/settings", {"default_escalation_policy_id": policy_id}, roles="[admin]")
    return stack


def outcomes(stack, incident_id):
    timeline = stack.call(
        "GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]", query={"limit": "100"}
    ).body["items"]
    return sorted(
        (event["data"]["channel"], event["data"]["status"], event["data"]["attempts"])
        for event in timeline
        if event["type"] == "notification"
    )


def test_an_endpoint_that_fails_twice_then_succeeds_gets_exactly_one_message(notified, hooks):
    hooks.failures["/slack"] = 2
    hooks.failures["/bob"] = 2
    incident_id = notified.fire("db::down", severity="critical")
    notified.sweep()
    notified.streams.drain()
    assert len(hooks.delivered("/slack")) == 1
    assert len(hooks.delivered("/bob")) == 1
    assert outcomes(notified, incident_id) == [
        ("email", "sent", 1),
        ("slack", "sent", 3),
        ("webhook", "sent", 3),
    ]

    notified.streams.rewind()
    notified.streams.drain()
    assert len(hooks.delivered("/slack")) == 1
    assert len(hooks.delivered("/bob")) == 1
    assert len(outcomes(notified, incident_id)) == 3


def test_webhooks_verify_with_the_documented_recipe(notified, hooks):
    incident_id = notified.fire("db::down", severity="critical")
    notified.sweep()
    notified.streams.drain()
    (request,) = hooks.delivered("/bob")
    timestamp = request.headers["x-stormwatch-timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-stormwatch-signature"], f"v1={expected}")
    payload = json.loads(request.body)
    assert payload["type"] == "notification.escalated"
    assert payload["incident"]["id"] == incident_id
    (slack,) = hooks.delivered("/slack")
    assert "Escalated to you (level 1)" in json.loads(slack.body)["text"]


def test_an_endpoint_that_keeps_failing_is_recorded_as_failed_with_the_reason(notified, hooks):
    hooks.failures["/slack"] = 100
    incident_id = notified.fire("db::down", severity="critical")
    notified.sweep()
    notified.streams.drain()
    timeline = notified.call("GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]").body["items"]
    (failed,) = [e for e in timeline if e["type"] == "notification" and e["data"]["status"] == "failed"]
    assert failed["data"]["channel"] == "slack"
    assert failed["data"]["attempts"] == 3
    assert "answered 500" in failed["data"]["reason"]


def test_email_goes_through_ses(notified):
    from moto.ses.models import ses_backends

    notified.fire("db::down", severity="critical")
    notified.sweep()
    notified.streams.drain()
    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    assert [message.destinations["ToAddresses"] for message in sent] == [["bob@example.com"]]
    assert "db::down" in sent[0].subject


def ruled_queue(name, pattern):
    """An SQS queue that an EventBridge rule of the `incidents` bus with this pattern feeds; its events."""
    session = botocore.session.get_session()
    events = session.create_client("events", region_name="us-east-1")
    sqs = session.create_client("sqs", region_name="us-east-1")
    events.create_event_bus(Name="incidents")
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName="incidents", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName="incidents", Targets=[{"Id": "queue", "Arn": arn}])

    def received():
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        return [json.loads(message["Body"]) for message in messages]

    return received


def test_each_lifecycle_change_is_one_eventbridge_event(notified):
    received_events = ruled_queue("automation", {"source": ["stormwatch"]})

    incident_id = notified.fire("db::down", severity="critical")
    notified.fire("db::down", severity="critical")
    notified.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    notified.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "resolved", "note": "ok"})
    notified.streams.drain()
    received = received_events()
    assert [(event["detail-type"], event["detail"]["status"]) for event in received] == [
        ("incident.created", "open"),
        ("incident.updated", "acknowledged"),
        ("incident.resolved", "resolved"),
    ]
    assert {event["detail"]["id"] for event in received} == {incident_id}


def test_incident_updated_fires_for_severity_and_assignee_changes_never_for_comments_or_context(notified):
    # The README's example: only what an automation on updates wants.
    pattern = {"source": ["stormwatch"], "detail-type": ["incident.created", "incident.updated"]}
    received_events = ruled_queue("updates", pattern)

    body = {"title": "Checkout down", "severity": "critical", "service": "checkout", "project": "web"}
    incident_id = notified.call("POST", "/v1/incidents", body).body["id"]
    path = f"/v1/incidents/{incident_id}"
    notified.call("POST", f"{path}/comments", {"body": "looking"})
    notified.call("POST", f"{path}/signals", {"type": "log", "summary": "5xx spike", "correlation_key": "k"})
    notified.call("POST", f"{path}/tags", {"add": ["db"]})
    notified.call("POST", f"{path}/severity", {"severity": "high"}, roles="[lead]")
    notified.call("POST", f"{path}/assignment", {"assignee": "bob"})
    notified.streams.drain()
    received = received_events()
    assert [(event["detail-type"], event["detail"]["changed"]) for event in received] == [
        ("incident.created", []),
        ("incident.updated", ["severity"]),
        ("incident.updated", ["assignee"]),
    ]
    for event in received:
        detail = event["detail"]
        assert (detail["incident_id"], detail["project"], detail["service"]) == (
            incident_id,
            "web",
            "checkout",
        )
    assert [event["detail"]["status_change"] for event in received] == [
        {"from": None, "to": "open"},
        {"from": "open", "to": "open"},
        {"from": "open", "to": "open"},
    ]
    assert received[1]["detail"]["severity"] == "high"
