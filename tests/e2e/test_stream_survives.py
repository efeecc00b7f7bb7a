"""Over HTTP against `stormwatch dev`: a transaction that fails its condition does not stop the stream.
Before the local engine, moto put back a copy of the table (stream included) after a failed transaction,
and the stack's stream pump read the discarded copy from then on: no notification and no metric moved
again, without a word in the log."""

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import LocalStack
from tests.support.receiver import receiver
from tests.support.stack import stack_dynamodb
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def fail_a_transaction(local_stack: LocalStack) -> None:
    """A TransactWriteItems on the stack's table whose second operation fails its condition: the first one
    (a put) is applied, then undone."""
    client = stack_dynamodb(local_stack.credentials)
    table = local_stack.credentials["table_name"]
    probe = f"E2E#{uuid.uuid4().hex}"
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": probe}, "sk": {"S": "PUT"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": probe}, "sk": {"S": "ABSENT"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": probe}, "sk": {"S": "PUT"}})


def test_after_a_failed_transaction_an_assignment_reaches_the_members_webhook_and_the_metrics(
    local_stack: LocalStack,
) -> None:
    org = f"stream{uuid.uuid4().hex[:6]}"
    admin = local_stack.token(org, "ada", "admin")
    service = f"svc-{uuid.uuid4().hex[:6]}"
    with receiver() as hooks:
        member = {"handle": "wendy", "name": "Wendy", "webhook_url": f"{hooks.url}/wendy"}
        assert local_stack.request("POST", "/v1/members", member, token=admin).status == 201
        key = local_stack.request(
            "POST", "/v1/integrations", {"source": "generic", "name": "g"}, token=admin
        ).body["key"]

        def fire(name: str) -> str:
            alarm = {"incident_key": name, "severity": "high", "title": name, "service": service}
            answer = local_stack.request("POST", "/v1/hooks/generic", alarm, key=key)
            assert answer.status == 202
            incident_id: str = answer.body["results"][0]["incident_id"]
            return incident_id

        def counted(incidents: int) -> Any:
            body = local_stack.request("GET", f"/v1/metrics?service={service}", token=admin).body
            return body if body["incidents"] == incidents else None

        fire("before")
        wait_for(lambda: counted(1), 30, "the first incident in the metrics")

        fail_a_transaction(local_stack)

        after = fire("after")
        assigned = local_stack.request(
            "POST", f"/v1/incidents/{after}/assignment", {"assignee": "wendy"}, token=admin
        )
        assert assigned.status == 200, assigned.body

        (request,) = wait_for(lambda: hooks.delivered("/wendy"), 30, "the assignment at wendy's webhook")
        payload = json.loads(request.body)
        assert (payload["type"], payload["incident"]["id"]) == ("notification.assigned", after)
        assert wait_for(lambda: counted(2), 30, "the second incident in the metrics")["incidents"] == 2
