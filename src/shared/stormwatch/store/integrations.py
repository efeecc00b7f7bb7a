"""Integrations and their keys. Only the SHA-256 of a key is stored; the key itself is shown once.

The org's item holds the settings; each key's item (found by the key's hash alone) points at it and carries
a copy of the settings, written in the same transaction as every change of them. So a webhook reads one
item, consistently, and a deleted key, a retired key or a changed setting applies to the very next request
on every container. A rotated key's item keeps working until its `valid_until`. The copy is one JSON text
attribute, `integration_json`: every webhook reads it, and botocore parses a nested map attribute by
attribute (about a tenth of a repeat firing's CPU), a string at once. Key items written before they carried
the settings are read through to the org's item, and those that carried them as a map still read.
"""

import json
from datetime import datetime
from typing import Any

from stormwatch.clock import iso
from stormwatch.domain.errors import NotFound
from stormwatch.domain.models import Integration
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import IntegrationKeys
from stormwatch.store.table import ConditionFailed, query_all, translated_errors

_STORAGE_ONLY = ("pk", "sk", "entity", "secret_hash", "previous_secret_hash")


class IntegrationStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, integration: Integration, secret_hash: str) -> None:
        with translated_errors():
            self._client.transact_write_items(
                TransactItems=[
                    self._put(self._org_item(integration, secret_hash), "attribute_not_exists(pk)"),
                    self._put(self._key_item(integration, secret_hash), "attribute_not_exists(pk)"),
                ]
            )

    def get(
        self, org: str, integration_id: str, consistent: bool = False
    ) -> tuple[Integration, dict[str, Any]]:
        """The integration and its stored key hashes."""
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(IntegrationKeys.in_org(org, integration_id)),
                ConsistentRead=consistent,
            )
        raw = response.get("Item")
        if raw is None:
            raise NotFound(f"integration {integration_id} not found")
        item = decode_item(raw)
        return _integration(item), item

    def list_integrations(self, org: str) -> list[Integration]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"ORG#{org}"}, ":prefix": {"S": "INTEGRATION#"}},
        }
        return [_integration(item) for item in query_all(self._client, request)]

    def replace(self, before: Integration, after: Integration, stored: dict[str, Any]) -> None:
        """Write new settings, to the org's item and each key's, if nobody changed them or rotated the key
        since `before` was read."""
        item = {**self._org_item(after, stored["secret_hash"])}
        if "previous_secret_hash" in stored:
            item["previous_secret_hash"] = stored["previous_secret_hash"]
        operations = [
            self._put(item, "updated_at = :seen AND secret_hash = :hash", self._unchanged(before, stored)),
            *self._copies(after, stored),
        ]
        try:
            with translated_errors():
                self._client.transact_write_items(TransactItems=operations)
        except ConditionFailed:
            raise NotFound(
                f"integration {before.id} changed or was deleted meanwhile; read it again"
            ) from None

    def rotate(
        self, integration: Integration, stored: dict[str, Any], new_hash: str, old_valid_until: datetime
    ) -> None:
        """A new key; the old one keeps working until `old_valid_until`; a key retired before is dropped."""
        old_hash = stored["secret_hash"]
        operations = [
            self._put(self._key_item(integration, new_hash), "attribute_not_exists(pk)"),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": encode_item(IntegrationKeys.by_secret_hash(old_hash)),
                    "UpdateExpression": "SET valid_until = :until",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":until": {"S": iso(old_valid_until)}},
                }
            },
            self._put(
                {**self._org_item(integration, new_hash), "previous_secret_hash": old_hash},
                "updated_at = :seen AND secret_hash = :hash",
                self._unchanged(integration, stored),
            ),
        ]
        if "previous_secret_hash" in stored:
            operations.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": encode_item(IntegrationKeys.by_secret_hash(stored["previous_secret_hash"])),
                    }
                }
            )
        with translated_errors():
            self._client.transact_write_items(TransactItems=operations)

    def delete(self, integration: Integration, stored: dict[str, Any]) -> None:
        keys = [
            IntegrationKeys.in_org(integration.org, integration.id),
            IntegrationKeys.by_secret_hash(stored["secret_hash"]),
        ]
        if "previous_secret_hash" in stored:
            keys.append(IntegrationKeys.by_secret_hash(stored["previous_secret_hash"]))
        with translated_errors():
            self._client.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table, "Key": encode_item(key)}} for key in keys
                ]
            )

    def find_by_secret_hash(self, secret_hash: str, now: datetime) -> tuple[Integration, str] | None:
        """The integration a key hash belongs to (None if unknown, deleted or retired), with the hash as
        stored: one consistent read, so no change made before this request is missed."""
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=encode_item(IntegrationKeys.by_secret_hash(secret_hash)),
                ConsistentRead=True,
            )
        raw = response.get("Item")
        if raw is None:
            return None
        pointer = decode_item(raw)
        if "valid_until" in pointer and pointer["valid_until"] <= iso(now):
            return None
        if "integration_json" in pointer:
            integration = _integration(json.loads(pointer["integration_json"]))
        elif "integration" in pointer:
            integration = _integration(pointer["integration"])
        else:
            try:
                integration, _ = self.get(pointer["org"], pointer["integration_id"], consistent=True)
            except NotFound:
                return None
        return integration, str(pointer["secret_hash"])

    def _copies(self, integration: Integration, stored: dict[str, Any]) -> list[dict[str, Any]]:
        """The settings copied onto each key item that still exists (the current key, and the one retired by
        the last rotation)."""
        hashes = [
            stored["secret_hash"],
            *([stored["previous_secret_hash"]] if "previous_secret_hash" in stored else []),
        ]
        settings = {"S": _settings_json(integration)}
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": encode_item(IntegrationKeys.by_secret_hash(key_hash)),
                    "UpdateExpression": "SET integration_json = :settings REMOVE integration",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":settings": settings},
                }
            }
            for key_hash in hashes
        ]

    @staticmethod
    def _unchanged(integration: Integration, stored: dict[str, Any]) -> dict[str, Any]:
        return {
            ":seen": {"S": iso(integration.updated_at or integration.created_at)},
            ":hash": {"S": stored["secret_hash"]},
        }

    def _put(
        self, item: dict[str, Any], condition: str, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": encode_item(item),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    @staticmethod
    def _org_item(integration: Integration, secret_hash: str) -> dict[str, Any]:
        return {
            **_settings(integration),
            **IntegrationKeys.in_org(integration.org, integration.id),
            "entity": "integration",
            "secret_hash": secret_hash,
        }

    @staticmethod
    def _key_item(integration: Integration, secret_hash: str) -> dict[str, Any]:
        return {
            **IntegrationKeys.by_secret_hash(secret_hash),
            "entity": "integration_key",
            "org": integration.org,
            "integration_id": integration.id,
            "secret_hash": secret_hash,
            "integration_json": _settings_json(integration),
        }


def _settings(integration: Integration) -> dict[str, Any]:
    record = integration.model_dump(mode="json", exclude_none=True)
    record.setdefault("updated_at", record["created_at"])
    return record


def _settings_json(integration: Integration) -> str:
    return json.dumps(_settings(integration), separators=(",", ":"), sort_keys=True)


def _integration(item: dict[str, Any]) -> Integration:
    return Integration.model_validate({k: v for k, v in item.items() if k not in _STORAGE_ONLY})
