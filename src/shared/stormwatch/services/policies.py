"""Escalation policies and the org's settings (admin only; anyone of the org may read the settings)."""

from typing import Any

from stormwatch.clock import Clock
from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.escalation import EscalationPolicy, OrgSettings, TargetType
from stormwatch.domain.models import Caller, Role
from stormwatch.domain.permissions import require
from stormwatch.ids import new_event_id
from stormwatch.store.policies import PolicyStore
from stormwatch.store.schedules import ScheduleStore


class PolicyAdmin:
    def __init__(self, store: PolicyStore, clock: Clock, schedules: ScheduleStore) -> None:
        self._store = store
        self._clock = clock
        self._schedules = schedules

    def create(self, caller: Caller, fields: dict[str, Any]) -> EscalationPolicy:
        require(caller, Role.ADMIN)
        now = self._clock.now()
        policy = EscalationPolicy.model_validate(
            {**fields, "id": f"pol_{new_event_id(now).lower()}", "created_at": now, "updated_at": now}
        )
        self._require_schedules(caller.org, policy)
        self._store.create(caller.org, policy)
        return policy

    def list_policies(self, caller: Caller) -> list[EscalationPolicy]:
        require(caller, Role.ADMIN)
        return self._store.list_policies(caller.org)

    def get(self, caller: Caller, policy_id: str) -> EscalationPolicy:
        require(caller, Role.ADMIN)
        return self._store.get(caller.org, policy_id)

    def update(self, caller: Caller, policy_id: str, fields: dict[str, Any]) -> EscalationPolicy:
        require(caller, Role.ADMIN)
        before = self._store.get(caller.org, policy_id, consistent=True)
        after = EscalationPolicy.model_validate(
            {**before.model_dump(), **fields, "updated_at": self._clock.now()}
        )
        self._require_schedules(caller.org, after)
        self._store.replace(caller.org, before, after)
        return after

    def delete(self, caller: Caller, policy_id: str) -> None:
        """Incidents and integrations naming a deleted policy fall back to the org's default."""
        require(caller, Role.ADMIN)
        self._store.delete(caller.org, policy_id)

    def settings(self, caller: Caller) -> OrgSettings:
        require(caller, Role.VIEWER)
        return self._store.settings(caller.org)

    def update_settings(self, caller: Caller, fields: dict[str, Any]) -> OrgSettings:
        require(caller, Role.ADMIN)
        default = fields.get("default_escalation_policy_id")
        if default is not None:
            self._store.get(caller.org, default)
        if fields.get("default_schedule_id") is not None:
            self._schedules.get(caller.org, fields["default_schedule_id"])
        # Only the named settings are validated and written: the others stay as stored, whatever a
        # concurrent change did to them.
        changed = OrgSettings.model_validate({**fields, "updated_at": self._clock.now()})
        return self._store.update_settings(caller.org, changed, fields)

    def _require_schedules(self, org: str, policy: EscalationPolicy) -> None:
        """A schedule target names a schedule of the org, or its level would page nobody (one BatchGetItem
        for every schedule the policy names)."""
        named = {
            f"body.levels[{number}].targets[{place}].value": target.value
            for number, level in enumerate(policy.levels)
            for place, target in enumerate(level.targets)
            if target.type is TargetType.SCHEDULE
        }
        known = self._schedules.existing(org, list(named.values()))
        unknown = [
            {"field": field, "problem": f"no schedule {schedule_id}"}
            for field, schedule_id in named.items()
            if schedule_id not in known
        ]
        if unknown:
            raise InvalidInput.naming(unknown)
