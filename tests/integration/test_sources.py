"""Every source through the ingest handler, with the real payloads of tests/fixtures (events/ingest)."""

import functools
import hashlib
import hmac
import json

import pytest

from stormwatch import wiring
from stormwatch.local.snstest import SnsTestSigner
from stormwatch.services.sns import SnsVerifier
from tests.integration.conftest import load_event
from tests.support.aws import count_items


def results(answer):
    assert answer.status == 202, answer.body
    return answer.body["results"]


def test_grafana_fires_two_alerts_into_one_group_incident_with_values_and_links(stack):
    fired = results(stack.hook("grafana_firing"))
    assert [r["action"] for r in fired] == ["created", "updated"]
    incident = stack.incident(fired[0]["incident_id"])
    assert incident["source"] == "grafana"
    assert sorted(alert["fingerprint"] for alert in incident["alerts"]) == [
        "bc97ff14869b13e3",
        "c6eadffa33fcdf37",
    ]
    assert incident["evidence"]["values"] == {"B": 44.23943737541908, "C": 1}
    assert {url["type"] for url in incident["urls"]} >= {"generator", "silence", "runbook"}


def test_grafanas_real_resolved_capture_with_eight_alerts_and_non_ascii_labels(stack):
    answer = results(stack.hook("grafana_resolved"))
    assert [r["action"] for r in answer] == ["ignored"] * 8
    body = json.loads(load_event("ingest/grafana_resolved.json")["body"])
    for alert in body["alerts"]:
        alert["status"] = "firing"
    fired = results(stack.hook("grafana_resolved", body=body))
    assert fired[0]["action"] == "created"
    incident = stack.incident(fired[0]["incident_id"])
    assert len(incident["alerts"]) == 8
    assert incident["title"].startswith("指数日内涨跌幅")
    resolved = results(stack.hook("grafana_resolved"))
    assert resolved[-1]["action"] == "resolved"
    assert stack.incident(fired[0]["incident_id"])["status"] == "resolved"


def sign_grafana(secret, body, timestamp=None):
    signed = f"{timestamp}:{body}" if timestamp else body
    return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def test_a_grafana_integration_with_a_secret_accepts_only_signed_bodies(stack):
    secret = "grafana-secret-0123456789"
    integrations = stack.call("GET", "/v1/integrations", roles="[admin]").body["items"]
    grafana = next(i for i in integrations if i["source"] == "grafana")
    assert (
        stack.call(
            "PATCH", f"/v1/integrations/{grafana['id']}", {"signing_secret": secret}, roles="[admin]"
        ).status
        == 200
    )
    body = load_event("ingest/grafana_firing.json")["body"]
    assert stack.hook("grafana_firing").status == 401
    assert stack.hook("grafana_firing", headers={"x-grafana-alerting-signature": "0" * 64}).status == 401
    timestamp = str(int(stack.clock.now().timestamp()))
    signed = {
        "x-grafana-alerting-signature": sign_grafana(secret, body, timestamp),
        "x-grafana-alerting-signature-timestamp": timestamp,
    }
    assert stack.hook("grafana_firing", headers=signed).status == 202
    stack.clock.advance(minutes=10)
    assert stack.hook("grafana_firing", headers=signed).status == 401


def test_sentry_issue_alert_keys_on_the_issue_and_metric_alerts_on_the_rule(stack):
    (issue,) = results(stack.hook("sentry_issue_alert"))
    assert (issue["incident_key"], issue["action"]) == ("sentry:issue:1117540176", "created")
    detail = stack.incident(issue["incident_id"])
    assert (detail["severity"], detail["title"]) == ("high", "ReferenceError: heck is not defined")
    body = json.loads(load_event("ingest/sentry_metric_alert_resolved.json")["body"])
    body["action"] = "critical"
    (metric,) = results(stack.hook("sentry_metric_alert_resolved", body=body))
    assert (metric["incident_key"], metric["action"]) == ("sentry:metric_alert:7", "created")
    (resolved,) = results(stack.hook("sentry_metric_alert_resolved"))
    assert resolved["action"] == "resolved"
    unknown = stack.hook("sentry_issue_alert", headers={"sentry-hook-resource": "installation"})
    assert unknown.status == 400
    assert unknown.body["error"]["message"].startswith("header Sentry-Hook-Resource")


def test_datadog_triggered_then_recovered_on_the_same_monitor_and_scope(stack):
    (fired,) = results(stack.hook("datadog_triggered"))
    assert fired["incident_key"] == "datadog:160076582:service:keep-api-feature-grafana-legacy"
    incident = stack.incident(fired["incident_id"])
    assert (incident["title"], incident["service"]) == ("Error monitor", "keep-api-feature-grafana-legacy")
    (recovered,) = results(stack.hook("datadog_recovered"))
    assert recovered == {**fired, "action": "resolved"}


@pytest.fixture
def sns(stack, monkeypatch):
    signer = SnsTestSigner()
    confirmed: list[str] = []

    def confirm(url: str) -> bytes:
        confirmed.append(url)
        return b""

    verifier = SnsVerifier(lambda url: signer.pem, confirm)
    monkeypatch.setattr(wiring, "sns", functools.lru_cache(maxsize=1)(lambda: verifier))
    wiring.ingest_service.cache_clear()
    signer.confirmed = confirmed
    return signer


def sns_message(name):
    return json.loads(load_event(f"ingest/{name}.json")["body"])


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_cloudwatch_alarm_fires_and_the_same_message_again_is_a_no_op(stack, sns, version):
    body = sns.body(sns_message("cloudwatch_alarm"), version)
    (fired,) = results(stack.hook("cloudwatch_alarm", body=body))
    assert fired["action"] == "created"
    assert fired["incident_key"] == "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm"
    incident = stack.incident(fired["incident_id"])
    assert incident["labels"]["region"] == "eu-west-1"
    assert incident["alert_count"] == 1
    (again,) = results(stack.hook("cloudwatch_alarm", body=body))
    assert again["action"] == "ignored"
    assert stack.incident(fired["incident_id"])["alert_count"] == 1


def test_cloudwatch_ok_resolves_and_insufficient_data_is_ignored_by_default(stack, sns):
    message = sns_message("cloudwatch_alarm")
    results(stack.hook("cloudwatch_alarm", body=sns.body(message)))
    alarm = json.loads(message["Message"])
    for state, message_id, action in (("INSUFFICIENT_DATA", "m-2", None), ("OK", "m-3", "resolved")):
        changed = {
            **message,
            "MessageId": message_id,
            "Message": json.dumps({**alarm, "NewStateValue": state}),
        }
        answer = results(stack.hook("cloudwatch_alarm", body=sns.body(changed)))
        assert [r["action"] for r in answer] == ([action] if action else [])


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.update(Message=m["Message"].replace("ALARM", "OK")),
        lambda m: m.update(SigningCertURL="https://evil.example.com/cert.pem"),
        lambda m: m.update(SigningCertURL="http://sns.eu-west-1.amazonaws.com/cert.pem"),
        lambda m: m.update(SignatureVersion="3"),
        lambda m: m.pop("Signature"),
    ],
)
def test_an_unsigned_or_badly_signed_sns_message_is_401_and_stores_nothing(stack, sns, tamper):
    message = sns.sign(sns_message("cloudwatch_alarm"))
    tamper(message)
    before = count_items(stack.client)
    answer = stack.hook("cloudwatch_alarm", body=json.dumps(message))
    assert answer.status == 401
    assert count_items(stack.client) == before


def test_a_subscription_is_confirmed_only_once_its_signature_verifies(stack, sns):
    message = sns_message("cloudwatch_subscription_confirmation")
    message["SubscribeURL"] = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    forged = {
        **message,
        "Signature": "AAAA",
        "SignatureVersion": "1",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/x.pem",
    }
    assert stack.hook("cloudwatch_subscription_confirmation", body=json.dumps(forged)).status == 401
    assert sns.confirmed == []
    assert results(stack.hook("cloudwatch_subscription_confirmation", body=sns.body(message))) == []
    assert sns.confirmed == [message["SubscribeURL"]]


def test_pagerduty_trigger_acknowledge_resolve_with_pagerdutys_answers(stack):
    triggered = stack.enqueue("pagerduty_trigger")
    assert (triggered.status, triggered.body) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "srv01/mysql"},
    )
    (incident,) = stack.incidents()
    assert (incident["title"], incident["severity"], incident["service"]) == (
        "DISK at 99% on machine prod-datapipe03.example.com",
        "critical",
        "mysql",
    )
    assert stack.enqueue("pagerduty_acknowledge", dedup_key="srv01/mysql").status == 202
    assert stack.incident(incident["id"])["status"] == "acknowledged"
    assert stack.enqueue("pagerduty_resolve", dedup_key="srv01/mysql").status == 202
    assert stack.incident(incident["id"])["status"] == "resolved"


def test_pagerduty_makes_up_a_dedup_key_when_a_trigger_has_none(stack):
    body = json.loads(load_event("ingest/pagerduty_trigger.json")["body"])
    del body["dedup_key"]
    answer = stack.enqueue("pagerduty_trigger", dedup_key=None)
    assert answer.status == 202
    assert len(answer.body["dedup_key"]) == 32


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"payload": {"source": "db01", "severity": "critical"}}, "payload.summary"),
        ({"payload": {"summary": "x", "source": "db01", "severity": "urgent"}}, "payload.severity"),
        ({"event_action": "snooze"}, "event_action"),
    ],
)
def test_pagerduty_invalid_events_get_pagerdutys_400(stack, changes, error):
    answer = stack.enqueue("pagerduty_trigger", **changes)
    assert answer.status == 400
    assert answer.body["status"] == "invalid event"
    assert answer.body["message"] == "Event object is invalid"
    assert error in answer.body["errors"][0]


def test_an_unknown_routing_key_is_pagerdutys_400_invalid_event(stack):
    answer = stack.enqueue("pagerduty_trigger", routing_key="e93facc04764012d7bfb002500d5d1a6")
    assert answer.status == 400
    assert answer.body == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Invalid routing key"],
    }
    assert stack.incidents() == []


def test_a_key_template_and_severity_map_shape_the_integrations_alerts(stack):
    created = stack.call(
        "POST",
        "/v1/integrations",
        {
            "source": "alertmanager",
            "name": "prod",
            "key_template": "{service}::{labels.alertname}",
            "severity_map": {"critical": "high"},
        },
        roles="[admin]",
    )
    assert created.status == 201
    key = created.body["key"]
    (result,) = results(stack.hook("alertmanager_firing", authorization=f"Bearer {key}"))
    assert result["incident_key"] == "incident-api::HighErrorRate0"
    assert stack.incident(result["incident_id"])["severity"] == "high"
    listed = stack.call("GET", "/v1/integrations", roles="[admin]").body["items"]
    assert all("key" not in item for item in listed)


def test_a_rotated_key_keeps_working_through_the_grace_period_only(stack):
    created = stack.call(
        "POST", "/v1/integrations", {"source": "generic", "name": "rotating"}, roles="[admin]"
    ).body
    old_key = created["key"]
    rotated = stack.call("POST", f"/v1/integrations/{created['id']}/rotate", roles="[admin]")
    assert rotated.status == 200
    new_key = rotated.body["key"]
    assert new_key != old_key
    assert stack.hook("generic_firing", authorization=f"Bearer {new_key}").status == 202
    assert stack.hook("generic_firing", authorization=f"Bearer {old_key}").status == 202
    stack.clock.advance(hours=25)
    assert stack.hook("generic_firing", authorization=f"Bearer {old_key}").status == 401
    assert stack.hook("generic_firing", authorization=f"Bearer {new_key}").status == 202
    assert stack.call("DELETE", f"/v1/integrations/{created['id']}", roles="[admin]").status == 204
    stack.clock.advance(minutes=2)
    assert stack.hook("generic_firing", authorization=f"Bearer {new_key}").status == 401


def test_an_integration_with_a_bad_key_template_is_400(stack):
    answer = stack.call(
        "POST",
        "/v1/integrations",
        {"source": "generic", "name": "x", "key_template": "{nope}"},
        roles="[admin]",
    )
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.key_template")


class FailAfter:
    """Lets `operation` succeed `successes` times, then fails it until told to stop."""

    def __init__(self, client, operation, successes):
        self._client, self._operation, self.successes, self.failing = client, operation, successes, True

    def __getattr__(self, name):
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def call(**kwargs):
            if self.successes <= 0 and self.failing:
                from botocore.exceptions import ClientError

                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, self._operation
                )
            self.successes -= 1
            return real(**kwargs)

        return call


def test_a_storm_that_fails_half_way_writes_nothing_twice_when_the_sender_retries(stack, monkeypatch):
    monkeypatch.setattr(wiring, "sleep", lambda seconds: None)
    wiring.ingest_service.cache_clear()
    body = [{"incident_key": key, "severity": "high"} for key in ("a", "a", "b", "b", "c")]
    store = wiring.incident_store()
    # Key a: a failed one-write attempt, then its transaction; key b's first attempt is throttled for good.
    failing = FailAfter(store._client, "transact_write_items", successes=2)
    store._client = failing
    assert stack.hook("generic_firing", body=body).status == 503
    assert [(i["incident_key"], i["alert_count"]) for i in stack.incidents()] == [("a", 2)]
    failing.failing = False
    retried = results(stack.hook("generic_firing", body=body))
    assert [r["action"] for r in retried] == ["ignored", "ignored", "created", "updated", "created"]
    assert sorted((i["incident_key"], i["alert_count"]) for i in stack.incidents()) == [
        ("a", 2),
        ("b", 2),
        ("c", 1),
    ]


def test_a_body_of_many_alerts_over_few_keys_writes_per_key(stack):
    body = json.loads(load_event("ingest/alertmanager_firing.json")["body"])
    template = body["alerts"][0]
    body["alerts"] = [{**template, "fingerprint": f"fp{i % 4}"} for i in range(200)]
    calls = []
    client = wiring.incident_store()._client
    original = client._make_api_call

    def counting(operation, params):
        calls.append(operation)
        return original(operation, params)

    client._make_api_call = counting
    try:
        assert len(results(stack.hook("alertmanager_firing", body=body))) == 200
        first = list(calls)
        calls.clear()
        results(stack.hook("alertmanager_firing", body=body))
    finally:
        client._make_api_call = original
    # The first GetItem is the webhook's key, read on every delivery so that changes apply at once; the
    # second, the org's settings (its default policy and on-call), read only when an incident opens.
    assert first == ["GetItem", "UpdateItem", "GetItem", "TransactWriteItems"]
    assert calls == ["GetItem", "UpdateItem"]
    (incident,) = stack.incidents()
    assert incident["alert_count"] == 400


def test_an_incident_that_keeps_reopening_is_flapping_until_it_is_quiet_for_the_window(stack):
    incident_id = stack.fire("db::lag")
    for _ in range(4):
        stack.clock.advance(minutes=2)
        results(stack.hook("generic_firing", body={"incident_key": "db::lag", "status": "resolved"}))
        stack.clock.advance(minutes=2)
        results(stack.hook("generic_firing", body={"incident_key": "db::lag", "severity": "high"}))
    detail = stack.incident(incident_id)
    assert detail["flapping"] is True
    assert detail["reopen_count"] == 4
    flapping = [e for e in detail["timeline"] if e["type"] == "flapping"]
    assert flapping[0]["data"] == {"flapping": True, "reopens": 4, "window_seconds": 3600}
    stack.clock.advance(minutes=61)
    results(stack.hook("generic_firing", body={"incident_key": "db::lag", "severity": "high"}))
    assert stack.incident(incident_id)["flapping"] is False


def test_alertmanagers_truncated_alerts_are_noted_on_the_incident(stack):
    body = json.loads(load_event("ingest/alertmanager_firing.json")["body"])
    body["truncatedAlerts"] = 37
    (result,) = results(stack.hook("alertmanager_firing", body=body))
    detail = stack.incident(result["incident_id"])
    assert detail["truncated_alerts"] == 37
    assert detail["timeline"][0]["type"] == "alerts_truncated"


def test_an_integrations_default_assignee_and_policy_go_to_its_new_incidents(stack):
    stack.add_member("bob")
    body = {
        "source": "generic",
        "name": "payments",
        "default_assignee": "bob",
        "escalation_policy_id": "pol_payments",
    }
    key = stack.call("POST", "/v1/integrations", body, roles="[admin]").body["key"]
    (result,) = results(stack.hook("generic_firing", authorization=f"Bearer {key}"))
    incident = stack.incident(result["incident_id"])
    assert (incident["assignee"], incident["escalation_policy_id"]) == ("bob", "pol_payments")
    assert [(n["kind"], n["member"]) for n in stack.outbox()] == [("assigned", "bob")]
