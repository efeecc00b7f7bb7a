"""The commands function's routes, a Router per resource. `ROUTES` names each module's rules, so that the
handler's resolver imports a module when a request first needs it (`api.http.ResourceResolver`); a test
holds them to the routers' own."""

ROUTES: dict[str, tuple[str, ...]] = {
    "incidents": (
        "/v1/incidents",
        "/v1/incidents/<incident_id>/assignment",
        "/v1/incidents/<incident_id>/comments",
        "/v1/incidents/<incident_id>/comments/<comment_id>",
        "/v1/incidents/<incident_id>/links",
        "/v1/incidents/<incident_id>/severity",
        "/v1/incidents/<incident_id>/silence",
        "/v1/incidents/<incident_id>/status",
    ),
    "context": (
        "/v1/incidents/<incident_id>/actions",
        "/v1/incidents/<incident_id>/signals",
        "/v1/incidents/<incident_id>/slo-violations",
        "/v1/incidents/<incident_id>/tags",
        "/v1/incidents/<incident_id>/tickets",
    ),
    "postmortems": (
        "/v1/incidents/<incident_id>/postmortem",
        "/v1/incidents/<incident_id>/postmortem/action-items",
        "/v1/incidents/<incident_id>/postmortem/action-items/<item_id>",
        "/v1/incidents/<incident_id>/postmortem/status",
        "/v1/org/postmortem-template",
    ),
    "members": ("/v1/members", "/v1/members/<handle>"),
    "policies": ("/v1/escalation-policies", "/v1/escalation-policies/<policy_id>", "/v1/org/settings"),
    "integrations": (
        "/v1/integrations",
        "/v1/integrations/<integration_id>",
        "/v1/integrations/<integration_id>/rotate",
    ),
    "schedules": (
        "/v1/schedules",
        "/v1/schedules/<schedule_id>",
        "/v1/schedules/<schedule_id>/calendar-token",
        "/v1/schedules/<schedule_id>/overrides",
        "/v1/schedules/<schedule_id>/overrides/<override_id>",
    ),
}
