"""Incidents in DynamoDB: snapshots, alert details and timeline events of one key in one partition."""

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.errors import ConcurrentModification, InvalidInput, NotFound
from stormwatch.domain.events import Change
from stormwatch.domain.models import (
    ACTIVE_STATUSES,
    AlertEvent,
    AlertStatus,
    Incident,
    Notification,
    Severity,
    Status,
    TimelineEvent,
)
from stormwatch.ids import short_hash
from stormwatch.store.codec import Item, decode_item, encode_item, to_attr
from stormwatch.store.keys import (
    ASSIGNEE_INDEX,
    INCIDENT_INDEX,
    STATUS_INDEX,
    DeliveryKeys,
    IncidentKeys,
    OutboxKeys,
)
from stormwatch.store.table import ConditionFailed, translated_errors

_INCIDENT_ID = re.compile(r"^([a-z2-7]{20})-([1-9][0-9]{0,8})$")
_CURSOR_SORT_KEY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#([a-z2-7]{20})-[1-9][0-9]{0,8}")
_ARCHIVED_SK = re.compile(r"G#\d{8}")
# A filtered list reads the index this many entries at a time, at most this many times per page.
_FILTERED_READ_SIZE = 100
_MAX_INDEX_QUERIES = 5
_STORAGE_ONLY = (
    "pk",
    "sk",
    "gsi1pk",
    "gsi1sk",
    "gsi2pk",
    "gsi2sk",
    "gsi3pk",
    "gsi3sk",
    "severity_rank",
    "entity",
)
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
    """`counted`: the repeats were applied and `incident` is the result. Otherwise `incident` is what the
    key holds (None if nothing), for correlation to decide."""

    counted: bool
    incident: Incident | None


@dataclass
class IncidentPage:
    items: list[Incident]
    next_cursor: str | None


@dataclass
class IncidentDetail:
    incident: Incident
    alerts: list[AlertDetail]
    timeline: list[TimelineEvent]


class Expression:
    """Builds an update or condition expression with placeholders for every name and value."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, path: str) -> str:
        """Placeholders for a dotted document path; each part is one attribute or map key name."""
        return ".".join(self.segment(part) for part in path.split("."))

    def segment(self, name: str) -> str:
        """A placeholder for one name, which may itself contain dots (evidence keys do)."""
        for placeholder, known in self.names.items():
            if known == name:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = name
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attr(value)
        return placeholder

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


class IncidentStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

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
        """
        expr = Expression()
        now_value = expr.value(iso(now))
        counts: dict[str, int] = {}
        evidence: dict[str, Any] = {}
        for alert in alerts:
            fingerprint_key = short_hash(alert.fingerprint)
            counts[fingerprint_key] = counts.get(fingerprint_key, 0) + 1
            evidence.update(alert.evidence)
        count = expr.name("alert_count")
        sets = [f"{count} = {count} + {expr.value(len(alerts))}", f"{expr.name('last_seen')} = {now_value}"]
        status = expr.name("status")
        active = ", ".join(expr.value(status.value) for status in ACTIVE_STATUSES)
        rank = max(alert.severity.rank for alert in alerts)
        conditions = [
            f"{status} IN ({active})",
            f"{expr.name('severity_rank')} >= {expr.value(rank)}",
            f"{expr.name('truncated_alerts')} = {expr.value(0)}",
            f"{expr.name('flapping')} = {expr.value(False)}",
        ]
        firing = expr.value(AlertStatus.FIRING.value)
        for fingerprint_key, repeats in counts.items():
            path = f"alerts.{fingerprint_key}"
            sets.append(
                f"{expr.name(path + '.count')} = {expr.name(path + '.count')} + {expr.value(repeats)}"
            )
            sets.append(f"{expr.name(path + '.last_seen')} = {now_value}")
            conditions.append(f"{expr.name(path + '.status')} = {firing}")
        for evidence_key, value in evidence.items():
            sets.append(f"{expr.name('evidence')}.{expr.segment(evidence_key)} = {expr.value(value)}")
        update = {
            "TableName": self._table,
            "Key": encode_item(IncidentKeys.current(org, key_hash)),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": " AND ".join(conditions),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **expr.request(),
        }
        try:
            with translated_errors():
                if marker is None:
                    response = self._client.update_item(**update, ReturnValues="ALL_NEW")
                    return RepeatAttempt(True, self._incident(decode_item(response["Attributes"])))
                self._client.transact_write_items(
                    TransactItems=[{"Update": update}, self._marker_put(marker)]
                )
        except ConditionFailed as failed:
            if failed.index == 1:
                raise DuplicateDelivery(marker.key if marker else "") from failed
            return RepeatAttempt(False, self._incident(decode_item(failed.item)) if failed.item else None)
        # A transaction returns no item: the counted snapshot is read back (marked deliveries are rare).
        return RepeatAttempt(True, self.current(org, key_hash))

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
    ) -> None:
        """Write incident changes with their events, the notifications they cause (outbox) and any other
        operations in one request, each snapshot conditioned on what its change was computed from.

        Raises ConcurrentModification when a condition fails (the caller re-reads and decides again).
        """
        writes: list[dict[str, Any]] = []
        for change in changes:
            snapshot = self._snapshot_write(change)
            if snapshot is not None:
                writes.append(snapshot)
            partition = IncidentKeys.of(change.after)["pk"]
            for event in change.events:
                writes.append(self._put(self._event_item(partition, change.after.generation, event)))
            for alert in change.joined:
                writes.append(self._put(self._alert_item(partition, change.after.generation, alert)))
        writes.extend(self._put(_outbox_item(notification)) for notification in notifications)
        writes.extend(operations)
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
            if attribute in ("pk", "sk"):
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
        clauses = []
        if sets:
            clauses.append("SET " + ", ".join(sets))
        if removes:
            clauses.append("REMOVE " + ", ".join(removes))
        update = " ".join(clauses)
        condition = f"{expr.name('version')} = {expr.value(stored.version)}"
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
        match = _INCIDENT_ID.match(incident_id)
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
        self, incident: Incident, newest_first: bool, limit: int, cursor: str | None
    ) -> tuple[list[TimelineEvent], str | None]:
        """One page of an incident's timeline. The cursor names the last event returned; the key it starts
        from is rebuilt from this incident's own partition, so a cursor can only move within it."""
        partition = IncidentKeys.of(incident)["pk"]
        prefix = IncidentKeys.timeline_prefix(incident.generation)
        request = self._prefix_request(partition, prefix, newest_first)
        request["Limit"] = limit
        if cursor is not None:
            sort_key = _decode_timeline_cursor(cursor, incident.id, prefix)
            request["ExclusiveStartKey"] = encode_item({"pk": partition, "sk": sort_key})
        with translated_errors():
            response = self._client.query(**request)
        items = [decode_item(raw) for raw in response.get("Items", [])]
        events = [TimelineEvent.model_validate(_strip(item)) for item in items]
        last = response.get("LastEvaluatedKey")
        next_cursor = None
        if last and items:
            position = json.dumps([incident.id, decode_item(last)["sk"]], separators=(",", ":"))
            next_cursor = base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")
        return events, next_cursor

    def timeline(self, incident: Incident) -> list[TimelineEvent]:
        """Every event of an incident, oldest first."""
        items = self._query_prefix(
            IncidentKeys.of(incident)["pk"], IncidentKeys.timeline_prefix(incident.generation)
        )
        return [TimelineEvent.model_validate(_strip(item)) for item in items]

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
        keys: list[dict[str, Any]] = []
        while True:
            with translated_errors():
                response = self._client.query(**request, **expr.request())
            keys.extend({"pk": item["pk"], "sk": item["sk"]} for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return self._batch_get(keys)
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
        timeline, _ = self.timeline_page(incident, newest_first=True, limit=timeline_limit, cursor=None)
        return IncidentDetail(incident, alerts, timeline)

    def list_incidents(
        self,
        org: str,
        status: Status | None,
        severities: Sequence[Severity],
        limit: int,
        cursor: str | None,
    ) -> IncidentPage:
        """Newest first. One Query on an index (per status when filtered), then one BatchGetItem."""
        if status is None:
            index, partition_name, partition = INCIDENT_INDEX, "gsi1pk", IncidentKeys.list_partition(org)
        else:
            index, partition_name, partition = (
                STATUS_INDEX,
                "gsi2pk",
                IncidentKeys.status_partition(org, status),
            )
        sort_name = partition_name.replace("pk", "sk")
        expr = Expression()
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{expr.name(partition_name)} = {expr.value(partition)}",
            "ScanIndexForward": False,
        }
        if severities:
            listed = ", ".join(expr.value(severity.value) for severity in severities)
            request["FilterExpression"] = f"{expr.name('severity')} IN ({listed})"
        request.update(expr.request())
        start = _decode_cursor(cursor, org, partition_name, partition, sort_name) if cursor else None
        # Unfiltered, a Query of exactly `limit` index entries fills the page. Filtered, DynamoDB applies
        # Limit before the filter, so entries are read a bounded page at a time; the cursor is then the key
        # of the last entry returned, not the last one read, so nothing between them is skipped.
        read_size = _FILTERED_READ_SIZE if severities else limit
        kept: list[dict[str, Any]] = []
        for _ in range(_MAX_INDEX_QUERIES):
            if start is not None:
                request["ExclusiveStartKey"] = start
            request["Limit"] = read_size
            with translated_errors():
                response = self._client.query(**request)
            items = response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            needed = limit - len(kept)
            if len(items) >= needed:
                kept.extend(items[:needed])
                more = len(items) > needed or start is not None
                start = (
                    {name: kept[-1][name] for name in ("pk", "sk", partition_name, sort_name)}
                    if more
                    else None
                )
                break
            kept.extend(items)
            if start is None:
                break
        incidents = self._batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in kept])
        next_cursor = _encode_cursor(decode_item(start), sort_name) if start else None
        return IncidentPage(incidents, next_cursor)

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[Incident]:
        if not keys:
            return []
        found: dict[tuple[str, str], Incident] = {}
        pending: dict[str, Any] = {self._table: {"Keys": keys}}
        while pending:
            with translated_errors():
                response = self._client.batch_get_item(RequestItems=pending)
            for raw in response.get("Responses", {}).get(self._table, []):
                item = decode_item(raw)
                found[(item["pk"], item["sk"])] = self._incident(item)
            pending = response.get("UnprocessedKeys") or {}
        ordered = (found.get((key["pk"]["S"], key["sk"]["S"])) for key in keys)
        return [incident for incident in ordered if incident is not None]

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
        request = self._prefix_request(partition, prefix)
        items: list[Item] = []
        while True:
            with translated_errors():
                response = self._client.query(**request)
            items.extend(decode_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if start is None:
                return items
            request["ExclusiveStartKey"] = start

    # --- mapping -------------------------------------------------------------------------------------

    @staticmethod
    def _item(incident: Incident) -> Item:
        item = incident.model_dump(mode="json", exclude_none=True)
        item.update(IncidentKeys.of(incident))
        item.update(IncidentKeys.index_attributes(incident))
        item["severity_rank"] = incident.severity.rank
        item["entity"] = "incident"
        return item

    @staticmethod
    def _incident(item: Item) -> Incident:
        return Incident.model_validate(_strip(item))

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


def _strip(item: Item) -> Item:
    return {key: value for key, value in item.items() if key not in _STORAGE_ONLY}


def _encode_cursor(last_key: Item, sort_name: str) -> str:
    payload = json.dumps([last_key[sort_name], last_key["pk"], last_key["sk"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_timeline_cursor(cursor: str, incident_id: str, prefix: str) -> str:
    """The position a timeline cursor names, if it was made for this incident's timeline."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    valid = isinstance(decoded, list) and len(decoded) == 2 and all(isinstance(part, str) for part in decoded)
    owner, sort_key = decoded if valid else ("", "")
    if owner != incident_id or not sort_key.startswith(prefix) or len(sort_key) > 200:
        raise InvalidInput(
            "cursor: not a cursor of this timeline; start again without it",
            details=[{"field": "cursor", "problem": "invalid"}],
        )
    return sort_key


def _decode_cursor(
    cursor: str, org: str, partition_name: str, partition: str, sort_name: str
) -> dict[str, Any]:
    """Rebuild the start key from the cursor's position, with every key part that names an org taken from
    the caller: a cursor from another org or another list cannot reach anything outside this list."""
    bad = InvalidInput(
        "cursor: not a cursor of this list; start again without it",
        details=[{"field": "cursor", "problem": "invalid"}],
    )
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not (isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(p, str) for p in decoded)):
        raise bad
    sort_key, pk, sk = decoded
    position = _CURSOR_SORT_KEY.fullmatch(sort_key)
    if (
        position is None
        or pk != IncidentKeys.partition(org, position.group(1))
        or not (sk == IncidentKeys.CURRENT or _ARCHIVED_SK.fullmatch(sk))
    ):
        raise bad
    return encode_item({partition_name: partition, sort_name: sort_key, "pk": pk, "sk": sk})
