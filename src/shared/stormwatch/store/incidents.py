"""Incidents in DynamoDB: snapshots, alert details and timeline events of one key in one partition."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from botocore.parsers import ResponseParserError

from stormwatch.clock import iso
from stormwatch.domain.errors import ConcurrentModification, InvalidInput, NotFound
from stormwatch.domain.events import Change
from stormwatch.domain.listing import IncidentFilter, search_text
from stormwatch.domain.models import (
    ACTIVE_STATUSES,
    AlertEvent,
    AlertStatus,
    Incident,
    Notification,
    Severity,
    TimelineEvent,
)
from stormwatch.ids import short_hash
from stormwatch.store.codec import Item, decode_item, encode_item, model_item
from stormwatch.store.context_index import context_index_writes
from stormwatch.store.expressions import Expression
from stormwatch.store.images import strip_storage
from stormwatch.store.keys import (
    ASSIGNEE_INDEX,
    INCIDENT_ID,
    DeliveryKeys,
    IncidentKeys,
    OutboxKeys,
)
from stormwatch.store.listing import list_page
from stormwatch.store.table import ConditionFailed, query_all, translated_errors
from stormwatch.store.timers import Claim, incident_timer_writes, write_operation

logger = logging.getLogger(__name__)
Raw = TypeVar("Raw")
Read = TypeVar("Read")
# What reading a stored item can fail with when the item is not what this code writes (botocore cannot
# parse the response holding it, or the model refuses it). A list leaves such an item out, logged.
UNREADABLE = (ResponseParserError, AttributeError, TypeError, KeyError, ValueError)
# What botocore raises when it cannot parse a response holding such an item: its own parse error, or, for
# an attribute value of the wrong shape (a map with an empty name), the AttributeError its parser meets.
UNPARSABLE_RESPONSE = (ResponseParserError, AttributeError)

# Set by every write of a snapshot except the repeat's one-write path, which removes it: the stream
# consumers' event filters (template.yaml) match it, so a repeat firing (counters only, no timeline event)
# invokes no consumer.
CHANGED = "changed"
# Stored even at their defaults (a snapshot leaves out every other field at its default): what update
# expressions address by path or by arithmetic, and what conditions and index filters compare.
_ALWAYS_STORED = ("alert_count", "alerts", "evidence", "status", "version")
# Attributes changed with arithmetic or per map entry, so concurrent writers never overwrite each other.
_COUNTERS = ("alert_count",)


@dataclass
class AlertDetail:
    fingerprint: str
    title: str
    severity: str
    labels: dict[str, str]
    started_at: str | None


@dataclass(frozen=True)
class DeliveryMarker:
    """Written with the writes of one part of one delivery, so a retried delivery skips what landed."""

    org: str
    key: str
    now: int
    expires_at: int


class DuplicateDelivery(Exception):
    """This part of the delivery was written before (a sender's retry)."""


@dataclass
class RepeatAttempt:
    """`counted_into`: the id of the incident the repeats were counted into. Otherwise (None) `stored` is
    what the key holds (None if nothing), for correlation to decide."""

    counted_into: str | None
    stored: Incident | None = None


@dataclass
class IncidentDetail:
    incident: Incident
    alerts: list[AlertDetail]
    timeline: list[TimelineEvent]


# How many keys' incident ids a container remembers for its repeats (about 100 bytes each).
KNOWN_IDS = 10_000


class IncidentStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        # (org, key hash) → the id of the incident the key's head held when this container last counted a
        # repeat into it. Only a hint: a repeat's write is conditioned on it, so a stale one fails and the
        # stored snapshot decides.
        self._known_ids: dict[tuple[str, str], str] = {}

    # --- ingestion -----------------------------------------------------------------------------------

    def record_repeats(
        self,
        org: str,
        key_hash: str,
        alerts: Sequence[AlertEvent],
        now: datetime,
        marker: DeliveryMarker | None = None,
    ) -> RepeatAttempt:
        """Count plain repeats into the key's active incident: one UpdateItem, no read.

        Its condition is `is_plain_repeat` for every alert (of a delivery that truncated nothing). When it
        does not hold, the failed condition returns the snapshot that was there, at no extra request.

        The answer needs the incident's id. When this container knows it, the write is conditioned on it
        and returns nothing (parsing a returned snapshot was a third of a repeat's CPU time); otherwise the
        write returns the snapshot, whose id is then remembered.
        """
        expr = Expression()
        now_value = expr.value(iso(now))
        counts: dict[str, int] = {}
        latest: dict[str, str] = {}
        evidence: dict[str, Any] = {}
        for alert in alerts:
            fingerprint_key = short_hash(alert.fingerprint)
            counts[fingerprint_key] = counts.get(fingerprint_key, 0) + 1
            latest[fingerprint_key] = alert.severity.value
            evidence.update(alert.evidence)
        count = expr.name("alert_count")
        sets = [f"{count} = {count} + {expr.value(len(alerts))}", f"{expr.name('last_seen')} = {now_value}"]
        status = expr.name("status")
        active = ", ".join(expr.value(status.value) for status in ACTIVE_STATUSES)
        rank = max(alert.severity.rank for alert in alerts)
        # No severity rise: the incident's severity is already at least the batch's worst.
        at_least = ", ".join(expr.value(severity.value) for severity in Severity if severity.rank >= rank)
        truncated, flapping = expr.name("truncated_alerts"), expr.name("flapping")
        conditions = [
            f"{status} IN ({active})",
            f"{expr.name('severity')} IN ({at_least})",
            # Left out of the snapshot at their defaults (0, false).
            f"(attribute_not_exists({truncated}) OR {truncated} = {expr.value(0)})",
            f"(attribute_not_exists({flapping}) OR {flapping} = {expr.value(False)})",
        ]
        firing = expr.value(AlertStatus.FIRING.value)
        for fingerprint_key, repeats in counts.items():
            path = f"alerts.{fingerprint_key}"
            sets.append(
                f"{expr.name(path + '.count')} = {expr.name(path + '.count')} + {expr.value(repeats)}"
            )
            sets.append(f"{expr.name(path + '.last_seen')} = {now_value}")
            sets.append(f"{expr.name(path + '.severity')} = {expr.value(latest[fingerprint_key])}")
            conditions.append(f"{expr.name(path + '.status')} = {firing}")
        for evidence_key, value in evidence.items():
            sets.append(f"{expr.name('evidence')}.{expr.segment(evidence_key)} = {expr.value(value)}")
        known_id = self._known_ids.get((org, key_hash))
        if known_id is not None:
            conditions.append(f"{expr.name('id')} = {expr.value(known_id)}")
        update = {
            "TableName": self._table,
            "Key": encode_item(IncidentKeys.current(org, key_hash)),
            "UpdateExpression": "SET " + ", ".join(sets) + f" REMOVE {expr.name(CHANGED)}",
            "ConditionExpression": " AND ".join(conditions),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **expr.request(),
        }
        try:
            with translated_errors():
                if marker is not None:
                    self._client.transact_write_items(
                        TransactItems=[{"Update": update}, self._marker_put(marker)]
                    )
                elif known_id is not None:
                    self._client.update_item(**update)
                else:
                    response = self._client.update_item(**update, ReturnValues="ALL_NEW")
                    known_id = str(response["Attributes"]["id"]["S"])
        except ConditionFailed as failed:
            self._known_ids.pop((org, key_hash), None)
            if failed.index == 1:
                raise DuplicateDelivery(marker.key if marker else "") from failed
            return RepeatAttempt(None, self._incident(decode_item(failed.item)) if failed.item else None)
        if known_id is None:
            # A transaction returns no item: the id is read back (marked deliveries are rare).
            known_id = self._current_id(org, key_hash)
        if len(self._known_ids) >= KNOWN_IDS:
            self._known_ids.clear()
        self._known_ids[(org, key_hash)] = known_id
        return RepeatAttempt(known_id)

    def _current_id(self, org: str, key_hash: str) -> str:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(IncidentKeys.current(org, key_hash)),
                ConsistentRead=True,
                ProjectionExpression="id",
            )
        return str(response["Item"]["id"]["S"])

    def current(self, org: str, key_hash: str) -> Incident | None:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(IncidentKeys.current(org, key_hash)),
                ConsistentRead=True,
            )
        raw = response.get("Item")
        return self._incident(decode_item(raw)) if raw else None

    # --- writing changes -----------------------------------------------------------------------------

    def commit(
        self,
        changes: Sequence[Change],
        notifications: Sequence[Notification] = (),
        operations: Sequence[dict[str, Any]] = (),
        marker: DeliveryMarker | None = None,
        claim: Claim | None = None,
        claimed_item: dict[str, Any] | None = None,
    ) -> None:
        """Write incident changes with their events, the timers they set, move or cancel, the notifications
        they cause (outbox) and any other operations in one request, each snapshot conditioned on what its
        change was computed from.

        A sweep acting on a claimed timer passes its claim: the timer's write is then conditioned on it (and
        when the change leaves that timer alone, it is put as `claimed_item`, or removed if that is None).

        Raises ConcurrentModification when a condition fails (the caller re-reads and decides again).
        """
        writes: list[dict[str, Any]] = []
        claimed_written = False
        for change in changes:
            snapshot = self._snapshot_write(change)
            if snapshot is not None:
                writes.append(snapshot)
            for key, item in incident_timer_writes(change.before, change.after):
                writes.append(write_operation(self._table, key, item, claim))
                claimed_written = claimed_written or (claim is not None and claim.timer.key == key)
            writes.extend(context_index_writes(self._table, change.before, change.after))
            partition = IncidentKeys.of(change.after)["pk"]
            for event in change.events:
                writes.append(self._put(self._event_item(partition, change.after.generation, event)))
            for alert in change.joined:
                writes.append(self._put(self._alert_item(partition, change.after.generation, alert)))
        writes.extend(self._put(_outbox_item(notification)) for notification in notifications)
        writes.extend(operations)
        if claim is not None and not claimed_written:
            writes.append(write_operation(self._table, claim.timer.key, claimed_item, claim))
        if marker is not None:
            writes.append(self._marker_put(marker))
        if not writes:
            return
        try:
            with translated_errors():
                if len(writes) == 1:
                    self._single(writes[0])
                else:
                    self._client.transact_write_items(TransactItems=writes)
        except ConditionFailed as failed:
            if marker is not None and failed.index == len(writes) - 1:
                raise DuplicateDelivery(marker.key) from failed
            ids = ", ".join(change.after.id for change in changes)
            raise ConcurrentModification(f"incident {ids} changed meanwhile") from failed

    def _marker_put(self, marker: DeliveryMarker) -> dict[str, Any]:
        """The delivery marker: written once, until it expires (TTL deletes lazily, so expiry is checked)."""
        put = self._put(
            {
                **DeliveryKeys.of(marker.org, marker.key),
                "entity": "delivery",
                "expires_at": marker.expires_at,
            },
            "attribute_not_exists(pk) OR expires_at < :now",
        )
        put["Put"]["ExpressionAttributeValues"] = {":now": {"N": str(marker.now)}}
        return put

    def _snapshot_write(self, change: Change) -> dict[str, Any] | None:
        after = change.after
        if change.before is None:
            if change.replacing is None:
                return self._put(self._item(after), "attribute_not_exists(pk)")
            return self._put_replacing(after, change.replacing)
        if IncidentKeys.of(change.before) != IncidentKeys.of(after):
            # Archived: the snapshot moves from the key's head to its generation's own item.
            return self._put(self._item(after), "attribute_not_exists(pk)")
        if change.before is after:
            return None
        return self._update(change.before, after)

    # --- deliveries ----------------------------------------------------------------------------------

    def delivery_recorded(self, notification: Notification, channel: str) -> bool:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(_delivery_key(notification, channel)),
                ProjectionExpression="pk",
                ConsistentRead=True,
            )
        return "Item" in response

    def record_delivery(self, notification: Notification, channel: str, data: dict[str, Any]) -> None:
        """The outcome of one delivery, as a `notification` event on the incident's timeline, at the time of
        the notification it delivers. Its key names the notification and channel, so it is written once."""
        key = _delivery_key(notification, channel)
        event = TimelineEvent(
            id=key["sk"].rsplit("#", 1)[1],
            type="notification",
            at=notification.at,
            actor="system:notifier",
            data=data,
        )
        item = {**event.model_dump(mode="json"), **key, "entity": "event"}
        try:
            with translated_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=encode_item(item),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailed:
            return

    # --- comments ------------------------------------------------------------------------------------

    def comment_state(self, incident: Incident, comment_id: str) -> dict[str, Any] | None:
        key = {
            "pk": IncidentKeys.of(incident)["pk"],
            "sk": IncidentKeys.comment(incident.generation, comment_id),
        }
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=encode_item(key), ConsistentRead=True)
        raw = response.get("Item")
        return decode_item(raw) if raw else None

    def comment_created(self, incident: Incident, comment_id: str, author: str) -> dict[str, Any]:
        item = {
            "pk": IncidentKeys.of(incident)["pk"],
            "sk": IncidentKeys.comment(incident.generation, comment_id),
            "entity": "comment",
            "author": author,
            "deleted": False,
            "revision": 0,
        }
        return self._put(item, "attribute_not_exists(pk)")

    def comment_changed(
        self, incident: Incident, comment_id: str, revision: int, deleted: bool
    ) -> dict[str, Any]:
        """Move a comment from `revision` (not deleted) to the next; fails if someone changed it first."""
        key = {
            "pk": IncidentKeys.of(incident)["pk"],
            "sk": IncidentKeys.comment(incident.generation, comment_id),
        }
        return {
            "Update": {
                "TableName": self._table,
                "Key": encode_item(key),
                "UpdateExpression": "SET revision = :next, deleted = :deleted",
                "ConditionExpression": "revision = :seen AND deleted = :no",
                "ExpressionAttributeValues": {
                    ":next": {"N": str(revision + 1)},
                    ":seen": {"N": str(revision)},
                    ":deleted": {"BOOL": deleted},
                    ":no": {"BOOL": False},
                },
            }
        }

    def _single(self, operation: dict[str, Any]) -> None:
        ((kind, request),) = operation.items()
        if kind == "Put":
            self._client.put_item(**request)
        elif kind == "Delete":
            self._client.delete_item(**request)
        else:
            self._client.update_item(**request)

    def _put(self, item: Item, condition: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self._table, "Item": encode_item(item)}
        if condition:
            request["ConditionExpression"] = condition
        return {"Put": request}

    def _put_replacing(self, incident: Incident, replaced: Incident) -> dict[str, Any]:
        expr = Expression()
        condition = (
            f"{expr.name('id')} = {expr.value(replaced.id)} AND "
            f"{expr.name('version')} = {expr.value(replaced.version)}"
        )
        put = self._put(self._item(incident), condition)
        put["Put"].update(expr.request())
        return put

    def _update(self, stored: Incident, incident: Incident) -> dict[str, Any] | None:
        """An UpdateItem that applies the difference between two snapshots of one incident.

        Counters move by their difference and map entries are set one by one, so repeats counted by
        the fast path meanwhile are kept; the version condition guards everything else.
        """
        before, after = self._item(stored), self._item(incident)
        expr = Expression()
        sets: list[str] = []
        removes: list[str] = []
        for attribute, value in after.items():
            if attribute in ("pk", "sk", CHANGED):
                continue
            previous = before.get(attribute)
            if attribute in _COUNTERS:
                if value != previous:
                    name = expr.name(attribute)
                    sets.append(f"{name} = {name} + {expr.value(value - (previous or 0))}")
            elif attribute == "alerts":
                sets.extend(self._alert_changes(expr, previous or {}, value))
            elif attribute == "evidence":
                for key, inner in value.items():
                    if (previous or {}).get(key) != inner:
                        sets.append(f"{expr.name('evidence')}.{expr.segment(key)} = {expr.value(inner)}")
            elif value != previous:
                sets.append(f"{expr.name(attribute)} = {expr.value(value)}")
        removes.extend(expr.name(attribute) for attribute in before if attribute not in after)
        if not sets and not removes:
            return None
        sets.append(f"{expr.name(CHANGED)} = {expr.value(True)}")
        clauses = []
        if sets:
            clauses.append("SET " + ", ".join(sets))
        if removes:
            clauses.append("REMOVE " + ", ".join(removes))
        update = " ".join(clauses)
        # Comments move the last activity without a version: it is compared too, so of two racing
        # comments one re-decides, and the snapshot keeps the newest.
        condition = (
            f"{expr.name('version')} = {expr.value(stored.version)} AND "
            f"{expr.name('last_activity_at')} = {expr.value(iso(stored.last_activity_at))}"
        )
        if stored.superseded_by is None:
            condition += f" AND {expr.name('id')} = {expr.value(stored.id)}"
        return {
            "Update": {
                "TableName": self._table,
                "Key": encode_item(IncidentKeys.of(stored)),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                **expr.request(),
            }
        }

    @staticmethod
    def _alert_changes(expr: Expression, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
        sets = []
        for fingerprint_key, state in after.items():
            known = before.get(fingerprint_key)
            if known is None:
                sets.append(f"{expr.name('alerts.' + fingerprint_key)} = {expr.value(state)}")
                continue
            for field, value in state.items():
                if value == known.get(field):
                    continue
                path = expr.name(f"alerts.{fingerprint_key}.{field}")
                if field == "count":
                    sets.append(f"{path} = {path} + {expr.value(value - known.get(field, 0))}")
                else:
                    sets.append(f"{path} = {expr.value(value)}")
        return sets

    # --- reading -------------------------------------------------------------------------------------

    def get(self, org: str, incident_id: str, consistent: bool = False) -> Incident:
        match = INCIDENT_ID.match(incident_id)
        if match is None:
            raise NotFound(f"incident {incident_id} not found")
        key_hash, generation = match.group(1), int(match.group(2))
        for key in (IncidentKeys.current(org, key_hash), IncidentKeys.archived(org, key_hash, generation)):
            with translated_errors():
                response = self._client.get_item(
                    TableName=self._table, Key=encode_item(key), ConsistentRead=consistent
                )
            raw = response.get("Item")
            if raw is not None:
                incident = self._incident(decode_item(raw))
                if incident.id == incident_id:
                    return incident
        raise NotFound(f"incident {incident_id} not found")

    def timeline_page(
        self, incident: Incident, newest_first: bool, limit: int, position: str | None
    ) -> tuple[list[TimelineEvent], str | None]:
        """One page of an incident's timeline and the position after it (the sort key of its last event),
        always within this incident's own partition and generation."""
        partition = IncidentKeys.of(incident)["pk"]
        prefix = IncidentKeys.timeline_prefix(incident.generation)
        request = self._prefix_request(partition, prefix, newest_first)
        request["Limit"] = limit
        if position is not None:
            if not position.startswith(prefix):
                raise InvalidInput("cursor: not a position in this timeline", details=[{"field": "cursor"}])
            request["ExclusiveStartKey"] = encode_item({"pk": partition, "sk": position})
        with translated_errors():
            response = self._client.query(**request)
        items = response.get("Items", [])
        events = _readable(items, lambda raw: TimelineEvent.model_validate(strip_storage(decode_item(raw))))
        last = response.get("LastEvaluatedKey")
        return events, decode_item(last)["sk"] if last and items else None

    def timeline(self, incident: Incident) -> list[TimelineEvent]:
        """Every event of an incident, oldest first."""
        items = self._query_prefix(
            IncidentKeys.of(incident)["pk"], IncidentKeys.timeline_prefix(incident.generation)
        )
        return [TimelineEvent.model_validate(strip_storage(item)) for item in items]

    def assigned_active(self, org: str, handle: str) -> list[Incident]:
        """The active incidents assigned to a member (sparse index: only assigned incidents are in it)."""
        expr = Expression()
        active = ", ".join(expr.value(status.value) for status in ACTIVE_STATUSES)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": ASSIGNEE_INDEX,
            "KeyConditionExpression": (
                f"{expr.name('gsi3pk')} = {expr.value(IncidentKeys.assignee_partition(org, handle))}"
            ),
            "FilterExpression": f"{expr.name('status')} IN ({active})",
        }
        items = query_all(self._client, {**request, **expr.request()})
        return self._batch_get([encode_item({"pk": item["pk"], "sk": item["sk"]}) for item in items])

    def detail(self, org: str, incident_id: str, timeline_limit: int) -> IncidentDetail:
        incident = self.get(org, incident_id)
        partition = IncidentKeys.of(incident)["pk"]
        alert_items = self._query_prefix(partition, IncidentKeys.alert_prefix(incident.generation))
        alerts = [
            AlertDetail(
                fingerprint=item["fingerprint"],
                title=item["title"],
                severity=item["severity"],
                labels=item.get("labels", {}),
                started_at=item.get("started_at"),
            )
            for item in alert_items
        ]
        timeline, _ = self.timeline_page(incident, newest_first=True, limit=timeline_limit, position=None)
        return IncidentDetail(incident, alerts, timeline)

    def list_incidents(
        self, org: str, wanted: IncidentFilter, limit: int, position: str | None
    ) -> tuple[list[Incident], str | None]:
        """A page of the org's incidents, newest first (by creation or activity), and the position after
        it: index Queries (see `listing`), then one BatchGetItem for the snapshots."""
        page = list_page(self._client, self._table, org, wanted, limit, position)
        return self._batch_get(page.keys), page.next_position

    def by_ids(self, org: str, incident_ids: Sequence[str]) -> list[Incident]:
        """The org's snapshots of these ids, in their order: one BatchGetItem of their keys' heads, and one
        more for those whose key has moved on to a later incident. Ids of no incident are left out."""
        parsed = [(wanted, INCIDENT_ID.match(wanted)) for wanted in dict.fromkeys(incident_ids)]
        named = [(wanted, match.group(1), int(match.group(2))) for wanted, match in parsed if match]
        heads = dict.fromkeys(key_hash for _, key_hash, _ in named)
        found = {
            incident.id: incident
            for incident in self._batch_get([encode_item(IncidentKeys.current(org, h)) for h in heads])
        }
        moved = [
            encode_item(IncidentKeys.archived(org, key_hash, generation))
            for wanted, key_hash, generation in named
            if wanted not in found
        ]
        found.update((incident.id, incident) for incident in self._batch_get(moved))
        return [found[wanted] for wanted, _, _ in named if wanted in found]

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[Incident]:
        if not keys:
            return []
        found: dict[tuple[str, str], Incident] = {}
        pending: dict[str, Any] = {self._table: {"Keys": keys}}
        while pending:
            try:
                with translated_errors():
                    response = self._client.batch_get_item(RequestItems=pending)
            except UNPARSABLE_RESPONSE:
                # One item botocore cannot parse fails the whole response: read these one at a time, so
                # only that item is left out.
                found.update(_by_key(_readable(pending[self._table]["Keys"], self._get_item)))
                break
            raws = response.get("Responses", {}).get(self._table, [])
            found.update(_by_key(_readable(raws, lambda raw: self._incident(decode_item(raw)))))
            pending = response.get("UnprocessedKeys") or {}
        ordered = (found.get((key["pk"]["S"], key["sk"]["S"])) for key in keys)
        return [incident for incident in ordered if incident is not None]

    def _get_item(self, key: dict[str, Any]) -> Incident:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=key)
        return self._incident(decode_item(response["Item"]))

    def _prefix_request(self, partition: str, prefix: str, newest_first: bool = False) -> dict[str, Any]:
        """A Query for the items of one partition whose sort key starts with `prefix`."""
        expr = Expression()
        return {
            "TableName": self._table,
            "KeyConditionExpression": f"{expr.name('pk')} = {expr.value(partition)} AND "
            f"begins_with({expr.name('sk')}, {expr.value(prefix)})",
            "ScanIndexForward": not newest_first,
            **expr.request(),
        }

    def _query_prefix(self, partition: str, prefix: str) -> list[Item]:
        """Every item under the prefix, oldest first."""
        return list(query_all(self._client, self._prefix_request(partition, prefix)))

    # --- mapping -------------------------------------------------------------------------------------

    @staticmethod
    def _item(incident: Incident) -> Item:
        item = model_item(incident, _ALWAYS_STORED)
        item.update(IncidentKeys.of(incident))
        item.update(IncidentKeys.index_attributes(incident))
        item["search_text"] = search_text(incident)
        item[CHANGED] = True
        item["entity"] = "incident"
        return item

    @staticmethod
    def _incident(item: Item) -> Incident:
        return Incident.model_validate(strip_storage(item))

    @staticmethod
    def _event_item(partition: str, generation: int, event: TimelineEvent) -> Item:
        item = event.model_dump(mode="json")
        item.update(
            pk=partition,
            sk=f"{IncidentKeys.timeline_prefix(generation)}{item['at']}#{event.id}",
            entity="event",
        )
        return item

    @staticmethod
    def _alert_item(partition: str, generation: int, alert: AlertEvent) -> Item:
        item: Item = {
            "pk": partition,
            "sk": IncidentKeys.alert_prefix(generation) + short_hash(alert.fingerprint),
            "entity": "alert",
            "fingerprint": alert.fingerprint,
            "title": alert.title,
            "severity": alert.severity.value,
            "labels": alert.labels,
        }
        if alert.started_at is not None:
            item["started_at"] = iso(alert.started_at)
        return item


# Delivered notifications are kept this long for the notifier's retries, then expire.
OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600


def _outbox_item(notification: Notification) -> Item:
    item = notification.model_dump(mode="json")
    item.update(OutboxKeys.of(notification.id), entity="outbox")
    item["expires_at"] = int(notification.at.timestamp()) + OUTBOX_RETENTION_SECONDS
    return item


def _delivery_key(notification: Notification, channel: str) -> dict[str, str]:
    match = INCIDENT_ID.match(notification.incident_id)
    if match is None:
        raise ValueError(f"not an incident id: {notification.incident_id}")
    prefix = IncidentKeys.timeline_prefix(int(match.group(2)))
    return {
        "pk": IncidentKeys.partition(notification.org, match.group(1)),
        "sk": f"{prefix}{iso(notification.at)}#{notification.id}-{channel}",
    }


def _readable(raws: Sequence[Raw], read: Callable[[Raw], Read]) -> list[Read]:
    """What `read` makes of each item, leaving out (and logging) the items it cannot read."""
    results: list[Read] = []
    for raw in raws:
        try:
            results.append(read(raw))
        except UNREADABLE:
            logger.exception("left out a stored item that cannot be read: %s", _key_of(raw))
    return results


def _by_key(incidents: list[Incident]) -> dict[tuple[str, str], Incident]:
    keys = ((IncidentKeys.of(incident), incident) for incident in incidents)
    return {(key["pk"], key["sk"]): incident for key, incident in keys}


def _key_of(raw: Any) -> str:
    try:
        return f"{raw['pk']['S']} / {raw['sk']['S']}"
    except (KeyError, TypeError):
        return "(no key)"
