"""Whatever a sender posts, no hook answers 5xx, and a refused body stores nothing: per source, the real
payload (tests/fixtures) malformed, truncated, with a field of the wrong type, not UTF-8, or oversized."""

import base64
import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stormwatch import wiring
from stormwatch.local.snstest import SnsTestSigner
from stormwatch.services.sns import SnsVerifier
from stormwatch.settings import get_settings
from tests.integration.conftest import load_event
from tests.support.aws import count_items

# Each source's event in events/ingest (its body is the real payload).
EVENTS = {
    "generic": "generic_critical",
    "alertmanager": "alertmanager_firing",
    "grafana": "grafana_firing",
    "cloudwatch": "cloudwatch_alarm",
    "sentry": "sentry_issue_alert",
    "datadog": "datadog_triggered",
    "pagerduty": "pagerduty_trigger",
}
SAMPLE_ROUTING_KEY = b"e93facc04764012d7bfb002500d5d1a6"
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = value.copy()
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def bodies(draw: Any, payload: Any) -> bytes:
    """A body a broken or hostile sender could post, made from the real payload."""
    text = json.dumps(payload)
    kind = draw(st.sampled_from(["malformed", "truncated", "wrong_type", "not_utf8"]))
    if kind == "malformed":
        return draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    if kind == "truncated":
        return text[: draw(st.integers(0, max(len(text) - 1, 0)))].encode()
    if kind == "wrong_type":
        path = draw(st.sampled_from(paths(payload)))
        return json.dumps(replaced(payload, path, draw(json_values))).encode()
    at = draw(st.integers(0, len(text)))
    return (
        text[:at].encode() + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + text[at:].encode()
    )


class Sender:
    def __init__(self, stack: Any, source: str, signer: SnsTestSigner) -> None:
        self.stack, self.source, self.signer = stack, source, signer
        self.event = load_event(f"ingest/{EVENTS[source]}.json")
        self.payload = json.loads(self.event["body"])
        if source == "cloudwatch":
            # The alarm inside the signed envelope is what a sender gets wrong; the envelope is signed.
            self.payload = json.loads(self.payload["Message"])

    def post(self, body: bytes, resource: str = "event_alert") -> Any:
        if self.source == "cloudwatch":
            envelope = json.loads(self.event["body"])
            text = body.decode("utf-8", errors="replace")
            envelope.update(Message=text, MessageId=str(hash(body)))
            body = self.signer.body(envelope).encode()
        event = {**self.event, "headers": dict(self.event["headers"])}
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
        if self.source == "pagerduty":
            # The routing key is in the body: the real one goes where the body still has the sample's.
            key = self.stack.keys[("acme", "pagerduty")].encode()
            event["body"] = base64.b64encode(body.replace(SAMPLE_ROUTING_KEY, key)).decode()
        else:
            event["headers"]["authorization"] = f"Bearer {self.stack.keys[('acme', self.source)]}"
        if self.source == "sentry":
            event["headers"]["sentry-hook-resource"] = resource
        return self.stack.invoke("ingest", event)


@pytest.fixture
def sender(stack, monkeypatch, request):
    signer = SnsTestSigner()
    verifier = SnsVerifier(lambda url: signer.pem, lambda url: b"")
    monkeypatch.setattr(wiring, "sns", functools.lru_cache(maxsize=1)(lambda: verifier))
    wiring.ingest_service.cache_clear()
    return lambda source: Sender(stack, source, signer)


def check(stack: Any, answer: Any, before: int) -> None:
    assert answer.status < 500, answer.body
    if answer.status != 202:
        assert count_items(stack.client) == before, answer.body


@pytest.mark.parametrize("source", sorted(EVENTS))
def test_no_body_gets_a_5xx_and_a_refused_one_stores_nothing(stack, sender, source):
    hook = sender(source)

    @FUZZ
    @given(body=bodies(hook.payload), resource=st.sampled_from(["event_alert", "metric_alert", "issue", "x"]))
    def post(body: bytes, resource: str) -> None:
        before = count_items(stack.client)
        check(stack, hook.post(body, resource), before)

    post()


@pytest.mark.parametrize("source", sorted(EVENTS))
def test_an_oversized_body_is_413_and_stores_nothing(stack, sender, source):
    before = count_items(stack.client)
    answer = sender(source).post(b"[" + b"1," * (get_settings().max_body_bytes // 2) + b"1]")
    assert answer.status == 413, answer.body
    assert count_items(stack.client) == before
