"""The OpenAPI document tells a sender what each hook takes and answers: its body's schema (which the real
payloads of tests/fixtures satisfy), its status codes with their shapes, and the integration key."""

import json
import subprocess
import sys

import jsonschema
import pytest

from stormwatch.api.openapi import PACKAGED
from tests.support.paths import FIXTURES, ROOT

DOCUMENT = json.loads(PACKAGED.read_text())
HOOKS = ["generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog"]


def operation(path):
    return DOCUMENT["paths"][path]["post"]


def body_schema(path, content_type="application/json"):
    return operation(path)["requestBody"]["content"][content_type]["schema"]


@pytest.mark.parametrize(
    ("path", "fixture"),
    [
        ("/v1/hooks/alertmanager", "alertmanager/firing.json"),
        ("/v1/hooks/grafana", "grafana/firing_docs_example.json"),
        ("/v1/hooks/grafana", "grafana/firing_grafana8_value_string.json"),
        ("/v1/hooks/grafana", "grafana/resolved_multi_alert_real.json"),
        ("/v1/hooks/cloudwatch", "cloudwatch/sns_notification_alarm.json"),
        ("/v1/hooks/cloudwatch", "cloudwatch/sns_subscription_confirmation_awsdocs.json"),
        ("/v1/hooks/sentry", "sentry/issue_alert_triggered_event_alert.json"),
        ("/v1/hooks/sentry", "sentry/metric_alert_resolved.json"),
        ("/v1/hooks/sentry", "sentry/issue_created.json"),
        ("/v1/hooks/datadog", "datadog/log_alert_triggered.json"),
        ("/v2/enqueue", "pagerduty/trigger.json"),
    ],
)
def test_each_hooks_body_schema_takes_the_real_payloads(path, fixture):
    jsonschema.validate(json.loads((FIXTURES / fixture).read_text()), body_schema(path))


def test_the_generic_schema_refuses_unknown_fields_and_takes_an_array():
    schema = body_schema("/v1/hooks/generic")
    alarm = {"route": "GET /x", "kind": "error_rate", "severity": "high"}
    jsonschema.validate([alarm], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**alarm, "sevrity": "high"}, schema)


@pytest.mark.parametrize("source", [*HOOKS, "heartbeat"])
def test_each_hook_documents_its_answers_and_the_integration_key(source):
    hook = operation(f"/v1/hooks/{source}")
    assert {"202", "400", "401", "413", "503"} <= set(hook["responses"])
    answer = hook["responses"]["202"]["content"]["application/json"]["schema"]
    assert "results" in answer["properties"]
    error = hook["responses"]["401"]["content"]["application/json"]["schema"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    assert hook["security"] == [{"integration_key": []}, {"integration_key_basic": []}]
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert (schemes["integration_key"]["scheme"], schemes["integration_key_basic"]["scheme"]) == (
        "bearer",
        "basic",
    )


def test_pagerdutys_enqueue_documents_pagerdutys_own_answers_and_needs_no_header():
    enqueue = operation("/v2/enqueue")
    assert "security" not in enqueue
    jsonschema.validate(
        json.loads((FIXTURES / "pagerduty/response_202_success.json").read_text()),
        enqueue["responses"]["202"]["content"]["application/json"]["schema"],
    )
    invalid = {"status": "invalid event", "message": "Event object is invalid", "errors": ["x"]}
    jsonschema.validate(invalid, enqueue["responses"]["400"]["content"]["application/json"]["schema"])


def test_the_sentry_hook_names_its_resource_header():
    headers = {p["name"]: p for p in operation("/v1/hooks/sentry")["parameters"]}
    assert headers["Sentry-Hook-Resource"]["required"] is True
    assert headers["Sentry-Hook-Resource"]["schema"]["enum"] == ["event_alert", "metric_alert", "issue"]


def test_the_ingest_handler_still_imports_only_the_formats_it_receives():
    code = (
        "import sys, importlib.util; sys.path.insert(0, 'functions/ingest');"
        "import app;"
        "print(sorted(m for m in sys.modules if m.startswith('stormwatch.normalizers.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
