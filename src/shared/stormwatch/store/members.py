"""Members of an org, one partition per org (small: people, not alerts)."""

from collections.abc import Sequence
from typing import Any

from stormwatch.domain.errors import Conflict, NotFound
from stormwatch.domain.members import Member
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import MemberKeys
from stormwatch.store.table import ConditionFailed, batch_get, query_all, translated_errors

_STORAGE_ONLY = ("pk", "sk", "entity")


class MemberStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, org: str, member: Member) -> None:
        try:
            with translated_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=encode_item(self._item(org, member)),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ConditionFailed:
            raise Conflict(
                f"member {member.handle} exists already", details={"handle": member.handle}
            ) from None

    def replace(self, org: str, before: Member, after: Member) -> None:
        """Write `after` if the member is still as `before` (same update time, not being removed)."""
        try:
            with translated_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=encode_item(self._item(org, after)),
                    ConditionExpression="updated_at = :seen AND removing = :no",
                    ExpressionAttributeValues={
                        ":seen": {"S": before.model_dump(mode="json")["updated_at"]},
                        ":no": {"BOOL": False},
                    },
                )
        except ConditionFailed:
            raise Conflict(f"member {before.handle} changed meanwhile; read it again") from None

    def get(self, org: str, handle: str, consistent: bool = False) -> Member:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=encode_item(MemberKeys.of(org, handle)), ConsistentRead=consistent
            )
        raw = response.get("Item")
        if raw is None:
            raise NotFound(f"member {handle} not found", details={"handle": handle})
        return self._member(decode_item(raw))

    def list_members(self, org: str) -> list[Member]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": MemberKeys.partition(org)}},
        }
        return [self._member(item) for item in query_all(self._client, request)]

    def existing(self, org: str, handles: Sequence[str]) -> list[str]:
        """Which of `handles` are members (not being removed), in the order given."""
        keys = [encode_item(MemberKeys.of(org, handle)) for handle in handles]
        found = {
            item["handle"]
            for item in batch_get(self._client, self._table, keys, "handle, removing")
            if not item.get("removing")
        }
        return [handle for handle in handles if handle in found]

    def mark_removing(self, org: str, handle: str) -> Member:
        """Start removing a member (idempotent: a removal that was cut short is carried on)."""
        try:
            with translated_errors():
                response = self._client.update_item(
                    TableName=self._table,
                    Key=encode_item(MemberKeys.of(org, handle)),
                    UpdateExpression="SET removing = :yes",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":yes": {"BOOL": True}},
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailed:
            raise NotFound(f"member {handle} not found", details={"handle": handle}) from None
        return self._member(decode_item(response["Attributes"]))

    def delete(self, org: str, handle: str) -> None:
        with translated_errors():
            self._client.delete_item(TableName=self._table, Key=encode_item(MemberKeys.of(org, handle)))

    @staticmethod
    def _item(org: str, member: Member) -> dict[str, Any]:
        item = member.model_dump(mode="json", exclude_none=True)
        item.update(MemberKeys.of(org, member.handle), entity="member")
        return item

    @staticmethod
    def _member(item: dict[str, Any]) -> Member:
        return Member.model_validate({k: v for k, v in item.items() if k not in _STORAGE_ONLY})
