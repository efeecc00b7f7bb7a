"""Every REST route by every role: a role below the route's minimum is 403 naming the role needed; any
role at or above it gets past authorization (whatever the route then answers)."""

import pytest

from stormwatch.local.template import Template
from tests.support.paths import TEMPLATE

ROLES = ["viewer", "responder", "lead", "admin"]
ID = "{id}"

POLICY = {"name": "p", "levels": [{"delay_minutes": 5, "targets": [{"type": "member", "value": "bob"}]}]}
SCHEDULE = {
    "name": "s",
    "time_zone": "UTC",
    "layers": [
        {
            "name": "l",
            "participants": ["bob"],
            "shift_length": 1,
            "shift_unit": "weeks",
            "start_date": "2026-11-02",
        }
    ],
}
OVERRIDE = {"member": "bob", "start": "2026-11-23T09:00:00Z", "end": "2026-11-23T17:00:00Z"}

POSTMORTEM = {
    "title": "t",
    "sections": {},
    "impact": {"services": []},
    "contributing_factors": [],
    "related_incident_ids": [],
}

SLO_VIOLATION = {
    "slo_id": "s",
    "window_start": "2026-11-22T08:00:00Z",
    "window_end": "2026-11-22T09:00:00Z",
    "error_budget_consumed": 0.1,
    "threshold_breached": 0.99,
}

# (method, route, body, minimum role); publishing needs a lead too, once there is a post-mortem
# (test_postmortems.py).
MATRIX = [
    ("POST", "/v1/incidents", {"title": "t", "severity": "low"}, "responder"),
    ("GET", "/v1/incidents", None, "viewer"),
    ("GET", "/v1/incidents/{id}", None, "viewer"),
    ("GET", "/v1/incidents/{id}/timeline", None, "viewer"),
    ("GET", "/v1/metrics", None, "viewer"),
    ("POST", "/v1/incidents/{id}/status", {"status": "acknowledged"}, "responder"),
    ("POST", "/v1/incidents/{id}/status", {"status": "cancelled", "note": "noise"}, "lead"),
    ("POST", "/v1/incidents/{id}/severity", {"severity": "low"}, "lead"),
    ("POST", "/v1/incidents/{id}/assignment", {"assignee": None}, "responder"),
    ("POST", "/v1/incidents/{id}/silence", {"until": "2026-11-22T10:00:00Z"}, "responder"),
    ("DELETE", "/v1/incidents/{id}/silence", None, "responder"),
    (
        "POST",
        "/v1/incidents/{id}/links",
        {"type": "parent", "incident_id": "aaaaaaaaaaaaaaaaaaaa-1"},
        "responder",
    ),
    (
        "POST",
        "/v1/incidents/{id}/links",
        {"type": "duplicate_of", "incident_id": "aaaaaaaaaaaaaaaaaaaa-1"},
        "lead",
    ),
    ("POST", "/v1/incidents/{id}/comments", {"body": "hi"}, "responder"),
    ("PATCH", "/v1/incidents/{id}/comments/{comment_id}", {"body": "hi"}, "responder"),
    ("DELETE", "/v1/incidents/{id}/comments/{comment_id}", None, "responder"),
    ("POST", "/v1/members", {"handle": "newbie", "name": "New"}, "admin"),
    ("GET", "/v1/members", None, "viewer"),
    ("GET", "/v1/members/{handle}", None, "viewer"),
    ("PATCH", "/v1/members/{handle}", {"name": "B"}, "admin"),
    ("DELETE", "/v1/members/{handle}", None, "admin"),
    ("POST", "/v1/integrations", {"source": "grafana", "name": "g"}, "admin"),
    ("GET", "/v1/integrations", None, "admin"),
    ("GET", "/v1/integrations/{id}", None, "admin"),
    ("PATCH", "/v1/integrations/{id}", {"name": "renamed"}, "admin"),
    ("POST", "/v1/integrations/{id}/rotate", None, "admin"),
    ("DELETE", "/v1/integrations/{id}", None, "admin"),
    ("POST", "/v1/escalation-policies", POLICY, "admin"),
    ("GET", "/v1/escalation-policies", None, "admin"),
    ("GET", "/v1/escalation-policies/{id}", None, "admin"),
    ("PATCH", "/v1/escalation-policies/{id}", {"name": "renamed"}, "admin"),
    ("DELETE", "/v1/escalation-policies/{id}", None, "admin"),
    ("GET", "/v1/org/settings", None, "viewer"),
    ("PUT", "/v1/org/settings", {"inactivity_days": 3}, "admin"),
    ("POST", "/v1/incidents/{id}/postmortem", {}, "responder"),
    ("GET", "/v1/incidents/{id}/postmortem", None, "viewer"),
    ("PUT", "/v1/incidents/{id}/postmortem", POSTMORTEM, "responder"),
    ("POST", "/v1/incidents/{id}/postmortem/status", {"status": "in_review"}, "responder"),
    ("GET", "/v1/incidents/{id}/postmortem/markdown", None, "viewer"),
    ("POST", "/v1/incidents/{id}/postmortem/action-items", {"title": "t"}, "responder"),
    ("PATCH", "/v1/incidents/{id}/postmortem/action-items/{item_id}", {"status": "done"}, "responder"),
    ("DELETE", "/v1/incidents/{id}/postmortem/action-items/{item_id}", None, "responder"),
    ("GET", "/v1/action-items", None, "viewer"),
    ("GET", "/v1/postmortems", None, "viewer"),
    ("GET", "/v1/org/postmortem-template", None, "viewer"),
    ("PUT", "/v1/org/postmortem-template", {"sections": []}, "lead"),
    ("POST", "/v1/schedules", SCHEDULE, "admin"),
    ("GET", "/v1/schedules", None, "viewer"),
    ("GET", "/v1/schedules/{id}", None, "viewer"),
    ("PATCH", "/v1/schedules/{id}", {"name": "renamed"}, "admin"),
    ("DELETE", "/v1/schedules/{id}", None, "admin"),
    ("POST", "/v1/schedules/{id}/overrides", OVERRIDE, "responder"),
    ("DELETE", "/v1/schedules/{id}/overrides/{override_id}", None, "responder"),
    ("GET", "/v1/schedules/{id}/oncall", None, "viewer"),
    ("GET", "/v1/schedules/{id}/shifts", None, "viewer"),
    ("GET", "/v1/schedules/{id}/reminders", None, "viewer"),
    ("GET", "/v1/oncall", None, "viewer"),
    ("GET", "/v1/members/{handle}/shifts", None, "viewer"),
    ("POST", "/v1/schedules/{id}/calendar-token", None, "admin"),
    ("DELETE", "/v1/schedules/{id}/calendar-token", None, "admin"),
    # Signals and context (tests/integration/test_context.py).
    ("POST", "/v1/incidents/{id}/signals", {"type": "log", "summary": "s"}, "responder"),
    ("POST", "/v1/incidents/{id}/slo-violations", SLO_VIOLATION, "responder"),
    ("POST", "/v1/incidents/{id}/tags", {"add": ["db"]}, "responder"),
    ("POST", "/v1/incidents/{id}/tickets", {"system": "url", "url": "https://t.example/1"}, "responder"),
    ("POST", "/v1/incidents/{id}/actions", {"kind": "note", "label": "l"}, "responder"),
    ("GET", "/v1/incidents/{id}/related", None, "viewer"),
    ("GET", "/v1/slos/{id}/violations", None, "viewer"),
]


def test_the_matrix_covers_every_rest_route_in_the_template():
    rest = {(r.method, r.path) for r in Template(TEMPLATE).routes() if r.authorized}
    assert {(method, route) for method, route, _, _ in MATRIX} == rest


@pytest.mark.parametrize(("method", "route", "body", "minimum"), MATRIX)
def test_each_route_allows_its_minimum_role_and_above(stack, method, route, body, minimum):
    stack.add_member("bob")
    incident_id = stack.fire("db::lag")
    comment_id = stack.call("POST", f"/v1/incidents/{incident_id}/comments", {"body": "first"}).body["id"]
    path = route.replace(ID, incident_id).replace("{comment_id}", comment_id).replace("{handle}", "bob")
    for role in ROLES:
        answer = stack.call(method, path, body, user="alice", roles=f"[{role}]")
        if ROLES.index(role) < ROLES.index(minimum):
            assert answer.status == 403, (role, answer.body)
            assert answer.body["error"]["details"] == {"required_role": minimum}
        else:
            assert answer.status != 403, (role, answer.body)
