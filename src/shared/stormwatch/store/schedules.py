"""On-call schedules: one item each (layers and overrides inside), in one partition per org, so who is on
call is one GetItem and the org's schedules one Query. Writes are conditional on the version read.

Each schedule that sends shift reminders has one timer (in the sweep's timer index), a function of the
schedule and the time of its write: every write of the schedule puts or removes it in the same transaction,
which also voids a sweep's claim on it, so a reminder is never sent from a schedule that changed meanwhile.
The reminders sent, and each delivery of them, are kept in the schedule's own partition for a user to read.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.errors import ConcurrentModification, Conflict, NotFound
from stormwatch.domain.schedules import (
    ReminderDelivery,
    Schedule,
    ScheduleNotification,
    SentReminder,
    next_reminder_at,
)
from stormwatch.domain.timers import TimerKind
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.incidents import OUTBOX_RETENTION_SECONDS
from stormwatch.store.keys import OutboxKeys, ScheduleKeys
from stormwatch.store.table import ConditionFailed, batch_get, exists, put_once, query_all, translated_errors
from stormwatch.store.timers import Claim, timer_item, write_operation

_STORAGE_ONLY = ("pk", "sk", "entity", "org")
# Reminders sent, and their deliveries, are kept this long (the longest window a request may read).
REMINDER_RETENTION_SECONDS = 93 * 24 * 3600


class ScheduleStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, org: str, schedule: Schedule, now: datetime) -> None:
        """The new schedule and its reminder timer, as of `now`."""
        operations = [{"Put": self._put(org, schedule, None)}, self._timer_write(org, schedule, now, None)]
        try:
            with translated_errors():
                self._client.transact_write_items(TransactItems=operations)
        except ConditionFailed:
            raise Conflict(f"schedule {schedule.id} exists already") from None

    def replace(self, org: str, before: Schedule, after: Schedule, now: datetime) -> None:
        """Write `after` (whose version follows `before`'s) if the schedule is still as `before` was read, and
        its reminder timer as `after` has it at `now`."""
        self._transact(
            [{"Put": self._put(org, after, before.version)}, self._timer_write(org, after, now, None)],
            before.id,
        )

    def remind(
        self,
        org: str,
        before: Schedule,
        after: Schedule,
        notifications: Sequence[ScheduleNotification],
        claim: Claim,
        now: datetime,
    ) -> None:
        """The sweep's firing of the schedule's claimed reminder timer: the notifications to the outbox with a
        record of each, `after` (the shifts reminded of) in place of `before`, and the timer moved on; all on
        the condition that the claim and the schedule are as read."""
        operations = [self._timer_write(org, after, now, claim)]
        if notifications:
            operations.append({"Put": self._put(org, after, before.version)})
        for notification in notifications:
            operations += [
                {"Put": {"TableName": self._table, "Item": encode_item(_outbox_item(notification))}},
                {"Put": {"TableName": self._table, "Item": encode_item(_reminder_item(notification))}},
            ]
        self._transact(operations, before.id)

    def _timer_write(
        self, org: str, schedule: Schedule, now: datetime, claim: Claim | None
    ) -> dict[str, Any]:
        kind = TimerKind.SHIFT_REMINDER
        key = ScheduleKeys.timer(org, schedule.id, kind.value)
        due = next_reminder_at(schedule, now)
        item = timer_item(key, kind, org, {"schedule_id": schedule.id}, due) if due is not None else None
        return write_operation(self._table, key, item, claim)

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

    def existing(self, org: str, schedule_ids: Sequence[str]) -> set[str]:
        """Which of `schedule_ids` (at most 100) are schedules of the org: one BatchGetItem."""
        keys = [encode_item(ScheduleKeys.of(org, schedule_id)) for schedule_id in dict.fromkeys(schedule_ids)]
        found = batch_get(self._client, self._table, keys, "sk")
        return {item["sk"].removeprefix(ScheduleKeys.SORT_PREFIX) for item in found}

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
        timer = ScheduleKeys.timer(org, schedule.id, TimerKind.SHIFT_REMINDER.value)
        operations = [
            {"Delete": {"TableName": self._table, "Key": key, **_unchanged(schedule.version)}},
            write_operation(self._table, timer, None, None),
        ]
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

    # --- reminders sent --------------------------------------------------------------------------------

    def delivery_recorded(self, notification: ScheduleNotification, channel: str) -> bool:
        return exists(self._client, self._table, _reminder_key(notification, channel))

    def record_delivery(self, notification: ScheduleNotification, channel: str, data: dict[str, Any]) -> None:
        """One delivery's outcome, beside the reminder it delivers; written once (its key names the
        notification and channel)."""
        item = {
            **_reminder_key(notification, channel),
            "entity": "reminder_delivery",
            **data,
            "expires_at": _expiry(notification),
        }
        put_once(self._client, self._table, item)

    def reminders(self, org: str, schedule_id: str, since: datetime, until: datetime) -> list[SentReminder]:
        """The reminders sent from `since` to `until` (both included: a reminder sent at the moment asked
        about is in), newest first, each with its deliveries."""
        prefix = ScheduleKeys.REMINDER_PREFIX
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :since AND :until",
            "ExpressionAttributeValues": encode_item(
                {
                    ":pk": ScheduleKeys.own_partition(org, schedule_id),
                    ":since": f"{prefix}{iso(since)}",
                    # Above every id and channel: the keys of an instant at `until` sort below it.
                    ":until": f"{prefix}{iso(until)}#~",
                }
            ),
        }
        found: list[SentReminder] = []
        for item in query_all(self._client, request):
            if item["entity"] == "reminder":
                found.append(SentReminder.model_validate(item))
            elif found:
                found[-1].deliveries.append(ReminderDelivery.model_validate(item))
        return found[::-1]

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


def _expiry(notification: ScheduleNotification) -> int:
    return int(notification.at.timestamp()) + REMINDER_RETENTION_SECONDS


def _reminder_key(notification: ScheduleNotification, channel: str | None = None) -> dict[str, str]:
    return ScheduleKeys.reminder(
        notification.org, notification.schedule_id, iso(notification.at), notification.id, channel
    )


def _outbox_item(notification: ScheduleNotification) -> dict[str, Any]:
    return {
        **notification.model_dump(mode="json"),
        **OutboxKeys.of(notification.id),
        "entity": "outbox",
        "expires_at": int(notification.at.timestamp()) + OUTBOX_RETENTION_SECONDS,
    }


def _reminder_item(notification: ScheduleNotification) -> dict[str, Any]:
    """What a user reads of a reminder sent: whom, when, and the shift."""
    return {
        **_reminder_key(notification),
        "entity": "reminder",
        "id": notification.id,
        "at": iso(notification.at),
        "member": notification.member,
        "start": notification.data["start"],
        "end": notification.data["end"],
        "hours_before": notification.data["hours_before"],
        "expires_at": _expiry(notification),
    }


def is_schedule_notification(image: dict[str, Any]) -> bool:
    """Whether a stream record's new image is an outbox item of a schedule's notification."""
    return "schedule_id" in image and image.get("entity") == {"S": "outbox"}


def schedule_notification_from_image(image: dict[str, Any]) -> ScheduleNotification:
    # The outbox item's keys and expiry are not fields of the notification: left out by the model.
    return ScheduleNotification.model_validate(decode_item(image))


def _schedule(item: dict[str, Any]) -> Schedule:
    return Schedule.model_validate({name: value for name, value in item.items() if name not in _STORAGE_ONLY})
