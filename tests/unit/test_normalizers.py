import json

import pytest

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertStatus, Integration, Severity
from stormwatch.normalizers import WebhookRequest, normalizer_for
from tests.support.clock import FakeClock
from tests.support.paths import FIXTURES


def integration(source: str, **settings):
    return Integration(
        id="int_1", org="acme", source=source, name=source, created_at=FakeClock().now(), **settings
    )


def normalize(source: str, payload, headers=None, **settings):
    return normalizer_for(source)(WebhookRequest(payload, headers or {}), integration(source, **settings))


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def test_generic_alarm_keys_on_route_and_kind_and_maps_warning_to_medium():
    (event,) = normalize(
        "generic",
        {
            "route": "GET /orders",
            "kind": "error_rate",
            "severity": "warning",
            "evidence": {"rate": 0.07},
            "owner": {"owner": "payments", "slack_webhook": "https://hooks.slack.com/services/x"},
            "sentry_url": "https://sentry.io/issues/1/",
        },
    )
    assert event.incident_key == "GET /orders::error_rate"
    assert event.fingerprint == event.incident_key
    assert event.severity is Severity.MEDIUM
    assert event.status is AlertStatus.FIRING
    assert event.title == "error_rate on GET /orders"
    assert event.evidence == {"rate": 0.07}
    assert event.owner.name == "payments"
    assert [(url.type, url.url) for url in event.urls] == [("sentry", "https://sentry.io/issues/1/")]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("sev2", Severity.HIGH),
        ("P3", Severity.MEDIUM),
        ("info", Severity.LOW),
    ],
)
def test_generic_accepts_canonical_severities_and_aliases(severity, expected):
    (event,) = normalize("generic", {"incident_key": "k", "severity": severity})
    assert event.severity is expected


def test_generic_incident_key_overrides_route_and_kind():
    (event,) = normalize(
        "generic", {"route": "r", "kind": "k", "incident_key": "db::replica-lag", "severity": "low"}
    )
    assert event.incident_key == "db::replica-lag"


def test_generic_resolved_needs_no_severity():
    (event,) = normalize("generic", {"route": "r", "kind": "k", "status": "resolved"})
    assert event.status is AlertStatus.RESOLVED


def test_generic_body_may_be_a_list_of_alarms():
    events = normalize(
        "generic", [{"incident_key": "a", "severity": "low"}, {"incident_key": "b", "severity": "high"}]
    )
    assert [event.incident_key for event in events] == ["a", "b"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"route": "r", "severity": "critical"}, "body.kind"),
        ({"kind": "k", "severity": "critical"}, "body.route"),
        ({"route": "r", "kind": "k"}, "body.severity"),
        ({"route": "r", "kind": "k", "severity": "urgent"}, "body.severity"),
        ({"route": "r", "kind": "k", "severity": "low", "evidence": "high"}, "body.evidence"),
        ({"route": "r", "kind": "k", "severity": "low", "status": "open"}, "body.status"),
        ({"route": 5, "kind": "k", "severity": "low"}, "body.route"),
        (
            {"route": "r", "kind": "k", "severity": "low", "owner": {"slack_webhook": "ftp://x"}},
            "body.owner.slack_webhook",
        ),
        (
            {"route": "r", "kind": "k", "severity": "low", "evidence": {f"k{i}": i for i in range(51)}},
            "body.evidence",
        ),
        ([{"incident_key": "a", "severity": "low"}, {"incident_key": "b"}], "body[1].severity"),
        ("text", "body"),
        ([], "body"),
    ],
)
def test_generic_rejects_bad_alarms_naming_the_field(payload, field):
    with pytest.raises(InvalidInput) as raised:
        normalize("generic", payload)
    assert raised.value.message.startswith(field + ":") or raised.value.message.startswith(field + " ")


def test_alertmanager_firing_fixture():
    (event,) = normalize("alertmanager", fixture("alertmanager/firing.json"))
    assert event.source == "alertmanager"
    assert event.incident_key == '{}:{alertname="HighErrorRate0", service="incident-api"}'
    assert event.fingerprint == "04e2181acad26dce"
    assert event.status is AlertStatus.FIRING
    assert event.severity is Severity.CRITICAL
    assert event.title == "5xx rate above 5% for 5m"
    assert event.service == "incident-api"
    assert event.environment == "lab"
    assert {url.type for url in event.urls} == {"generator", "runbook"}
    assert event.started_at is not None


def test_alertmanager_resolved_fixture_resolves_the_same_fingerprint_and_key():
    (firing,) = normalize("alertmanager", fixture("alertmanager/firing.json"))
    (resolved,) = normalize("alertmanager", fixture("alertmanager/resolved.json"))
    assert resolved.status is AlertStatus.RESOLVED
    assert (resolved.incident_key, resolved.fingerprint) == (firing.incident_key, firing.fingerprint)


def test_alertmanager_unknown_severity_label_maps_to_medium():
    body = fixture("alertmanager/firing.json")
    body["alerts"][0]["labels"]["severity"] = "page-someone"
    (event,) = normalize("alertmanager", body)
    assert event.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body.update(version="3"), "body.version"),
        (lambda body: body.pop("groupKey"), "body.groupKey"),
        (lambda body: body.update(alerts=[]), "body.alerts"),
        (lambda body: body["alerts"][0].pop("status"), "body.alerts[0].status"),
        (lambda body: body["alerts"][0].update(labels="x"), "body.alerts[0].labels"),
    ],
)
def test_alertmanager_rejects_what_is_not_a_v4_webhook(change, field):
    body = fixture("alertmanager/firing.json")
    change(body)
    with pytest.raises(InvalidInput) as raised:
        normalize("alertmanager", body)
    assert raised.value.message.startswith(field + ":")


def test_a_generic_alarm_is_not_an_alertmanager_webhook():
    with pytest.raises(InvalidInput):
        normalize("alertmanager", {"route": "r", "kind": "k", "severity": "low"})
