def test_assigning_a_member_records_it_and_notifies_them(stack):
    stack.add_member("bob")
    incident_id = stack.fire("db::lag")
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "bob"})
    assert answer.status == 200
    assert answer.body["assignee"] == "bob"
    event = stack.incident(incident_id)["timeline"][0]
    assert (event["type"], event["actor"], event["data"]) == (
        "assigned",
        "user:alice",
        {"assignee": "bob", "previous": None},
    )
    (notification,) = stack.outbox()
    assert (notification["kind"], notification["member"], notification["incident_id"]) == (
        "assigned",
        "bob",
        incident_id,
    )
    assert notification["org"] == "acme"


def test_assigning_someone_who_is_not_a_member_is_404_and_changes_nothing(stack):
    incident_id = stack.fire("db::lag")
    stack.add_member("bob", org="globex")
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "bob"})
    assert answer.status == 404
    assert "bob" in answer.body["error"]["message"]
    assert stack.incident(incident_id)["assignee"] is None
    assert stack.outbox() == []


def test_reassigning_and_unassigning(stack):
    stack.add_member("bob")
    stack.add_member("carol")
    incident_id = stack.fire("db::lag")
    stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "bob"})
    stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "carol"})
    cleared = stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": None})
    assert cleared.body["assignee"] is None
    assigned = [e["data"] for e in stack.incident(incident_id)["timeline"] if e["type"] == "assigned"]
    assert assigned == [
        {"assignee": None, "previous": "carol"},
        {"assignee": "carol", "previous": "bob"},
        {"assignee": "bob", "previous": None},
    ]


def test_removing_a_member_unassigns_their_active_incidents_saying_so(stack):
    stack.add_member("bob")
    active = stack.fire("a")
    closed = stack.fire("b")
    for incident_id in (active, closed):
        stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "bob"})
    stack.call("POST", f"/v1/incidents/{closed}/status", {"status": "resolved", "note": "done"})
    assert stack.call("DELETE", "/v1/members/bob", roles="[admin]").status == 200
    detail = stack.incident(active)
    assert detail["assignee"] is None
    assert detail["timeline"][0]["type"] == "assigned"
    assert detail["timeline"][0]["data"] == {
        "assignee": None,
        "previous": "bob",
        "reason": "assignee bob left",
    }
    assert stack.incident(closed)["assignee"] == "bob"


def test_a_leaving_members_incidents_go_to_the_owner_of_their_escalation_policy(stack):
    stack.add_member("bob")
    stack.add_member("olga", role="lead")
    body = {
        "name": "payments",
        "owner": "olga",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "member", "value": "bob"}]}],
    }
    policy_id = stack.call("POST", "/v1/escalation-policies", body, roles="[admin]").body["id"]
    stack.call("PUT", "/v1/org/settings", {"default_escalation_policy_id": policy_id}, roles="[admin]")
    incident_id = stack.fire("a")
    stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "bob"})
    assert stack.call("DELETE", "/v1/members/bob", roles="[admin]").status == 200
    detail = stack.incident(incident_id)
    assert detail["assignee"] == "olga"
    assert detail["timeline"][0]["data"]["reason"] == "assignee bob left; olga owns the escalation policy"
    assert [(n["kind"], n["member"]) for n in stack.outbox() if n["kind"] == "assigned"][-1] == (
        "assigned",
        "olga",
    )


def test_mentions_of_members_notify_them_and_unknown_handles_stay_text(stack):
    stack.add_member("bob")
    stack.add_member("carol")
    incident_id = stack.fire("db::lag")
    body = "Rolled back. @bob @Carol please watch p95; @nobody, mail me at a@b.com"
    answer = stack.call("POST", f"/v1/incidents/{incident_id}/comments", {"body": body})
    assert answer.status == 201
    comment = answer.body
    assert comment["type"] == "comment"
    assert comment["data"]["body"] == body
    assert comment["data"]["mentions"] == ["bob", "carol"]
    assert [(n["kind"], n["member"]) for n in stack.outbox()] == [
        ("mentioned", "bob"),
        ("mentioned", "carol"),
    ]
    assert stack.incident(incident_id)["timeline"][0]["data"]["comment_id"] == comment["id"]


def test_a_comment_is_edited_or_deleted_by_its_author_and_both_are_recorded(stack):
    stack.add_member("bob")
    incident_id = stack.fire("db::lag")
    comment_id = stack.call("POST", f"/v1/incidents/{incident_id}/comments", {"body": "first"}).body["id"]
    path = f"/v1/incidents/{incident_id}/comments/{comment_id}"
    assert stack.call("PATCH", path, {"body": "nope"}, user="mallory").status == 403
    edited = stack.call("PATCH", path, {"body": "second, cc @bob"})
    assert edited.status == 200
    assert edited.body["data"] == {"comment_id": comment_id, "body": "second, cc @bob", "mentions": ["bob"]}
    assert stack.call("DELETE", path, user="lee", roles="[lead]").status == 200
    assert stack.call("PATCH", path, {"body": "third"}).status == 404
    assert stack.call("DELETE", path).status == 404
    types = [event["type"] for event in stack.incident(incident_id)["timeline"]]
    assert types[:3] == ["comment_deleted", "comment_edited", "comment"]


def test_comments_on_another_orgs_incident_are_404(stack):
    foreign = stack.fire("db::lag", org="globex")
    answer = stack.call("POST", f"/v1/incidents/{foreign}/comments", {"body": "hello"})
    assert answer.status == 404
    assert stack.incident(foreign, org="globex")["timeline"][0]["type"] == "alert_fired"
