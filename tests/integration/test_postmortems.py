"""Post-mortems through the handlers on moto: drafting, editing with If-Match, status moves and roles,
action items, the template, markdown, search and tenancy."""

from tests.support.aws import count_items


def resolved_critical(stack, key="checkout::errors", org="acme", note="rolled back 4.2.1"):
    incident_id = stack.fire(key, org=org, severity="critical")
    stack.clock.advance(minutes=3)
    answer = stack.call(
        "POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, org=org, user="bob"
    )
    assert answer.status == 200, answer.body
    stack.clock.advance(minutes=30)
    answer = stack.call(
        "POST",
        f"/v1/incidents/{incident_id}/status",
        {"status": "resolved", "note": note},
        org=org,
        user="bob",
    )
    assert answer.status == 200, answer.body
    return incident_id


def create(stack, incident_id, body=None, **caller):
    return stack.call("POST", f"/v1/incidents/{incident_id}/postmortem", body or {}, **caller)


def test_the_draft_is_filled_in_from_the_incident(stack):
    incident_id = resolved_critical(stack)
    stack.clock.advance(hours=1)
    answer = create(stack, incident_id)
    assert answer.status == 201, answer.body
    postmortem = answer.body
    assert postmortem["status"] == "draft"
    assert postmortem["version"] == 1
    assert postmortem["author"] == "user:alice"
    assert postmortem["impact"]["duration_seconds"] == 33 * 60
    assert postmortem["impact"]["users_affected"] is None
    assert "rolled back 4.2.1" in postmortem["sections"]["summary"]
    lines = postmortem["sections"]["timeline"].splitlines()
    assert lines[0].startswith("[2026-11-22 09:00 UTC] Incident opened:")
    assert any(line.startswith("[2026-11-22 09:00 UTC] Alert fired:") for line in lines)
    assert "[2026-11-22 09:03 UTC] Status open → acknowledged by bob" in lines
    assert "[2026-11-22 09:33 UTC] Resolved by bob: rolled back 4.2.1" in lines
    assert postmortem["sections"]["root_cause"] == ""
    assert postmortem["action_items"] == []
    incident = stack.incident(incident_id)
    assert incident["postmortem_status"] == "draft"
    assert incident["timeline"][0]["type"] == "postmortem"
    assert incident["timeline"][0]["data"] == {"action": "created", "status": "draft"}


def test_a_second_draft_is_409_and_changes_nothing(stack):
    incident_id = resolved_critical(stack)
    assert create(stack, incident_id).status == 201
    items = count_items(stack.client)
    answer = create(stack, incident_id)
    assert answer.status == 409
    assert count_items(stack.client) == items


def test_related_incidents_timelines_are_merged_in_time_order(stack):
    first = stack.fire("db::latency", severity="high")
    stack.clock.advance(minutes=5)
    main = resolved_critical(stack)
    answer = create(stack, main, {"related_incident_ids": [first]})
    assert answer.status == 201, answer.body
    lines = answer.body["sections"]["timeline"].splitlines()
    assert lines[0].endswith(f"[incident {first}]")
    stamps = [line[1:21] for line in lines]
    assert stamps == sorted(stamps)
    assert answer.body["related_incident_ids"] == [first]


def test_another_orgs_incident_is_404_everywhere(stack):
    incident_id = resolved_critical(stack)
    assert create(stack, incident_id).status == 201
    assert create(stack, incident_id, org="globex").status == 404
    assert stack.call("GET", f"/v1/incidents/{incident_id}/postmortem", org="globex").status == 404
    assert stack.call("GET", f"/v1/incidents/{incident_id}/postmortem/markdown", org="globex").status == 404
    other = resolved_critical(stack, key="other::thing", org="globex")
    answer = create(stack, other, {"related_incident_ids": [incident_id]}, org="globex")
    assert answer.status == 404
    assert stack.call("GET", "/v1/postmortems", org="globex", roles="[viewer]").body["items"] == []


def test_an_id_that_is_no_incident_id_is_404_on_every_post_mortem_route(stack):
    for method, path, body in (
        ("GET", "/v1/incidents/admin/postmortem", None),
        ("GET", "/v1/incidents/admin/postmortem/markdown", None),
        ("POST", "/v1/incidents/admin/postmortem/action-items", {"title": "Summary"}),
        ("PATCH", "/v1/incidents/admin/postmortem/action-items/x", {}),
        ("DELETE", "/v1/incidents/0/postmortem/action-items/admin", None),
    ):
        answer = stack.call(method, path, body)
        assert answer.status == 404, (method, path, answer.body)
        assert answer.body["error"]["code"] == "not_found"


def edit_body(postmortem, **changes):
    body = {
        "title": postmortem["title"],
        "sections": dict(postmortem["sections"]),
        "impact": postmortem["impact"],
        "contributing_factors": postmortem["contributing_factors"],
        "related_incident_ids": postmortem["related_incident_ids"],
    }
    body.update(changes)
    return body


def test_a_stale_if_match_is_412_and_loses_nothing(stack):
    incident_id = resolved_critical(stack)
    postmortem = create(stack, incident_id).body
    path = f"/v1/incidents/{incident_id}/postmortem"
    sections = {**postmortem["sections"], "root_cause": "A config push disabled the connection pool."}
    first = stack.call("PUT", path, edit_body(postmortem, sections=sections), headers={"If-Match": "1"})
    assert first.status == 200, first.body
    assert first.body["version"] == 2
    stale = stack.call(
        "PUT",
        path,
        edit_body(postmortem, title="Someone else's title"),
        user="carol",
        headers={"If-Match": "1"},
    )
    assert stale.status == 412
    assert stale.body["error"]["details"] == {"version": 2}
    stored = stack.call("GET", path, roles="[viewer]").body
    assert stored["sections"]["root_cause"] == "A config push disabled the connection pool."
    assert stored["title"] == postmortem["title"]


def test_replacing_needs_if_match_and_names_bad_fields(stack):
    incident_id = resolved_critical(stack)
    postmortem = create(stack, incident_id).body
    path = f"/v1/incidents/{incident_id}/postmortem"
    missing = stack.call("PUT", path, edit_body(postmortem))
    assert missing.status == 400
    assert missing.body["error"]["details"][0]["field"] == "header.If-Match"
    bad = stack.call(
        "PUT", path, edit_body(postmortem, impact={"users_affected": -3}), headers={"If-Match": "1"}
    )
    assert bad.status == 400
    assert bad.body["error"]["details"][0]["field"] == "body.impact.users_affected"
    # Numbers JSON allows and DynamoDB cannot store are refused too, naming the field.
    for impact, field in (
        ({"users_affected": 10**40 + 1}, "body.impact.users_affected"),
        ({"duration_seconds": 1e200}, "body.impact.duration_seconds"),
        ({"duration_seconds": 1e-300}, "body.impact.duration_seconds"),
    ):
        past = stack.call("PUT", path, edit_body(postmortem, impact=impact), headers={"If-Match": "1"})
        assert past.status == 400, past.body
        assert past.body["error"]["details"][0]["field"] == field
    # One item holds a post-mortem: text past what it can hold is refused, naming the bound.
    sections = {**postmortem["sections"], "root_cause": "word " * 40_000}
    big = stack.call("PUT", path, edit_body(postmortem, sections=sections), headers={"If-Match": "1"})
    assert big.status == 400, big.body
    assert big.body["error"]["message"].startswith("body.sections: the post-mortem's text would be 2")
    assert big.body["error"]["details"][0]["limit"] == 160_000
    assert stack.call("GET", path, roles="[viewer]").body["version"] == 1
    unknown = stack.call(
        "PUT", path, edit_body(postmortem, sections={"nonsense": "x"}), headers={"If-Match": "1"}
    )
    assert unknown.status == 400
    assert "body.sections.nonsense" in unknown.body["error"]["message"]
    assert stack.call("GET", path).body["version"] == 1


def move(stack, incident_id, status, **caller):
    return stack.call("POST", f"/v1/incidents/{incident_id}/postmortem/status", {"status": status}, **caller)


def test_status_moves_and_roles(stack):
    incident_id = resolved_critical(stack)
    create(stack, incident_id)
    assert move(stack, incident_id, "in_review", roles="[viewer]").status == 403
    assert move(stack, incident_id, "in_review").body["status"] == "in_review"
    refused = move(stack, incident_id, "published")
    assert refused.status == 403
    assert refused.body["error"]["details"] == {"required_role": "lead"}
    published = move(stack, incident_id, "published", user="lena", roles="[lead]")
    assert published.status == 200
    assert published.body["published_by"] == "user:lena"
    assert published.body["published_at"] == "2026-11-22T09:33:00.000Z"
    assert move(stack, incident_id, "in_review", roles="[lead]").status == 409
    assert move(stack, incident_id, "draft").status == 403
    assert move(stack, incident_id, "draft", roles="[lead]").body["status"] == "draft"
    events = [e for e in stack.incident(incident_id)["timeline"] if e["type"] == "postmortem"]
    assert [e["data"]["status"] for e in events] == ["draft", "published", "in_review", "draft"]
    assert move(stack, incident_id, "shipped").status == 400


def test_publishing_emits_postmortem_published(stack, monkeypatch):
    published = []
    from stormwatch.services.delivery import EventPublisher

    monkeypatch.setattr(
        EventPublisher, "publish", lambda self, kind, detail: published.append((kind, detail))
    )
    incident_id = resolved_critical(stack)
    create(stack, incident_id)
    stack.streams.drain()
    published.clear()
    move(stack, incident_id, "published", roles="[lead]")
    stack.streams.drain()
    assert [kind for kind, _ in published] == ["postmortem.published"]
    assert published[0][1]["incident_id"] == incident_id


def test_action_items_and_the_org_wide_list(stack):
    stack.add_member("dave")
    stack.add_member("erin")
    incident_id = resolved_critical(stack)
    create(stack, incident_id)
    path = f"/v1/incidents/{incident_id}/postmortem/action-items"
    late = stack.call(
        "POST", path, {"title": "Alert on pool size", "assignee": "dave", "due_date": "2026-11-20"}
    )
    assert late.status == 201, late.body
    soon = stack.call(
        "POST", path, {"title": "Canary config pushes", "assignee": "erin", "due_date": "2026-12-01"}
    )
    assert soon.status == 201
    unknown = stack.call("POST", path, {"title": "x", "assignee": "nobody"})
    assert unknown.status == 404
    bad = stack.call("POST", path, {"title": "x", "due_date": "tomorrow"})
    assert bad.status == 400
    assert bad.body["error"]["details"][0]["field"] == "body.due_date"
    assert stack.call("POST", path, {"title": "x"}, roles="[viewer]").status == 403

    listed = stack.call("GET", "/v1/action-items", roles="[viewer]").body["items"]
    assert [item["title"] for item in listed] == ["Alert on pool size", "Canary config pushes"]
    assert listed[0]["incident_id"] == incident_id
    overdue = stack.call("GET", "/v1/action-items", query={"overdue": "true"}, roles="[viewer]").body["items"]
    assert [item["title"] for item in overdue] == ["Alert on pool size"]
    mine = stack.call("GET", "/v1/action-items", query={"assignee": "me"}, user="erin").body["items"]
    assert [item["title"] for item in mine] == ["Canary config pushes"]

    item_path = f"{path}/{late.body['id']}"
    done = stack.call("PATCH", item_path, {"status": "done"})
    assert done.status == 200
    assert done.body["completed_at"] == "2026-11-22T09:33:00.000Z"
    assert stack.call("GET", "/v1/action-items", query={"overdue": "true"}).body["items"] == []
    assert [
        i["title"] for i in stack.call("GET", "/v1/action-items", query={"status": "done"}).body["items"]
    ] == ["Alert on pool size"]
    assert stack.call("PATCH", item_path, {"status": "maybe"}).status == 400
    for field in ("title", "status"):
        refused = stack.call("PATCH", item_path, {field: None})
        assert refused.status == 400, refused.body
        assert refused.body["error"]["message"].startswith(f"body.{field}")
    cleared = stack.call("PATCH", item_path, {"due_date": None, "assignee": None})
    assert cleared.status == 200, cleared.body
    assert (cleared.body["title"], cleared.body["status"]) == ("Alert on pool size", "done")
    assert (cleared.body["due_date"], cleared.body["assignee"]) == (None, None)
    assert stack.call("PATCH", item_path, {"status": "open"}, org="globex").status == 404

    got = stack.call("GET", f"/v1/incidents/{incident_id}/postmortem").body
    assert [item["status"] for item in got["action_items"]] == ["done", "open"]
    assert stack.call("DELETE", item_path).status == 204
    assert stack.call("DELETE", item_path).status == 404
    assert len(stack.call("GET", "/v1/action-items").body["items"]) == 1
    assert stack.call("GET", "/v1/action-items", org="globex").body["items"] == []


def test_action_items_page_with_signed_cursors(stack):
    incident_id = resolved_critical(stack)
    create(stack, incident_id)
    path = f"/v1/incidents/{incident_id}/postmortem/action-items"
    for day in range(1, 6):
        stack.call("POST", path, {"title": f"item {day}", "due_date": f"2026-12-0{day}"})
    first = stack.call("GET", "/v1/action-items", query={"limit": "2"}).body
    assert [i["title"] for i in first["items"]] == ["item 1", "item 2"]
    second = stack.call("GET", "/v1/action-items", query={"limit": "2", "cursor": first["next_cursor"]}).body
    assert [i["title"] for i in second["items"]] == ["item 3", "item 4"]
    foreign = stack.call("GET", "/v1/action-items", org="globex", query={"cursor": first["next_cursor"]})
    assert foreign.status == 400


def test_the_template_adds_sections_and_the_markdown_has_every_heading(stack):
    stack.add_member("dave")
    template = {"sections": [{"key": "detection", "title": "Detection", "help": "How did we find out?"}]}
    assert stack.call("PUT", "/v1/org/postmortem-template", template).status == 403
    saved = stack.call("PUT", "/v1/org/postmortem-template", template, roles="[lead]")
    assert saved.status == 200, saved.body
    assert [s["key"] for s in saved.body["sections"]][-1] == "detection"
    twice = {"sections": [template["sections"][0], template["sections"][0]]}
    clash = stack.call("PUT", "/v1/org/postmortem-template", twice, roles="[lead]")
    assert clash.status == 400
    assert clash.body["error"]["details"][0]["field"] == "body.sections[1].key"
    # What GET answers may be PUT back: the built-in sections stay as they are, first.
    round_trip = stack.call("PUT", "/v1/org/postmortem-template", saved.body, roles="[lead]")
    assert round_trip.body == saved.body
    assert stack.call("GET", "/v1/org/postmortem-template", roles="[viewer]").body == saved.body

    incident_id = resolved_critical(stack)
    postmortem = create(stack, incident_id).body
    assert postmortem["sections"]["detection"] == ""
    stack.call(
        "POST",
        f"/v1/incidents/{incident_id}/postmortem/action-items",
        {"title": "Alert on pool size", "assignee": "dave", "due_date": "2026-11-30"},
    )
    answer = stack.call("GET", f"/v1/incidents/{incident_id}/postmortem/markdown", roles="[viewer]")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/markdown")
    headings = [line for line in answer.body.splitlines() if line.startswith("#")]
    assert headings == [
        f"# Incident Post-Mortem: {postmortem['title']}",
        "## Summary",
        "## Timeline",
        "## Root Cause",
        "## Impact",
        "## Action Items",
        "## Lessons Learned",
        "## Detection",
    ]
    assert "- [ ] Alert on pool size · assignee: dave · due: 2026-11-30" in answer.body
    assert "- Duration: 33 min" in answer.body


def written(stack, key, root_cause, severity="critical", service=None):
    incident_id = resolved_critical(stack, key=key)
    if severity != "critical":
        stack.call("POST", f"/v1/incidents/{incident_id}/severity", {"severity": severity}, roles="[lead]")
    postmortem = create(stack, incident_id).body
    sections = {**postmortem["sections"], "root_cause": root_cause}
    impact = {**postmortem["impact"], "services": [service] if service else []}
    answer = stack.call(
        "PUT",
        f"/v1/incidents/{incident_id}/postmortem",
        edit_body(postmortem, sections=sections, impact=impact),
        headers={"If-Match": "1"},
    )
    assert answer.status == 200, answer.body
    stack.clock.advance(minutes=1)
    return incident_id


def search(stack, org="acme", **query):
    answer = stack.call("GET", "/v1/postmortems", query=query, org=org, roles="[viewer]")
    assert answer.status == 200, answer.body
    return answer.body


def test_search_finds_post_mortems_by_words_of_their_sections_newest_first(stack):
    pool = written(stack, "checkout::errors", "Connection pool exhaustion after a config push.")
    dns = written(stack, "dns::fail", "Expired DNS delegation.", severity="high")
    both = written(stack, "cart::errors", "The pool again, and DNS caching.")
    assert [p["incident_id"] for p in search(stack, q="pool")["items"]] == [both, pool]
    assert [p["incident_id"] for p in search(stack, q="DNS pool")["items"]] == [both]
    assert [p["incident_id"] for p in search(stack, severity="high")["items"]] == [dns]
    move(stack, pool, "published", roles="[lead]")
    assert [p["incident_id"] for p in search(stack, status="published")["items"]] == [pool]
    assert search(stack, q="exhaustion", org="globex")["items"] == []
    first = search(stack, limit="2")
    assert [p["incident_id"] for p in first["items"]] == [both, dns]
    rest = search(stack, limit="2", cursor=first["next_cursor"])
    assert [p["incident_id"] for p in rest["items"]] == [pool]
    assert rest["next_cursor"] is None
    refused = stack.call("GET", "/v1/postmortems", query={"q": "pool", "cursor": first["next_cursor"]})
    assert refused.status == 400
    bad = stack.call("GET", "/v1/postmortems", query={"status": "shipped"})
    assert bad.status == 400
    assert bad.body["error"]["details"][0]["field"] == "query.status"
