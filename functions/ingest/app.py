"""Webhooks from alerting tools: authenticate by integration key, normalize, correlate. Answers 202.

`POST /v2/enqueue` is PagerDuty's Events API v2, answered in PagerDuty's own shapes."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from collections.abc import Callable
from dataclasses import asdict
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from stormwatch.api.hooks_openapi import INTEGRATION_KEY_SCHEMES, hook_operation
from stormwatch.api.http import create_app, guard_request, json_response, raw_body
from stormwatch.clock import iso
from stormwatch.wiring import ingest_service

logger = Logger()
metrics = Metrics(namespace="Stormwatch")
app = create_app(validation=False)
# The document's integration-key schemes, which the hooks' security names (plain dicts: no model import).
app.configure_openapi(security_schemes=cast(Any, INTEGRATION_KEY_SCHEMES))


@app.post("/v1/hooks/heartbeat", **hook_operation("heartbeat", "An integration says it is alive"))
def receive_heartbeat() -> Response[str]:
    answer = ingest_service().heartbeat(app.current_event.headers.get("authorization"))
    return json_response(
        HTTPStatus.ACCEPTED,
        {
            "next_deadline": iso(answer.next_deadline),
            "results": [asdict(result) for result in answer.results],
        },
    )


def _hook(source: str) -> Callable[[], Response[str]]:
    def receive_webhook() -> Response[str]:
        event = app.current_event
        headers = {name.lower(): value for name, value in event.headers.items()}
        results = ingest_service().receive(source, headers, raw_body(event.raw_event))
        metrics.add_metric(name="AlertsReceived", unit=MetricUnit.Count, value=len(results))
        return json_response(HTTPStatus.ACCEPTED, {"results": [asdict(result) for result in results]})

    receive_webhook.__name__ = f"receive_{source}"
    return receive_webhook


# One route (and one documented operation) per source, each with its body's schema.
HOOKS = {
    "generic": "An alarm in Stormwatch's own format, or an array of them",
    "alertmanager": "Prometheus Alertmanager webhook (version 4)",
    "grafana": "Grafana unified-alerting webhook (version 1)",
    "cloudwatch": "CloudWatch alarm delivered by SNS over HTTP(S), with subscription confirmation",
    "sentry": "Sentry integration-platform webhook (event_alert, metric_alert, issue)",
    "datadog": "Datadog Webhooks-integration payload",
}
for _source, _summary in HOOKS.items():
    app.post(f"/v1/hooks/{_source}", **hook_operation(_source, _summary))(_hook(_source))


@app.post("/v2/enqueue", **hook_operation("pagerduty", "PagerDuty Events API v2 compatible"))
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


startup.imported()
