"""The table's stream, delivered locally as Lambda's event source mapping delivers it on AWS: records read
from the embedded DynamoDB's stream, filtered by each function's patterns from template.yaml, in batches,
a batch's reported failures retried from the first failed record, and a record that keeps failing set
aside (on AWS: the dead-letter queue) after the function's retry attempts.

The pump's place in a shard is the sequence number of the last record it read, never a shard iterator kept
between polls: each poll asks for an iterator after that record, so the pump reads the stream the table
has now, whatever replaced its storage since (moto, before the local engine, put back a copy of the table,
stream included, after each failed transaction, and an iterator kept from before read the discarded copy
from then on). A new stream (the table's stream ARN changed) is read from its oldest record, and records
trimmed before the pump read them are reported; both are logged."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.session

from stormwatch.settings import Settings

logger = logging.getLogger(__name__)


def streams_client(settings: Settings) -> Any:
    """A DynamoDB Streams client whose GetRecords answers the records as the service sends them."""
    client = botocore.session.get_session().create_client(
        "dynamodbstreams", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint_url
    )
    client.meta.events.register("before-parse.dynamodb-streams.GetRecords", _records_as_sent)
    return client


def _records_as_sent(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """GetRecords' records as DynamoDB Streams sends them, DynamoDB JSON (binary in base64, the creation time
    in epoch seconds), which is how Lambda delivers them to a function. botocore's parser would walk every
    attribute of both images through the API's model: most of the stream pump's CPU in a storm."""
    if response_dict["status_code"] != 200:
        return
    answer = json.loads(response_dict["body"])
    customized_response_dict["Records"] = answer.pop("Records", [])
    response_dict["body"] = json.dumps(answer).encode()


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering for the forms the template uses: nested objects, and lists of values one of
    which must equal the record's."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            matches(inner, value.get(key)) for key, inner in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


class Delivery(Protocol):
    """How a subscriber is fed, as an event source mapping's settings: a function of the template
    (stormwatch.local.template.StreamConsumer) or the stack's own reader (StreamReader)."""

    @property
    def function(self) -> str: ...

    @property
    def batch_size(self) -> int: ...

    @property
    def patterns(self) -> list[dict[str, Any]]: ...

    @property
    def maximum_retry_attempts(self) -> int: ...


@dataclass(frozen=True)
class StreamReader:
    """A subscriber of the local stack itself (no Lambda function), named in the log as `function`."""

    function: str
    batch_size: int
    maximum_retry_attempts: int
    # Every record: no event filtering.
    patterns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Subscription:
    consumer: Delivery
    invoke: Callable[[dict[str, Any]], dict[str, Any]]
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    def wants(self, record: dict[str, Any]) -> bool:
        return not self.consumer.patterns or any(
            matches(pattern, record) for pattern in self.consumer.patterns
        )


class StreamPump:
    def __init__(
        self, dynamodb: Any, streams: Any, table_name: str, stopping: Callable[[], bool] = bool
    ) -> None:
        self._dynamodb = dynamodb
        # Asked between batches: a stack shutting down stops delivering at once.
        self._stopping = stopping
        self._streams = streams
        self._table = table_name
        self._subscriptions: list[_Subscription] = []
        self._stream_arn: str | None = None
        # Per shard, the sequence number of the last record read.
        self._positions: dict[str, str] = {}

    def subscribe(self, consumer: Delivery, invoke: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._subscriptions.append(_Subscription(consumer, invoke))

    def dead_letters(self, function: str) -> list[dict[str, Any]]:
        return [
            record
            for subscription in self._subscriptions
            if subscription.consumer.function == function
            for record in subscription.dead_letters
        ]

    def rewind(self) -> None:
        """Read the stream again from its oldest record, as a retried or replayed delivery would."""
        self._positions.clear()

    def poll(self) -> int:
        """Deliver every record written since the last poll; returns how many were read."""
        records = self._read()
        for subscription in self._subscriptions:
            wanted = [record for record in records if subscription.wants(record)]
            size = subscription.consumer.batch_size
            for start in range(0, len(wanted), size):
                if self._stopping():
                    return len(records)
                self._deliver(subscription, wanted[start : start + size])
        return len(records)

    def drain(self, rounds: int = 10) -> None:
        """Poll until the stream is quiet: consumers may write items that are themselves streamed."""
        for _ in range(rounds):
            if self.poll() == 0:
                return

    def _read(self) -> list[dict[str, Any]]:
        arn = self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
        if arn != self._stream_arn:
            if self._stream_arn is not None:
                logger.warning(
                    "the table's stream changed (%s, was %s): reading it from its oldest record",
                    arn,
                    self._stream_arn,
                )
            self._stream_arn = arn
            self._positions.clear()
        shards = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            for record in self._read_shard(arn, shard["ShardId"]):
                records.append({**record, "eventSourceARN": arn})
        return records

    def _read_shard(self, arn: str, shard_id: str) -> list[dict[str, Any]]:
        position = self._positions.get(shard_id)
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            if position
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self._streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **where)["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            iterator = response.get("NextShardIterator")
            if not response["Records"]:
                break
            first = int(response["Records"][0]["dynamodb"]["SequenceNumber"])
            # The local engine numbers a shard's records one after the other, so a gap is records trimmed
            # (past 24 hours, or past the engine's bound) before the pump read them.
            if position is not None and first > int(position) + 1:
                logger.error(
                    "%d stream records of %s were trimmed before they were delivered",
                    first - int(position) - 1,
                    shard_id,
                )
            records.extend(response["Records"])
            position = response["Records"][-1]["dynamodb"]["SequenceNumber"]
            self._positions[shard_id] = position
        return records

    def _deliver(self, subscription: _Subscription, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch:
            try:
                response = subscription.invoke({"Records": batch})
                failed = [item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])]
            except RuntimeError:
                logger.exception("%s failed on a stream batch", subscription.consumer.function)
                failed = [batch[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                return
            first = next(
                index for index, record in enumerate(batch) if record["dynamodb"]["SequenceNumber"] in failed
            )
            batch = batch[first:]
            attempts += 1
            if attempts > subscription.consumer.maximum_retry_attempts:
                logger.error(
                    "%s: stream record set aside after %d attempts", subscription.consumer.function, attempts
                )
                subscription.dead_letters.append(batch[0])
                batch, attempts = batch[1:], 0
