"""Signals, correlation keys, SLO violations, tags, tickets, actions, project and related incidents, through
the handlers on moto."""

import pytest

from tests.integration.conftest import Stack


def open_incident(stack: Stack, org: str = "acme", **fields: object) -> dict:
    body = {"title": "Checkout latency", "severity": "high", "service": "checkout", **fields}
    answer = stack.call("POST", "/v1/incidents", body, org=org)
    assert answer.status == 201, answer.body
    return answer.body


def listed(stack: Stack, org: str = "acme", **query: str) -> list[str]:
    answer = stack.call("GET", "/v1/incidents", org=org, roles="[viewer]", query=query)
    assert answer.status == 200, answer.body
    return [item["id"] for item in answer.body["items"]]


def signal(stack: Stack, incident_id: str, org: str = "acme", **fields: object):
    body = {"type": "trace", "summary": "slow span in payments", **fields}
    return stack.call("POST", f"/v1/incidents/{incident_id}/signals", body, org=org)


def test_a_signal_is_a_timeline_event_and_its_keys_join_the_incident(stack):
    incident = open_incident(stack)
    answer = signal(
        stack,
        incident["id"],
        correlation_key="deploy-4.2.1",
        trace_id="4bf92f3577b34da6",
        source="tempo",
        data={"span": "charge", "ms": 2300},
    )
    assert answer.status == 201, answer.body
    assert answer.body["type"] == "signal"
    assert answer.body["data"]["correlation_key"] == "deploy-4.2.1"
    detail = stack.incident(incident["id"])
    assert detail["correlation_keys"] == ["deploy-4.2.1"]
    assert detail["trace_ids"] == ["4bf92f3577b34da6"]
    assert detail["signal_count"] == 1
    assert detail["timeline"][0]["data"]["data"] == {"span": "charge", "ms": 2300}
    # The same key again adds an event, not a second key.
    assert signal(stack, incident["id"], correlation_key="deploy-4.2.1").status == 201
    assert stack.incident(incident["id"])["correlation_keys"] == ["deploy-4.2.1"]


def test_incidents_are_found_by_any_correlation_key_or_trace_id_they_carry_newest_first(stack):
    first = open_incident(stack, incident_key="a")
    stack.clock.advance(minutes=1)
    second = open_incident(stack, incident_key="b")
    open_incident(stack, incident_key="c")
    signal(stack, first["id"], correlation_key="deploy-4.2.1")
    signal(stack, second["id"], correlation_key="deploy-4.2.1", trace_id="t-1")
    signal(stack, second["id"], correlation_key="region eu-west-1")
    assert listed(stack, correlation_key="deploy-4.2.1") == [second["id"], first["id"]]
    assert listed(stack, correlation_key="region eu-west-1") == [second["id"]]
    assert listed(stack, trace_id="t-1") == [second["id"]]
    assert listed(stack, correlation_key="unknown") == []


def test_another_orgs_keys_find_nothing_and_its_ids_are_404(stack):
    incident = open_incident(stack)
    signal(stack, incident["id"], correlation_key="shared-key", trace_id="shared-trace")
    assert listed(stack, org="globex", correlation_key="shared-key") == []
    assert listed(stack, org="globex", trace_id="shared-trace") == []
    assert signal(stack, incident["id"], org="globex").status == 404
    for path in ("related",):
        answer = stack.call("GET", f"/v1/incidents/{incident['id']}/{path}", org="globex", roles="[viewer]")
        assert answer.status == 404
    assert listed(stack, correlation_key="shared-key") == [incident["id"]]


def test_the_list_pages_a_correlation_key_with_cursors_and_other_filters(stack):
    ids = []
    for number in range(5):
        stack.clock.advance(minutes=1)
        incident = open_incident(
            stack, incident_key=f"k{number}", severity="critical" if number % 2 else "low"
        )
        signal(stack, incident["id"], correlation_key="release-7")
        ids.append(incident["id"])
    first = stack.call(
        "GET", "/v1/incidents", roles="[viewer]", query={"correlation_key": "release-7", "limit": "2"}
    )
    assert [item["id"] for item in first.body["items"]] == [ids[4], ids[3]]
    second = stack.call(
        "GET",
        "/v1/incidents",
        roles="[viewer]",
        query={"correlation_key": "release-7", "limit": "2", "cursor": first.body["next_cursor"]},
    )
    assert [item["id"] for item in second.body["items"]] == [ids[2], ids[1]]
    assert listed(stack, correlation_key="release-7", severity="critical") == [ids[3], ids[1]]
    # A cursor is valid for its own filter only.
    other = stack.call(
        "GET",
        "/v1/incidents",
        roles="[viewer]",
        query={"correlation_key": "release-8", "cursor": first.body["next_cursor"]},
    )
    assert other.status == 400


def test_sort_by_activity_with_a_context_filter_is_400_naming_sort(stack):
    answer = stack.call("GET", "/v1/incidents", roles="[viewer]", query={"tag": "db", "sort": "activity"})
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("sort:")


def test_tags_are_added_and_removed_and_filter_the_list(stack):
    incident = open_incident(stack)
    stack.clock.advance(minutes=1)
    other = open_incident(stack, incident_key="other")
    added = stack.call("POST", f"/v1/incidents/{incident['id']}/tags", {"add": ["DB", "customer-facing"]})
    assert added.status == 200, added.body
    assert added.body["tags"] == ["db", "customer-facing"]
    stack.call("POST", f"/v1/incidents/{other['id']}/tags", {"add": ["db"]})
    assert listed(stack, tag="db") == [other["id"], incident["id"]]
    removed = stack.call("POST", f"/v1/incidents/{incident['id']}/tags", {"remove": ["db"]})
    assert removed.body["tags"] == ["customer-facing"]
    assert listed(stack, tag="DB") == [other["id"]]
    events = [e["data"] for e in stack.incident(incident["id"])["timeline"] if e["type"] == "tags_changed"]
    assert events == [{"added": [], "removed": ["db"]}, {"added": ["db", "customer-facing"], "removed": []}]
    # Nothing to change: no event.
    unchanged = stack.call("POST", f"/v1/incidents/{incident['id']}/tags", {"add": ["customer-facing"]})
    assert unchanged.body["version"] == removed.body["version"]


def test_tickets_link_once_and_actions_are_recorded_by_any_responder(stack):
    incident = open_incident(stack)
    ticket = {"system": "jira", "key": "OPS-1234", "url": "https://acme.atlassian.net/browse/OPS-1234"}
    linked = stack.call("POST", f"/v1/incidents/{incident['id']}/tickets", ticket)
    assert linked.status == 200, linked.body
    assert linked.body["tickets"] == [ticket]
    again = stack.call("POST", f"/v1/incidents/{incident['id']}/tickets", ticket)
    assert again.body["tickets"] == [ticket]
    assert again.body["version"] == linked.body["version"]
    action = {"kind": "rollback", "label": "rolled back 4.2.1", "details": "helm rollback checkout 41"}
    recorded = stack.call("POST", f"/v1/incidents/{incident['id']}/actions", action, user="rita")
    assert recorded.status == 201, recorded.body
    assert (recorded.body["type"], recorded.body["actor"]) == ("action_taken", "user:rita")
    assert recorded.body["data"]["kind"] == "rollback"
    assert stack.incident(incident["id"])["action_count"] == 1


def test_slo_violations_are_recorded_on_the_incident_and_listed_per_slo_across_the_org(stack):
    first = open_incident(stack, incident_key="a")
    second = open_incident(stack, incident_key="b")
    violation = {
        "slo_id": "checkout-availability",
        "window_start": "2026-11-22T08:00:00Z",
        "window_end": "2026-11-22T09:00:00Z",
        "error_budget_consumed": 0.25,
        "threshold_breached": 0.999,
    }
    assert stack.call("POST", f"/v1/incidents/{first['id']}/slo-violations", violation).status == 201
    later = {**violation, "window_start": "2026-11-22T09:00:00Z", "window_end": "2026-11-22T10:00:00Z"}
    answer = stack.call(
        "POST", f"/v1/incidents/{second['id']}/slo-violations", {**later, "details": {"burn": 14}}
    )
    assert answer.status == 201, answer.body
    assert answer.body["type"] == "slo_violation"
    listing = stack.call("GET", "/v1/slos/checkout-availability/violations", roles="[viewer]")
    assert listing.status == 200, listing.body
    assert [(item["incident_id"], item["window_start"]) for item in listing.body["items"]] == [
        (second["id"], "2026-11-22T09:00:00.000Z"),
        (first["id"], "2026-11-22T08:00:00.000Z"),
    ]
    assert listing.body["items"][0]["details"] == {"burn": 14}
    assert (
        stack.call("GET", "/v1/slos/checkout-availability/violations", org="globex", roles="[viewer]").body[
            "items"
        ]
        == []
    )
    assert stack.incident(first["id"])["slo_violation_count"] == 1


def test_a_window_that_ends_before_it_starts_is_400_naming_the_field(stack):
    incident = open_incident(stack)
    body = {
        "slo_id": "s",
        "window_start": "2026-11-22T09:00:00Z",
        "window_end": "2026-11-22T08:00:00Z",
        "error_budget_consumed": 0.1,
        "threshold_breached": 0.99,
    }
    answer = stack.call("POST", f"/v1/incidents/{incident['id']}/slo-violations", body)
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.window_end:")
    assert stack.incident(incident["id"])["slo_violation_count"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("signals", {"type": "smoke", "summary": "x"}, "body.type"),
        ("signals", {"type": "log"}, "body.summary"),
        ("signals", {"type": "log", "summary": "x", "correlation_key": ""}, "body.correlation_key"),
        ("signals", {"type": "log", "summary": "x", "colour": "red"}, "body.colour"),
        ("tags", {"add": ["has space"]}, "body.add[0]"),
        ("tickets", {"system": "jira", "url": "ftp://x/y"}, "body.url"),
        ("tickets", {"system": "bugzilla", "url": "https://x/y"}, "body.system"),
        ("actions", {"kind": "prayer", "label": "x"}, "body.kind"),
        ("actions", {"kind": "note"}, "body.label"),
        ("slo-violations", {"slo_id": "s"}, "body.window_start"),
        ("signals", {"type": "log", "summary": "x", "data": {"a": {"": 1}}}, "body.data.a"),
        # Numbers JSON allows and DynamoDB cannot store (1e400 decodes as infinity).
        ("signals", {"type": "log", "summary": "x", "data": {"rate": 1e200}}, "body.data.rate"),
        ("signals", '{"type": "log", "summary": "x", "data": {"a": [1e400]}}', "body.data.a[0]"),
        ("signals", {"type": "log", "summary": "x", "data": {"n": 10**40 + 1}}, "body.data.n"),
        # NaN is not JSON, though Python's decoder takes it.
        ("signals", '{"type": "log", "summary": "x", "data": {"rate": NaN}}', "body"),
        (
            "slo-violations",
            {
                "slo_id": "s",
                "window_start": "2026-11-22T08:00:00Z",
                "window_end": "2026-11-22T09:00:00Z",
                "error_budget_consumed": 1e300,
                "threshold_breached": 0.99,
            },
            "body.error_budget_consumed",
        ),
        (
            "slo-violations",
            {
                "slo_id": "s",
                "window_start": "2026-11-22T08:00:00Z",
                "window_end": "2026-11-22T09:00:00Z",
                "error_budget_consumed": 0.5,
                "threshold_breached": 0.99,
                "details": {"burn": [1e-200]},
            },
            "body.details.burn[0]",
        ),
        (
            "slo-violations",
            {
                "slo_id": "s",
                "window_start": "2026-11-22T08:00:00Z",
                "window_end": "2026-11-22T09:00:00Z",
                "error_budget_consumed": 7.6e-306,
                "threshold_breached": 0.99,
            },
            "body.error_budget_consumed",
        ),
    ],
)
def test_bad_bodies_are_400_naming_the_field_and_change_nothing(stack, path, body, field):
    incident = open_incident(stack)
    answer = stack.call("POST", f"/v1/incidents/{incident['id']}/{path}", body)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["message"].startswith(f"{field}:"), answer.body
    assert stack.incident(incident["id"])["version"] == incident["version"]


def test_a_tag_both_added_and_removed_is_400(stack):
    incident = open_incident(stack)
    answer = stack.call("POST", f"/v1/incidents/{incident['id']}/tags", {"add": ["db"], "remove": ["db"]})
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith("body.remove:")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("signals", {"type": "log", "summary": "x"}),
        ("tags", {"add": ["db"]}),
        ("tickets", {"system": "url", "url": "https://x.example/1"}),
        ("actions", {"kind": "note", "label": "x"}),
        (
            "slo-violations",
            {
                "slo_id": "s",
                "window_start": "2026-11-22T08:00:00Z",
                "window_end": "2026-11-22T09:00:00Z",
                "error_budget_consumed": 0.1,
                "threshold_breached": 0.99,
            },
        ),
    ],
)
def test_viewers_may_not_write_context(stack, path, body):
    incident = open_incident(stack)
    answer = stack.call("POST", f"/v1/incidents/{incident['id']}/{path}", body, roles="[viewer]")
    assert answer.status == 403
    assert stack.incident(incident["id"])["version"] == incident["version"]


def test_project_is_set_on_creation_and_filters_the_list(stack):
    mobile = open_incident(stack, incident_key="a", project="mobile")
    stack.clock.advance(minutes=1)
    open_incident(stack, incident_key="b", project="web")
    open_incident(stack, incident_key="c")
    assert mobile["project"] == "mobile"
    assert listed(stack, project="mobile") == [mobile["id"]]
    assert listed(stack, project="mobile", status="resolved") == []
    assert listed(stack, org="globex", project="mobile") == []


def test_an_integration_sets_project_correlation_key_and_trace_id_from_alert_labels(stack):
    integrations = stack.call("GET", "/v1/integrations", roles="[admin]").body["items"]
    generic = next(i for i in integrations if i["source"] == "generic")
    patch = {"project": "storefront", "correlation_key_label": "deploy", "trace_id_label": "trace_id"}
    changed = stack.call("PATCH", f"/v1/integrations/{generic['id']}", patch, roles="[admin]")
    assert changed.status == 200, changed.body
    assert changed.body["correlation_key_label"] == "deploy"
    alarm = {
        "incident_key": "orders::5xx",
        "severity": "high",
        "labels": {"deploy": "v42", "trace_id": "abc"},
    }
    incident_id = stack.hook("generic_firing", body=alarm).body["results"][0]["incident_id"]
    incident = stack.incident(incident_id)
    assert (incident["project"], incident["correlation_keys"], incident["trace_ids"]) == (
        "storefront",
        ["v42"],
        ["abc"],
    )
    assert listed(stack, correlation_key="v42") == [incident_id]
    assert listed(stack, trace_id="abc") == [incident_id]
    # A new fingerprint joining with another trace adds it.
    joined = {**alarm, "fingerprint": "second", "labels": {"deploy": "v42", "trace_id": "def"}}
    stack.hook("generic_firing", body=joined)
    assert stack.incident(incident_id)["trace_ids"] == ["abc", "def"]


def test_related_lists_shared_keys_and_the_services_recent_incidents_newest_first_with_why(stack):
    old = open_incident(stack, incident_key="old")
    stack.call("POST", f"/v1/incidents/{old['id']}/status", {"status": "resolved", "note": "ok"})
    stack.clock.advance(days=100)
    earlier = open_incident(stack, incident_key="earlier")
    stack.clock.advance(days=1)
    elsewhere = open_incident(stack, incident_key="elsewhere", service="payments")
    signal(stack, elsewhere["id"], correlation_key="deploy-9")
    stack.clock.advance(days=1)
    current = open_incident(stack, incident_key="current")
    signal(stack, current["id"], correlation_key="deploy-9")
    answer = stack.call("GET", f"/v1/incidents/{current['id']}/related", roles="[viewer]")
    assert answer.status == 200, answer.body
    assert [(item["id"], item["why"]) for item in answer.body["items"]] == [
        (elsewhere["id"], [{"reason": "correlation_key", "value": "deploy-9"}]),
        (earlier["id"], [{"reason": "service", "value": "checkout"}]),
    ]


def test_dedupe_open_for_service_reuses_the_services_open_incident(stack):
    body = {
        "title": "Payments failing",
        "severity": "critical",
        "service": "payments",
        "dedupe": "open_for_service",
    }
    created = stack.call("POST", "/v1/incidents", body)
    assert created.status == 201, created.body
    assert created.body["reused"] is False
    again = stack.call("POST", "/v1/incidents", {**body, "title": "Payments still failing"})
    assert again.status == 200, again.body
    assert (again.body["id"], again.body["reused"], again.body["title"]) == (
        created.body["id"],
        True,
        "Payments failing",
    )
    # Another service, or another org, is another incident.
    assert stack.call("POST", "/v1/incidents", {**body, "service": "search"}).status == 201
    assert stack.call("POST", "/v1/incidents", body, org="globex").status == 201
    # Once it is resolved, the next one opens anew.
    stack.call("POST", f"/v1/incidents/{created.body['id']}/status", {"status": "resolved", "note": "ok"})
    reopened = stack.call("POST", "/v1/incidents", body)
    assert reopened.status == 201
    assert reopened.body["id"] != created.body["id"]


def test_dedupe_reuses_an_incident_an_alarm_opened_for_the_service(stack):
    alarm = {"incident_key": "payments::5xx", "severity": "high", "service": "payments"}
    incident_id = stack.hook("generic_firing", body=alarm).body["results"][0]["incident_id"]
    body = {"title": "Payments", "severity": "high", "service": "payments", "dedupe": "open_for_service"}
    answer = stack.call("POST", "/v1/incidents", body)
    assert (answer.status, answer.body["id"]) == (200, incident_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "t", "severity": "low", "dedupe": "open_for_service"}, "body.service"),
        (
            {
                "title": "t",
                "severity": "low",
                "service": "s",
                "incident_key": "k",
                "dedupe": "open_for_service",
            },
            "body.incident_key",
        ),
        ({"title": "t", "severity": "low", "service": "s", "dedupe": "always"}, "body.dedupe"),
    ],
)
def test_dedupe_without_a_service_or_with_a_key_of_its_own_is_400(stack, body, field):
    answer = stack.call("POST", "/v1/incidents", body)
    assert answer.status == 400
    assert answer.body["error"]["message"].startswith(f"{field}:"), answer.body
    assert stack.incidents() == []
