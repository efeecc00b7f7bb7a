"""Ctrl-C (SIGINT) or SIGTERM stops `stormwatch dev` promptly, whatever it is doing: here the notifier is
in the middle of a delivery that its receiver holds, and a request is in flight."""

import json
import signal
import socket
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import page_member_on_escalation, start_stack
from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
PROMPT_SECONDS = 3.0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_stack_exits_promptly_during_a_delivery_and_a_request(tmp_path, signum):
    with receiver() as hooks:
        hooks.held.add("/wendy")
        stack_run = start_stack(tmp_path)
        stack = next(stack_run)
        admin = stack.credentials["admin_token"]
        member = {"handle": "wendy", "name": "Wendy", "webhook_url": f"{hooks.url}/wendy"}
        page_member_on_escalation(stack, admin, member, delay_minutes=1)
        alarm = {"incident_key": "db::down", "severity": "critical", "title": "DB down"}
        key = stack.credentials["integration_keys"]["generic"]
        assert stack.request("POST", "/v1/hooks/generic", alarm, key=key).status == 202
        later = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
        report = json.loads(stack.cli("sweep", "--now", later))
        assert report["fired"] == 1
        wait_for(lambda: "/wendy" in hooks.arrived, 30, "the notifier to reach the held webhook")
        # A request whose body is still on its way.
        url = urlsplit(stack.url)
        in_flight = socket.create_connection((url.hostname, url.port))
        in_flight.sendall(b"POST /v1/hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")

        started = time.monotonic()
        stack.process.send_signal(signum)
        stack.process.wait(timeout=30)
        elapsed = time.monotonic() - started
        in_flight.close()
        stack_run.close()
    assert elapsed < PROMPT_SECONDS, f"exit took {elapsed:.1f} s"
