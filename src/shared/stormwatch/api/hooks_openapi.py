"""What the OpenAPI document says of each webhook: its request body (from the normalizer's own model, so
the document cannot drift from what is read), its real answers, and its integration-key security.

The request bodies are built only when the document is generated: a webhook handler imports just the
format it receives, and importing every format's model at cold start would cost every delivery.
"""

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

# Security schemes (declared in the document's components by stormwatch.api.openapi).
INTEGRATION_KEY_SCHEMES = {
    "integration_key": {
        "type": "http",
        "scheme": "bearer",
        "description": "The integration's key: `Authorization: Bearer KEY`.",
    },
    "integration_key_basic": {
        "type": "http",
        "scheme": "basic",
        "description": "The integration's key as the password of HTTP Basic (as SNS sends its URL's).",
    },
}
_KEY_SECURITY: list[dict[str, list[str]]] = [{"integration_key": []}, {"integration_key_basic": []}]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "Names the field or header at fault."},
                "details": {},
            },
        }
    },
}
WEBHOOK_ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "description": "One result per alarm of the body, in order.",
            "items": {
                "type": "object",
                "required": ["incident_id", "incident_key", "action"],
                "properties": {
                    "incident_id": {"type": ["string", "null"]},
                    "incident_key": {"type": "string"},
                    "action": {"enum": ["created", "updated", "reopened", "resolved", "ignored"]},
                },
            },
        }
    },
}
HEARTBEAT_ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["next_deadline", "results"],
    "properties": {
        "next_deadline": {"type": "string", "format": "date-time"},
        "results": WEBHOOK_ANSWER_SCHEMA["properties"]["results"],
    },
}
PAGERDUTY_SUCCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "message", "dedup_key"],
    "properties": {
        "status": {"const": "success"},
        "message": {"const": "Event processed"},
        "dedup_key": {"type": "string"},
    },
}
PAGERDUTY_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "message", "errors"],
    "properties": {
        "status": {"const": "invalid event"},
        "message": {"const": "Event object is invalid"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(ERROR_SCHEMA, description)


_ERRORS = {
    400: _error("The body is not valid UTF-8 or JSON, or a field is missing, mistyped or unknown."),
    401: _error("No integration key, a wrong one, one of another source, or a bad signature."),
    413: _error("The body is over 1 MiB."),
    503: _error("The store is busy or a write failed half-way: retry (never 429)."),
}


def hook_responses(source: str) -> dict[int, dict[str, Any]]:
    if source == "pagerduty":
        return {
            202: _json(PAGERDUTY_SUCCESS_SCHEMA, "Event processed (PagerDuty's answer)."),
            400: _json(PAGERDUTY_ERROR_SCHEMA, "Invalid event, including an unknown routing_key."),
            413: _ERRORS[413],
            503: _ERRORS[503],
        }
    if source == "heartbeat":
        answers = {202: _json(HEARTBEAT_ANSWER_SCHEMA, "The deadline moved; a missed heartbeat resolved.")}
        return answers | {code: _ERRORS[code] for code in (400, 401, 413, 503)}
    return {202: _json(WEBHOOK_ANSWER_SCHEMA, "What was done per alarm.")} | _ERRORS


def hook_security(source: str) -> list[dict[str, list[str]]]:
    # PagerDuty's Events API carries the key in the body (`routing_key`).
    return [] if source == "pagerduty" else _KEY_SECURITY


def _header(name: str, description: str, required: bool = False, enum: list[str] | None = None) -> Any:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "header", "required": required, "description": description, "schema": schema}


_HEADERS = {
    "grafana": [
        _header("X-Grafana-Alerting-Signature", "Hex HMAC-SHA256 of the body, when the integration signs."),
        _header("X-Grafana-Alerting-Signature-Timestamp", "Unix seconds covered by the signature."),
    ],
    "sentry": [
        _header(
            "Sentry-Hook-Resource",
            "Which webhook this is.",
            required=True,
            enum=["event_alert", "metric_alert", "issue"],
        ),
        _header("Sentry-Hook-Signature", "HMAC-SHA256 of the body with the client secret, when set."),
    ],
}

# Each source's body: the normalizer module and its models (a list is one of them; "generic" also takes an
# array of alarms).
_BODY_MODELS = {
    "generic": ("generic", ["GenericAlarm"]),
    "alertmanager": ("alertmanager", ["GroupWebhook"]),
    "grafana": ("grafana", ["GrafanaWebhook"]),
    "cloudwatch": ("cloudwatch", ["SnsEnvelope"]),
    "sentry": ("sentry", ["EventAlert", "MetricAlert", "IssueWebhook"]),
    "datadog": ("datadog", ["DatadogEvent"]),
    "pagerduty": ("pagerduty", ["Event"]),
}


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with its local `$defs` references replaced by their definitions (the models have no
    cycles), so it stands alone inside the document."""
    if isinstance(schema, dict):
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inlined(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _inlined(value, definitions) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    return schema


def request_body_schema(source: str) -> dict[str, Any]:
    module_name, model_names = _BODY_MODELS[source]
    module = importlib.import_module(f"stormwatch.normalizers.{module_name}")
    schemas = []
    for name in model_names:
        schema = getattr(module, name).model_json_schema()
        schemas.append(_inlined(schema, schema.get("$defs", {})))
    if source == "generic":
        schemas.append({"type": "array", "minItems": 1, "items": schemas[0]})
    return schemas[0] if len(schemas) == 1 else {"oneOf": schemas}


class HookDocumentation(Mapping[str, Any]):
    """The extra operation fields of a hook (request body, headers), computed when the document is."""

    def __init__(self, source: str) -> None:
        self._source = source

    def _fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self._source != "heartbeat":
            schema = request_body_schema(self._source)
            # SNS posts its JSON as text/plain.
            types = (
                ["application/json", "text/plain"] if self._source == "cloudwatch" else ["application/json"]
            )
            fields["requestBody"] = {
                "required": True,
                "content": {content_type: {"schema": schema} for content_type in types},
            }
        if self._source in _HEADERS:
            fields["parameters"] = _HEADERS[self._source]
        return fields

    def __getitem__(self, key: str) -> Any:
        return self._fields()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())

    def __len__(self) -> int:
        return len(self._fields())


def hook_operation(source: str, summary: str) -> dict[str, Any]:
    """Keyword arguments of the resolver's `post` for one hook."""
    return {
        "summary": summary,
        "tags": ["webhooks"],
        "operation_id": f"hook_{source}",
        "responses": hook_responses(source),
        "security": hook_security(source),
        "openapi_extensions": HookDocumentation(source),
    }
