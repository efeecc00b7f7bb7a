import json

import pytest

from tests.support.aws import count_items
from tests.support.paths import FIXTURES


def test_a_generic_alarm_opens_an_incident_and_its_repeat_updates_it(stack):
    first = stack.hook("generic_firing")
    assert first.status == 202
    (result,) = first.body["results"]
    assert result["action"] == "created"
    assert result["incident_key"] == "GET /orders::error_rate"
    stack.clock.advance(seconds=20)
    second = stack.hook("generic_critical")
    assert second.status == 202
    assert second.body["results"][0] == {**result, "action": "updated"}

    incident = stack.incident(result["incident_id"])
    assert incident["status"] == "open"
    assert incident["severity"] == "critical"
    assert incident["alert_count"] == 2
    assert incident["evidence"] == {"error_rate": 0.23, "window": "5m"}
    assert incident["owner"] == "payments"
    assert incident["urls"] == [
        {"type": "sentry", "url": "https://sentry.io/organizations/acme/issues/4509/"}
    ]
    assert incident["first_seen"] == "2026-11-22T09:00:00.000Z"
    assert incident["last_seen"] == "2026-11-22T09:00:20.000Z"
    assert "owner_slack_webhook" not in incident and "org" not in incident
    assert [event["type"] for event in incident["timeline"]] == ["severity_changed", "alert_fired", "created"]


def test_a_plain_repeat_adds_no_timeline_event(stack):
    incident_id = stack.hook("generic_firing").body["results"][0]["incident_id"]
    for _ in range(5):
        assert stack.hook("generic_firing").body["results"][0]["action"] == "updated"
    incident = stack.incident(incident_id)
    assert incident["alert_count"] == 6
    assert len(incident["timeline"]) == 2
    assert incident["alerts"][0]["count"] == 6


def test_alertmanager_fixture_fires_then_resolves_the_incident(stack):
    fired = stack.hook("alertmanager_firing")
    assert fired.status == 202
    (result,) = fired.body["results"]
    assert result["action"] == "created"
    incident = stack.incident(result["incident_id"])
    assert incident["source"] == "alertmanager"
    assert incident["severity"] == "critical"
    assert incident["service"] == "incident-api"
    assert [alert["fingerprint"] for alert in incident["alerts"]] == ["04e2181acad26dce"]
    assert incident["alerts"][0]["labels"]["alertname"] == "HighErrorRate0"

    stack.clock.advance(minutes=7)
    resolved = stack.hook("alertmanager_resolved")
    assert resolved.body["results"][0] == {**result, "action": "resolved"}
    incident = stack.incident(result["incident_id"])
    assert incident["status"] == "resolved"
    assert incident["resolved_by"] == "source:alertmanager"
    assert incident["ttr_seconds"] == 420
    assert incident["alerts"][0]["status"] == "resolved"


def test_a_resolve_for_an_unknown_alarm_is_ignored_and_stores_nothing(stack):
    before = count_items(stack.client)
    answer = stack.hook("generic_resolved")
    assert answer.status == 202
    assert answer.body["results"] == [
        {"incident_id": None, "incident_key": "GET /orders::error_rate", "action": "ignored"}
    ]
    assert count_items(stack.client) == before


def test_one_body_with_many_alerts_for_one_group(stack):
    body = json.loads((FIXTURES / "alertmanager/firing.json").read_text())
    template = body["alerts"][0]
    body["alerts"] = [
        {
            **template,
            "fingerprint": f"fp{index % 3}",
            "labels": {**template["labels"], "pod": f"p{index % 3}"},
        }
        for index in range(12)
    ]
    answer = stack.hook("alertmanager_firing", body=body)
    assert answer.status == 202
    actions = [result["action"] for result in answer.body["results"]]
    assert actions[0] == "created" and set(actions[1:]) == {"updated"}
    assert len({result["incident_id"] for result in answer.body["results"]}) == 1
    incident = stack.incident(answer.body["results"][0]["incident_id"])
    assert incident["alert_count"] == 12
    assert sorted((alert["fingerprint"], alert["count"]) for alert in incident["alerts"]) == [
        ("fp0", 4),
        ("fp1", 4),
        ("fp2", 4),
    ]


@pytest.mark.parametrize(
    ("event", "status", "code", "names"),
    [
        ("generic_invalid_json", 400, "invalid_input", "body"),
        ("generic_missing_kind", 400, "invalid_input", "body.kind"),
        ("generic_unknown_severity", 400, "invalid_input", "body.severity"),
    ],
)
def test_bad_alarms_get_a_4xx_naming_the_problem_and_store_nothing(stack, event, status, code, names):
    before = count_items(stack.client)
    answer = stack.hook(event)
    assert answer.status == status
    assert answer.body["error"]["code"] == code
    assert answer.body["error"]["message"].startswith(names)
    assert count_items(stack.client) == before


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer sw_generic_not_a_key", "Basic bm90OmFrZXk=", "Token abc"],
)
def test_a_missing_or_wrong_key_is_401(stack, authorization):
    before = count_items(stack.client)
    answer = stack.hook("generic_firing", authorization=authorization)
    assert answer.status == 401
    assert answer.body["error"]["code"] == "unauthenticated"
    assert count_items(stack.client) == before


def test_a_key_of_another_source_is_401(stack):
    answer = stack.hook("generic_firing", authorization=f"Bearer {stack.keys[('acme', 'alertmanager')]}")
    assert answer.status == 401


def test_http_basic_with_the_key_as_password_is_accepted(stack):
    import base64

    credentials = base64.b64encode(f"sns:{stack.keys[('acme', 'generic')]}".encode()).decode()
    assert stack.hook("generic_firing", authorization=f"Basic {credentials}").status == 202


def test_a_body_over_one_mebibyte_is_413_and_stores_nothing(stack):
    before = count_items(stack.client)
    body = json.dumps({"route": "r", "kind": "k", "severity": "low", "description": "x" * (1024 * 1024)})
    answer = stack.hook("generic_firing", body=body)
    assert answer.status == 413
    assert answer.body["error"]["code"] == "payload_too_large"
    assert count_items(stack.client) == before


def test_bad_input_changes_nothing_already_stored(stack):
    incident_id = stack.hook("generic_firing").body["results"][0]["incident_id"]
    before = stack.incident(incident_id)
    assert stack.hook("generic_unknown_severity").status == 400
    assert (
        stack.hook(
            "generic_firing", body={"route": "GET /orders", "kind": "error_rate", "severity": 7}
        ).status
        == 400
    )
    assert stack.incident(incident_id) == before


def test_the_owners_slack_webhook_is_kept_but_never_shown(stack):
    incident_id = stack.hook("generic_firing").body["results"][0]["incident_id"]
    detail = stack.incident(incident_id)
    assert "hooks.slack.com" not in json.dumps(detail)
    assert detail["timeline"][-1]["data"]["owner"] == "payments"


def test_a_firing_after_the_reopen_window_opens_a_successor_and_archives_the_old(stack):
    first = stack.hook("generic_firing").body["results"][0]["incident_id"]
    stack.clock.advance(minutes=1)
    assert stack.hook("generic_resolved").body["results"][0]["action"] == "resolved"
    stack.clock.advance(hours=2)
    answer = stack.hook("generic_firing")
    (result,) = answer.body["results"]
    assert result["action"] == "created"
    successor = result["incident_id"]
    assert successor != first

    old = stack.incident(first)
    assert old["status"] == "resolved"
    assert old["superseded_by"] == successor
    assert old["timeline"][0]["type"] == "superseded"
    new = stack.incident(successor)
    assert new["previous_incident_id"] == first
    assert new["alert_count"] == 1
    assert {item["id"] for item in stack.incidents()} == {first, successor}

    reopen = stack.rest("commands/acknowledge", incident_id=first, body={"status": "open"})
    assert reopen.status == 409
    assert successor in reopen.body["error"]["message"]
    stack.clock.advance(seconds=5)
    assert stack.hook("generic_firing").body["results"][0] == {**result, "action": "updated"}
