"""What senders really post, and what they get wrong: every hook answers 202 for what it can use and a 4xx
naming the problem for what it cannot, and a refused body stores nothing."""

import base64
import functools
import json

import pytest

from stormwatch import wiring
from stormwatch.local.snstest import SnsTestSigner
from stormwatch.services.sns import SnsVerifier
from tests.integration.conftest import load_event
from tests.support.aws import count_items
from tests.support.paths import FIXTURES

HOOKS = [
    "generic_firing",
    "alertmanager_firing",
    "grafana_firing",
    "cloudwatch_alarm",
    "sentry_issue_alert",
    "datadog_triggered",
]


def fixture(path):
    return json.loads((FIXTURES / path).read_text())


def test_grafana_8s_documented_body_with_value_strings_opens_one_incident(stack):
    answer = stack.hook("grafana_firing", body=fixture("grafana/firing_grafana8_value_string.json"))
    assert answer.status == 202, answer.body
    assert [r["action"] for r in answer.body["results"]] == ["created", "updated"]
    incident = stack.incident(answer.body["results"][0]["incident_id"])
    assert incident["evidence"]["value_string"] == "[ metric='' labels={} value=47043.702386305304 ]"
    assert len(incident["alerts"]) == 2


@pytest.mark.parametrize("name", HOOKS)
def test_a_body_that_is_not_utf8_is_400_and_a_wrong_key_still_401(stack, name):
    event = load_event(f"ingest/{name}.json")
    source = event["rawPath"].rsplit("/", 1)[1]
    event["body"] = base64.b64encode(event["body"].encode().replace(b'"', b'"\xff', 1)).decode()
    event["isBase64Encoded"] = True
    before = count_items(stack.client)
    event["headers"]["authorization"] = "Bearer sw_wrong"
    assert stack.invoke("ingest", event).status == 401
    event["headers"]["authorization"] = f"Bearer {stack.keys[('acme', source)]}"
    answer = stack.invoke("ingest", event)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith("body: not valid UTF-8 (byte 0xff at offset ")
    assert count_items(stack.client) == before


def test_pagerduty_answers_a_body_that_is_not_utf8_with_its_invalid_event_shape(stack):
    event = load_event("ingest/pagerduty_trigger.json")
    event["body"] = base64.b64encode(b'{"routing_key": "\xff"}').decode()
    event["isBase64Encoded"] = True
    answer = stack.invoke("ingest", event)
    assert answer.status == 400
    assert answer.body["status"] == "invalid event"
    assert answer.body["errors"][0].startswith("body: not valid UTF-8")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"route": "GET /x",\n "kind": }', "body: not valid JSON: Expecting value at line 2, column 10"),
        ('{"route": NaN}', "body: not valid JSON: NaN is not a JSON value at line 1, column 11"),
        # Past the digits Python converts to an integer.
        ('{"n": ' + "7" * 5000 + "}", "body: not valid JSON: a number too long to read at line 1, column 7"),
    ],
)
def test_malformed_json_names_line_and_column(stack, body, message):
    answer = stack.hook("generic_firing", body=body)
    assert (answer.status, answer.body["error"]["message"]) == (400, message)


def test_a_typo_in_the_generic_format_is_refused_naming_the_field(stack):
    answer = stack.hook("generic_firing", body={"route": "GET /x", "kind": "k", "sevrity": "high"})
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.sevrity: unknown field")
    owner = {"route": "GET /x", "kind": "k", "severity": "high", "owner": {"slack": "https://x"}}
    assert (
        stack.hook("generic_firing", body=owner)
        .body["error"]["message"]
        .startswith("body.owner.slack: unknown field")
    )
    assert stack.incidents() == []


def alertmanager_with(**changes):
    body = json.loads(load_event("ingest/alertmanager_firing.json")["body"])
    body["alerts"][0].update(changes)
    return body


def grafana_with_values(values):
    body = fixture("grafana/firing_docs_example.json")
    body["alerts"][0]["values"] = values
    return body


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("generic_firing", {"incident_key": "k", "severity": "high", "labels": {"": "x"}}, "body.labels"),
        (
            "generic_firing",
            {"incident_key": "k", "severity": "high", "evidence": {"a": [{"": 1}]}},
            "body.evidence.a[0]",
        ),
        (
            "alertmanager_firing",
            alertmanager_with(labels={"": "x", "alertname": "A"}),
            "body.alerts[0].labels",
        ),
        ("alertmanager_firing", alertmanager_with(annotations={"": "x"}), "body.alerts[0].annotations"),
        ("grafana_firing", grafana_with_values({"": 1.0}), "body.alerts[0].values"),
    ],
)
def test_an_empty_map_key_is_refused_naming_the_field_and_stores_nothing(stack, name, body, field):
    before = count_items(stack.client)
    answer = stack.hook(name, body=body)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(f"{field}: ")
    assert "empty" in answer.body["error"]["message"]
    assert count_items(stack.client) == before
    assert stack.incidents() == []


def test_evidence_nested_deeper_than_can_be_stored_is_refused(stack):
    deep: dict = {}
    for _ in range(20):
        deep = {"x": deep}
    answer = stack.hook("generic_firing", body={"incident_key": "k", "severity": "high", "evidence": deep})
    assert answer.status == 400
    assert "nested deeper than 16 levels" in answer.body["error"]["message"]


# JSON allows numbers DynamoDB cannot store: over 38 digits, or past its magnitudes (1e400 decodes as
# infinity). Where a source's alarm carries one into what is stored, the alarm is refused naming it.
UNSTORABLE_NUMBERS = [
    (
        "generic_firing",
        {"incident_key": "k", "severity": "high", "evidence": {"rate": 9.8e192}},
        "body.evidence.rate",
    ),
    (
        "generic_firing",
        {"incident_key": "k", "severity": "high", "evidence": {"a": [1e-200]}},
        "body.evidence.a[0]",
    ),
    (
        "generic_firing",
        '{"incident_key": "k", "severity": "high", "evidence": {"rate": 1e400}}',
        "body.evidence.rate",
    ),
    (
        "generic_firing",
        {"incident_key": "k", "severity": "high", "evidence": {"n": 10**40 + 1}},
        "body.evidence.n",
    ),
    ("grafana_firing", grafana_with_values({"B": 1e300}), "body.alerts[0].values.B"),
]


def test_a_repeat_carrying_an_unstorable_number_is_refused_and_the_incident_keeps_its_evidence(stack):
    alarm = {"incident_key": "k", "severity": "high", "evidence": {"rate": 0.5}}
    assert stack.hook("generic_firing", body=alarm).status == 202
    (incident,) = stack.incidents()
    answer = stack.hook("generic_firing", body={**alarm, "evidence": {"rate": 1e200}})
    assert answer.status == 400, answer.body
    shown = stack.incident(incident["id"])
    assert (shown["evidence"], shown["alert_count"]) == ({"rate": 0.5}, 1)


def test_a_cloudwatch_threshold_past_what_dynamodb_stores_is_refused_naming_it(stack, sns_fetch):
    envelope = fixture("cloudwatch/sns_notification_alarm.json")
    alarm = json.loads(envelope["Message"])
    alarm["Trigger"]["Threshold"] = 1e200
    signed = sns_fetch["signer"].body({**envelope, "Message": json.dumps(alarm)})
    answer = stack.hook("cloudwatch_alarm", body=signed)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith("body.Message.metric.Threshold: a number past")
    # The alarm inside the envelope is JSON too: NaN is not.
    message = json.dumps(alarm).replace("1e+200", "NaN")
    signed = sns_fetch["signer"].body({**envelope, "MessageId": "nan", "Message": message})
    answer = stack.hook("cloudwatch_alarm", body=signed)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"] == "body.Message: not a CloudWatch alarm (not JSON)"


def test_pagerduty_custom_details_keep_a_number_dynamodb_cannot_store_as_its_text(stack):
    details = {"rate": 1e200, "count": 10**40 + 1, "fine": 0.25}
    answer = stack.enqueue(
        "pagerduty_trigger",
        payload={"summary": "s", "source": "h", "severity": "error", "custom_details": details},
    )
    assert answer.status == 202, answer.body
    (incident,) = stack.incidents()
    assert stack.incident(incident["id"])["evidence"] == {
        "rate": "1e+200",
        "count": str(10**40 + 1),
        "fine": 0.25,
    }


def datadog_with(**changes):
    body = json.loads(load_event("ingest/datadog_triggered.json")["body"])
    return {**body, **changes}


# Labels are made from each source's own fields; whichever made them, they must fit the snapshot.
LONG_LABELS = [
    (
        "generic_firing",
        {"incident_key": "k", "severity": "high", "labels": {"pod": "p" * 2000}},
        "'pod' is 2,000",
    ),
    (
        "alertmanager_firing",
        alertmanager_with(labels={"alertname": "A", "pod": "p" * 2000}),
        "'pod' is 2,000",
    ),
    ("datadog_triggered", datadog_with(tags="service:api,pod:" + "p" * 5000), "'pod' is 5,000"),
    ("datadog_triggered", datadog_with(tags=",".join(f"t{i}:v" for i in range(200))), "labels, over the 128"),
]


@pytest.mark.parametrize(
    ("name", "body", "problem"),
    [(name, body, f"{field}: a number past what can be stored") for name, body, field in UNSTORABLE_NUMBERS]
    + LONG_LABELS,
)
def test_what_dynamodb_could_not_store_is_refused_naming_it_and_stores_nothing(stack, name, body, problem):
    before = count_items(stack.client)
    answer = stack.hook(name, body=body)
    assert answer.status == 400, answer.body
    assert problem in answer.body["error"]["message"]
    assert count_items(stack.client) == before


def test_free_form_maps_of_other_sources_keep_their_values_under_a_named_key(stack):
    triggered = stack.enqueue(
        "pagerduty_trigger",
        payload={"summary": "s", "source": "h", "severity": "error", "custom_details": {"": {"": 1}}},
    )
    assert triggered.status == 202, triggered.body
    body = json.loads(load_event("ingest/datadog_triggered.json")["body"])
    body["tags"] = ":orphan,service:api"
    assert stack.hook("datadog_triggered", body=body).status == 202
    incidents = {i["source"]: i for i in stack.incidents()}
    assert stack.incident(incidents["pagerduty"]["id"])["evidence"] == {"(empty)": {"(empty)": 1}}
    labels = stack.incident(incidents["datadog"]["id"])["labels"]
    assert labels["service"] == "api" and "" not in labels
    # The list and each incident still read.
    assert len(stack.incidents()) == 2


def test_an_integration_severity_map_with_an_empty_name_is_refused(stack):
    answer = stack.call(
        "POST",
        "/v1/integrations",
        {"source": "generic", "name": "n", "severity_map": {"": "low"}},
        roles="[admin]",
    )
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith("body.severity_map")


@pytest.fixture
def sns_fetch(stack, monkeypatch):
    """SNS verification whose certificate and confirmation fetches do what the test says."""
    signer = SnsTestSigner()
    behaviour = {"certificate": lambda url: signer.pem, "confirm": lambda url: b""}
    verifier = SnsVerifier(lambda url: behaviour["certificate"](url), lambda url: behaviour["confirm"](url))
    monkeypatch.setattr(wiring, "sns", functools.lru_cache(maxsize=1)(lambda: verifier))
    wiring.ingest_service.cache_clear()
    behaviour["signer"] = signer
    return behaviour


def unreachable(url):
    raise OSError(f"cannot reach {url}")


@pytest.mark.parametrize(
    "message",
    [
        fixture("cloudwatch/sns_subscription_confirmation_awsdocs.json"),
        fixture("cloudwatch/sns_notification_alarm.json"),
    ],
)
def test_an_sns_message_whose_certificate_cannot_be_fetched_is_401_naming_it(stack, sns_fetch, message):
    sns_fetch["certificate"] = unreachable
    before = count_items(stack.client)
    answer = stack.hook("cloudwatch_alarm", body=message)
    assert answer.status == 401, answer.body
    assert "could not be fetched" in answer.body["error"]["message"]
    assert message["SigningCertURL"] in answer.body["error"]["message"]
    sns_fetch["certificate"] = lambda url: b"<html>not a certificate</html>"
    answer = stack.hook("cloudwatch_alarm", body=message)
    assert answer.status == 401
    assert "did not answer a PEM certificate" in answer.body["error"]["message"]
    assert count_items(stack.client) == before


def test_an_sns_confirmation_whose_subscribe_url_cannot_be_reached_is_503_so_sns_retries(stack, sns_fetch):
    sns_fetch["confirm"] = unreachable
    message = fixture("cloudwatch/sns_subscription_confirmation_awsdocs.json")
    answer = stack.hook("cloudwatch_alarm", body=sns_fetch["signer"].body(message))
    assert answer.status == 503, answer.body
    assert answer.body["error"]["message"].startswith("the SNS subscription could not be confirmed")
    assert answer.body["error"]["details"]["subscribe_url"] == message["SubscribeURL"]


def test_sentrys_issue_resource_opens_counts_resolves_and_ignores_triage(stack):
    created = stack.hook("sentry_issue_created")
    assert created.status == 202, created.body
    (result,) = created.body["results"]
    assert (result["incident_key"], result["action"]) == ("sentry:issue:1170820242", "created")
    incident = stack.incident(result["incident_id"])
    assert (incident["title"], incident["severity"]) == ("ReferenceError: blooopy is not defined", "high")
    assert stack.hook("sentry_issue_created").body["results"][0]["action"] == "updated"
    body = fixture("sentry/issue_created.json")
    for action in ("assigned", "ignored", "archived", "unresolved"):
        answer = stack.hook("sentry_issue_created", body={**body, "action": action})
        assert answer.body["results"] == [
            {"incident_id": None, "incident_key": "sentry:issue:1170820242", "action": "ignored"}
        ]
    resolved = stack.hook("sentry_issue_created", body={**body, "action": "resolved"})
    assert resolved.body["results"][0] == {**result, "action": "resolved"}
    assert stack.incident(result["incident_id"])["alert_count"] == 2
    unknown = stack.hook("sentry_issue_created", body={**body, "action": "merged"})
    assert unknown.status == 400
    assert unknown.body["error"]["message"].startswith("body.action")


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://hooks.slack.com/services/T0/B0/X", True),
        ("http://127.0.0.1:8080/slack", True),
        ("http://localhost/slack", True),
        ("http://hooks.slack.com/services/T0/B0/X", False),
        ("http://localhost.example.com/slack", False),
    ],
)
def test_one_url_rule_for_an_alarm_owner_a_member_and_a_policy_target(stack, url, accepted):
    alarm = {"incident_key": "k", "severity": "high", "owner": {"owner": "payments", "slack_webhook": url}}
    member = {"handle": "rita", "name": "Rita", "slack_webhook": url}
    policy = {"name": "p", "levels": [{"delay_minutes": 5, "targets": [{"type": "slack", "value": url}]}]}
    answers = [
        stack.hook("generic_firing", body=alarm),
        stack.call("POST", "/v1/members", member, roles="[admin]"),
        stack.call("POST", "/v1/escalation-policies", policy, roles="[admin]"),
    ]
    if accepted:
        assert [answer.status for answer in answers] == [202, 201, 201], [a.body for a in answers]
    else:
        assert [answer.status for answer in answers] == [400, 400, 400]
        for answer in answers:
            assert (
                "an https URL, or plain http only to 127.0.0.1 or localhost"
                in answer.body["error"]["message"]
            )


def test_each_alert_of_the_detail_shows_the_severity_of_its_latest_firing(stack):
    def fire(fingerprint, severity):
        body = {"incident_key": "db", "fingerprint": fingerprint, "severity": severity}
        answer = stack.hook("generic_firing", body=body)
        assert answer.status == 202, answer.body
        return answer.body["results"][0]["incident_id"]

    incident_id = fire("a", "medium")
    fire("a", "critical")  # a rise: the slow path
    fire("b", "low")
    fire("b", "high")  # a plain repeat (the incident is critical): the one-write path
    detail = stack.incident(incident_id)
    assert detail["severity"] == "critical"
    assert {alert["fingerprint"]: alert["severity"] for alert in detail["alerts"]} == {
        "a": "critical",
        "b": "high",
    }


def test_an_anomaly_band_alarm_fires_and_an_aws_health_event_is_refused_naming_the_field(stack, sns_fetch):
    envelope = fixture("cloudwatch/sns_notification_alarm.json")
    alarm = json.loads(envelope["Message"])
    # An anomaly-detection alarm's trigger: metric math and a band, no single metric or threshold.
    alarm["Trigger"] = {
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
        "ThresholdMetricId": "ad1",
        "TreatMissingData": "missing",
        "Metrics": [
            {"Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Id": "ad1", "ReturnData": True},
            {"Id": "m1", "MetricStat": {"Metric": {"MetricName": "Latency"}, "Period": 300, "Stat": "p90"}},
        ],
    }
    signed = sns_fetch["signer"].body({**envelope, "MessageId": "band", "Message": json.dumps(alarm)})
    answer = stack.hook("cloudwatch_alarm", body=signed)
    assert answer.status == 202, answer.body
    assert answer.body["results"][0]["action"] == "created"
    health = {"version": "0", "source": "aws.health", "detail-type": "AWS Health Event", "detail": {}}
    signed = sns_fetch["signer"].body({**envelope, "MessageId": "health", "Message": json.dumps(health)})
    answer = stack.hook("cloudwatch_alarm", body=signed)
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.Message.AlarmName")


def test_a_heartbeat_ignores_its_body_whatever_the_bytes(stack):
    event = load_event("ingest/heartbeat.json")
    event["body"] = base64.b64encode(b"\xff\xfe not even text").decode()
    event["isBase64Encoded"] = True
    event["headers"]["authorization"] = f"Bearer {stack.keys[('acme', 'generic')]}"
    answer = stack.invoke("ingest", event)
    assert answer.status == 400
    assert answer.body["error"]["message"].endswith("set its heartbeat_minutes first")
