"""Webhooks from alerting tools: authenticate by integration key, normalize, correlate. Answers 202.

`POST /v2/enqueue` is PagerDuty's Events API v2, answered in PagerDuty's own shapes."""

from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from stormwatch.api.http import create_app, guard_request, json_response, raw_body
from stormwatch.clock import iso
from stormwatch.wiring import ingest_service

logger = Logger()
metrics = Metrics(namespace="Stormwatch")
app = create_app()


@app.post("/v1/hooks/heartbeat")
def receive_heartbeat() -> Response[str]:
    answer = ingest_service().heartbeat(app.current_event.headers.get("authorization"))
    return json_response(
        HTTPStatus.ACCEPTED,
        {
            "next_deadline": iso(answer.next_deadline),
            "results": [asdict(result) for result in answer.results],
        },
    )


@app.post("/v1/hooks/<source>")
def receive_webhook(source: str) -> Response[str]:
    event = app.current_event
    headers = {name.lower(): value for name, value in event.headers.items()}
    results = ingest_service().receive(source, headers, raw_body(event.raw_event))
    metrics.add_metric(name="AlertsReceived", unit=MetricUnit.Count, value=len(results))
    return json_response(HTTPStatus.ACCEPTED, {"results": [asdict(result) for result in results]})


@app.post("/v2/enqueue")
def enqueue_pagerduty_event() -> Response[str]:
    answer = ingest_service().enqueue(raw_body(app.current_event.raw_event))
    if answer.errors:
        body = {"status": "invalid event", "message": "Event object is invalid", "errors": answer.errors}
        return json_response(HTTPStatus.BAD_REQUEST, body)
    metrics.add_metric(name="AlertsReceived", unit=MetricUnit.Count, value=1)
    return json_response(
        HTTPStatus.ACCEPTED,
        {"status": "success", "message": "Event processed", "dedup_key": answer.dedup_key},
    )


@guard_request(json_body=False)
def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = resolve(event, context)
    if response["statusCode"] >= 400:
        metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
    return response
