"""The queries function's routes, a Router per resource. `ROUTES` names each module's rules, so that the
handler's resolver imports a module when a request first needs it (`api.http.ResourceResolver`); a test
holds them to the routers' own."""

ROUTES: dict[str, tuple[str, ...]] = {
    "incidents": ("/v1/incidents", "/v1/incidents/<incident_id>", "/v1/incidents/<incident_id>/timeline"),
    "context": ("/v1/incidents/<incident_id>/related", "/v1/slos/<slo_id>/violations"),
    "metrics": ("/v1/metrics",),
    "postmortems": (
        "/v1/action-items",
        "/v1/incidents/<incident_id>/postmortem",
        "/v1/incidents/<incident_id>/postmortem/markdown",
        "/v1/org/postmortem-template",
        "/v1/postmortems",
    ),
    "members": ("/v1/members", "/v1/members/<handle>"),
    "policies": ("/v1/escalation-policies", "/v1/escalation-policies/<policy_id>", "/v1/org/settings"),
    "integrations": ("/v1/integrations", "/v1/integrations/<integration_id>"),
    "schedules": (
        "/v1/members/<handle>/shifts",
        "/v1/oncall",
        "/v1/schedules",
        "/v1/schedules/<schedule_id>",
        "/v1/schedules/<schedule_id>/calendar.ics",
        "/v1/schedules/<schedule_id>/oncall",
        "/v1/schedules/<schedule_id>/reminders",
        "/v1/schedules/<schedule_id>/shifts",
    ),
}
