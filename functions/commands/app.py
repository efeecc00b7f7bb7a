"""Commands people give: open an incident by hand, move its status."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths

from stormwatch.api.http import create_app, current_caller, guard_request, json_response
from stormwatch.api.schemas import CreateIncidentBody, StatusChangeBody, incident_view
from stormwatch.wiring import incident_commands

logger = Logger()
app = create_app()


@app.post("/v1/incidents")
def open_incident(body: Annotated[CreateIncidentBody, Body()]) -> Response[str]:
    incident = incident_commands().open(current_caller(app), body.to_request())
    return json_response(HTTPStatus.CREATED, incident_view(incident))


@app.post("/v1/incidents/<incident_id>/status")
def change_status(incident_id: str, body: Annotated[StatusChangeBody, Body()]) -> Response[str]:
    incident = incident_commands().set_status(current_caller(app), incident_id, body.status, body.note)
    return json_response(HTTPStatus.OK, incident_view(incident))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@guard_request(json_body=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
