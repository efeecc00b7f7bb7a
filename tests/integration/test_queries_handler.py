def fire(stack, key, severity="high", org="acme"):
    answer = stack.hook("generic_firing", org=org, body={"incident_key": key, "severity": severity})
    assert answer.status == 202
    return answer.body["results"][0]["incident_id"]


def test_the_list_is_newest_first_with_filters(stack):
    ids = []
    for index, severity in enumerate(["low", "critical", "high", "critical"]):
        ids.append(fire(stack, f"key-{index}", severity))
        stack.clock.advance(minutes=1)
    stack.rest("commands/acknowledge", incident_id=ids[1])
    assert [item["id"] for item in stack.incidents()] == list(reversed(ids))
    assert [item["id"] for item in stack.incidents(status="open")] == [ids[3], ids[2], ids[0]]
    assert [item["id"] for item in stack.incidents(severity="critical")] == [ids[3], ids[1]]
    assert [item["id"] for item in stack.incidents(status="acknowledged", severity="critical")] == [ids[1]]
    assert stack.incidents(status="resolved") == []


def test_pages_follow_the_cursor_to_the_end(stack):
    ids = []
    for index in range(7):
        ids.append(fire(stack, f"key-{index}"))
        stack.clock.advance(seconds=1)
    seen, cursor = [], None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = stack.rest("queries/list_incidents", roles="[viewer]", query=query)
        assert page.status == 200
        seen += [item["id"] for item in page.body["items"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_a_filtered_page_is_filled_across_index_pages(stack):
    for index in range(6):
        fire(stack, f"key-{index}", "critical" if index % 3 == 0 else "low")
        stack.clock.advance(seconds=1)
    page = stack.rest(
        "queries/list_incidents", roles="[viewer]", query={"severity": "critical", "limit": "2"}
    )
    assert [item["severity"] for item in page.body["items"]] == ["critical", "critical"]


def test_the_detail_has_alerts_and_the_newest_timeline_first(stack):
    incident_id = fire(stack, "db::lag", "medium")
    stack.clock.advance(seconds=5)
    fire(stack, "db::lag", "critical")
    detail = stack.incident(incident_id)
    assert detail["id"] == incident_id
    assert [event["type"] for event in detail["timeline"]] == ["severity_changed", "alert_fired", "created"]
    assert {"id", "type", "at", "actor", "data"} <= set(detail["timeline"][0])
    assert detail["alerts"][0]["count"] == 2


def test_following_cursors_through_a_filtered_list_skips_nothing(stack):
    critical = []
    for index in range(12):
        incident_id = fire(stack, f"key-{index}", "critical" if index % 3 == 0 else "low")
        if index % 3 == 0:
            critical.append(incident_id)
        stack.clock.advance(seconds=1)
    seen, cursor = [], None
    for _ in range(10):
        query = {"severity": "critical", "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = stack.rest("queries/list_incidents", roles="[viewer]", query=query).body
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(critical))


def test_the_timeline_pages_oldest_or_newest_first_to_the_end(stack):
    incident_id = fire(stack, "db::lag", "low")
    for severity in ("medium", "high", "critical"):
        stack.clock.advance(seconds=5)
        fire(stack, "db::lag", severity)
    for note in ("looking", "found it"):
        stack.call("POST", f"/v1/incidents/{incident_id}/comments", {"body": note})
    everything = [event["id"] for event in stack.incident(incident_id)["timeline"]]
    assert len(everything) == 7

    for order, expected in (("oldest", list(reversed(everything))), ("newest", everything)):
        seen, cursor = [], None
        for _ in range(5):
            query = {"order": order, "limit": "3", **({"cursor": cursor} if cursor else {})}
            page = stack.call("GET", f"/v1/incidents/{incident_id}/timeline", roles="[viewer]", query=query)
            assert page.status == 200, page.body
            seen += [event["id"] for event in page.body["items"]]
            cursor = page.body["next_cursor"]
            if cursor is None:
                break
        assert seen == expected


def test_a_timeline_cursor_from_another_incident_or_made_up_is_400_and_another_orgs_incident_404(stack):
    first, second = fire(stack, "a"), fire(stack, "b")
    fire(stack, "a", "critical")
    page = stack.call("GET", f"/v1/incidents/{first}/timeline", roles="[viewer]", query={"limit": "1"})
    cursor = page.body["next_cursor"]
    assert cursor is not None
    for bad in (cursor, "bm9wZQ", "%%%"):
        target = second if bad == cursor else first
        answer = stack.call(
            "GET", f"/v1/incidents/{target}/timeline", roles="[viewer]", query={"cursor": bad}
        )
        assert answer.status == 400
        assert answer.body["error"]["message"].startswith("cursor")
    foreign = fire(stack, "c", org="globex")
    assert stack.call("GET", f"/v1/incidents/{foreign}/timeline", roles="[viewer]").status == 404
    bad_order = stack.call(
        "GET", f"/v1/incidents/{first}/timeline", roles="[viewer]", query={"order": "sideways"}
    )
    assert bad_order.status == 400
    assert bad_order.body["error"]["message"].startswith("query.order")
