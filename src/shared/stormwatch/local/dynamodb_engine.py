"""moto's DynamoDB, held to the local stack's standards: a request costs the same on a table of any size,
and memory stays bounded however long the stack runs.

moto (5.x) as installed:
- deep-copies every table a TransactWriteItems names, to put the copy back if the transaction fails. That
  costs time and memory in proportion to the table, and the copy put back holds a copy of the stream too,
  so a reader's shard iterator keeps reading the discarded one. Here a transaction copies only the items
  it touches and, if it fails, puts back those items and drops the stream records it wrote, in place.
- keeps every item it ever made (BaseModel's instance tracking, for moto's dashboard): each version of
  each item, and each copy an update or a transaction made of one. Here an item is not tracked (moto's
  /moto-api/data.json lists none), and lives as long as the table or a request holds it.
- keeps every stream record and every shard iterator it ever handed out. Here a stream keeps its records
  for 24 hours, as DynamoDB does, and at most MAX_STREAM_RECORDS of them (the oldest go first; a reader
  that fell so far behind sees a gap in the sequence numbers); shard iterators expire after 15 minutes,
  as on AWS (ExpiredIteratorException). A record is kept as its JSON text (KeptRecord), written once, so
  the garbage collector has nothing in it to walk and GetRecords joins the texts.
- finds a Query's partition by sorting the whole table, and a Query of an index by reading every item.
  Here a Query of the table reads its partition, and a Query of an index (one hash key attribute) reads
  the items that carry its hash key value: the table keeps, per attribute an index is keyed on, the keys
  of the items by that attribute's value, from the first Query of such an index on, through every write
  (put, update, delete, a failed transaction's restore). moto still applies its own key conditions to
  those items, so a key listed under a value the item no longer has costs time, never a wrong answer.
- projects an index's items (INCLUDE, KEYS_ONLY) by turning each into plain Python and back: about 2 ms
  an incident snapshot, so a page of 50 took longer than the rest of its request. An index's projection
  names top-level attributes only; here it keeps those of the item's attributes.
- serializes every answer field by field from the API's model: over a second for a GetRecords of 1,000
  records with both images, and a fifth of the local stack's CPU in a storm of repeats (an UpdateItem's
  ALL_NEW item walked attribute by attribute), while every other request waits. The answers of the item
  operations and of GetRecords are DynamoDB JSON already; here they are written with json.dumps
  (errors, and the other operations, keep moto's serializer). Before that, moto turns each answer into
  plain Python asking every string in it whether it is a datetime, a DynamoType or has a to_json method,
  copies each nested map again at every level of an item's image, and searches each answer, GetRecords'
  megabytes included, for an XML <RequestId> to replace; here plain values are taken as they are, each
  image is built in one walk, and a JSON answer is not searched.
- spends most of an UpdateItem in generic machinery: it parses each condition again, validates its own
  deep copy of the update expression with processors whose map it rebuilds at every node, asks each of
  AttributeValue's ten members of every value in a request, writes a stream record's images as JSON to
  measure it, works out an item's size again at each attribute it adds, and copies the item it changes
  (the old image) through copy.deepcopy's dispatch for each attribute. Here each does the same work once
  (PATCHES), and the test compares the answers with moto's. The checks of an update expression that
  read no value are run once for what they read: the action counts once per expression, whatever its
  names (a repeat names its alert's fingerprint, so each new incident's first repeat had them run).
- reads back each item an UpdateItem changes before the update, copies it, writes it as plain JSON and
  compares each of its attributes with the updated item's, to answer the values the update replaced.
  Here that is done for the answers that hold them (ALL_OLD, UPDATED_OLD, UPDATED_NEW); for NONE and
  ALL_NEW the read back answers no item (its key is still checked as moto checks it). The copy the stream's
  old image is made of is another, made as moto makes it.

`install()` makes moto build these classes for every DynamoDB and DynamoDB Streams backend of the process;
tests/unit/test_local_dynamodb_engine.py proves each behaviour, so a moto upgrade that changes what is
overridden here fails there.
"""

import base64
import bisect
import copy
import functools
import json
import string
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import moto.core.responses
import moto.dynamodb.models.utilities
import moto.dynamodb.responses
import moto.dynamodb.urls
import moto.dynamodbstreams.urls
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.core.parse import BaseJSONParser, JSONParser
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model, method_names_from_class, utcnow
from moto.dynamodb.comparisons import AttributePath, AttributeValue, ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import GlobalSecondaryIndex, StreamShard, Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import (
    ActionCountValidator,
    OverlappingPathsValidator,
    UpdateExpressionValidator,
    UpdateHashRangeKeyValidator,
)
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator, dynamodbstreams_backends
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import mock_random

STREAM_RETENTION = timedelta(hours=24)
# About 10 KB each with both images of an incident snapshot: 50,000 records stay under 500 MB, and hold
# several minutes of a storm for a reader that polls every second.
MAX_STREAM_RECORDS = 50_000
SHARD_ITERATOR_LIFETIME_SECONDS = 15 * 60
# Key attributes are strings, numbers or binary; a value of another type can match no key condition.
KEY_TYPES = frozenset({"S", "N", "B"})

Key = tuple[DynamoType, DynamoType | None]


class KeptRecord:
    """A stream record as its JSON text, written once, and the time it was written. As moto keeps them,
    dicts of both images, 50,000 records are millions of objects that each of Python's full garbage
    collections walks, holding up every request of the stack for seconds in a storm; a string is none."""

    __slots__ = ("created", "sequence_number", "text")

    def __init__(self, created: datetime, sequence_number: int, text: str) -> None:
        self.created = created
        self.sequence_number = sequence_number
        self.text = text

    @classmethod
    def of(cls, record: dict[str, Any]) -> "KeptRecord":
        """A record as moto made it."""
        images = record["dynamodb"]
        return cls(
            images["ApproximateCreationDateTime"],
            int(images["SequenceNumber"]),
            json.dumps(record, default=_json_value),
        )

    @classmethod
    def written(cls, table: Table, old: Item | None, new: Item | None, sequence_number: int) -> "KeptRecord":
        """The record moto's StreamRecord makes of a write, written as text in one pass over the images:
        moto writes the record's change (both images) as JSON to measure its SizeBytes, then the text
        was written again."""
        view = table.stream_specification["StreamViewType"]  # type: ignore[index]
        event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        written = old if old is not None else new
        keys = {table.hash_key_attr: written.hash_key.to_json()}  # type: ignore[union-attr]
        if table.range_key_attr is not None:
            keys[table.range_key_attr] = written.range_key.to_json()  # type: ignore[union-attr]
        created = utcnow()
        change: dict[str, Any] = {
            "StreamViewType": view,
            "ApproximateCreationDateTime": created,
            "SequenceNumber": str(sequence_number),
            "SizeBytes": 1,
            "Keys": keys,
        }
        if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
            change["NewImage"] = new.to_json()["Attributes"]
        if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
            change["OldImage"] = old.to_json()["Attributes"]
        text = json.dumps(change, default=_json_value)
        # moto's SizeBytes: the length of the change written with SizeBytes 1 (the first member of that
        # name: the ones before it hold no text of the client's).
        text = text.replace('"SizeBytes": 1,', f'"SizeBytes": {len(text)},', 1)
        head = json.dumps(
            {
                "eventID": mock_random.uuid4().hex,
                "eventName": event,
                "eventSource": "aws:dynamodb",
                "eventVersion": "1.0",
                "awsRegion": "us-east-1",
            }
        )
        return cls(created, sequence_number, f'{head[:-1]}, "dynamodb": {text}}}')


class LocalStreamShard(StreamShard):
    """A shard whose oldest records are trimmed. Sequence numbers keep counting: the shard's starting
    sequence number moves up past what is trimmed, so TRIM_HORIZON means the oldest record kept."""

    items: list[KeptRecord]  # type: ignore[assignment]

    def add(self, old: Item | None, new: Item | None) -> None:
        self.trim(utcnow())
        if self.table.lambda_event_source_mappings:
            # moto's own Lambda reads its records: moto's way, the record kept as text after.
            super().add(old, new)
            self.items[-1] = KeptRecord.of(self.items[-1].record)  # type: ignore[attr-defined]
        else:
            self.items.append(KeptRecord.written(self.table, old, new, self.next_sequence_number))
        self._drop(len(self.items) - MAX_STREAM_RECORDS)

    def trim(self, now: Any) -> None:
        """Drop the records older than the retention period (`now`: a naive UTC datetime, as moto's)."""
        expired = bisect.bisect_left(
            self.items,
            now - STREAM_RETENTION,
            key=lambda record: record.created,
        )
        self._drop(expired)

    @property
    def next_sequence_number(self) -> int:
        return self.starting_sequence_number + len(self.items)

    def truncate(self, next_sequence_number: int) -> None:
        """Drop every record from `next_sequence_number` on: what a failed transaction wrote."""
        del self.items[max(next_sequence_number - self.starting_sequence_number, 0) :]

    def kept(self, start: int, quantity: int) -> "list[KeptRecord]":
        # A position before the oldest record kept reads from the oldest (DynamoDB would refuse it with
        # TrimmedDataAccessException); the reader sees the gap in the sequence numbers.
        first = max(start, self.starting_sequence_number) - self.starting_sequence_number
        return self.items[first : first + quantity]

    def _drop(self, count: int) -> None:
        if count > 0:
            del self.items[:count]
            self.starting_sequence_number += count


def _comparable(value: DynamoType) -> Any:
    # A string is its own value: skip cast_value's checks of every other type.
    return value.value if value.type == "S" else value.cast_value


class LocalGlobalSecondaryIndex(GlobalSecondaryIndex):
    def project(self, item: Item) -> Item:
        projection = self.projection or {}
        kind = projection.get("ProjectionType")
        if kind not in ("KEYS_ONLY", "INCLUDE"):
            return item
        kept = {*self.table_key_attrs, *self.schema_key_attrs, *projection.get("NonKeyAttributes", [])}
        projected = Item(item.hash_key, item.range_key, {})
        # moto projects the copies it has just made of the items, so the projection may share their values.
        for name, value in item.attrs.items():
            if name in kept:
                projected.attrs[name] = value
        return projected


class LocalTable(Table):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before Table's constructor runs: it enables the stream (set_stream_specification).
        self._in_transaction = False
        self._query_partition: DynamoType | None = None
        self._query_index_value: tuple[str, DynamoType] | None = None
        # attribute name -> its value -> the keys of the items that carry it; filled on the first Query
        # of an index keyed on the attribute.
        self._keys_by_value: dict[str, dict[DynamoType, set[Key]]] = {}
        super().__init__(*args, **kwargs)
        for index in self.global_indexes:
            index.__class__ = LocalGlobalSecondaryIndex

    def set_stream_specification(self, streams: dict[str, Any] | None) -> None:
        super().set_stream_specification(streams)
        if self.stream_shard is not None and not isinstance(self.stream_shard, LocalStreamShard):
            self.stream_shard = LocalStreamShard(self.account_id, self)

    def __deepcopy__(self, memo: dict[int, Any]) -> "LocalTable":
        # moto's transaction takes a deep copy of the table as its backup: the transaction here keeps its
        # own backup of the items it touches instead, so the table stands for its own copy.
        if self._in_transaction:
            return self
        duplicate = object.__new__(LocalTable)  # type: ignore[type-abstract]
        memo[id(self)] = duplicate
        for name, value in self.__dict__.items():
            setattr(duplicate, name, copy.deepcopy(value, memo))
        return duplicate

    def query(
        self,
        hash_key: DynamoType | None,
        range_comparison: str | None,
        range_objs: list[DynamoType],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[list[Item], int, dict[str, Any] | None]:
        if index_name is None:
            self._query_partition = hash_key
        else:
            self._narrow_to_index_partition(index_name, kwargs.get("hash_key_conditions"))
        try:
            return super().query(
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                *args,
                **kwargs,
            )
        finally:
            self._query_partition = None
            self._query_index_value = None

    def _narrow_to_index_partition(
        self, index_name: str, hash_key_conditions: list[tuple[str, DynamoType]] | None
    ) -> None:
        index = next((index for index in self.all_indexes() if index.name == index_name), None)
        if index is None:
            return  # moto refuses the Query
        hash_attributes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        wanted = dict(hash_key_conditions or [])
        if len(hash_attributes) != 1 or hash_attributes[0] not in wanted:
            return  # a multi-attribute key: moto reads every item
        self._query_index_value = (hash_attributes[0], wanted[hash_attributes[0]])

    def all_items(self) -> list[Item]:
        # moto's Query filters every item for its partition; give it the partition's items alone, and
        # let it apply its key conditions to them.
        if self._query_index_value is not None:
            # In any order: moto sorts them by the index's keys, then the table's (sorted_items).
            attribute, value = self._query_index_value
            found = (self.current(key) for key in self._keys_carrying(attribute).get(value, ()))
            return [item for item in found if item is not None]
        if self._query_partition is None:
            return super().all_items()
        partition = self._stored.get(self._query_partition)
        if partition is None:
            return []
        return list(partition.values()) if self.range_key_attr else [partition]

    def sorted_items(
        self, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Item]
    ) -> list[Item]:
        # moto sorts an index's items by tuples of DynamoTypes, which work out their values again at
        # each comparison (a third of a Query of 1,000 items); compare the values, once worked out.
        attributes = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(_comparable(item.attrs[attribute]) for attribute in attributes))
        return items

    def _keys_carrying(self, attribute: str) -> dict[DynamoType, set[Key]]:
        if attribute not in self._keys_by_value:
            keys_by_value: dict[DynamoType, set[Key]] = {}
            for item in super().all_items():
                value = item.attrs.get(attribute)
                if value is not None and value.type in KEY_TYPES:
                    keys_by_value.setdefault(value, set()).add((item.hash_key, item.range_key))
            self._keys_by_value[attribute] = keys_by_value
        return self._keys_by_value[attribute]

    def _indexed_values(self, item: Item | None) -> dict[str, DynamoType]:
        if item is None:
            return {}
        values = {attribute: item.attrs.get(attribute) for attribute in self._keys_by_value}
        return {
            attribute: value
            for attribute, value in values.items()
            if value is not None and value.type in KEY_TYPES
        }

    @contextmanager
    def writing(self, key: Key | None) -> Iterator[None]:
        """Keep the index partitions up to date with whatever the block does to the item at `key`
        (None: a key moto refuses, so nothing is written)."""
        if key is None or not self._keys_by_value:
            yield
            return
        before = self._indexed_values(self.current(key))
        try:
            yield
        finally:
            after = self._indexed_values(self.current(key))
            for attribute, value in before.items():
                if attribute not in after or after[attribute] != value:
                    keys = self._keys_by_value[attribute].get(value, set())
                    keys.discard(key)
                    if not keys:
                        self._keys_by_value[attribute].pop(value, None)
            for attribute, value in after.items():
                self._keys_by_value[attribute].setdefault(value, set()).add(key)

    def key_of(self, attributes: dict[str, Any]) -> Key | None:
        """The item's key; None when it is incomplete (moto refuses that operation before writing)."""
        if self.hash_key_attr not in attributes:
            return None
        if self.range_key_attr is None:
            return DynamoType(attributes[self.hash_key_attr]), None
        if self.range_key_attr not in attributes:
            return None
        return DynamoType(attributes[self.hash_key_attr]), DynamoType(attributes[self.range_key_attr])

    def put_item(self, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        with self.writing(self.key_of(item_attrs)):
            return super().put_item(item_attrs, *args, **kwargs)

    def delete_item(self, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        with self.writing((hash_key, range_key)):
            return super().delete_item(hash_key, range_key)

    @property
    def _stored(self) -> dict[DynamoType, Any]:
        """moto's items: an Item by hash key, or (with a range key) a dict of Items by range key."""
        return self.items

    def current(self, key: Key) -> Item | None:
        """The item at `key`, if any (moto's get_item leaves an empty partition behind a miss)."""
        hash_key, range_key = key
        found = self._stored.get(hash_key)
        if range_key is None or found is None:
            return found
        return found.get(range_key)  # type: ignore[no-any-return]

    def restore(self, key: Key, item: Item | None) -> None:
        """Put back an item as it was (None: absent), without a stream record."""
        with self.writing(key):
            self._put_back(key, item)

    def _put_back(self, key: Key, item: Item | None) -> None:
        hash_key, range_key = key
        stored = self._stored
        if range_key is None:
            if item is None:
                stored.pop(hash_key, None)
            else:
                stored[hash_key] = item
            return
        partition = stored.setdefault(hash_key, {})
        if item is None:
            partition.pop(range_key, None)
            if not partition:
                del stored[hash_key]
        else:
            partition[range_key] = item


@dataclass
class _TransactionBackup:
    tables: dict[str, LocalTable]
    items: dict[tuple[str, DynamoType, DynamoType | None], Item | None]
    streams: dict[str, int]

    def restore(self) -> None:
        for (table_name, hash_key, range_key), item in self.items.items():
            self.tables[table_name].restore((hash_key, range_key), item)
        for table_name, next_sequence_number in self.streams.items():
            shard = self.tables[table_name].stream_shard
            if isinstance(shard, LocalStreamShard):
                shard.truncate(next_sequence_number)


# Their answers hold items, keys and capacity: plain JSON, no timestamps.
ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):  # a binary attribute: base64, as DynamoDB's JSON has it
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):  # moto's naive UTC
        return value.replace(tzinfo=UTC).timestamp()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _without_nulls(value: Any) -> Any:
    """What moto's serializer writes of a result: members that are None are left out."""
    if isinstance(value, dict):
        return {name: _without_nulls(inner) for name, inner in value.items() if inner is not None}
    if isinstance(value, list):
        return [_without_nulls(inner) for inner in value]
    return value


@functools.cache
def _output_members(operation: str) -> frozenset[str]:
    shape = get_service_model("dynamodb").operation_model(operation).output_shape
    return frozenset(shape.members if shape is not None else ())


# moto's request ids (gen_amzn_requestid_long): 52 letters and digits.
REQUEST_ID_ALPHABET = string.ascii_letters + string.digits
REQUEST_ID_LENGTH = 52


def _json_answer_enriched(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
    """moto's _enrich_response for an API that answers JSON: the status as text and a request id, drawn in
    one call (moto draws each of its 52 characters apart). moto also replaces what an XML answer holds
    between <RequestId> tags with a regular expression over the whole body, GetRecords' included; in a JSON
    answer that could only change an attribute's value, so it is not done."""
    if "status" in headers:
        headers["status"] = str(headers["status"])
    headers["x-amzn-requestid"] = "".join(mock_random.choices(REQUEST_ID_ALPHABET, k=REQUEST_ID_LENGTH))
    return headers, body


# An UpdateItem's answers that hold none of the item's values before the update.
ANSWERS_WITHOUT_OLD_VALUES = frozenset({"NONE", "ALL_NEW"})


class LocalDynamoHandler(DynamoHandler):
    _enrich_response = staticmethod(_json_answer_enriched)

    def update_item(self) -> ActionResult:
        # moto reads back the item before each update, copies it and writes it as plain JSON, then compares
        # each of its attributes with the updated item's, to answer the values the update replaced: an
        # answer of none of them reads nothing of that.
        backend = self.dynamodb_backend
        if self.body.get("ReturnValues", "NONE") not in ANSWERS_WITHOUT_OLD_VALUES or not isinstance(
            backend, LocalDynamoDBBackend
        ):
            return super().update_item()
        with backend.next_item_read_unanswered():
            return super().update_item()

    def serialized(self, action_result: ActionResult) -> TYPE_RESPONSE:
        operation = self._get_action()
        result = action_result.result
        if operation not in ITEM_OPERATIONS or not isinstance(result, dict):
            return super().serialized(action_result)
        # As moto's serializer: what the API's answer has no member for (moto's DeleteItem adds one) is
        # left out.
        members = _output_members(operation)
        answer = {name: _without_nulls(value) for name, value in result.items() if name in members}
        body = json.dumps(answer, default=_json_value)
        return 200, {"Content-Type": JSON_CONTENT_TYPE, **self.response_headers}, body


class LocalDynamoDBBackend(DynamoDBBackend):
    # moto finds a backend's URLs beside its class's module.
    _url_module = types.SimpleNamespace(
        url_bases=moto.dynamodb.urls.url_bases,
        url_paths={path: LocalDynamoHandler.dispatch for path in moto.dynamodb.urls.url_paths},
    )

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._unanswered_read = threading.local()

    def create_table(self, name: str, **params: Any) -> Table:  # type: ignore[override]
        if name in self.tables:
            return super().create_table(name, **params)  # refused: the table exists
        table = LocalTable(name, account_id=self.account_id, region=self.region_name, **params)  # type: ignore[abstract]
        self.tables[name] = table
        return table

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        backup = self._backup(transact_items)
        with self._tables_in_transaction(backup.tables.values()):
            try:
                super().transact_write_items(transact_items)
            except BaseException:
                backup.restore()
                raise

    def _backup(self, transact_items: list[dict[str, Any]]) -> _TransactionBackup:
        tables: dict[str, LocalTable] = {}
        items: dict[tuple[str, DynamoType, DynamoType | None], Item | None] = {}
        for operation in transact_items:
            for kind, request in operation.items():
                table = self.tables.get(request.get("TableName", ""))
                if not isinstance(table, LocalTable):
                    continue
                tables[table.name] = table
                key = table.key_of(request.get("Item" if kind == "Put" else "Key") or {})
                if key is not None and (table.name, *key) not in items:
                    items[(table.name, *key)] = copy.deepcopy(table.current(key))
        streams = {
            name: table.stream_shard.next_sequence_number
            for name, table in tables.items()
            if isinstance(table.stream_shard, LocalStreamShard)
        }
        return _TransactionBackup(tables, items, streams)

    @contextmanager
    def next_item_read_unanswered(self) -> Iterator[None]:
        """The next GetItem of the block's thread is read as moto reads it (refusing what moto refuses) and
        answers no item."""
        self._unanswered_read.pending = True
        try:
            yield
        finally:
            self._unanswered_read.pending = False

    def get_item(
        self, table_name: str, keys: dict[str, Any], projection_expressions: list[list[str]] | None = None
    ) -> Item | None:
        item = super().get_item(table_name, keys, projection_expressions)
        if getattr(self._unanswered_read, "pending", False):
            self._unanswered_read.pending = False
            return None
        return item

    def update_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        # moto changes the stored item in place.
        table = self.get_table(table_name)
        if not isinstance(table, LocalTable):
            return super().update_item(table_name, key, *args, **kwargs)
        with table.writing(table.key_of(key)):
            return super().update_item(table_name, key, *args, **kwargs)

    @staticmethod
    @contextmanager
    def _tables_in_transaction(tables: Any) -> Iterator[None]:
        tables = list(tables)
        for table in tables:
            table._in_transaction = True
        try:
            yield
        finally:
            for table in tables:
                table._in_transaction = False


class ExpiredIteratorException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("ExpiredIteratorException", "Iterator expired")


class _ExpiringIterators(OrderedDict[str, ShardIterator]):
    """Shard iterators by id, each forgotten 15 minutes after it was handed out."""

    def __init__(self) -> None:
        super().__init__()
        self._issued: dict[str, float] = {}

    def __setitem__(self, key: str, value: ShardIterator) -> None:
        now = time.monotonic()
        while self and now - self._issued[next(iter(self))] > SHARD_ITERATOR_LIFETIME_SECONDS:
            oldest, _ = self.popitem(last=False)
            del self._issued[oldest]
        super().__setitem__(key, value)
        self._issued[key] = now

    def __getitem__(self, key: str) -> ShardIterator:
        if key not in self:
            raise ExpiredIteratorException()
        return super().__getitem__(key)


class LocalDynamoDBStreamsHandler(DynamoDBStreamsHandler):
    _enrich_response = staticmethod(_json_answer_enriched)

    def get_records(self) -> str:  # type: ignore[override]
        result = self.backend.get_records(self._get_param("ShardIterator"), self._get_param("Limit") or 1000)
        records: list[KeptRecord] = result.pop("Records")
        head = json.dumps(result)[:-1]  # the other members, without the closing brace
        separator = ", " if result else ""
        return f'{head}{separator}"Records": [{", ".join(record.text for record in records)}]}}'


class LocalDynamoDBStreamsBackend(DynamoDBStreamsBackend):
    _url_module = types.SimpleNamespace(
        url_bases=moto.dynamodbstreams.urls.url_bases,
        url_paths={
            path: LocalDynamoDBStreamsHandler.dispatch for path in moto.dynamodbstreams.urls.url_paths
        },
    )

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.shard_iterators = _ExpiringIterators()

    def get_records(self, iterator_arn: str, limit: int) -> dict[str, Any]:
        """moto's GetRecords, on the records as the local shard keeps them."""
        iterator = self.shard_iterators[iterator_arn]
        shard = iterator.stream_shard
        if not isinstance(shard, LocalStreamShard):
            return super().get_records(iterator_arn, limit)
        records = shard.kept(iterator.sequence_number, limit)
        if records:
            following = ShardIterator(self, shard, "AFTER_SEQUENCE_NUMBER", records[-1].sequence_number)
        else:
            following = ShardIterator(self, shard, "AT_SEQUENCE_NUMBER", iterator.sequence_number)
        self.shard_iterators[following.arn] = following
        return {"NextShardIterator": following.arn, "Records": records}


# Expressions parsed once: a client sends the same few expression strings again and again with new values.
PARSED_EXPRESSIONS_KEPT = 1024


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS_KEPT)
def _update_expression(expression: str) -> Any:
    return _parse_update_expression(expression)


def _parsed_update_expression(cls: type, expression: str) -> Any:
    # moto reads the tree (find_clauses) and validates a deep copy of it (Validator), never changes it.
    return _update_expression(expression)


@dataclass(frozen=True)
class _Reference:
    """A condition's `#name` or `:value`, left unresolved in a parse kept for every request."""

    text: str


class _Unresolved(dict[str, _Reference]):
    """Expression attribute names or values standing for any request's: each is its reference."""

    def __missing__(self, text: str) -> _Reference:
        return _Reference(text)


@dataclass(frozen=True)
class _ParsedCondition:
    tree: Any  # moto's syntax tree, its references unresolved
    names: tuple[str, ...]  # what moto's parse lists as found (expr_attr_names_found)
    values: tuple[str, ...]


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS_KEPT)
def _condition(expression: str) -> _ParsedCondition | None:
    """moto's parse of a condition up to its syntax tree, whatever the names and values (they are looked up
    only to build the operations); None for an expression it refuses."""
    parser = ConditionExpressionParser(expression, _Unresolved(), _Unresolved())  # type: ignore[arg-type]
    trees: list[Any] = []
    parser._make_op_condition = trees.append  # type: ignore[method-assign,assignment]
    try:
        _parse_condition(parser)
    except Exception:
        return None
    names, values = parser.expr_attr_names_found, parser.expr_attr_values_found
    return _ParsedCondition(trees[0], tuple(names), tuple(values))


def _parsed_condition(parser: ConditionExpressionParser) -> Any:
    """The condition's operations from its parse kept for every request, when each reference it makes is
    in the request's names and values; else moto's own parse, which refuses it as it would."""
    parsed = _condition(parser.condition_expression) if parser.condition_expression else None
    names = parser.expression_attribute_names
    values = parser.expression_attribute_values
    if (
        parsed is None
        or not all(name in (names or ()) for name in parsed.names if name.startswith("#"))
        or not all(value in (values or ()) for value in parsed.values)
    ):
        return _parse_condition(parser)
    parser.expr_attr_names_found.extend(parsed.names)
    parser.expr_attr_values_found.extend(parsed.values)
    return parser._make_op_condition(parsed.tree)


def _condition_operand(parser: ConditionExpressionParser, node: Any) -> Any:
    """moto's operand, its references resolved in the request's names and values."""
    if node.kind == ConditionExpressionParser.Kind.PATH:
        return AttributePath([_resolved(parser, child.value) for child in node.children])
    if node.kind == ConditionExpressionParser.Kind.EXPRESSION_ATTRIBUTE_VALUE:
        return AttributeValue(_resolved(parser, node.value))
    return _make_condition_operand(parser, node)


def _resolved(parser: ConditionExpressionParser, value: Any) -> Any:
    if not isinstance(value, _Reference):
        return value  # resolved by moto's own parse, or a plain attribute name or index
    if value.text.startswith("#"):
        return parser.expression_attribute_names[value.text]  # type: ignore[index]
    return parser.expression_attribute_values[value.text]  # type: ignore[index]


# moto's bound on an item's size (LimitedSizeDict): "between 409 and 410KB" as measured on AWS.
MAX_ITEM_SIZE = 405000


def _item_init(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item, its size checked as each attribute is added as moto checks it, from a running total:
    moto works out the size of every attribute added so far at each addition (LimitedSizeDict), which made
    building a 40-attribute snapshot a tenth of a new incident's CPU in the dev process."""
    item.hash_key = hash_key
    item.range_key = range_key
    values: dict[str, DynamoType] = {}
    size = 0
    for key, value in attrs.items():
        values[key] = DynamoType(value)
        size += bytesize(key) + values[key].size()
        if size > MAX_ITEM_SIZE:
            raise ItemSizeTooLarge
    item.attrs = LimitedSizeDict(values)  # its constructor adds without checking


def _copied_value(value: DynamoType, memo: dict[int, Any] | None = None) -> DynamoType:
    """A deep copy of an attribute value (a copy of each item a write changes is the old image): the
    generic deepcopy reconstructs every nested value through its pickling protocol, the most of an
    UpdateItem's time after parsing."""
    duplicate = DynamoType.__new__(DynamoType)
    duplicate.__dict__.update(value.__dict__)
    inner = value.value
    if isinstance(inner, list):
        duplicate.value = [_copied_value(part) if isinstance(part, DynamoType) else part for part in inner]
    elif isinstance(inner, dict):
        duplicate.value = {name: _copied_value(part) for name, part in inner.items()}
    return duplicate


def _untracked(kind: type, *args: Any, **kwargs: Any) -> Any:
    """A new Item that moto does not keep: BaseModel keeps every instance of its models for moto's
    dashboard, so every version of every item, and every copy an update or a transaction made of one, lived
    as long as the stack (half the items kept after a storm, all walked by each full garbage collection)."""
    return object.__new__(kind)


def _copied_item(item: Item, memo: dict[int, Any]) -> Item:
    """moto's copy of an item (an UpdateItem copies the item it changes, for the stream's old image; a
    transaction, each item it touches), each value copied by _copied_value directly: moto copies each
    through copy.deepcopy, whose dispatch and memo bookkeeping for every attribute were most of the copy."""
    duplicate = cast(Item, Item.__new__(Item))
    memo[id(item)] = duplicate
    duplicate.hash_key = _copied_value(item.hash_key)
    duplicate.range_key = None if item.range_key is None else _copied_value(item.range_key)
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    for name, value in item.attrs.items():
        # Sized when it was written: put without LimitedSizeDict's check, as moto's copy does.
        dict.__setitem__(attrs, name, _copied_child(value, memo))
    duplicate.attrs = attrs
    return duplicate


def _regular_json(value: DynamoType) -> dict[str, Any]:
    """moto's plain form of an attribute value (an item's images, its answers): moto deep-copies each map or
    list, then converts each of the copy's values, copying each nested map again at every level below."""
    inner = value.value
    if isinstance(inner, dict):
        inner = {name: _regular_part(part) for name, part in inner.items()}
    elif isinstance(inner, list):
        inner = [_regular_part(part) for part in inner]
    elif value.type == "B" and isinstance(inner, str):
        inner = base64.b64decode(inner)
    return {value.type: inner}


def _regular_part(part: Any) -> Any:
    if isinstance(part, DynamoType):
        return _regular_json(part)
    return part if type(part) in _IMMUTABLE else copy.deepcopy(part)


def _plain_result(result: Any) -> Any:
    """moto's dynamo_to_dict, which turns each answer (an item, a page of them) into plain Python: plain
    dicts, lists and values taken as they are, each DynamoType but binary expanded here. moto asks every
    string of an item whether it is a datetime, a DynamoType and has a to_json method: a fifth of a
    GetItem of an incident snapshot."""
    kind = type(result)
    if kind in _IMMUTABLE:
        return result
    if kind is dict:
        return {name: _plain_result(value) for name, value in result.items()}
    if kind is list:
        return [_plain_result(value) for value in result]
    if kind is DynamoType and result.type not in ("B", "BS"):
        return {result.type: _plain_result(result.value)}
    return _dynamo_to_dict(result)  # whose parts come back here (it recurses through the module's name)


def _copied_node(node: Node, memo: dict[int, Any]) -> Node:
    """A deep copy of an update expression's node (each UpdateItem validates its own copy of the parsed
    expression): what the generic deepcopy makes, without reconstructing each node through its pickling
    protocol nor going through copy.deepcopy for each child (a third of an UpdateItem's validation)."""
    duplicate = object.__new__(type(node))
    memo[id(node)] = duplicate
    state = duplicate.__dict__
    for name, value in node.__dict__.items():
        if name == "children" and value is not None:
            state[name] = [_copied_child(child, memo) for child in value]
        else:
            state[name] = _copied_child(value, memo)  # the node's parent: copied already, from the top
    return duplicate


# What the generic deepcopy keeps as it is.
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _is_node(kind: type) -> bool:
    return issubclass(kind, Node)  # an abstract base class: isinstance asks it at every call


def _copied_child(child: Any, memo: dict[int, Any]) -> Any:
    kind: type = type(child)
    if kind in _IMMUTABLE:
        return child
    if kind is DynamoType:
        return _copied_value(child)
    copied = memo.get(id(child))
    if copied is not None:
        return copied
    return _copied_node(child, memo) if _is_node(kind) else copy.deepcopy(child, memo)


# What moto's traversal does with a node, besides processing it.
_NOT_A_NODE = object()
_NOT_PROCESSED = object()


@dataclass
class _Traversal:
    """How a class of traverser treats each class of node: its processor (a function of the traverser and
    the node) or one of the above. A traverser's map of processors is the same for every instance of its
    class (_processing_map)."""

    processors: dict[type, Any]
    # Whether the traverser is told of each child before its visit (a no-op unless overridden).
    tells_children: bool


_traversals: dict[type, _Traversal] = {}


def _traverse(traverser: DepthFirstTraverser, node: Any, child_id: int = -1) -> Any:
    """moto's depth-first traversal, each node's processor looked up once per class of traverser and node:
    moto builds the traverser's map of processors again at every node it visits, and asks the node's
    abstract base classes whether it is a node (a third of an UpdateItem's validation)."""
    traversal = _traversals.get(type(traverser))
    if traversal is None:
        told = type(traverser).pre_processing_of_child is not DepthFirstTraverser.pre_processing_of_child
        traversal = _traversals[type(traverser)] = _Traversal({}, told)
    processor = traversal.processors.get(type(node))
    if processor is None:
        processor = traversal.processors[type(node)] = _processor_of(traverser, type(node))
    if processor is _NOT_A_NODE:
        return node
    parent_node = node.parent
    if node.children is not None:
        for index, child_node in enumerate(node.children):
            if traversal.tells_children:
                traverser.pre_processing_of_child(node, index)
            traverser.traverse_node_recursively(child_node, index)
    if processor is not _NOT_PROCESSED:
        node = processor(traverser, node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


def _processor_of(traverser: DepthFirstTraverser, kind: type) -> Any:
    """The first processor, in the traverser's order, of a class the node is an instance of (as
    DepthFirstTraverser.process picks it)."""
    if not _is_node(kind):
        return _NOT_A_NODE
    for node_class, processor in traverser._processing_map().items():
        if issubclass(kind, node_class):
            return processor.__func__
    return _NOT_PROCESSED


# An attribute value of these types, one of them alone, is what moto's request parser makes of it.
_PLAIN_VALUES = {"S": str, "N": str, "BOOL": bool, "NULL": bool}


def _parsed_json_structure(parser: JSONParser, shape: Any, value: Any) -> Any:
    """moto's parse of a request's structure (JSON protocols), an attribute value of a plain type taken as
    it is: moto asks each of the ten members of DynamoDB's AttributeValue for every value of a request."""
    if shape.name == "AttributeValue" and type(value) is dict and len(value) == 1:
        ((kind, inner),) = value.items()
        if type(inner) is _PLAIN_VALUES.get(kind):
            parsed = parser.MAP_TYPE()
            parsed[kind] = inner
            return parsed
    return _parse_json_structure(parser, shape, value)  # type: ignore[no-untyped-call]


@functools.cache
def _method_names(handler_class: type) -> list[str]:
    """A handler's actions, which moto lists from the class for every request (inspect.getmembers)."""
    return method_names_from_class(handler_class)


# The checks of an update expression that read no value and no item: one that passed for what it reads
# passes again, so it runs once for that. A third of an UpdateItem's validation: each walks the whole
# expression, ActionCountValidator once for every node of it. ActionCountValidator reads the expression
# alone, so it runs once per expression even when the names change with each request (a repeat names its
# alert's fingerprint, so each new incident's first repeat had it run again); the others read the
# expression's attribute names and the table's keys too.
EXPRESSION_CHECKS = (ActionCountValidator,)
NAMED_CHECKS = (OverlappingPathsValidator, UpdateHashRangeKeyValidator)
# ("expression", id of a parsed expression) or ("named", that id, its attribute names, the table's keys)
# -> the parsed expression, kept alive with its entry so that its id cannot be another's.
_passed_checks: dict[tuple[Any, ...], Any] = {}


def _update_validator_init(
    validator: UpdateExpressionValidator,
    expression: Any,
    expression_attribute_names: dict[str, str],
    expression_attribute_values: dict[str, dict[str, Any]],
    item: Item,
    table: Table,
) -> None:
    _init_update_validator(
        validator, expression, expression_attribute_names, expression_attribute_values, item, table
    )
    names = tuple(sorted((expression_attribute_names or {}).items()))
    keys = (("expression", id(expression)), ("named", id(expression), names, tuple(table.table_key_attrs)))
    validator._checks_keys = keys  # type: ignore[attr-defined]
    validator._checked_expression = expression  # type: ignore[attr-defined]
    passed = tuple(
        check
        for key, checks in zip(keys, (EXPRESSION_CHECKS, NAMED_CHECKS), strict=True)
        if key in _passed_checks
        for check in checks
    )
    if passed:
        validator.processors = [
            processor for processor in validator.processors if not isinstance(processor, passed)
        ]


def _validate_update(validator: UpdateExpressionValidator) -> Any:
    validated = _validate(validator)
    if len(_passed_checks) >= PARSED_EXPRESSIONS_KEPT:
        _passed_checks.clear()
    for key in validator._checks_keys:  # type: ignore[attr-defined]
        _passed_checks[key] = validator._checked_expression  # type: ignore[attr-defined]
    return validated


_parse_update_expression = UpdateExpressionParser.make
_dynamo_to_dict = moto.dynamodb.models.utilities.dynamo_to_dict
_init_update_validator = UpdateExpressionValidator.__init__
_validate = UpdateExpressionValidator.validate
_parse_json_structure = BaseJSONParser._parse_structure
_parse_condition = ConditionExpressionParser.parse
_make_condition_operand = ConditionExpressionParser._make_operand
# What install() changes in moto's classes besides its backends: (owner, attribute, replacement).
PATCHES: list[tuple[Any, str, Any]] = [
    (UpdateExpressionParser, "make", classmethod(_parsed_update_expression)),
    (ConditionExpressionParser, "parse", _parsed_condition),
    (ConditionExpressionParser, "_make_operand", _condition_operand),
    (DynamoType, "__deepcopy__", _copied_value),
    (Item, "__deepcopy__", _copied_item),
    (Item, "__new__", staticmethod(_untracked)),
    (DynamoType, "to_regular_json", _regular_json),
    (moto.dynamodb.models.utilities, "dynamo_to_dict", _plain_result),
    (moto.dynamodb.responses, "dynamo_to_dict", _plain_result),
    (Item, "__init__", _item_init),
    (Node, "__deepcopy__", _copied_node),
    (DepthFirstTraverser, "traverse_node_recursively", _traverse),
    (moto.core.responses, "method_names_from_class", _method_names),
    (JSONParser, "_parse_structure", _parsed_json_structure),
    (UpdateExpressionValidator, "__init__", _update_validator_init),
    (UpdateExpressionValidator, "validate", _validate_update),
]


def install() -> None:
    """Make moto build the classes above for every DynamoDB and DynamoDB Streams backend it creates in
    this process. Backends created before would keep moto's own behaviour, so that is refused."""
    for backends, local in (
        (dynamodb_backends, LocalDynamoDBBackend),
        (dynamodbstreams_backends, LocalDynamoDBStreamsBackend),
    ):
        stale = [backend for _, _, backend in backends.iter_backends() if not isinstance(backend, local)]
        if stale:
            raise RuntimeError(
                f"moto's {backends.service_name} was used before the local engine was installed"
            )
        backends.backend = local
    for owner, attribute, replacement in PATCHES:
        setattr(owner, attribute, replacement)
