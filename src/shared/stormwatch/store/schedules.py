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
            self._put(org, schedule, "attribute_not_exists(pk)", {})
        except ConditionFailed:
            raise Conflict(f"schedule {schedule.id} exists already") from None

    def replace(self, org: str, before: Schedule, after: Schedule) -> None:
        """Write `after` (whose version follows `before`'s) if the schedule is still as `before` was read."""
        try:
            self._put(org, after, "version = :seen", {":seen": {"N": str(before.version)}})
        except ConditionFailed:
            raise ConcurrentModification(f"schedule {before.id} changed meanwhile") from None

    def _put(self, org: str, schedule: Schedule, condition: str, values: dict[str, Any]) -> None:
        item = {
            **schedule.model_dump(mode="json", exclude_none=True),
            **ScheduleKeys.of(org, schedule.id),
            "entity": "schedule",
            "org": org,
        }
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": encode_item(item),
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        with translated_errors():
            self._client.put_item(**request)

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

    def delete(self, org: str, schedule_id: str) -> None:
        try:
            with translated_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key=encode_item(ScheduleKeys.of(org, schedule_id)),
                    ConditionExpression="attribute_exists(pk)",
                )
        except ConditionFailed:
            raise NotFound(
                f"schedule {schedule_id} not found", details={"schedule_id": schedule_id}
            ) from None


def _schedule(item: dict[str, Any]) -> Schedule:
    return Schedule.model_validate({name: value for name, value in item.items() if name not in _STORAGE_ONLY})
