"""Members of an org, one partition per org (small: people, not alerts), as PynamoDB models
(store/documents.py)."""

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from stormwatch.domain.errors import Conflict, NotFound
from stormwatch.domain.members import Member
from stormwatch.settings import Settings
from stormwatch.store.keys import MemberKeys
from stormwatch.store.table import ConditionFailed

if TYPE_CHECKING:
    from stormwatch.store.documents import MemberRecord


class MemberStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @cached_property
    def _records(self) -> "type[MemberRecord]":
        # PynamoDB loads on first use: the ingest function builds this store (the schedules service takes
        # it) without ever reading a member, and must not pay for PynamoDB's import.
        from stormwatch.store.documents import MemberRecord, bind

        bind(self._settings)
        return MemberRecord

    def create(self, org: str, member: Member) -> None:
        records = self._records
        try:
            with records.translated():
                self._record(org, member).save(condition=records.pk.does_not_exist())
        except ConditionFailed:
            raise Conflict(
                f"member {member.handle} exists already", details={"handle": member.handle}
            ) from None

    def replace(self, org: str, before: Member, after: Member) -> None:
        """Write `after` if the member is still as `before` (same update time, not being removed)."""
        records = self._records
        seen = before.model_dump(mode="json")["updated_at"]
        try:
            with records.translated():
                self._record(org, after).save(
                    condition=(records.updated_at == seen) & (records.removing == False)  # noqa: E712
                )
        except ConditionFailed:
            raise Conflict(f"member {before.handle} changed meanwhile; read it again") from None

    def get(self, org: str, handle: str, consistent: bool = False) -> Member:
        record = self._records.find(MemberKeys.of(org, handle), consistent)
        if record is None:
            raise NotFound(f"member {handle} not found", details={"handle": handle})
        return _member(record)

    def list_members(self, org: str) -> list[Member]:
        records = self._records
        with records.translated():
            return [_member(record) for record in records.query(MemberKeys.partition(org))]

    def existing(self, org: str, handles: Sequence[str]) -> list[str]:
        """Which of `handles` are members (not being removed), in the order given."""
        if not handles:
            return []
        records = self._records
        keys = [(key["pk"], key["sk"]) for key in (MemberKeys.of(org, handle) for handle in set(handles))]
        with records.translated():
            found = {
                record.handle
                for record in records.batch_get(keys, attributes_to_get=["handle", "removing"])
                if not record.removing
            }
        return [handle for handle in handles if handle in found]

    def mark_removing(self, org: str, handle: str) -> Member:
        """Start removing a member (idempotent: a removal that was cut short is carried on)."""
        records = self._records
        record = records.at(MemberKeys.of(org, handle))
        try:
            with records.translated():
                record.update(actions=[records.removing.set(True)], condition=records.pk.exists())
        except ConditionFailed:
            raise NotFound(f"member {handle} not found", details={"handle": handle}) from None
        return _member(record)

    def delete(self, org: str, handle: str) -> None:
        records = self._records
        with records.translated():
            records.at(MemberKeys.of(org, handle)).delete()

    def _record(self, org: str, member: Member) -> "MemberRecord":
        return self._records.at(
            MemberKeys.of(org, member.handle),
            entity="member",
            **member.model_dump(mode="json", exclude_none=True),
        )


def _member(record: "MemberRecord") -> Member:
    return Member.model_validate(record.values_of(Member.model_fields))
