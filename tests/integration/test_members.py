from datetime import UTC, datetime

import pytest

from stormwatch import wiring
from stormwatch.settings import get_settings
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import MemberKeys, PolicyKeys
from stormwatch.store.schedules import ScheduleStore
from tests.integration.test_schedules import weekly


def test_an_admin_manages_members_and_secrets_stay_hidden(stack):
    created = stack.add_member(
        "Bob", email="bob@example.com", webhook_url="https://hooks.example.com/bob", webhook_secret="s" * 32
    )
    assert created["handle"] == "bob"
    assert created["role"] == "responder"
    assert created["has_webhook_secret"] is True
    assert "webhook_secret" not in created

    listed = stack.call("GET", "/v1/members", roles="[admin]").body["items"]
    assert [member["handle"] for member in listed] == ["bob"]

    patched = stack.call("PATCH", "/v1/members/bob", {"name": "Robert", "role": "lead"}, roles="[admin]")
    assert patched.status == 200
    assert (patched.body["name"], patched.body["role"], patched.body["email"]) == (
        "Robert",
        "lead",
        "bob@example.com",
    )
    assert stack.call("GET", "/v1/members/bob", roles="[admin]").body["name"] == "Robert"

    assert stack.call("DELETE", "/v1/members/bob", roles="[admin]").status == 200
    assert stack.call("GET", "/v1/members/bob", roles="[admin]").status == 404
    assert stack.call("DELETE", "/v1/members/bob", roles="[admin]").status == 404


def test_every_role_reads_who_the_members_are_and_only_admins_how_to_reach_them(stack):
    stack.add_member("Bob", email="bob@example.com", webhook_url="https://hooks.example.com/bob")
    for roles in ("[viewer]", "[responder]", "[lead]"):
        (listed,) = stack.call("GET", "/v1/members", roles=roles).body["items"]
        assert (listed["handle"], listed["name"], listed["role"]) == ("bob", "Bob", "responder")
        assert (listed["email"], listed["webhook_url"], listed["slack_webhook"]) == (None, None, None), roles
        assert stack.call("GET", "/v1/members/bob", roles=roles).body["email"] is None
    (seen_by_admin,) = stack.call("GET", "/v1/members", roles="[admin]").body["items"]
    assert (seen_by_admin["email"], seen_by_admin["webhook_url"]) == (
        "bob@example.com",
        "https://hooks.example.com/bob",
    )


def test_a_handle_is_unique_per_org(stack):
    stack.add_member("bob")
    again = stack.call("POST", "/v1/members", {"handle": "bob", "name": "Other Bob"}, roles="[admin]")
    assert again.status == 409
    stack.add_member("bob", org="globex")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handle": "Bad Handle!", "name": "x"}, "body.handle"),
        ({"handle": "ok"}, "body.name"),
        ({"handle": "ok", "name": "x", "role": "owner"}, "body.role"),
        ({"handle": "ok", "name": "x", "email": "not-an-email"}, "body.email"),
        ({"handle": "ok", "name": "x", "slack_webhook": "http://insecure"}, "body.slack_webhook"),
    ],
)
def test_bad_members_are_400_naming_the_field(stack, body, field):
    answer = stack.call("POST", "/v1/members", body, roles="[admin]")
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith(field)


def test_only_admins_manage_members(stack):
    for roles in ("[viewer]", "[responder]", "[lead]"):
        answer = stack.call("POST", "/v1/members", {"handle": "eve", "name": "Eve"}, roles=roles)
        assert answer.status == 403
        assert "admin" in answer.body["error"]["message"]


def test_a_departing_members_incidents_never_go_back_to_them_on_a_read_that_missed_their_removal(
    stack, monkeypatch
):
    stack.clock.moment = datetime(2026, 3, 1, tzinfo=UTC)
    for handle in ("alice", "bob"):
        stack.add_member(handle)
    schedule = stack.call("POST", "/v1/schedules", weekly(), roles="[admin]").body
    stack.call("PUT", "/v1/org/settings", {"default_schedule_id": schedule["id"]}, roles="[admin]")
    stack.clock.moment = datetime(2026, 3, 4, 12, tzinfo=UTC)  # alice's week
    incident_id = stack.fire("db::down")
    stack.call("POST", f"/v1/incidents/{incident_id}/assignment", {"assignee": "alice"})
    # Eventually consistent reads that have not seen the removal yet: alice still in the rotation.
    before = wiring.schedule_store().get("acme", schedule["id"], consistent=True)
    read = ScheduleStore.get

    def lagging(store, org, schedule_id, consistent=False):
        return read(store, org, schedule_id, consistent) if consistent else before

    monkeypatch.setattr(ScheduleStore, "get", lagging)
    assert stack.call("DELETE", "/v1/members/alice", roles="[admin]").status == 200
    incident = stack.incident(incident_id)
    assert incident["assignee"] == "bob"
    (handed_over,) = [
        event
        for event in incident["timeline"]
        if event["type"] == "assigned" and event["data"]["previous"] == "alice"
    ]
    reason = handed_over["data"]["reason"]
    assert reason == f"assignee alice left; bob is on call for schedule {schedule['id']}"


def test_members_policies_and_settings_stored_before_the_models_read_as_they_were(stack):
    """Items as the earlier botocore stores wrote them (the codec's shapes, their keys) read through the
    PynamoDB models unchanged, and the alert path reads the same settings."""
    written = "2026-03-01T00:00:00.000Z"
    items = [
        {
            **MemberKeys.of("acme", "olga"),
            "entity": "member",
            "handle": "olga",
            "name": "Olga",
            "role": "lead",
            "email": "olga@example.com",
            "created_at": written,
            "updated_at": written,
            "removing": False,
        },
        {
            **PolicyKeys.of("acme", "pol_old"),
            "entity": "policy",
            "org": "acme",
            "id": "pol_old",
            "name": "old",
            "levels": [{"delay_minutes": 5, "targets": [{"type": "member", "value": "olga"}]}],
            "repeat": 2,
            "owner": "olga",
            "created_at": written,
            "updated_at": written,
        },
        {
            **PolicyKeys.settings("acme"),
            "entity": "settings",
            "default_escalation_policy_id": "pol_old",
            "inactivity_days": 3,
            "postmortem_required_severities": ["critical", "high"],
            "updated_at": written,
        },
    ]
    for item in items:
        stack.client.put_item(TableName=get_settings().table_name, Item=encode_item(item))
    member = stack.call("GET", "/v1/members/olga", roles="[admin]").body
    assert (member["name"], member["role"], member["email"]) == ("Olga", "lead", "olga@example.com")
    policy = stack.call("GET", "/v1/escalation-policies/pol_old", roles="[admin]").body
    assert (policy["repeat"], policy["owner"], policy["levels"][0]["delay_minutes"]) == (2, "olga", 5)
    settings = stack.call("GET", "/v1/org/settings", roles="[viewer]").body
    assert settings["inactivity_days"] == 3
    assert settings["postmortem_required_severities"] == ["critical", "high"]
    assert wiring.policy_reads().effective("acme", None).id == "pol_old"
    # Written again through the model, a member keeps the stored shape: the same attributes, new values.
    assert stack.call("PATCH", "/v1/members/olga", {"name": "Olga K"}, roles="[admin]").status == 200
    key = encode_item(MemberKeys.of("acme", "olga"))
    stored = decode_item(stack.client.get_item(TableName=get_settings().table_name, Key=key)["Item"])
    assert stored.pop("updated_at") > written
    assert stored == {name: value for name, value in items[0].items() if name != "updated_at"} | {
        "name": "Olga K"
    }
