"""The table's stream, filtered to new outbox items and incident snapshots: delivers notifications (Slack,
signed webhooks, email) and publishes lifecycle events to EventBridge. A record that fails is reported
alone and retried from there; one that keeps failing goes to the dead-letter queue."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from stormwatch.wiring import notifier

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    images = record.raw_event["dynamodb"]
    notifier().handle_images(images.get("OldImage"), images["NewImage"])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event, record_handler, processor, context)


startup.imported()
