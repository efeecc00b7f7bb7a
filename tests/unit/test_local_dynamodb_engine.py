"""The local stack's DynamoDB engine (moto with stormwatch.local.dynamodb_engine installed): what each
override promises, checked through the DynamoDB API, so a moto upgrade that changes what it overrides fails
here. The stream pump is checked on both engines: it must not lose the stream on moto's own either."""

import copy
import gc
import json
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import moto.dynamodb.models.table
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.utils import utcnow
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import dynamodbstreams_backends

from stormwatch.local import dynamodb_engine
from stormwatch.local.cli import create_table
from stormwatch.local.streams import StreamPump, streams_client
from stormwatch.local.template import StreamConsumer
from stormwatch.settings import get_settings
from tests.support.paths import ROOT

TABLE = "engine-test"


class Engine:
    def __init__(self) -> None:
        self.client: Any = boto3.client("dynamodb", region_name="us-east-1")
        self.streams: Any = boto3.client("dynamodbstreams", region_name="us-east-1")
        create_table(self.client, ROOT / "template.yaml", TABLE)

    @property
    def table(self) -> Any:
        return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]

    def put(self, pk: str, sk: str = "SNAPSHOT", **attributes: str) -> None:
        item = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            **{name: {"S": value} for name, value in attributes.items()},
        }
        self.client.put_item(TableName=TABLE, Item=item)

    def get(self, pk: str, sk: str = "SNAPSHOT") -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.client.get_item(
            TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}
        ).get("Item")
        return item

    def transact(self, *operations: dict[str, Any]) -> None:
        self.client.transact_write_items(TransactItems=list(operations))

    def stream_arn(self) -> str:
        arn: str = self.client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        return arn

    def iterator(self, kind: str = "TRIM_HORIZON", **position: str) -> str:
        arn = self.stream_arn()
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator: str = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **position
        )["ShardIterator"]
        return iterator

    def records(self, iterator: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.streams.get_records(ShardIterator=iterator)["Records"]
        return records


def put(pk: str, condition: str | None = None, **attributes: str) -> dict[str, Any]:
    item = {
        "pk": {"S": pk},
        "sk": {"S": "SNAPSHOT"},
        **{name: {"S": value} for name, value in attributes.items()},
    }
    request: dict[str, Any] = {"TableName": TABLE, "Item": item}
    if condition:
        request["ConditionExpression"] = condition
    return {"Put": request}


def update(pk: str, value: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": pk}, "sk": {"S": "SNAPSHOT"}},
            "UpdateExpression": "SET note = :value",
            "ExpressionAttributeValues": {":value": {"S": value}},
        }
    }


def keys(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(record["eventName"], record["dynamodb"]["Keys"]["pk"]["S"]) for record in records]


@contextmanager
def installed_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    # install() changes the classes moto builds for this process: put moto's back after the test.
    monkeypatch.setattr(dynamodb_backends, "backend", dynamodb_backends.backend)
    monkeypatch.setattr(dynamodbstreams_backends, "backend", dynamodbstreams_backends.backend)
    for owner, attribute, replacement in dynamodb_engine.PATCHES:
        monkeypatch.setattr(owner, attribute, replacement, raising=False)
    with mock_aws():
        dynamodb_engine.install()
        yield Engine()


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with installed_engine(monkeypatch) as installed:
        yield installed


@pytest.fixture
def stock_moto() -> Iterator[Engine]:
    with mock_aws():
        yield Engine()


def test_a_failed_transaction_puts_back_what_it_touched_and_nothing_else(engine: Engine) -> None:
    engine.put("kept", note="before")
    engine.put("updated", note="before")
    engine.put("exists")
    with pytest.raises(ClientError) as refused:
        engine.transact(
            put("new"),
            update("updated", "during"),
            put("exists", condition="attribute_not_exists(pk)"),
            update("kept-absent", "during"),
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert engine.get("new") is None
    assert engine.get("kept-absent") is None
    assert engine.get("updated") == {"pk": {"S": "updated"}, "sk": {"S": "SNAPSHOT"}, "note": {"S": "before"}}
    assert engine.get("kept") == {"pk": {"S": "kept"}, "sk": {"S": "SNAPSHOT"}, "note": {"S": "before"}}
    # Nothing the failed transaction wrote is streamed; the records before it are all there.
    assert keys(engine.records(engine.iterator())) == [
        ("INSERT", "kept"),
        ("INSERT", "updated"),
        ("INSERT", "exists"),
    ]


def test_a_transaction_copies_the_items_it_touches_not_the_table(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(300):
        engine.put(f"incident-{number}")
    table = engine.table
    copied: list[Item] = []
    item_deepcopy = Item.__deepcopy__

    def counting(item: Item, memo: dict[int, Any]) -> Item:
        copied.append(item)
        return item_deepcopy(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    engine.transact(put("incident-7", note="changed"), put("incident-300"))
    with pytest.raises(ClientError):
        engine.transact(
            put("incident-8", note="changed"), put("incident-9", condition="attribute_not_exists(pk)")
        )

    assert len(copied) == 3  # incident-7, then incident-8 and incident-9 (incident-300 did not exist)
    assert engine.table is table
    assert engine.get("incident-7") == {
        "pk": {"S": "incident-7"},
        "sk": {"S": "SNAPSHOT"},
        "note": {"S": "changed"},
    }
    assert engine.get("incident-8") == {"pk": {"S": "incident-8"}, "sk": {"S": "SNAPSHOT"}}


def test_the_stream_read_before_a_failed_transaction_goes_on_after_it(engine: Engine) -> None:
    engine.put("first")
    iterator = engine.iterator()
    assert keys(engine.records(iterator)) == [("INSERT", "first")]
    latest = engine.iterator(
        "AFTER_SEQUENCE_NUMBER", SequenceNumber=engine.records(iterator)[0]["dynamodb"]["SequenceNumber"]
    )
    with pytest.raises(ClientError):
        engine.transact(put("phantom"), put("first", condition="attribute_not_exists(pk)"))
    engine.put("second")

    assert keys(engine.records(latest)) == [("INSERT", "second")]


def test_stream_records_are_kept_24_hours_and_sequence_numbers_go_on(engine: Engine) -> None:
    engine.put("old")
    old = engine.records(engine.iterator())[0]["dynamodb"]["SequenceNumber"]
    engine.table.stream_shard.trim(utcnow() + timedelta(hours=24, seconds=1))
    assert engine.records(engine.iterator()) == []

    engine.put("new")
    # A reader whose position was trimmed away reads from the oldest record kept.
    after_old = engine.records(engine.iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=old))
    assert keys(after_old) == [("INSERT", "new")]
    assert int(after_old[0]["dynamodb"]["SequenceNumber"]) == int(old) + 1


def test_records_younger_than_24_hours_stay(engine: Engine) -> None:
    engine.put("recent")
    engine.table.stream_shard.trim(utcnow() + timedelta(hours=23))
    assert keys(engine.records(engine.iterator())) == [("INSERT", "recent")]


def test_the_stream_keeps_at_most_its_bound_of_records(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dynamodb_engine, "MAX_STREAM_RECORDS", 3)
    for number in range(5):
        engine.put(f"incident-{number}")
    kept = engine.records(engine.iterator())
    assert keys(kept) == [("INSERT", "incident-2"), ("INSERT", "incident-3"), ("INSERT", "incident-4")]
    assert [int(record["dynamodb"]["SequenceNumber"]) for record in kept] == [
        int(kept[0]["dynamodb"]["SequenceNumber"]) + step for step in range(3)
    ]


def test_shard_iterators_expire_after_15_minutes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.put("first")
    clock = [1000.0]
    monkeypatch.setattr(dynamodb_engine.time, "monotonic", lambda: clock[0])
    stale = engine.iterator()
    clock[0] += 15 * 60 + 1
    fresh = engine.iterator()

    assert keys(engine.records(fresh)) == [("INSERT", "first")]
    with pytest.raises(ClientError) as expired:
        engine.records(stale)
    assert expired.value.response["Error"]["Code"] == "ExpiredIteratorException"
    assert len(dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators) == 2  # fresh, its next


def test_a_query_of_the_table_reads_its_partition_in_order_page_by_page(engine: Engine) -> None:
    for sk in ("EVENT#3", "EVENT#1", "EVENT#2", "SNAPSHOT"):
        engine.put("incident-1", sk)
    engine.put("incident-2", "EVENT#1")
    pages, start = [], None
    while True:
        request: dict[str, Any] = {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :events)",
            "ExpressionAttributeValues": {":pk": {"S": "incident-1"}, ":events": {"S": "EVENT#"}},
            "Limit": 2,
        }
        if start:
            request["ExclusiveStartKey"] = start
        answer = engine.client.query(**request)
        pages.append([item["sk"]["S"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            break
    assert [sk for page in pages for sk in page] == ["EVENT#1", "EVENT#2", "EVENT#3"]
    missing = engine.client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "incident-9"}},
    )
    assert missing["Items"] == []


def test_an_item_no_longer_held_is_freed(engine: Engine) -> None:
    """moto keeps every Item it makes (BaseModel.instances_tracked): each item's earlier versions, and the
    copies an update and a transaction make, lived as long as the process."""
    tracked = len(Item.instances_tracked)  # type: ignore[attr-defined]
    engine.put("incident-1", note="first")
    first = weakref.ref(engine.table.items[DynamoType({"S": "incident-1"})][DynamoType({"S": "SNAPSHOT"})])
    engine.put("incident-1", note="second")
    engine.client.update_item(**update("incident-1", "third")["Update"], ReturnValues="ALL_OLD")
    engine.transact(update("incident-1", "fourth"), put("incident-2"))
    gc.collect()

    assert first() is None
    assert len(Item.instances_tracked) == tracked  # type: ignore[attr-defined]
    assert engine.get("incident-1") == {
        "pk": {"S": "incident-1"},
        "sk": {"S": "SNAPSHOT"},
        "note": {"S": "fourth"},
    }


def test_a_backup_of_a_table_is_a_copy(engine: Engine) -> None:
    engine.put("incident-1")
    duplicate = copy.deepcopy(engine.table)
    engine.put("incident-2")
    assert duplicate is not engine.table
    assert len(duplicate) == 1


@pytest.mark.parametrize("database", ["engine", "stock_moto"])
def test_the_pump_delivers_what_follows_a_failed_transaction(
    database: str, request: pytest.FixtureRequest
) -> None:
    engine: Engine = request.getfixturevalue(database)
    delivered: list[tuple[str, str]] = []

    def consumer(event: dict[str, Any]) -> dict[str, Any]:
        delivered.extend(keys(event["Records"]))
        return {}

    pump = StreamPump(engine.client, engine.streams, TABLE)
    pump.subscribe(StreamConsumer("notifier", ROOT, "app.handler", 100, [], 2), consumer)
    engine.put("first")
    pump.poll()
    with pytest.raises(ClientError):
        engine.transact(put("phantom"), put("first", condition="attribute_not_exists(pk)"))
    engine.put("second")
    pump.poll()
    engine.put("third")
    pump.poll()

    assert delivered == [("INSERT", "first"), ("INSERT", "second"), ("INSERT", "third")]


def test_the_stream_client_reads_records_as_the_stream_sends_them(engine: Engine) -> None:
    """streams_client's GetRecords leaves the records in DynamoDB JSON, as Lambda delivers them: binary in
    base64 and the creation time in epoch seconds, where botocore's parser would make bytes and datetimes;
    the rest is what botocore's parser reads."""
    blob = {"pk": {"S": "incident-1"}, "sk": {"S": "SNAPSHOT"}, "blob": {"B": b"\x00\xff"}}
    engine.client.put_item(TableName=TABLE, Item=blob)
    engine.put("incident-1", note="changed")
    streams = streams_client(get_settings())

    answer = streams.get_records(ShardIterator=engine.iterator())
    parsed = engine.records(engine.iterator())

    records = answer["Records"]
    assert records[0]["dynamodb"]["NewImage"]["blob"] == {"B": "AP8="}
    assert records[1]["dynamodb"]["OldImage"]["blob"] == {"B": "AP8="}
    for record, read in zip(records, parsed, strict=True):
        created = read["dynamodb"].pop("ApproximateCreationDateTime")
        assert record["dynamodb"].pop("ApproximateCreationDateTime") == created.timestamp()
        for image in ("NewImage", "OldImage"):
            if "blob" in read["dynamodb"].get(image, {}):
                read["dynamodb"][image]["blob"] = {"B": "AP8="}
        assert record == read
    assert answer["NextShardIterator"]
    with pytest.raises(ClientError) as unknown:
        streams.get_records(ShardIterator="not-an-iterator")
    assert unknown.value.response["Error"]["Code"] == "ExpiredIteratorException"


def stream_records_of_writes(client: Any, streams: Any) -> dict[str, list[dict[str, Any]]]:
    """The stream records of the same writes on a table of each stream view type, without the event's id
    (random) and creation time (moto's serializer writes milliseconds, the engine what moto measured)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for view in ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        table = f"stream-{view}"
        client.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
        )
        key = {"pk": {"S": "incident-1"}, "sk": {"S": "CUR"}}
        client.put_item(
            TableName=table,
            Item={**key, "blob": {"B": b"\x00\xff"}, "n": {"N": "1"}, "m": {"M": {"l": {"L": [{"S": "x"}]}}}},
        )
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        # A nested value changed in place: the old image keeps what it was (the engine's copy of the item).
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET m.l[0] = :y, m.added = :y",
            ExpressionAttributeValues={":y": {"S": "y"}},
        )
        client.update_item(
            TableName=table,
            Key={**key, "pk": {"S": "incident-2"}},
            UpdateExpression="SET note = :note",
            ExpressionAttributeValues={":note": {"S": 'é " \\ '}},
        )
        client.delete_item(TableName=table, Key=key)
        arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records[view] = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        for record in records[view]:
            del record["eventID"], record["dynamodb"]["ApproximateCreationDateTime"]
    return records


def test_stream_records_are_moto_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine writes a write's stream record itself, as text: each record, its size included, is the
    one moto makes (at the same time: the size counts the digits of the creation time)."""
    written_at = datetime(2026, 12, 2, 3, 30, 0, 123456)
    monkeypatch.setattr(moto.dynamodb.models.table, "utcnow", lambda: written_at)
    monkeypatch.setattr(dynamodb_engine, "utcnow", lambda: written_at)
    with mock_aws():
        stock = Engine()
        expected = stream_records_of_writes(stock.client, stock.streams)
    with installed_engine(monkeypatch) as engine:
        written = stream_records_of_writes(engine.client, engine.streams)

    assert written == expected
    # moto's upsert writes the key, then the update: two INSERTs.
    assert [record["eventName"] for record in expected["NEW_AND_OLD_IMAGES"]] == [
        "INSERT",
        "MODIFY",
        "MODIFY",
        "INSERT",
        "INSERT",
        "REMOVE",
    ]
    assert "OldImage" in expected["NEW_AND_OLD_IMAGES"][1]["dynamodb"]
    nested = written["NEW_AND_OLD_IMAGES"][2]["dynamodb"]
    assert nested["OldImage"]["m"] == {"M": {"l": {"L": [{"S": "x"}]}}}
    assert nested["NewImage"]["m"] == {"M": {"l": {"L": [{"S": "y"}]}, "added": {"S": "y"}}}


def query_index_pages(engine: Engine, value: str, forward: bool, limit: int | None) -> list[list[str]]:
    """Every page of a Query of gsi1 for `value`, as the items' pks, following LastEvaluatedKey."""
    pages: list[list[str]] = []
    start = None
    while True:
        request: dict[str, Any] = {
            "TableName": TABLE,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :org AND gsi1sk > :after",
            "ExpressionAttributeValues": {":org": {"S": value}, ":after": {"S": "2026"}},
            "ScanIndexForward": forward,
        }
        if limit:
            request["Limit"] = limit
        if start:
            request["ExclusiveStartKey"] = start
        answer = engine.client.query(**request)
        pages.append([item["pk"]["S"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def index_answers(engine: Engine) -> dict[str, list[list[str]]]:
    return {
        f"{value} forward={forward} limit={limit}": query_index_pages(engine, value, forward, limit)
        for value in ("ORG#a", "ORG#b", "ORG#none")
        for forward in (True, False)
        for limit in (None, 1, 2)
    }


def index_writes(engine: Engine) -> list[dict[str, Any]]:
    """Every write path that can give an item an index key, change it or take it away; the answers of
    the index after each step."""
    client = engine.client

    def failed_transaction() -> None:
        with pytest.raises(ClientError) as refused:
            engine.transact(
                put("txn-phantom", gsi1pk="ORG#a", gsi1sk="2026-10"),
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "txn-new"}, "sk": {"S": "SNAPSHOT"}},
                        "UpdateExpression": "SET gsi1pk = :org",
                        "ExpressionAttributeValues": {":org": {"S": "ORG#b"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "inc-4"}, "sk": {"S": "SNAPSHOT"}}}},
                put("upserted", condition="attribute_not_exists(pk)"),
            )
        assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"

    steps: list[Callable[[], Any]] = [
        lambda: [engine.put(f"inc-{n}", gsi1pk="ORG#a", gsi1sk=f"2026-0{n}") for n in range(1, 6)],
        lambda: engine.put("sparse", note="no index key"),
        lambda: engine.put("no-sort-key", gsi1pk="ORG#a"),  # not in gsi1: it lacks gsi1sk
        # The first Query builds the index partitions; every step below must keep them.
        lambda: engine.put("inc-6", gsi1pk="ORG#a", gsi1sk="2026-06"),
        lambda: engine.put("inc-2", gsi1pk="ORG#b", gsi1sk="2026-02"),  # a put moves it
        lambda: engine.put("inc-3", note="index key gone"),  # a put takes the key away
        lambda: client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "inc-4"}, "sk": {"S": "SNAPSHOT"}},
            UpdateExpression="SET gsi1pk = :org",
            ExpressionAttributeValues={":org": {"S": "ORG#b"}},
        ),
        lambda: client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "inc-5"}, "sk": {"S": "SNAPSHOT"}},
            UpdateExpression="REMOVE gsi1pk",
        ),
        lambda: client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "sparse"}, "sk": {"S": "SNAPSHOT"}},
            UpdateExpression="SET gsi1pk = :org, gsi1sk = :at",
            ExpressionAttributeValues={":org": {"S": "ORG#a"}, ":at": {"S": "2026-07"}},
        ),
        lambda: client.update_item(  # an update that creates the item
            TableName=TABLE,
            Key={"pk": {"S": "upserted"}, "sk": {"S": "SNAPSHOT"}},
            UpdateExpression="SET gsi1pk = :org, gsi1sk = :at",
            ExpressionAttributeValues={":org": {"S": "ORG#b"}, ":at": {"S": "2026-08"}},
        ),
        lambda: client.delete_item(TableName=TABLE, Key={"pk": {"S": "inc-1"}, "sk": {"S": "SNAPSHOT"}}),
        lambda: engine.transact(
            put("txn-new", gsi1pk="ORG#a", gsi1sk="2026-09"),
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": "inc-6"}, "sk": {"S": "SNAPSHOT"}},
                    "UpdateExpression": "SET gsi1pk = :org",
                    "ExpressionAttributeValues": {":org": {"S": "ORG#b"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "inc-2"}, "sk": {"S": "SNAPSHOT"}}}},
        ),
        failed_transaction,
        lambda: client.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": put("batch-1", gsi1pk="ORG#b", gsi1sk="2026-11")["Put"]["Item"]}},
                    {"PutRequest": {"Item": put("txn-new", gsi1pk="ORG#b", gsi1sk="2026-09")["Put"]["Item"]}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "upserted"}, "sk": {"S": "SNAPSHOT"}}}},
                ]
            }
        ),
    ]
    answers = []
    for step in steps:
        step()
        answers.append(index_answers(engine))
    return answers


def test_a_query_of_an_index_answers_as_moto_does_through_every_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with mock_aws():
        expected = index_writes(Engine())
    monkeypatch.setattr(dynamodb_backends, "backend", dynamodb_backends.backend)
    monkeypatch.setattr(dynamodbstreams_backends, "backend", dynamodbstreams_backends.backend)
    with mock_aws():
        dynamodb_engine.install()
        engine = Engine()
        answers = index_writes(engine)
        read: list[int] = []
        all_items = dynamodb_engine.LocalTable.all_items

        def counting(table: Any) -> list[Item]:
            items = all_items(table)
            read.append(len(items))
            return items

        monkeypatch.setattr(dynamodb_engine.LocalTable, "all_items", counting)
        final = query_index_pages(engine, "ORG#b", True, None)

    assert answers == expected
    assert final == expected[-1]["ORG#b forward=True limit=None"]
    assert read == [len(final[0])]  # the Query read its partition, not the table


def test_item_operations_answer_as_moto_serializes_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine writes the item operations' answers with json.dumps: each answer, as botocore reads it,
    is what moto's model-driven serializer writes for the same result."""
    compared: list[str] = []
    written_by_engine = dynamodb_engine.LocalDynamoHandler.serialized

    def both(handler: Any, result: Any) -> Any:
        ours = written_by_engine(handler, result)
        theirs = DynamoHandler.serialized(handler, result)
        assert (ours[0], ours[1]["Content-Type"]) == (theirs[0], theirs[1]["Content-Type"])
        assert json.loads(ours[2]) == json.loads(theirs[2]), handler._get_action()
        compared.append(handler._get_action())
        return ours

    monkeypatch.setattr(dynamodb_engine.LocalDynamoHandler, "serialized", both)
    client = engine.client
    key = {"pk": {"S": "incident-1"}, "sk": {"S": "SNAPSHOT"}}
    item = {
        **key,
        "gsi1pk": {"S": "ORG#a"},
        "gsi1sk": {"S": "2026-11-01"},
        "count": {"N": "3"},
        "blob": {"B": b"\x00\xffbinary"},
        "blobs": {"BS": [b"one", b"two"]},
        "flags": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "nested": {"M": {"list": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
    }
    capacity = {"ReturnConsumedCapacity": "TOTAL"}
    client.put_item(TableName=TABLE, Item=item, **capacity)
    client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD")
    client.get_item(TableName=TABLE, Key=key, **capacity)
    client.get_item(TableName=TABLE, Key={**key, "pk": {"S": "absent"}})
    client.get_item(
        TableName=TABLE,
        Key=key,
        ProjectionExpression="nested.list, #c",
        ExpressionAttributeNames={"#c": "count"},
    )
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #c = #c + :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
        **capacity,
    )
    client.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE flags")
    for number in range(3):
        client.put_item(TableName=TABLE, Item={**item, "pk": {"S": f"incident-{number + 2}"}})
    client.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :org",
        ExpressionAttributeValues={":org": {"S": "ORG#a"}},
        Limit=2,
        **capacity,
    )
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "incident-1"}},
        Select="COUNT",
    )
    client.scan(TableName=TABLE, Limit=2)
    client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {**key, "pk": {"S": "absent"}}]}}, **capacity)
    client.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": {**item, "pk": {"S": "batch"}}}}]}, **capacity
    )
    client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])
    client.transact_write_items(TransactItems=[update("incident-2", "note")], **capacity)
    client.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")

    assert set(compared) == dynamodb_engine.ITEM_OPERATIONS


def test_expressions_parsed_once_still_read_each_requests_names_and_values(engine: Engine) -> None:
    """The engine parses an expression string once and runs the checks that read only the expression, its
    names and the table's keys once for them: each request still gets its own names' and values' answer."""
    engine.put("incident-1", note="first")

    def set_note(name: str, old: str, new: str) -> None:
        engine.client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "incident-1"}, "sk": {"S": "SNAPSHOT"}},
            UpdateExpression="SET #field = :new",
            ConditionExpression="#field = :old",
            ExpressionAttributeNames={"#field": name},
            ExpressionAttributeValues={":old": {"S": old}, ":new": {"S": new}},
        )

    set_note("note", "first", "second")
    with pytest.raises(ClientError) as stale:
        set_note("note", "first", "third")
    with pytest.raises(ClientError) as key_update:
        set_note("pk", "incident-1", "incident-2")
    set_note("note", "second", "third")

    assert stale.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert key_update.value.response["Error"]["Code"] == "ValidationException"
    assert engine.get("incident-1") == {
        "pk": {"S": "incident-1"},
        "sk": {"S": "SNAPSHOT"},
        "note": {"S": "third"},
    }


def expression_requests(client: Any) -> list[Any]:
    """Writes and reads with update and condition expressions, some refused: each answer (or error) and
    then every item, as the API returns them."""
    key = {"pk": {"S": "incident-1"}, "sk": {"S": "SNAPSHOT"}}
    names = {"#c": "alert_count", "#s": "status", "#fp": "fp1", "#n": "count", "#st": "status"}
    values = {
        ":one": {"N": "1"},
        ":now": {"S": "2026-12-02T03:00:00Z"},
        ":open": {"S": "open"},
        ":ack": {"S": "acknowledged"},
        ":zero": {"N": "0"},
        ":firing": {"S": "firing"},
    }
    repeat = {
        "TableName": TABLE,
        "Key": key,
        "UpdateExpression": "SET #c = #c + :one, alerts.#fp.#n = alerts.#fp.#n + :one, last_seen = :now"
        " REMOVE changed",
        "ConditionExpression": "#s IN (:open, :ack)"
        " AND (attribute_not_exists(truncated) OR truncated = :zero) AND alerts.#fp.#st = :firing",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    without_zero = {name: value for name, value in values.items() if name != ":zero"}
    without_status = {name: value for name, value in names.items() if name != "#s"}
    requests: list[tuple[str, dict[str, Any]]] = [
        (
            "put_item",
            {
                "TableName": TABLE,
                "Item": {
                    **key,
                    "status": {"S": "open"},
                    "alert_count": {"N": "1"},
                    "changed": {"BOOL": True},
                    "owner": {"NULL": True},
                    "odd": {"M": {"empty": {"S": ""}, "flag": {"BOOL": False}, "n": {"N": "-1.5e3"}}},
                    "tags": {"SS": ["a", "b"]},
                    "history": {"L": [{"S": "first"}]},
                    "alerts": {"M": {"fp1": {"M": {"count": {"N": "1"}, "status": {"S": "firing"}}}}},
                },
            },
        ),
        ("update_item", {**repeat, "ReturnValues": "ALL_NEW"}),
        ("update_item", {**repeat, "ReturnValues": "UPDATED_OLD"}),
        # The same expressions with other names and values: a fingerprint the item does not have.
        (
            "update_item",
            {
                **repeat,
                "ExpressionAttributeNames": {**names, "#fp": "fp2"},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        ),
        ("update_item", {**repeat, "ExpressionAttributeValues": {**values, ":open": {"S": "resolved"}}}),
        ("update_item", {**repeat, "ExpressionAttributeValues": without_zero}),
        ("update_item", {**repeat, "ExpressionAttributeNames": without_status}),
        ("update_item", {**repeat, "ExpressionAttributeValues": {**values, ":extra": {"S": "unused"}}}),
        # The same expression, checked already with other names: names that make two of its paths one, or
        # that name a key attribute, are refused all the same.
        ("update_item", {**repeat, "ExpressionAttributeNames": {**names, "#c": "last_seen"}}),
        ("update_item", {**repeat, "ExpressionAttributeNames": {**names, "#c": "sk"}}),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET history = list_append(history, :more),"
                " note = if_not_exists(note, :n) ADD labels :new, repeats :one DELETE tags :old",
                "ConditionExpression": "size(history) < :two AND begins_with(#s, :o) AND contains(tags, :a)"
                " AND NOT attribute_type(#s, :number) AND alert_count BETWEEN :one AND :ten"
                " AND alert_count <> :zero",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {
                    ":more": {"L": [{"S": "second"}]},
                    ":n": {"S": "noted"},
                    ":new": {"SS": ["c"]},
                    ":old": {"SS": ["a"]},
                    ":one": {"N": "1"},
                    ":two": {"N": "2"},
                    ":o": {"S": "op"},
                    ":a": {"S": "a"},
                    ":number": {"S": "N"},
                    ":ten": {"N": "10"},
                    ":zero": {"N": "0"},
                },
                "ReturnValues": "ALL_NEW",
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET alerts.fp2 = :alert, history[0] = :replaced REMOVE history[1]",
                "ExpressionAttributeValues": {
                    ":alert": {"M": {"count": {"N": "1"}}},
                    ":replaced": {"S": "x"},
                },
                "ReturnValues": "UPDATED_NEW",
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET a = :v, a = :v",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET sk = :v",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET absent_total = absent_total + :v",
                "ExpressionAttributeValues": {":v": {"N": "1"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET a = :v",
                "ConditionExpression": "a = ",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET a = :v",
                "ConditionExpression": "((a = :v))",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": {**key, "pk": {"S": "incident-2"}},
                "UpdateExpression": "SET #s = :open",
                "ConditionExpression": "attribute_not_exists(pk)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": {"S": "open"}},
                "ReturnValues": "ALL_NEW",
            },
        ),
        (
            "put_item",
            {
                "TableName": TABLE,
                "Item": {**key, "status": {"S": "new"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            },
        ),
        (
            "delete_item",
            {
                "TableName": TABLE,
                "Key": {**key, "pk": {"S": "incident-2"}},
                "ConditionExpression": "#s = :open",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": {"S": "resolved"}},
            },
        ),
        (
            "put_item",
            {"TableName": TABLE, "Item": {**key, "pk": {"S": "large"}, "text": {"S": "x" * 300_000}}},
        ),
        # Over moto's bound on an item's size, counted attribute by attribute.
        (
            "put_item",
            {
                "TableName": TABLE,
                "Item": {
                    **key,
                    "pk": {"S": "too-large"},
                    "a": {"S": "x" * 200_000},
                    "b": {"S": "y" * 205_000},
                },
            },
        ),
        # What an update answers of the item before it: all of it, none of it (of an item that was absent),
        # and the refusals moto makes before reading the item or after.
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET alerts.#fp.#n = alerts.#fp.#n + :one",
                "ExpressionAttributeNames": {"#fp": "fp1", "#n": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "ALL_OLD",
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": {**key, "pk": {"S": "incident-3"}},
                "UpdateExpression": "SET #s = :open",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": {"S": "open"}},
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": {"pk": key["pk"]},
                "UpdateExpression": "SET note = :v",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
                "ReturnValues": "ALL_NEW",
            },
        ),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET note = :v",
                "ExpressionAttributeValues": {":v": {"S": "v"}},
                "ReturnValues": "EVERYTHING",
            },
        ),
        (
            "scan",
            {
                "TableName": TABLE,
                "FilterExpression": "#s = :open OR alert_count > :one",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": {"S": "open"}, ":one": {"N": "1"}},
            },
        ),
        (
            "query",
            {
                "TableName": TABLE,
                "KeyConditionExpression": "pk = :pk",
                "FilterExpression": "attribute_exists(alerts.fp2)",
                "ExpressionAttributeValues": {":pk": {"S": "incident-1"}},
            },
        ),
    ]
    answers: list[Any] = []
    for operation, request in requests:
        try:
            answer = getattr(client, operation)(**request)
            answer.pop("ResponseMetadata")
            answers.append(answer)
        except ClientError as error:
            answers.append((error.response["Error"], error.response.get("Item")))
        except (
            KeyError,
            ValueError,
        ) as error:  # what moto's server answers 500 (an undefined value, bad syntax)
            answers.append((type(error).__name__, str(error)))
    answers.append(sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: item["pk"]["S"]))
    return answers


def test_expressions_are_evaluated_as_moto_evaluates_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine keeps a condition's parse for every request and copies and walks an update expression's
    tree its own way: each answer, refusal and item is moto's."""
    with mock_aws():
        expected = expression_requests(Engine().client)
    monkeypatch.setattr(dynamodb_backends, "backend", dynamodb_backends.backend)
    monkeypatch.setattr(dynamodbstreams_backends, "backend", dynamodbstreams_backends.backend)
    for owner, attribute, replacement in dynamodb_engine.PATCHES:
        monkeypatch.setattr(owner, attribute, replacement, raising=False)
    with mock_aws():
        dynamodb_engine.install()
        answered = expression_requests(Engine().client)

    assert answered == expected
    kinds = [answer[0] if isinstance(answer, tuple) else "ok" for answer in expected[:-1]]
    refusals = [kind if isinstance(kind, str) else kind["Code"] for kind in kinds]
    assert refusals == [
        "ok",
        "ok",
        "ok",
        "ConditionalCheckFailedException",  # another fingerprint: the same expressions, other names
        "ConditionalCheckFailedException",  # other values
        "KeyError",  # a value the condition uses is not defined
        "KeyError",  # nor a name
        "ValidationException",  # a value defined and unused
        "ValidationException",  # the same expression, its names overlapping
        "ValidationException",  # the same expression, naming a key attribute
        "ok",  # functions in both expressions
        "ok",
        "ValidationException",  # overlapping paths
        "ValidationException",  # a key attribute updated
        "ValidationException",  # arithmetic on an attribute the item does not have
        "ValueError",  # a condition moto cannot parse
        "ValidationException",  # redundant parentheses
        "ok",
        "ConditionalCheckFailedException",
        "ConditionalCheckFailedException",
        "ok",
        "ValidationException",  # too large
        "ok",
        "ok",
        "ValidationException",  # no sort key
        "ValidationException",  # no such ReturnValues
        "ok",
        "ok",
    ]


def test_an_index_answers_the_attributes_it_projects_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    item = {
        "pk": {"S": "inc-1"},
        "sk": {"S": "SNAPSHOT"},
        "gsi1pk": {"S": "ORG#a"},
        "gsi1sk": {"S": "2026-11"},
        "status": {"S": "open"},  # projected (INCLUDE)
        "severity": {"S": "high"},
        "title": {"S": "not projected"},
        "evidence": {"M": {"count": {"N": "3"}, "raw": {"B": b"\x00\xff"}}},
        "labels": {"SS": ["a", "b"]},
    }

    def answer() -> list[dict[str, Any]]:
        client = Engine().client
        client.put_item(TableName=TABLE, Item=item)
        items: list[dict[str, Any]] = client.query(
            TableName=TABLE,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :org",
            ExpressionAttributeValues={":org": {"S": "ORG#a"}},
        )["Items"]
        return items

    with mock_aws():
        expected = answer()
    monkeypatch.setattr(dynamodb_backends, "backend", dynamodb_backends.backend)
    monkeypatch.setattr(dynamodbstreams_backends, "backend", dynamodbstreams_backends.backend)
    with mock_aws():
        dynamodb_engine.install()
        answered = answer()

    assert answered == expected
    assert set(answered[0]) == {"pk", "sk", "gsi1pk", "gsi1sk", "status", "severity"}


def test_an_answer_is_sent_as_written_with_a_request_id(engine: Engine) -> None:
    """moto puts its request id between any <RequestId> tags of an answer (its XML APIs'); a JSON answer's
    are an attribute's value, which the engine answers as written."""
    engine.put("incident-1", note="<RequestId>x</RequestId>")

    answer = engine.client.get_item(TableName=TABLE, Key={"pk": {"S": "incident-1"}, "sk": {"S": "SNAPSHOT"}})

    assert answer["Item"]["note"] == {"S": "<RequestId>x</RequestId>"}
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert len(request_id) == 52 and request_id.isalnum()
