"""The PynamoDB side of the table: documents and configuration (DESIGN "Data").

Every model here and in store/postmortems.py is one kind of item of the one table, bound through `bind` to
the table the settings model names and to the botocore stores' one client (store/table.py). Configuration
items keep the keys of store/keys.py and name their attributes after the domain model's fields, so the
alert path's botocore reads (the org's settings, escalation policies: store/policies.py) read the same
items by the same names.

Only what uses these models imports this module: PynamoDB is no part of the ingest function.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.models import Model

from stormwatch.domain.errors import TemporarilyUnavailable
from stormwatch.settings import Settings
from stormwatch.store.table import RETRYABLE_CODES, ConditionFailed, dynamodb_client


@contextmanager
def translated() -> Iterator[None]:
    """Throttles that outlived the retries become TemporarilyUnavailable, and a failed condition
    ConditionFailed, as for the botocore stores (store/table.py)."""
    try:
        yield
    except PynamoDBException as error:
        if error.cause_response_code in RETRYABLE_CODES:
            raise TemporarilyUnavailable(
                "the configuration and document store is busy; retry shortly"
            ) from error
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConditionFailed(None) from error
        raise


class Document(Model):
    """The table's keys; each subclass is one kind of item in it."""

    class Meta:
        table_name = "stormwatch"
        region = "us-east-1"
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute()

    translated = staticmethod(translated)

    @classmethod
    def at(cls, key: Mapping[str, str], **attributes: Any) -> Self:
        """The item at `key` (store/keys.py's shape) with `attributes`, to write."""
        return cls(key["pk"], key["sk"], **attributes)

    @classmethod
    def find(cls, key: Mapping[str, str], consistent: bool = False) -> Self | None:
        """The item at `key` (store/keys.py's shape), None when there is none."""
        try:
            with translated():
                return cls.get(key["pk"], key["sk"], consistent_read=consistent)
        except DoesNotExist:
            return None

    def values_of(self, names: Iterable[str], renamed: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The record's values of a domain model's fields (`renamed`: a field's attribute here, where its
        name differs), leaving out the absent ones so that the model's defaults apply."""
        renamed = renamed or {}
        values = {name: getattr(self, renamed.get(name, name), None) for name in names}
        return {name: value for name, value in values.items() if value is not None}


def bind(settings: Settings) -> None:
    """Point every model at the table the settings name, through the botocore stores' one client
    (store/table.py): one set of connection settings (endpoint, timeouts, retries) and one connection pool,
    and no second botocore session and client built per model on its first request."""
    Document.Meta.table_name = settings.table_name
    Document.Meta.region = settings.region
    Document.Meta.host = settings.dynamodb_endpoint_url
    client = dynamodb_client(settings)
    pending: list[type[Model]] = [Document]
    while pending:
        model = pending.pop()
        model._connection = None
        # PynamoDB keeps a client it was given (it builds its own only when this one lost its credentials).
        model._get_connection().connection._client = client
        pending.extend(model.__subclasses__())


class MemberRecord(Document):
    handle = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    slack_webhook = UnicodeAttribute(null=True)
    webhook_url = UnicodeAttribute(null=True)
    webhook_secret = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    removing = BooleanAttribute(default=False)


class PolicyRecord(Document):
    policy_id = UnicodeAttribute(attr_name="id")
    org = UnicodeAttribute()
    name = UnicodeAttribute()
    # Levels and their targets as plain maps, as the alert path's botocore read decodes them.
    levels = ListAttribute[dict[str, Any]]()
    repeat = NumberAttribute(default=0)
    ack_timeout_minutes = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class SettingsRecord(Document):
    default_escalation_policy_id = UnicodeAttribute(null=True)
    default_schedule_id = UnicodeAttribute(null=True)
    inactivity_days = NumberAttribute(null=True)
    postmortem_required_severities = ListAttribute[str](null=True)
    updated_at = UnicodeAttribute(null=True)
