"""`stormwatch dev --sns-test-cert auto` trusts a generated test certificate, and `stormwatch send-sns FILE`
signs a CloudWatch alarm as SNS does and pages the local stack through its CloudWatch hook."""

import json

import pytest

from tests.e2e.conftest import start_stack
from tests.support.paths import EVENTS, FIXTURES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def auto_sns_stack(tmp_path_factory):
    yield from start_stack(tmp_path_factory.mktemp("send-sns"), "--sns-test-cert", "auto")


@pytest.mark.parametrize("version", ["1", "2"])
def test_send_sns_pages_with_a_sample_alarm(auto_sns_stack, version):
    printed = auto_sns_stack.cli(
        "send-sns", str(EVENTS / "sns/cloudwatch_alarm.json"), "--signature-version", version
    )
    status, _, body = printed.partition(" ")
    assert status == "202"
    (result,) = json.loads(body)["results"]
    assert result["incident_key"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-api-p99-latency"
    admin = auto_sns_stack.credentials["admin_token"]
    incident = auto_sns_stack.request("GET", f"/v1/incidents/{result['incident_id']}", token=admin).body
    assert (incident["source"], incident["status"]) == ("cloudwatch", "open")


def test_send_sns_re_signs_a_notification_as_captured(auto_sns_stack):
    printed = auto_sns_stack.cli("send-sns", str(FIXTURES / "cloudwatch/sns_notification_alarm.json"))
    assert printed.split(" ", 1)[0] == "202"
    assert json.loads(printed.split(" ", 1)[1])["results"][0]["incident_key"].endswith(
        ":alarm:bucketbytesAlarm"
    )


def test_the_generated_certificate_is_kept_beside_the_credentials(auto_sns_stack):
    directory = auto_sns_stack.credentials_file.parent
    assert (directory / "sns-test.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert (directory / "sns-test.key").stat().st_mode & 0o077 == 0
