import hashlib
import hmac
import json

import pytest

from stormwatch.domain.errors import InvalidInput, Unauthenticated
from stormwatch.domain.integrations import configured, render_key
from stormwatch.domain.models import AlertStatus, Severity
from stormwatch.services.signatures import verify_grafana, verify_sentry
from tests.support.clock import FakeClock
from tests.support.paths import FIXTURES
from tests.unit.test_normalizers import integration, normalize


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_cloudwatch_insufficient_data_follows_the_integration():
    envelope = fixture("cloudwatch/sns_notification_alarm.json")
    message = json.loads(envelope["Message"])
    envelope["Message"] = json.dumps({**message, "NewStateValue": "INSUFFICIENT_DATA"})
    assert normalize("cloudwatch", envelope) == []
    (fired,) = normalize("cloudwatch", envelope, insufficient_data="firing")
    assert fired.status is AlertStatus.FIRING
    (resolved,) = normalize("cloudwatch", envelope, insufficient_data="resolved")
    assert resolved.status is AlertStatus.RESOLVED


def test_cloudwatch_message_that_is_not_an_alarm_is_400_naming_it():
    envelope = fixture("cloudwatch/sns_notification_alarm.json")
    envelope["Message"] = "not json"
    with pytest.raises(InvalidInput) as raised:
        normalize("cloudwatch", envelope)
    assert raised.value.message.startswith("body.Message")


def test_grafana_rejects_an_alertmanager_body_and_vice_versa():
    with pytest.raises(InvalidInput) as raised:
        normalize("grafana", fixture("alertmanager/firing.json"))
    assert raised.value.message.startswith("body.version")
    with pytest.raises(InvalidInput):
        normalize("alertmanager", fixture("grafana/firing_docs_example.json"))


def test_datadog_needs_its_template_fields():
    with pytest.raises(InvalidInput) as raised:
        normalize("datadog", {"title": "x", "alert_transition": "Triggered"})
    assert raised.value.message.startswith("body.monitor_id")


def test_pagerduty_acknowledge_and_resolve_need_a_dedup_key():
    for action in ("acknowledge", "resolve"):
        with pytest.raises(InvalidInput) as raised:
            normalize("pagerduty", {"routing_key": "k", "event_action": action})
        assert "dedup_key" in raised.value.message


def test_key_templates_read_fields_and_labels():
    (alert,) = normalize("alertmanager", fixture("alertmanager/firing.json"))
    assert (
        render_key("{service}::{labels.alertname}::{labels.missing}", alert)
        == "incident-api::HighErrorRate0::"
    )
    shaped = configured(
        alert,
        integration(
            "alertmanager", key_template="{environment}/{title}", severity_map={"critical": Severity.LOW}
        ),
    )
    assert shaped.incident_key == "lab/5xx rate above 5% for 5m"
    assert shaped.severity is Severity.LOW


def hex_hmac(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_grafana_and_sentry_signatures():
    clock = FakeClock()
    grafana = integration("grafana", signing_secret="s3cret-s3cret-s3cret")
    verify_grafana(
        grafana, {"x-grafana-alerting-signature": hex_hmac("s3cret-s3cret-s3cret", "{}")}, "{}", clock.now()
    )
    with pytest.raises(Unauthenticated):
        verify_grafana(grafana, {"x-grafana-alerting-signature": hex_hmac("other", "{}")}, "{}", clock.now())
    verify_grafana(integration("grafana"), {}, "{}", clock.now())
    sentry = integration("sentry", signing_secret="client-secret-0000")
    verify_sentry(sentry, {"sentry-hook-signature": hex_hmac("client-secret-0000", "{}")}, "{}", clock.now())
    with pytest.raises(Unauthenticated):
        verify_sentry(sentry, {}, "{}", clock.now())
