"""Timers: one item per (owner, kind), indexed by due time in a sparse, sharded index (gsi5).

A sweep claims a due timer with a conditional write (a lease naming the sweep), then acts: the action's
transaction moves or removes the timer on the condition that the claim is still its own. Two overlapping
sweeps cannot both claim it, and a sweep that dies after claiming leaves the lease to run out, after which
the next sweep claims and fires it. A command that changes the incident meanwhile rewrites the timer, which
voids the claim: the sweep's action then fails its condition and does nothing.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.models import Incident
from stormwatch.domain.timers import TimerKind, incident_timers
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.expressions import Expression
from stormwatch.store.keys import TIMER_INDEX, TIMER_SHARDS, IncidentKeys, TimerKeys
from stormwatch.store.table import ConditionFailed, query_all, translated_errors

# Above every character of an owner id: `{now}#~` sorts after every entry due at `now`.
_AFTER_EVERY_OWNER = "~"


@dataclass(frozen=True)
class DueTimer:
    pk: str
    sk: str
    kind: TimerKind
    org: str
    due: str
    incident_id: str | None = None
    integration_id: str | None = None
    schedule_id: str | None = None

    @property
    def key(self) -> dict[str, str]:
        return {"pk": self.pk, "sk": self.sk}


@dataclass(frozen=True)
class Claim:
    timer: DueTimer
    sweep_id: str


def timer_item(
    key: dict[str, str], kind: TimerKind, org: str, owner: dict[str, str], due: datetime
) -> dict[str, Any]:
    """`owner` names the one thing the timer belongs to: `{"incident_id" | "integration_id" |
    "schedule_id": id}`."""
    (owner_id,) = owner.values()
    return {
        **key,
        **TimerKeys.index_attributes(owner_id, kind.value, iso(due)),
        **owner,
        "entity": "timer",
        "kind": kind.value,
        "org": org,
        "due": iso(due),
    }


def incident_timer_writes(
    before: Incident | None, after: Incident
) -> Iterator[tuple[dict[str, str], dict[str, Any] | None]]:
    """(timer key, item to put or None to delete) for each timer the change sets, moves or cancels."""
    was = incident_timers(before) if before is not None else {}
    now = incident_timers(after)
    for kind in sorted(set(was) | set(now)):
        if was.get(kind) == now.get(kind):
            continue
        key = IncidentKeys.timer(after, kind.value)
        due = now.get(kind)
        item = None
        if due is not None:
            item = timer_item(key, kind, after.org, {"incident_id": after.id}, due)
        yield key, item


def write_operation(
    table: str, key: dict[str, str], item: dict[str, Any] | None, claim: Claim | None
) -> dict[str, Any]:
    """A transaction's Put or Delete of a timer; on the claim's condition when it is the claimed timer."""
    operation: dict[str, Any]
    if item is None:
        operation = {"Delete": {"TableName": table, "Key": encode_item(key)}}
    else:
        operation = {"Put": {"TableName": table, "Item": encode_item(item)}}
    if claim is not None and claim.timer.key == key:
        body = next(iter(operation.values()))
        body["ConditionExpression"] = "claim = :sweep"
        body["ExpressionAttributeValues"] = {":sweep": {"S": claim.sweep_id}}
    return operation


class TimerStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def due(self, shard: int, now: datetime, page_size: int = 100) -> Iterator[DueTimer]:
        """The shard's timers due at `now`, soonest first."""
        expr = Expression()
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": TIMER_INDEX,
            "KeyConditionExpression": f"{expr.name('gsi5pk')} = {expr.value(TimerKeys.shard(shard))} AND "
            f"{expr.name('gsi5sk')} <= {expr.value(f'{iso(now)}#{_AFTER_EVERY_OWNER}')}",
            "Limit": page_size,
            **expr.request(),
        }
        for item in query_all(self._client, request):
            kind = TimerKind(item["kind"])
            yield DueTimer(
                pk=item["pk"],
                sk=item["sk"],
                kind=kind,
                org=item["org"],
                due=item["due"],
                incident_id=item.get("incident_id"),
                integration_id=item.get("integration_id"),
                # The index projects no schedule_id (a deployed index's projection cannot change in place):
                # its key names the owner.
                schedule_id=TimerKeys.owner(item["gsi5sk"]) if kind is TimerKind.SHIFT_REMINDER else None,
            )

    def claim(self, timer: DueTimer, sweep_id: str, now: datetime, lease: timedelta) -> Claim | None:
        """Take the timer for this sweep, unless another sweep holds it or it has moved meanwhile."""
        try:
            with translated_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=encode_item(timer.key),
                    UpdateExpression="SET claim = :sweep, claim_until = :until",
                    ConditionExpression=(
                        "due = :due AND (attribute_not_exists(claim_until) OR claim_until < :now)"
                    ),
                    ExpressionAttributeValues={
                        ":sweep": {"S": sweep_id},
                        ":until": {"S": iso(now + lease)},
                        ":due": {"S": timer.due},
                        ":now": {"S": iso(now)},
                    },
                )
        except ConditionFailed:
            return None
        return Claim(timer, sweep_id)

    def settle(self, claim: Claim, item: dict[str, Any] | None) -> bool:
        """Move (put `item`) or remove the claimed timer, if the claim still holds."""
        operation = write_operation(self._table, claim.timer.key, item, claim)
        ((kind, body),) = operation.items()
        try:
            with translated_errors():
                if kind == "Put":
                    self._client.put_item(**body)
                else:
                    self._client.delete_item(**body)
        except ConditionFailed:
            return False
        return True

    def replace(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Put a timer whatever it was (voiding any claim on it); returns what it replaced."""
        with translated_errors():
            response = self._client.put_item(
                TableName=self._table, Item=encode_item(item), ReturnValues="ALL_OLD"
            )
        old = response.get("Attributes")
        return decode_item(old) if old else None

    @staticmethod
    def shards() -> range:
        return range(TIMER_SHARDS)
