"""Post-mortems, action items and the org's post-mortem template as PynamoDB models in the one table.

A post-mortem and its action items live in their incident's item collection (`G#{generation}#PM`,
`G#{generation}#PM#AI#{item id}`), so one Query reads an incident with its post-mortem. Lists go through
the generic indexes under partitions of their own:
- gsi1 `ORG#{org}#PM` / `{created_at}#{incident id}`: the org's post-mortems, newest first (search filters on
  the projected status, severity, service and search_text);
- gsi1 `ORG#{org}#AI`, gsi2 `ORG#{org}#AI#{status}`, gsi3 `ORG#{org}#AI#A#{assignee}` (sparse), each sorted
  `{due date or 9999-12-31}#{item id}`: action items across the org, soonest due first, so `overdue` is a
  key condition (sort key before today) and never a Scan.

Writes that go with an incident change (creating the draft, moving its status) are botocore transaction
items built from the models' own serialization (`put_operation`), committed with the incident's snapshot
and timeline event in one TransactWriteItems; PynamoDB 6.1 cannot mix its models with other items there.
PynamoDB is imported only by the handlers that use these models.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from stormwatch.clock import iso
from stormwatch.domain.errors import NotFound
from stormwatch.domain.postmortems import (
    ActionItem,
    ActionItemStatus,
    Postmortem,
    TemplateSection,
    search_words,
)
from stormwatch.settings import Settings
from stormwatch.store.documents import Document, bind, translated
from stormwatch.store.keys import CREATION_ORDER, INCIDENT_ID, IncidentKeys
from stormwatch.store.table import ConditionFailed

_PROJECTED = ["status", "severity", "service", "environment", "assignee", "created_at", "search_text"]
_NO_DUE = "9999-12-31"
# Index entries one page may read before it answers (with a cursor) whatever it has found.
MAX_ENTRIES_READ = 500


class ByCreation(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """gsi1: the org's post-mortems by creation; all its action items by due date."""

    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(_PROJECTED)

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """gsi2: action items per status, by due date."""

    class Meta:
        index_name = "gsi2"
        projection = IncludeProjection(_PROJECTED)

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByAssignee(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """gsi3, sparse: action items per assignee, by due date."""

    class Meta:
        index_name = "gsi3"
        projection = IncludeProjection(_PROJECTED)

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class PostmortemRecord(Document):
    incident_id = UnicodeAttribute()
    org = UnicodeAttribute()
    title = UnicodeAttribute()
    status = UnicodeAttribute()
    sections = MapAttribute[str, Any]()  # type: ignore[no-untyped-call]
    impact = MapAttribute[str, Any]()  # type: ignore[no-untyped-call]
    contributing_factors = ListAttribute[str](default=list)
    related_incident_ids = ListAttribute[str](default=list)
    author = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    published_at = UnicodeAttribute(null=True)
    published_by = UnicodeAttribute(null=True)
    version = NumberAttribute()
    severity = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    incident_resolved_at = UnicodeAttribute(null=True)
    search_text = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_creation = ByCreation()


class ActionItemRecord(Document):
    item_id = UnicodeAttribute(attr_name="id")
    org = UnicodeAttribute()
    incident_id = UnicodeAttribute()
    title = UnicodeAttribute()
    assignee = UnicodeAttribute(null=True)
    due_date = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    ticket_url = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    reminders = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)
    by_due = ByCreation()
    by_status = ByStatus()
    by_assignee = ByAssignee()


class TemplateRecord(Document):
    sections = ListAttribute[dict[str, Any]](default=list)
    updated_at = UnicodeAttribute(null=True)


class PostmortemKeys:
    @staticmethod
    def sort_key(generation: int) -> str:
        return f"G#{generation:08d}#PM"

    @staticmethod
    def of(org: str, incident_id: str) -> tuple[str, str]:
        match = INCIDENT_ID.match(incident_id)
        if match is None:
            # No incident has this id, so no post-mortem or action item either.
            raise NotFound(f"incident {incident_id} not found")
        return IncidentKeys.partition(org, match.group(1)), PostmortemKeys.sort_key(int(match.group(2)))

    @staticmethod
    def item(org: str, incident_id: str, item_id: str) -> tuple[str, str]:
        partition, sort_key = PostmortemKeys.of(org, incident_id)
        return partition, f"{sort_key}#AI#{item_id}"

    @staticmethod
    def list_partition(org: str) -> str:
        return f"ORG#{org}#PM"

    @staticmethod
    def items_partition(org: str) -> str:
        return f"ORG#{org}#AI"

    @staticmethod
    def items_status_partition(org: str, status: ActionItemStatus) -> str:
        return f"ORG#{org}#AI#{status.value}"

    @staticmethod
    def items_assignee_partition(org: str, assignee: str) -> str:
        return f"ORG#{org}#AI#A#{assignee}"

    @staticmethod
    def template(org: str) -> tuple[str, str]:
        return f"ORG#{org}", "POSTMORTEM_TEMPLATE"


def postmortem_record(org: str, postmortem: Postmortem) -> PostmortemRecord:
    pk, sk = PostmortemKeys.of(org, postmortem.incident_id)
    view = postmortem.model_dump(mode="json")
    return PostmortemRecord(
        pk,
        sk,
        entity="postmortem",
        org=org,
        search_text=search_words(postmortem),
        gsi1pk=PostmortemKeys.list_partition(org),
        gsi1sk=f"{view['created_at']}#{postmortem.incident_id}",
        **{name: value for name, value in view.items() if value is not None},
    )


def postmortem_of(record: PostmortemRecord) -> Postmortem:
    return Postmortem.model_validate(
        {
            name: getattr(record, name)
            for name in Postmortem.model_fields
            if getattr(record, name, None) is not None
        }
        | {
            "sections": record.sections.as_dict(),  # type: ignore[no-untyped-call]
            "impact": record.impact.as_dict(),  # type: ignore[no-untyped-call]
        }
    )


def _due_key(item: ActionItem) -> str:
    return f"{item.due_date.isoformat() if item.due_date else _NO_DUE}#{item.id}"


def action_item_record(org: str, incident_id: str, item: ActionItem) -> ActionItemRecord:
    pk, sk = PostmortemKeys.item(org, incident_id, item.id)
    view = item.model_dump(mode="json")
    view["item_id"] = view.pop("id")
    order = _due_key(item)
    record = ActionItemRecord(
        pk,
        sk,
        entity="action_item",
        org=org,
        incident_id=incident_id,
        gsi1pk=PostmortemKeys.items_partition(org),
        gsi1sk=order,
        gsi2pk=PostmortemKeys.items_status_partition(org, item.status),
        **{name: value for name, value in view.items() if value is not None},
    )
    if item.assignee is not None:
        record.gsi3pk = PostmortemKeys.items_assignee_partition(org, item.assignee)
    return record


def action_item_of(record: ActionItemRecord) -> ActionItem:
    fields = {name: getattr(record, name, None) for name in ActionItem.model_fields if name != "id"}
    return ActionItem.model_validate(
        {"id": record.item_id, **{name: value for name, value in fields.items() if value is not None}}
    )


def put_operation(table: str, record: Document, condition: str, values: dict[str, Any]) -> dict[str, Any]:
    """A TransactWriteItems Put of a model's item, on a condition (with its placeholder values)."""
    put: dict[str, Any] = {"TableName": table, "Item": record.serialize(), "ConditionExpression": condition}
    if values:
        put["ExpressionAttributeValues"] = values
    return {"Put": put}


def delete_operation(table: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "ConditionExpression": "attribute_exists(pk)",
        }
    }


class PostmortemStore:
    def __init__(self, settings: Settings) -> None:
        bind(settings)
        self.table = settings.table_name

    # --- post-mortems ---------------------------------------------------------------------------------

    def get(self, org: str, incident_id: str) -> Postmortem | None:
        pk, sk = PostmortemKeys.of(org, incident_id)
        record = PostmortemRecord.find({"pk": pk, "sk": sk}, consistent=True)
        return postmortem_of(record) if record is not None else None

    def created(self, org: str, postmortem: Postmortem) -> dict[str, Any]:
        return put_operation(self.table, postmortem_record(org, postmortem), "attribute_not_exists(pk)", {})

    def replaced(self, org: str, before: Postmortem, after: Postmortem) -> dict[str, Any]:
        """The Put of `after`, if the stored post-mortem is still at `before`'s version."""
        return put_operation(
            self.table,
            postmortem_record(org, after),
            "version = :seen",
            {":seen": {"N": str(before.version)}},
        )

    def replace(self, org: str, before: Postmortem, after: Postmortem) -> bool:
        """Save an edit on the version it was made from; False when another edit landed first."""
        record = postmortem_record(org, after)
        try:
            with translated():
                record.save(condition=PostmortemRecord.version == before.version)
        except ConditionFailed:
            return False
        return True

    def search(
        self, org: str, filters: Any, position: str | None, limit: int
    ) -> tuple[list[Postmortem], str | None]:
        """A page of the org's post-mortems, newest first, matching `filters` (a condition on projected
        attributes), and the sort key after it."""
        keys, next_position = _index_page(
            PostmortemRecord.by_creation,
            "gsi1",
            PostmortemKeys.list_partition(org),
            position,
            limit,
            filter_condition=filters,
            scan_index_forward=False,
        )
        return self._batch_get(keys), next_position

    def _batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Postmortem]:
        with translated():
            records = {(r.pk, r.sk): r for r in PostmortemRecord.batch_get(list(keys))}
        return [postmortem_of(records[key]) for key in keys if key in records]

    # --- action items ---------------------------------------------------------------------------------

    def items(self, org: str, incident_id: str) -> list[ActionItem]:
        pk, sk = PostmortemKeys.of(org, incident_id)
        with translated():
            records = ActionItemRecord.query(
                pk, ActionItemRecord.sk.startswith(f"{sk}#AI#"), consistent_read=True
            )
            return sorted((action_item_of(r) for r in records), key=lambda item: item.created_at)

    def item(self, org: str, incident_id: str, item_id: str) -> ActionItem | None:
        pk, sk = PostmortemKeys.item(org, incident_id, item_id)
        record = ActionItemRecord.find({"pk": pk, "sk": sk}, consistent=True)
        return action_item_of(record) if record is not None else None

    def item_written(
        self, org: str, incident_id: str, before: ActionItem | None, after: ActionItem
    ) -> dict[str, Any]:
        """The Put of an action item: new, or on the update it was read at."""
        record = action_item_record(org, incident_id, after)
        if before is None:
            return put_operation(self.table, record, "attribute_not_exists(pk)", {})
        return put_operation(
            self.table, record, "updated_at = :seen AND reminders = :reminded", _seen(before)
        )

    def item_deleted(self, org: str, incident_id: str, item: ActionItem) -> dict[str, Any]:
        pk, sk = PostmortemKeys.item(org, incident_id, item.id)
        operation = delete_operation(self.table, pk, sk)
        operation["Delete"]["ConditionExpression"] = "updated_at = :seen AND reminders = :reminded"
        operation["Delete"]["ExpressionAttributeValues"] = _seen(item)
        return operation

    def list_items(
        self,
        org: str,
        assignee: str | None,
        status: ActionItemStatus | None,
        overdue_on: date | None,
        position: str | None,
        limit: int,
    ) -> tuple[list[tuple[str, ActionItem]], str | None]:
        """A page of the org's action items (incident id, item), soonest due first: one index Query
        (assignee, else status, else all), then one BatchGetItem."""
        if overdue_on is not None:
            status = ActionItemStatus.OPEN
        index: Any
        if assignee is not None:
            index = ActionItemRecord.by_assignee
            partition, name = PostmortemKeys.items_assignee_partition(org, assignee), "gsi3"
        elif status is not None:
            index = ActionItemRecord.by_status
            partition, name = PostmortemKeys.items_status_partition(org, status), "gsi2"
        else:
            index, partition, name = ActionItemRecord.by_due, PostmortemKeys.items_partition(org), "gsi1"
        # Every index sorts them by gsi1sk (the indexes share it).
        range_condition = ActionItemRecord.gsi1sk < overdue_on.isoformat() if overdue_on is not None else None
        filters = ActionItemRecord.status == status.value if status is not None and name == "gsi3" else None
        keys, next_position = _index_page(
            index,
            name,
            partition,
            position,
            limit,
            range_key_condition=range_condition,
            filter_condition=filters,
        )
        if not keys:
            return [], None
        with translated():
            records = {(r.pk, r.sk): r for r in ActionItemRecord.batch_get(keys)}
        page = [(records[key].incident_id, action_item_of(records[key])) for key in keys if key in records]
        return page, next_position

    def item_states(
        self, org: str, since: datetime, until: datetime
    ) -> list[tuple[ActionItemStatus, date | None]]:
        """(status, due date) of the org's action items created in [since, until): one Query of the
        org's action-item index partition, reading only its projected attributes."""
        created = ActionItemRecord.created_at.between(iso(since), iso(until))
        states = []
        with translated():
            for record in ActionItemRecord.by_due.query(
                PostmortemKeys.items_partition(org), filter_condition=created
            ):
                if record.created_at >= iso(until):
                    continue
                due = record.gsi1sk.split("#", 1)[0]
                states.append(
                    (ActionItemStatus(record.status), None if due == _NO_DUE else date.fromisoformat(due))
                )
        return states

    # --- the org's template ---------------------------------------------------------------------------

    def template(self, org: str) -> list[TemplateSection]:
        pk, sk = PostmortemKeys.template(org)
        record = TemplateRecord.find({"pk": pk, "sk": sk})
        if record is None:
            return []
        return [TemplateSection.model_validate(section) for section in record.sections]

    def save_template(self, org: str, sections: Sequence[TemplateSection], now: str) -> None:
        pk, sk = PostmortemKeys.template(org)
        record = TemplateRecord(
            pk,
            sk,
            entity="postmortem_template",
            sections=[section.model_dump() for section in sections],
            updated_at=now,
        )
        with translated():
            record.save()


def _seen(item: ActionItem) -> dict[str, Any]:
    return {":seen": {"S": iso(item.updated_at)}, ":reminded": {"N": str(item.reminders)}}


def _index_page(
    index: Any, name: str, partition: str, position: str | None, limit: int, **query: Any
) -> tuple[list[tuple[str, str]], str | None]:
    """Up to `limit` table keys from one index partition, read from `position` on (filters applied), and
    the position after them: `{index sort key}\n{pk}\n{sk}` of the last, None when the partition ended."""
    start = None
    if position is not None:
        index_sort_key, pk, sk = position.split("\n")
        start = {
            f"{name}pk": {"S": partition},
            CREATION_ORDER: {"S": index_sort_key},
            "pk": {"S": pk},
            "sk": {"S": sk},
        }
    keys: list[tuple[str, str]] = []

    def position_of(key: dict[str, Any]) -> str:
        return f"{key[CREATION_ORDER]['S']}\n{key['pk']['S']}\n{key['sk']['S']}"

    with translated():
        pages = index.query(partition, last_evaluated_key=start, page_size=max(limit, 25), **query).page_iter
        for page in pages:
            for raw in page.get("Items", []):
                keys.append((raw["pk"]["S"], raw["sk"]["S"]))
                if len(keys) == limit:
                    return keys, position_of(raw)
            if pages.last_evaluated_key is None:
                break
            if pages.total_scanned_count >= MAX_ENTRIES_READ:
                # A rare or impossible match stops here with a cursor, as the incident list does.
                return keys, position_of(pages.last_evaluated_key)
    return keys, None
