"""Commands people give: incidents (open, status, severity, assignment, silence, links, comments), members,
integrations, escalation policies and the org's settings, a Router per resource, each included when a
request first needs it. Every POST honours Idempotency-Key; incident commands honour If-Match."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from stormwatch.api import commands
from stormwatch.api.http import create_app, guard_request

logger = Logger()
app = create_app(resources=(commands.__name__, commands.ROUTES))


@guard_request(json_body=True)
def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return resolve(event, context)


startup.imported()
