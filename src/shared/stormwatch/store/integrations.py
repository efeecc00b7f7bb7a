"""Integrations and their keys. Only the SHA-256 of a key is stored; the key itself is shown once."""

from typing import Any

from stormwatch.domain.models import Integration
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import IntegrationKeys
from stormwatch.store.table import translated_errors


class IntegrationStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, integration: Integration, secret_hash: str) -> None:
        record = integration.model_dump(mode="json", exclude_none=True)
        by_key = {**record, **IntegrationKeys.by_secret_hash(secret_hash), "secret_hash": secret_hash}
        in_org = {
            **record,
            **IntegrationKeys.in_org(integration.org, integration.id),
            "secret_hash": secret_hash,
        }
        with translated_errors():
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": encode_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                    for item in (by_key, in_org)
                ]
            )

    def find_by_secret_hash(self, secret_hash: str) -> tuple[Integration, str] | None:
        """The integration a key hash belongs to, with the hash as stored (for a constant-time compare)."""
        with translated_errors():
            response = self._client.get_item(
                TableName=self._table, Key=encode_item(IntegrationKeys.by_secret_hash(secret_hash))
            )
        raw = response.get("Item")
        if raw is None:
            return None
        item = decode_item(raw)
        stored_hash = str(item.pop("secret_hash"))
        fields = {name: value for name, value in item.items() if name in Integration.model_fields}
        return Integration.model_validate(fields), stored_hash
