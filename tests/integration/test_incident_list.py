"""GET /v1/incidents: the order by activity, cursors that are edited or reused elsewhere, bad parameters."""

from datetime import datetime, timedelta, timezone

import pytest


def test_activity_order_puts_the_latest_comment_first(stack):
    first, second = stack.fire("a"), stack.fire("b")
    stack.clock.advance(minutes=5)
    stack.call("POST", f"/v1/incidents/{first}/comments", {"body": "any news?"})
    assert [item["id"] for item in stack.incidents()] == [second, first]
    assert [item["id"] for item in stack.incidents(sort="activity")] == [first, second]


def test_a_cursor_edited_or_used_elsewhere_is_400_and_never_data(stack):
    for key in ("a", "b", "c"):
        stack.fire(key, severity="high")
        stack.fire(key, org="globex", severity="high")
    query = {"limit": "1", "severity": "high"}
    cursor = stack.rest("queries/list_incidents", roles="[viewer]", query=query).body["next_cursor"]
    assert cursor is not None
    position, mac = cursor.split(".")
    edited_position = ("A" if position[-1] != "A" else "B") + position[1:]
    attempts = [
        ("acme", {**query, "cursor": f"{edited_position}.{mac}"}),
        ("acme", {**query, "cursor": f"{position}.{mac[:-1]}"}),
        ("acme", {**query, "cursor": "not-a-cursor"}),
        ("acme", {"limit": "1", "severity": "critical", "cursor": cursor}),
        ("acme", {"limit": "1", "cursor": cursor}),
        ("globex", {**query, "cursor": cursor}),
    ]
    for org, params in attempts:
        answer = stack.rest("queries/list_incidents", org=org, roles="[viewer]", query=params)
        assert answer.status == 400, (org, params, answer.body)
        assert answer.body["error"]["message"].startswith("cursor")
    assert (
        stack.rest("queries/list_incidents", roles="[viewer]", query={**query, "cursor": cursor}).status
        == 200
    )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"status": "open,sleeping"}, "query.status"),
        ({"severity": "urgent"}, "query.severity"),
        ({"sort": "sideways"}, "query.sort"),
        ({"created_after": "yesterday"}, "query.created_after"),
        ({"created_before": "2026-11-22T09:00:00"}, "query.created_before"),
        (
            {"created_after": "2026-11-22T10:00:00Z", "created_before": "2026-11-22T09:00:00Z"},
            "created_after",
        ),
        ({"q": "!!!"}, "q"),
        ({"q": "a b c d e f g h i"}, "q"),
        ({"assignee": "x" * 65}, "query.assignee"),
        ({"service": ""}, "query.service"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"cursor": "c" * 1025}, "query.cursor"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(stack, query, parameter):
    answer = stack.rest("queries/list_incidents", roles="[viewer]", query=query)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(parameter), answer.body


def test_created_times_are_compared_as_instants_whatever_their_offset(stack):
    stack.fire("a")
    created = datetime.fromisoformat(stack.incidents()[0]["created_at"])
    paris = timezone(timedelta(hours=1))
    just_after = (created + timedelta(seconds=1)).astimezone(paris).isoformat()
    just_before = (created - timedelta(seconds=1)).astimezone(paris).isoformat()
    assert len(stack.incidents(created_before=just_after)) == 1
    assert stack.incidents(created_before=just_before) == []
    assert len(stack.incidents(created_after=just_before)) == 1
