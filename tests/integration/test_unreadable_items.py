"""One stored item the code cannot read (written by an older version, or by a bug) never breaks a list:
the list answers with every other item, and the unreadable one is logged."""

import pytest
from moto.dynamodb.responses import DynamoHandler

from stormwatch.local import dynamodb_engine
from stormwatch.settings import get_settings


def snapshot_key(stack, incident_id):
    items = stack.client.scan(TableName=get_settings().table_name)["Items"]
    item = next(
        item
        for item in items
        if item.get("id", {}).get("S") == incident_id and item.get("entity", {}).get("S") == "incident"
    )
    return {"pk": item["pk"], "sk": item["sk"]}, item


@pytest.mark.parametrize(
    "corruption",
    [
        {"labels": {"M": {"": {"S": "x"}}}},  # botocore cannot parse the response holding it
        {"severity": {"S": "catastrophic"}},  # the model refuses it
    ],
    ids=["unparsable", "invalid"],
)
def test_an_unreadable_incident_is_left_out_of_the_list(stack, corruption, caplog, monkeypatch):
    # moto's own serializer writes the empty name so that botocore cannot parse the answer (the local
    # engine's json.dumps answer parses): the store must survive a response it cannot parse.
    monkeypatch.setattr(dynamodb_engine.LocalDynamoHandler, "serialized", DynamoHandler.serialized)
    good, bad, other = stack.fire("db::down"), stack.fire("api::errors"), stack.fire("web::slow")
    _, item = snapshot_key(stack, bad)
    stack.client.put_item(TableName=get_settings().table_name, Item={**item, **corruption})
    listed = stack.call("GET", "/v1/incidents", roles="[viewer]", query={"limit": "100"})
    assert listed.status == 200, listed.body
    assert {incident["id"] for incident in listed.body["items"]} == {good, other}
    assert "cannot be read" in caplog.text


def test_an_unreadable_timeline_event_is_left_out_of_the_timeline(stack):
    incident_id = stack.fire("db::down")
    stack.call("POST", f"/v1/incidents/{incident_id}/comments", {"body": "looking"})
    items = stack.client.scan(TableName=get_settings().table_name)["Items"]
    comment = next(item for item in items if item.get("type", {}).get("S") == "comment")
    stack.client.put_item(TableName=get_settings().table_name, Item={**comment, "at": {"S": "yesterday"}})
    timeline = stack.call("GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]")
    assert timeline.status == 200, timeline.body
    assert [event["type"] for event in timeline.body["items"]] == ["created", "alert_fired"]
