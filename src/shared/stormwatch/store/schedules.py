"""On-call schedules: one item each (layers and overrides inside), in one partition per org, so who is on
call is one GetItem and the org's schedules one Query. Writes are conditional on the version read."""

from typing import Any

from stormwatch.domain.errors import ConcurrentModification, Conflict, NotFound
from stormwatch.domain.schedules import Schedule
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import ScheduleKeys
from stormwatch.store.table import ConditionFailed, query_all, translated_errors

_STORAGE_ONLY = ("pk", "sk", "entity", "org")


class ScheduleStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, org: str, schedule: Schedule) -> None:
        try:
            with translated_errors():
                self._client.put_item(**self._put(org, schedule, None))
        except ConditionFailed:
            raise Conflict(f"schedule {schedule.id} exists already") from None

    def replace(self, org: str, before: Schedule, after: Schedule) -> None:
        """Write `after` (whose version follows `before`'s) if the schedule is still as `before` was read."""
        try:
            with translated_errors():
                self._client.put_item(**self._put(org, after, before.version))
        except ConditionFailed:
            raise ConcurrentModification(f"schedule {before.id} changed meanwhile") from None

    def _put(self, org: str, schedule: Schedule, seen_version: int | None) -> dict[str, Any]:
        """The Put of a schedule: new (`seen_version` None), or still at the version read."""
        item = {
            **schedule.model_dump(mode="json", exclude_none=True),
            **ScheduleKeys.of(org, schedule.id),
            "entity": "schedule",
            "org": org,
        }
        return {"TableName": self._table, "Item": encode_item(item), **_unchanged(seen_version)}

    def get(self, org: str, schedule_id: str, consistent: bool = False) -> Schedule:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(ScheduleKeys.of(org, schedule_id)),
                ConsistentRead=consistent,
            )
        raw = response.get("Item")
        if raw is None:
            raise NotFound(f"schedule {schedule_id} not found", details={"schedule_id": schedule_id})
        return _schedule(decode_item(raw))

    def list_schedules(self, org: str) -> list[Schedule]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": ScheduleKeys.partition(org)}},
        }
        return [_schedule(item) for item in query_all(self._client, request)]

    def delete(self, org: str, schedule: Schedule) -> None:
        """The schedule and its calendar token, if it is still as read."""
        key = encode_item(ScheduleKeys.of(org, schedule.id))
        operations = [{"Delete": {"TableName": self._table, "Key": key, **_unchanged(schedule.version)}}]
        if schedule.calendar_token_hash is not None:
            operations.append(self._forget_token(schedule.calendar_token_hash))
        self._transact(operations, schedule.id)

    def replace_calendar_token(self, org: str, before: Schedule, after: Schedule) -> None:
        """Write `after` with its new calendar token (or none), and retire `before`'s, in one transaction."""
        operations = [{"Put": self._put(org, after, before.version)}]
        if after.calendar_token_hash is not None:
            owner = {
                **ScheduleKeys.calendar_token(after.calendar_token_hash),
                "org": org,
                "schedule_id": after.id,
            }
            operations.append({"Put": {"TableName": self._table, "Item": encode_item(owner)}})
        if before.calendar_token_hash is not None:
            operations.append(self._forget_token(before.calendar_token_hash))
        self._transact(operations, before.id)

    def calendar_owner(self, token_hash: str) -> tuple[str, str] | None:
        """The (org, schedule id) a calendar token opens, found by the token's hash alone."""
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=encode_item(ScheduleKeys.calendar_token(token_hash))
            )
        raw = response.get("Item")
        if raw is None:
            return None
        item = decode_item(raw)
        return item["org"], item["schedule_id"]

    def _forget_token(self, token_hash: str) -> dict[str, Any]:
        return {
            "Delete": {"TableName": self._table, "Key": encode_item(ScheduleKeys.calendar_token(token_hash))}
        }

    def _transact(self, operations: list[dict[str, Any]], schedule_id: str) -> None:
        try:
            with translated_errors():
                self._client.transact_write_items(TransactItems=operations)
        except ConditionFailed:
            raise ConcurrentModification(f"schedule {schedule_id} changed meanwhile") from None


def _unchanged(seen_version: int | None) -> dict[str, Any]:
    if seen_version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :seen",
        "ExpressionAttributeValues": {":seen": {"N": str(seen_version)}},
    }


def _schedule(item: dict[str, Any]) -> Schedule:
    return Schedule.model_validate({name: value for name, value in item.items() if name not in _STORAGE_ONLY})
