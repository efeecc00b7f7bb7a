"""DynamoDB request and capacity accounting from item sizes, by DynamoDB's documented rules.

moto reports ConsumedCapacity as constants, so this meter hooks a boto3 client, records every request,
reads the before and after images of every written item through a second, unhooked client, and prices:

- item size: attribute name bytes + value bytes; numbers ~1 byte per 2 significant digits + 1; lists and
  maps 3 bytes + 1 per element (+ key name bytes for maps); booleans and nulls 1 byte.
- writes: 1 WCU per started KB of the larger of the before and after image; twice that inside a
  transaction; a failed conditional write still consumes it.
- reads: 1 RCU per started 4 KB when strongly consistent, half when eventually consistent; a Query sums
  the sizes of all items it read before rounding; BatchGetItem rounds per item.
- global secondary indexes: a write whose projected entry changes costs 1 WCU per started KB of the
  projected entry; moving an entry to another index key costs the delete of the old entry too.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KB = 1024


def _number_size(text: str) -> int:
    digits = text.lstrip("-").lower().split("e")[0].replace(".", "").strip("0") or "0"
    return min(21, math.ceil(len(digits) / 2) + 1)


def attribute_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_size(element) for name, element in inner.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in inner)
    if kind == "NS":
        return sum(_number_size(element) for element in inner)
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@dataclass
class Index:
    name: str
    keys: tuple[str, ...]
    projected: tuple[str, ...]


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    items_read: int = 0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def describe(self) -> str:
        calls = ", ".join(f"{count} {name}" for name, count in sorted(self.requests.items()))
        return (
            f"{self.total_requests} requests ({calls or 'none'}); "
            f"{self.read_units:g} RCU, {self.write_units:g} WCU + {self.index_write_units:g} index WCU"
        )


class CapacityMeter:
    """Registers on `client`; `raw` must be another client on the same table, used for images."""

    def __init__(self, client: Any, raw: Any, table: str) -> None:
        self.raw = raw
        self.table = table
        description = raw.describe_table(TableName=table)["Table"]
        self.key_names = tuple(key["AttributeName"] for key in description["KeySchema"])
        self.indexes = [
            Index(
                index["IndexName"],
                tuple(key["AttributeName"] for key in index["KeySchema"]),
                tuple(index["Projection"].get("NonKeyAttributes", [])),
            )
            for index in description.get("GlobalSecondaryIndexes", [])
        ]
        self.tally = Tally()
        # Off, the meter neither counts nor reads images (for passes that measure CPU time).
        self.enabled = True
        self._before: list[tuple[dict[str, Any], dict[str, Any] | None, bool]] = []
        self.watch(client)

    def watch(self, client: Any) -> None:
        """Count this client's requests too (PynamoDB's models have a client of their own)."""
        client.meta.events.register("before-parameter-build.dynamodb.*", self._before_call)
        client.meta.events.register("after-call.dynamodb.*", self._after_call)

    def reset(self) -> Tally:
        finished, self.tally = self.tally, Tally()
        return finished

    def _image(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.raw.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")

    def _key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.key_names}

    def _writes(
        self, operation: str, params: dict[str, Any]
    ) -> list[tuple[dict[str, Any], dict[str, Any] | None, bool]]:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            key = params.get("Key") or self._key_of(params["Item"])
            return [(key, params.get("Item"), False)]
        if operation == "TransactWriteItems":
            writes = []
            for element in params["TransactItems"]:
                ((_kind, request),) = element.items()
                key = request.get("Key") or self._key_of(request["Item"])
                writes.append((key, request.get("Item"), True))
            return writes
        return []

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.enabled:
            self._before = []
            return
        self.tally.requests[model.name] += 1
        self._before = [
            (key, self._image(key), transactional)
            for key, _item, transactional in self._writes(model.name, params)
        ]
        self._params = params

    def _after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.enabled:
            return
        operation = model.name
        params = self._params
        failed = http_response.status_code >= 400
        for key, before, transactional in self._before:
            after = before if failed else self._image(key)
            units = max(1, math.ceil(max(item_size(before), item_size(after)) / KB))
            self.tally.write_units += units * (2 if transactional else 1)
            if not failed:
                self.tally.index_write_units += self._index_writes(before, after)
        factor = 1.0 if params.get("ConsistentRead") else 0.5
        if operation == "GetItem":
            self.tally.read_units += factor * max(1, math.ceil(item_size(parsed.get("Item")) / (4 * KB)))
            self.tally.items_read += 1 if parsed.get("Item") else 0
        elif operation == "Query":
            items = parsed.get("Items", [])
            self.tally.items_read += len(items)
            self.tally.read_units += factor * max(1, math.ceil(sum(item_size(i) for i in items) / (4 * KB)))
        elif operation == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.tally.items_read += len(items)
                self.tally.read_units += sum(0.5 * max(1, math.ceil(item_size(i) / (4 * KB))) for i in items)

    def _index_writes(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> float:
        units = 0.0
        for index in self.indexes:
            old = self._projection(index, before)
            new = self._projection(index, after)
            if old == new:
                continue
            if old is not None and (new is None or any(old[k] != new[k] for k in index.keys)):
                units += max(1, math.ceil(item_size(old) / KB))
            if new is not None:
                units += max(1, math.ceil(item_size(new) / KB))
        return units

    def _projection(self, index: Index, item: dict[str, Any] | None) -> dict[str, Any] | None:
        if not item or any(name not in item for name in index.keys):
            return None
        names = (*self.key_names, *index.keys, *index.projected)
        return {name: item[name] for name in names if name in item}
