"""`stormwatch dev --sns-test-cert PEM`: a CloudWatch alarm signed with the test key is accepted over HTTP."""

import json

import pytest

from stormwatch.local.snstest import SnsTestSigner
from tests.e2e.conftest import start_stack
from tests.support.paths import FIXTURES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signer():
    return SnsTestSigner()


@pytest.fixture(scope="module")
def sns_stack(tmp_path_factory, signer):
    directory = tmp_path_factory.mktemp("sns")
    certificate = directory / "sns-test.pem"
    certificate.write_bytes(signer.pem)
    yield from start_stack(directory, "--sns-test-cert", str(certificate))


def test_a_signed_alarm_is_accepted_and_a_forged_one_refused(sns_stack, signer):
    key = sns_stack.credentials["integration_keys"]["cloudwatch"]
    message = json.loads((FIXTURES / "cloudwatch/sns_notification_alarm.json").read_text())
    signed = signer.body(message)
    answer = sns_stack.request(
        "POST",
        "/v1/hooks/cloudwatch",
        signed.encode(),
        key=key,
        headers={"Content-Type": "text/plain; charset=UTF-8"},
    )
    assert answer.status == 202
    assert answer.body["results"][0]["action"] == "created"
    forged = json.loads(signed)
    forged["Message"] = forged["Message"].replace("bucketbytesAlarm", "otherAlarm")
    refused = sns_stack.request("POST", "/v1/hooks/cloudwatch", json.dumps(forged).encode(), key=key)
    assert refused.status == 401
