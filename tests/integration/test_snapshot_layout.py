"""The snapshot's stored layout: fields at their defaults left out, index keys shared, and the `changed`
marker that keeps repeat firings away from the stream consumers. Items written before (the previous
layout, as a kept `--data` directory holds them) are still read, listed and counted."""

from typing import Any

from stormwatch.local.streams import matches
from stormwatch.local.template import Template
from tests.integration.conftest import TEMPLATE

TABLE = "stormwatch-test"


def _head(stack: Any, incident_id: str) -> dict[str, Any]:
    key_hash = incident_id.rsplit("-", 1)[0]
    key = {"pk": {"S": f"ORG#acme#K#{key_hash}"}, "sk": {"S": "CUR"}}
    item: dict[str, Any] = stack.client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    return item


def _woken(image: dict[str, Any]) -> list[str]:
    """The stream consumers whose filters (template.yaml) a MODIFY record with this new image matches."""
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": image}}
    return [
        consumer.function
        for consumer in Template(TEMPLATE).stream_consumers()
        if any(matches(pattern, record) for pattern in consumer.patterns)
    ]


def test_a_repeat_wakes_no_stream_consumer_and_a_change_wakes_them(stack):
    incident_id = stack.fire("checkout")
    assert _woken(_head(stack, incident_id)) == ["AggregatesFunction", "NotifierFunction"]
    stack.fire("checkout")
    repeated = _head(stack, incident_id)
    assert repeated["alert_count"] == {"N": "2"}
    assert _woken(repeated) == []
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"})
    assert answer.status == 200, answer.body
    assert _woken(_head(stack, incident_id)) == ["AggregatesFunction", "NotifierFunction"]


def test_a_snapshot_leaves_out_fields_at_their_defaults_and_reads_them_back(stack):
    incident_id = stack.fire("checkout")
    stored = _head(stack, incident_id)
    for default in ("escalation_level", "reopen_count", "reopen_times", "flapping", "postmortem_status"):
        assert default not in stored
    for shared in ("gsi2sk", "gsi3sk", "gsi4pk", "severity_rank"):
        assert shared not in stored
    shown = stack.incident(incident_id)
    assert (shown["escalation_level"], shown["reopen_count"], shown["flapping"]) == (0, 0, False)
    assert shown["postmortem_status"] == "none"


def test_an_incident_stored_in_the_previous_layout_is_listed_read_and_counted(stack):
    incident_id = stack.fire("checkout")
    before = stack.incident(incident_id)
    item = _head(stack, incident_id)
    # As the previous layout wrote it: each index's own key copies, the rank, every default, no marker.
    item.pop("changed")
    item.update(
        gsi2sk=item["gsi1sk"],
        gsi4pk=item["gsi2pk"],
        severity_rank={"N": "3"},
        escalation_level={"N": "0"},
        escalation_step={"L": [{"N": "0"}, {"N": "0"}]},
        flapping={"BOOL": False},
        truncated_alerts={"N": "0"},
        reopen_count={"N": "0"},
        reopen_times={"L": []},
        postmortem_status={"S": "none"},
        links={"L": []},
    )
    stack.client.put_item(TableName=TABLE, Item=item)
    assert stack.incident(incident_id) == before
    for query in ({}, {"status": "open"}, {"sort": "activity"}):
        assert [found["id"] for found in stack.incidents(**query)] == [incident_id], query
    stack.fire("checkout")
    assert stack.incident(incident_id)["alert_count"] == before["alert_count"] + 1
