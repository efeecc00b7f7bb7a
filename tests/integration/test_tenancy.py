def test_two_orgs_with_the_same_key_get_separate_incidents_and_cannot_see_each_other(stack):
    acme = stack.hook("generic_firing", org="acme").body["results"][0]["incident_id"]
    globex = stack.hook("generic_firing", org="globex").body["results"][0]["incident_id"]
    assert acme != globex

    assert [item["id"] for item in stack.incidents(org="acme")] == [acme]
    assert [item["id"] for item in stack.incidents(org="globex")] == [globex]

    for reader, foreign in (("acme", globex), ("globex", acme)):
        answer = stack.rest("queries/get_incident", org=reader, roles="[admin]", incident_id=foreign)
        assert answer.status == 404
        changed = stack.rest("commands/acknowledge", org=reader, roles="[admin]", incident_id=foreign)
        assert changed.status == 404

    assert stack.incident(acme, org="acme")["status"] == "open"
    assert stack.incident(globex, org="globex")["status"] == "open"


def test_one_orgs_key_cannot_post_as_the_other(stack):
    globex_key = stack.keys[("globex", "generic")]
    answer = stack.hook("generic_firing", org="acme", authorization=f"Bearer {globex_key}")
    assert answer.status == 202
    assert stack.incidents(org="acme") == []
    assert len(stack.incidents(org="globex")) == 1
