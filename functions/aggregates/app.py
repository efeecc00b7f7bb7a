"""The table's stream, filtered to incident snapshots: keeps the metrics' aggregates and emits the incident
metrics (embedded metric format). A record that fails is reported alone and retried from there; the records
before it are not."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from stormwatch.services.aggregates import publish
from stormwatch.wiring import incident_aggregates

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    images = record.raw_event["dynamodb"]
    publish(incident_aggregates().record_images(images.get("OldImage"), images["NewImage"]), metrics)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event, record_handler, processor, context)


startup.imported()
