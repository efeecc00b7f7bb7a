"""Escalation policies and org settings: one partition of policies per org (a handful of items), the
settings beside the org's integrations."""

from typing import Any

from stormwatch.domain.errors import Conflict, NotFound
from stormwatch.domain.escalation import EscalationPolicy, OrgSettings
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import PolicyKeys
from stormwatch.store.table import ConditionFailed, query_all, translated_errors

_STORAGE_ONLY = ("pk", "sk", "entity", "org")


class PolicyStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, org: str, policy: EscalationPolicy) -> None:
        try:
            self._put(org, policy, "attribute_not_exists(pk)", {})
        except ConditionFailed:
            raise Conflict(f"escalation policy {policy.id} exists already") from None

    def replace(self, org: str, before: EscalationPolicy, after: EscalationPolicy) -> None:
        """Write `after` if the policy is still as `before` was read."""
        try:
            self._put(org, after, "updated_at = :seen", {":seen": {"S": _stored(before)["updated_at"]}})
        except ConditionFailed:
            raise Conflict(f"escalation policy {before.id} changed meanwhile; read it again") from None

    def _put(self, org: str, policy: EscalationPolicy, condition: str, values: dict[str, Any]) -> None:
        item = {**_stored(policy), **PolicyKeys.of(org, policy.id), "entity": "policy", "org": org}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": encode_item(item),
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        with translated_errors():
            self._client.put_item(**request)

    def get(self, org: str, policy_id: str, consistent: bool = False) -> EscalationPolicy:
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(PolicyKeys.of(org, policy_id)),
                ConsistentRead=consistent,
            )
        raw = response.get("Item")
        if raw is None:
            raise NotFound(f"escalation policy {policy_id} not found", details={"policy_id": policy_id})
        return _policy(decode_item(raw))

    def effective(self, org: str, policy_id: str | None) -> EscalationPolicy | None:
        """The policy an incident or integration names; the org's default when it names none or its own
        is gone; None when there is neither."""
        for candidate in (policy_id, self.settings(org).default_escalation_policy_id):
            if candidate is None:
                continue
            try:
                return self.get(org, candidate)
            except NotFound:
                continue
        return None

    def list_policies(self, org: str) -> list[EscalationPolicy]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PolicyKeys.partition(org)}},
        }
        return [_policy(item) for item in query_all(self._client, request)]

    def delete(self, org: str, policy_id: str) -> None:
        try:
            with translated_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key=encode_item(PolicyKeys.of(org, policy_id)),
                    ConditionExpression="attribute_exists(pk)",
                )
        except ConditionFailed:
            raise NotFound(
                f"escalation policy {policy_id} not found", details={"policy_id": policy_id}
            ) from None

    def settings(self, org: str) -> OrgSettings:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=encode_item(PolicyKeys.settings(org)))
        raw = response.get("Item")
        if raw is None:
            return OrgSettings()
        return OrgSettings.model_validate(_strip(decode_item(raw)))

    def save_settings(self, org: str, settings: OrgSettings) -> None:
        item = {**settings.model_dump(mode="json", exclude_none=True), **PolicyKeys.settings(org)}
        with translated_errors():
            self._client.put_item(TableName=self._table, Item=encode_item({**item, "entity": "settings"}))


def _stored(policy: EscalationPolicy) -> dict[str, Any]:
    return policy.model_dump(mode="json", exclude_none=True)


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in _STORAGE_ONLY}


def _policy(item: dict[str, Any]) -> EscalationPolicy:
    return EscalationPolicy.model_validate(_strip(item))
