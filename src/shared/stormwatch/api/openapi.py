"""The OpenAPI document of every route of every handler, generated from the same models that validate
requests, and packaged with the layer: on AWS each function ships only its own code, so the document is
built ahead (`stormwatch openapi --write`) and a test fails when it no longer matches the code.

Routes say what they answer (`api.http.answers`: status codes and the component schema by name); the
response schemas are built here from the domain models the views dump, so handlers import no response
model and the document follows the models."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGED = Path(__file__).with_name("openapi.json")
HANDLERS = ("ingest", "commands", "queries")
# Served without any credential.
PUBLIC_PATHS = ("/v1/openapi.json",)
# Authenticated by an integration key, not a JWT: the ingest handler documents their security itself.
HOOK_PATHS = ("/v1/hooks/", "/v2/enqueue")
REF = "#/components/schemas/"
JWT: list[dict[str, list[str]]] = [{"jwt": []}]
# A schedule's calendar feed is read by calendar apps, which hold the feed's token in its URL, not a JWT.
# Plain dicts, which the queries handler configures without importing a model.
CALENDAR_TOKEN_SCHEMES: dict[str, Any] = {
    "calendar_token": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The schedule's calendar token (POST /v1/schedules/{schedule_id}/calendar-token).",
    }
}
CALENDAR_TOKEN: list[dict[str, list[str]]] = [{"calendar_token": []}]
# What powertools documents for every route and no route of ours answers: validation is a 400 in the
# error shape, and a response failing its own schema is a bug, not an answer.
_NOT_ANSWERED = ("422",)
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")


def generate(functions_dir: Path) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBase, HTTPBearer

    from stormwatch.api.hooks_openapi import INTEGRATION_KEY_SCHEMES

    merge = OpenAPIMerge(
        title="Stormwatch",
        version="1",
        description=(
            "Alerting tools post webhooks (integration key); people work incidents through the REST API "
            '(JWT with org, sub and roles claims). Errors are {"error": {"code", "message", "details"}}.'
        ),
        security_schemes={
            "jwt": HTTPBearer(bearerFormat="JWT"),
            **{name: APIKey.model_validate(scheme) for name, scheme in CALENDAR_TOKEN_SCHEMES.items()},
            **{name: HTTPBase.model_validate(scheme) for name, scheme in INTEGRATION_KEY_SCHEMES.items()},
        },
    )
    for name in HANDLERS:
        merge.add_file(functions_dir / name / "app.py")
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    _describe_answers(document)
    return document


def _describe_answers(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for operation in item.values():
            responses = operation["responses"]
            for status in _NOT_ANSWERED:
                responses.pop(status, None)
            if responses.get("500", {}).get("description") == "Response Validation Error":
                del responses["500"]
            # powertools gives every documented answer the route's return type as a body; 204 has none.
            responses.get("204", {}).pop("content", None)
            if "security" not in operation and path not in PUBLIC_PATHS and not path.startswith(HOOK_PATHS):
                operation["security"] = JWT
    for name, schema in response_schemas(schemas).items():
        schemas.setdefault(name, schema)
    for name in _POWERTOOLS_SCHEMAS:  # each refers only to the ones after it
        if f'"{REF}{name}"' not in json.dumps(document["paths"]) + json.dumps(schemas):
            schemas.pop(name, None)


def response_schemas(existing: dict[str, Any]) -> dict[str, Any]:
    """The component schemas of every REST answer, from the domain models as the views dump them."""
    from pydantic import BaseModel
    from pydantic.json_schema import models_json_schema

    from stormwatch.domain.context import RelatedReason, SloViolation
    from stormwatch.domain.escalation import EscalationPolicy, OrgSettings
    from stormwatch.domain.members import Member
    from stormwatch.domain.models import AlertState, Incident, Integration, TimelineEvent
    from stormwatch.domain.postmortems import ActionItem, Postmortem, TemplateSection
    from stormwatch.domain.schedules import Override, Schedule, SentReminder

    models: list[type[BaseModel]] = [
        Incident,
        AlertState,
        TimelineEvent,
        Member,
        Integration,
        EscalationPolicy,
        OrgSettings,
        Postmortem,
        ActionItem,
        TemplateSection,
        Schedule,
        Override,
        SentReminder,
        SloViolation,
        RelatedReason,
    ]
    _, generated = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF + "{model}"
    )
    found: dict[str, Any] = generated["$defs"]
    _without(found["Target"], "webhook_secret")
    _with(found["Target"], has_webhook_secret={"type": "boolean"})
    # A nested model that a request body also uses, but answers differently (or refers to one that does),
    # gets a name of its own.
    renamed: dict[str, str] = {}
    while True:
        text = json.dumps(found)
        for name, new in renamed.items():
            text = text.replace(f'"{REF}{name}"', f'"{REF}{new}"')
        current = json.loads(text)
        differing = {
            name: f"{name}Answer"
            for name, schema in current.items()
            if name in existing and existing[name] != schema
        }
        if differing == renamed:
            break
        renamed = differing
    found = {renamed.get(name, name): schema for name, schema in current.items()}

    _without(found["Incident"], "org", "owner_slack_webhook", "alerts")
    _without(found["Member"], "webhook_secret", "removing")
    _with(found["Member"], has_webhook_secret={"type": "boolean"})
    _without(found["Integration"], "signing_secret", "org")
    _with(found["Integration"], has_signing_secret={"type": "boolean"})
    _without(found["Postmortem"], "incident_resolved_at")
    _without(found["ActionItem"], "reminders")
    _without(found["Schedule"], "calendar_token_hash", "reminded")
    # The shifts reminded of are the sweep's bookkeeping; people read GET /v1/schedules/{id}/reminders.
    found.pop("RemindedShift")
    _with(found["Schedule"], has_calendar_token={"type": "boolean"})
    alert = found.pop("AlertState")
    _with(
        alert,
        title={"type": "string"},
        severity={"type": "string"},
        labels={"type": "object", "additionalProperties": {"type": "string"}},
        started_at={"anyOf": [{"type": "string"}, {"type": "null"}]},
    )
    alert["title"] = "Alert"
    detail = json.loads(json.dumps(found["Incident"]))
    detail["title"] = "IncidentDetail"
    _with(
        detail,
        alerts={"type": "array", "items": {"$ref": f"{REF}Alert"}},
        timeline={"type": "array", "items": {"$ref": f"{REF}TimelineEvent"}},
    )
    issued = json.loads(json.dumps(found["Integration"]))
    issued["title"] = "IssuedIntegration"
    _with(issued, key={"type": "string", "description": "the integration key; shown only in this answer"})
    postmortem_detail = _extended(
        found["Postmortem"],
        "PostmortemDetail",
        action_items={"type": "array", "items": {"$ref": f"{REF}ActionItem"}},
    )
    listed_item = _extended(found["ActionItem"], "ActionItemEntry", incident_id={"type": "string"})
    template_section = "TemplateSectionAnswer" if "TemplateSectionAnswer" in found else "TemplateSection"
    return {
        **found,
        "PostmortemDetail": postmortem_detail,
        "ActionItemEntry": listed_item,
        "PostmortemList": _list_of("Postmortem", cursor=True),
        "ActionItemList": _list_of("ActionItemEntry", cursor=True),
        "PostmortemTemplate": _object(
            "PostmortemTemplate", sections={"type": "array", "items": {"$ref": f"{REF}{template_section}"}}
        ),
        "ScheduleList": _list_of("Schedule"),
        "CalendarToken": _object(
            "CalendarToken",
            token={"type": "string", "description": "the feed's token; shown only in this answer"},
            path={"type": "string", "description": "the feed's path, token included"},
        ),
        "OnCall": _object(
            "OnCall",
            schedule_id={"type": "string"},
            schedule_name={"type": "string"},
            member=_STRING_OR_NULL,
            until={**_STRING_OR_NULL, "description": "when that changes; null if not within 93 days"},
        ),
        "OnCallList": _list_of("OnCall"),
        "Shift": _SHIFT,
        "Shifts": _object(
            "Shifts", window=_WINDOW, items={"type": "array", "items": {"$ref": f"{REF}Shift"}}
        ),
        "MemberShift": _extended(
            _SHIFT, "MemberShift", schedule_id={"type": "string"}, schedule_name={"type": "string"}
        ),
        "MemberShiftList": _list_of("MemberShift"),
        "SentReminders": _object(
            "SentReminders", window=_WINDOW, items={"type": "array", "items": {"$ref": f"{REF}SentReminder"}}
        ),
        "Alert": alert,
        "IncidentDetail": detail,
        "IssuedIntegration": issued,
        "IncidentList": _list_of("Incident", cursor=True),
        "ReusedIncident": _extended(
            found["Incident"],
            "ReusedIncident",
            reused={"type": "boolean", "description": "true: the service's open incident, not a new one"},
        ),
        "RelatedIncident": _extended(
            found["Incident"],
            "RelatedIncident",
            why={"type": "array", "items": {"$ref": f"{REF}RelatedReason"}},
        ),
        "RelatedIncidentList": _list_of("RelatedIncident"),
        "SloViolationList": _list_of("SloViolation", cursor=True),
        "TimelineEventList": _list_of("TimelineEvent", cursor=True),
        "MemberList": _list_of("Member"),
        "MemberRemoval": _object(
            "MemberRemoval",
            handle={"type": "string"},
            schedules_changed={
                "type": "array",
                "description": "the schedules whose layers the member was taken out of",
                "items": _object("ScheduleReference", id={"type": "string"}, name={"type": "string"}),
            },
        ),
        "IntegrationList": _list_of("Integration"),
        "EscalationPolicyList": _list_of("EscalationPolicy"),
        "Metrics": _METRICS,
        "Error": _ERROR,
    }


def _without(schema: dict[str, Any], *names: str) -> None:
    for name in names:
        schema["properties"].pop(name, None)
    schema["required"] = [name for name in schema.get("required", []) if name not in names]


def _with(schema: dict[str, Any], **properties: Any) -> None:
    schema["properties"].update(properties)
    schema["required"] = [*schema.get("required", []), *properties]


def _extended(schema: dict[str, Any], title: str, **properties: Any) -> dict[str, Any]:
    extended: dict[str, Any] = json.loads(json.dumps(schema))
    extended["title"] = title
    _with(extended, **properties)
    return extended


def _object(title: str, **properties: Any) -> dict[str, Any]:
    return {"title": title, "type": "object", "properties": properties, "required": list(properties)}


def _list_of(name: str, cursor: bool = False) -> dict[str, Any]:
    next_cursor: dict[str, Any] = (
        {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "pass as cursor for the next page"}
        if cursor
        else {"type": "null", "description": "every item is in one page"}
    )
    return {
        "title": f"{name}List",
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"{REF}{name}"}},
            "next_cursor": next_cursor,
        },
        "required": ["items", "next_cursor"],
    }


_STRING_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_WINDOW: dict[str, Any] = {
    "type": "object",
    "properties": {"since": {"type": "string"}, "until": {"type": "string"}},
    "required": ["since", "until"],
}
_SHIFT = _object(
    "Shift",
    start={"type": "string"},
    end={"type": "string"},
    member={**_STRING_OR_NULL, "description": "null where nobody is on call"},
)
_NUMBER_OR_NULL = {"anyOf": [{"type": "number"}, {"type": "null"}]}
_SUMMARY = {
    "type": "object",
    "properties": {"mean": _NUMBER_OR_NULL, "p50": _NUMBER_OR_NULL, "p90": _NUMBER_OR_NULL},
    "required": ["mean", "p50", "p90"],
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_METRICS: dict[str, Any] = {
    "title": "Metrics",
    "type": "object",
    "properties": {
        "window": _WINDOW,
        "service": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "incidents": {"type": "integer"},
        "mtta_seconds": _SUMMARY,
        "mttr_seconds": _SUMMARY,
        "counts": {
            "type": "object",
            "properties": {"by_severity": _COUNTS, "by_status": _COUNTS, "by_service": _COUNTS},
            "required": ["by_severity", "by_status", "by_service"],
        },
        "open_now": {"type": "integer"},
        "ack_within_sla_ratio": _NUMBER_OR_NULL,
        "ack_sla_seconds": _COUNTS,
    },
    "required": ["window", "incidents", "mtta_seconds", "mttr_seconds", "counts", "open_now"],
}
_ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"description": "what the code says more precisely: fields, limits, versions"},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


@lru_cache(maxsize=1)
def packaged() -> str:
    return PACKAGED.read_text(encoding="utf-8")
