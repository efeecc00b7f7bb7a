"""The tools themselves, unchanged, paging the local stack: Prometheus Alertmanager (Debian's package,
installed by `make test`) and PagerDuty's own Python client."""

import json
import os
import shutil
import socket
import subprocess
import urllib.request
import uuid
from datetime import UTC, datetime

import pagerduty
import pytest

from tests.support.tls_proxy import https_proxy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def alertmanager(local_stack, tmp_path):
    if ALERTMANAGER is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus-alertmanager is not installed; `make test` installs it")
        pytest.skip("prometheus-alertmanager is not installed (make test installs it as root)")
    port = free_port()
    key = local_stack.credentials["integration_keys"]["alertmanager"]
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        json.dumps(
            {
                "route": {
                    "receiver": "stormwatch",
                    "group_by": ["alertname", "service"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {
                        "name": "stormwatch",
                        "webhook_configs": [
                            {
                                "url": f"{local_stack.url}/v1/hooks/alertmanager",
                                "send_resolved": True,
                                "http_config": {"authorization": {"type": "Bearer", "credentials": key}},
                            }
                        ],
                    }
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def ready():
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(ready, 30, "Alertmanager to start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def push(alertmanager_url, alerts):
    request = urllib.request.Request(
        f"{alertmanager_url}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_a_real_alertmanager_fires_and_resolves_an_incident(local_stack, alertmanager):
    token = local_stack.credentials["admin_token"]
    name = f"DiskFull{uuid.uuid4().hex[:6]}"
    started = datetime.now(UTC).isoformat()
    alert = {
        "labels": {"alertname": name, "service": "billing", "severity": "critical", "instance": "db-1"},
        "annotations": {"summary": "Disk 95% full on db-1", "runbook_url": "https://runbooks.example/disk"},
        "startsAt": started,
    }
    push(alertmanager, [alert])

    def incident():
        items = local_stack.request("GET", "/v1/incidents?limit=100", token=token).body["items"]
        return next(
            (
                item
                for item in items
                if item["title"] == "Disk 95% full on db-1" and name in item["incident_key"]
            ),
            None,
        )

    fired = wait_for(incident, 30, "Alertmanager's webhook to create the incident")
    assert (fired["source"], fired["severity"], fired["service"]) == ("alertmanager", "critical", "billing")

    push(alertmanager, [{**alert, "endsAt": datetime.now(UTC).isoformat()}])

    def resolved():
        detail = local_stack.request("GET", f"/v1/incidents/{fired['id']}", token=token).body
        return detail if detail["status"] == "resolved" else None

    detail = wait_for(resolved, 30, "Alertmanager's resolve to reach the incident")
    assert detail["resolved_by"] == "source:alertmanager"
    assert detail["alerts"][0]["status"] == "resolved"


@pytest.fixture
def https_url(local_stack, tmp_path):
    # PagerDuty's client accepts only an https base URL: TLS in front of the local stack.
    with https_proxy(local_stack.url, tmp_path) as (url, trust):
        yield url, trust


def test_pagerdutys_own_client_pages_stormwatch(local_stack, https_url):
    routing_key = local_stack.credentials["integration_keys"]["pagerduty"]
    url, trust = https_url
    client = pagerduty.EventsApiV2Client(routing_key, base_url=url, verify=trust)
    dedup = f"db01/disk/{uuid.uuid4().hex[:6]}"
    assert client.trigger("Disk full on db01", "db01", dedup_key=dedup, severity="error") == dedup
    token = local_stack.credentials["admin_token"]
    items = local_stack.request("GET", "/v1/incidents?limit=100", token=token).body["items"]
    (incident,) = [item for item in items if item["incident_key"] == dedup]
    assert (incident["severity"], incident["source"]) == ("high", "pagerduty")
    client.acknowledge(dedup)
    assert (
        local_stack.request("GET", f"/v1/incidents/{incident['id']}", token=token).body["status"]
        == "acknowledged"
    )
    client.resolve(dedup)
    assert (
        local_stack.request("GET", f"/v1/incidents/{incident['id']}", token=token).body["status"]
        == "resolved"
    )
    generated = client.trigger("No dedup key given", "web01")
    assert len(generated) == 32
