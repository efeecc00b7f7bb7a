"""Escalation policies and org settings: one partition of policies per org (a handful of items), the
settings beside the org's integrations.

Two ways in, to the same items by the same keys (store/keys.py) and attribute names (the domain models'
fields, which the PynamoDB models of store/documents.py declare):
- `PolicyStore`, PynamoDB: what administers them, and everything else that reads them off the alert path;
- `PolicyReads`, botocore: the alert path's reads (ingest opening an incident, the sweep's escalation steps
  and nudges), which must not load PynamoDB (DESIGN "Data"), and read only the attributes they use.
"""

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from stormwatch.domain.errors import Conflict, NotFound
from stormwatch.domain.escalation import EscalationPolicy, OrgSettings, effective_policy
from stormwatch.settings import Settings
from stormwatch.store.codec import decode_item, encode_item
from stormwatch.store.keys import PolicyKeys
from stormwatch.store.table import ConditionFailed, translated_errors

if TYPE_CHECKING:
    from stormwatch.store.documents import PolicyRecord, SettingsRecord

# The policy's id is the item's `id`; the PynamoDB model calls it `policy_id` (a model's own name).
_POLICY_RENAMED = {"id": "policy_id"}


class PolicyStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @cached_property
    def _records(self) -> "tuple[type[PolicyRecord], type[SettingsRecord]]":
        # PynamoDB loads on first use: the ingest function builds this store (the schedules service takes
        # it) without ever reading through it, and must not pay for PynamoDB's import.
        from stormwatch.store.documents import PolicyRecord, SettingsRecord, bind

        bind(self._settings)
        return PolicyRecord, SettingsRecord

    def create(self, org: str, policy: EscalationPolicy) -> None:
        records, _ = self._records
        try:
            with records.translated():
                self._record(org, policy).save(condition=records.pk.does_not_exist())
        except ConditionFailed:
            raise Conflict(f"escalation policy {policy.id} exists already") from None

    def replace(self, org: str, before: EscalationPolicy, after: EscalationPolicy) -> None:
        """Write `after` if the policy is still as `before` was read."""
        records, _ = self._records
        seen = before.model_dump(mode="json")["updated_at"]
        try:
            with records.translated():
                self._record(org, after).save(condition=records.updated_at == seen)
        except ConditionFailed:
            raise Conflict(f"escalation policy {before.id} changed meanwhile; read it again") from None

    def get(self, org: str, policy_id: str, consistent: bool = False) -> EscalationPolicy:
        policy = self._find(org, policy_id, consistent)
        if policy is None:
            raise NotFound(f"escalation policy {policy_id} not found", details={"policy_id": policy_id})
        return policy

    def _find(self, org: str, policy_id: str, consistent: bool = False) -> EscalationPolicy | None:
        records, _ = self._records
        record = records.find(PolicyKeys.of(org, policy_id), consistent)
        return _policy(record) if record is not None else None

    def effective(self, org: str, policy_id: str | None) -> EscalationPolicy | None:
        """The policy an incident or integration names; the org's default when it names none or its own
        is gone; None when there is neither."""
        return effective_policy(policy_id, self.settings(org), lambda found: self._find(org, found))

    def list_policies(self, org: str) -> list[EscalationPolicy]:
        records, _ = self._records
        with records.translated():
            return [_policy(record) for record in records.query(PolicyKeys.partition(org))]

    def delete(self, org: str, policy_id: str) -> None:
        records, _ = self._records
        try:
            with records.translated():
                records.at(PolicyKeys.of(org, policy_id)).delete(condition=records.pk.exists())
        except ConditionFailed:
            raise NotFound(
                f"escalation policy {policy_id} not found", details={"policy_id": policy_id}
            ) from None

    def settings(self, org: str, consistent: bool = False) -> OrgSettings:
        _, records = self._records
        record = records.find(PolicyKeys.settings(org), consistent)
        return OrgSettings.model_validate(record.values_of(OrgSettings.model_fields) if record else {})

    def update_settings(self, org: str, changed: OrgSettings, names: Iterable[str]) -> OrgSettings:
        """Write the `names`d settings of `changed` and its `updated_at` in one UpdateItem, leaving the
        others as they are stored: two admins changing different settings at once both keep theirs, where a
        read and a put of the whole item would lose one. Returns the settings as stored after it."""
        _, records = self._records
        record = records.at(PolicyKeys.settings(org))
        values = changed.model_dump(mode="json", include={*names, "updated_at"})
        actions = [records.entity.set("settings")] + [
            getattr(records, name).remove() if value is None else getattr(records, name).set(value)
            for name, value in values.items()
        ]
        with records.translated():
            record.update(actions=actions)
        return OrgSettings.model_validate(record.values_of(OrgSettings.model_fields))

    def _record(self, org: str, policy: EscalationPolicy) -> "PolicyRecord":
        records, _ = self._records
        stored = policy.model_dump(mode="json", exclude_none=True)
        stored[_POLICY_RENAMED["id"]] = stored.pop("id")
        return records.at(PolicyKeys.of(org, policy.id), entity="policy", org=org, **stored)


def _policy(record: "PolicyRecord") -> EscalationPolicy:
    return EscalationPolicy.model_validate(record.values_of(EscalationPolicy.model_fields, _POLICY_RENAMED))


class PolicyReads:
    """The alert path's reads of policies and settings, through botocore."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def settings(self, org: str, *fields: str) -> OrgSettings:
        """The org's settings, with only `fields` read (the others keep their defaults)."""
        unknown = set(fields) - set(OrgSettings.model_fields)
        if unknown:
            raise ValueError(f"no such settings: {sorted(unknown)}")
        names = {f"#{place}": name for place, name in enumerate(fields)}
        item = self._get(
            PolicyKeys.settings(org),
            {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names},
        )
        return OrgSettings.model_validate(item or {})

    def effective(self, org: str, policy_id: str | None) -> EscalationPolicy | None:
        """As `PolicyStore.effective`: the named policy, else the org's default; None when neither is."""
        settings = self.settings(org, "default_escalation_policy_id")
        return effective_policy(policy_id, settings, lambda found: self._policy(org, found))

    def _policy(self, org: str, policy_id: str) -> EscalationPolicy | None:
        item = self._get(PolicyKeys.of(org, policy_id), {})
        if item is None:
            return None
        return EscalationPolicy.model_validate(
            {name: item[name] for name in EscalationPolicy.model_fields if name in item}
        )

    def _get(self, key: dict[str, str], projection: dict[str, Any]) -> dict[str, Any] | None:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=encode_item(key), **projection)
        raw = response.get("Item")
        return decode_item(raw) if raw is not None else None
