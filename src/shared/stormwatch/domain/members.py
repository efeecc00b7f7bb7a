"""Members of an org: who can be assigned, mentioned and paged, and how to reach them."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from stormwatch.domain.models import LazyModel, Role, UtcTime

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$"
# Every URL Stormwatch will call (member and policy targets, an alarm owner's Slack webhook) follows one
# rule: https, or plain http to this machine (local receivers, tests).
DELIVERY_URL_PATTERN = r"^(https://|http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?/)"
DELIVERY_URL_RULE = "an https URL, or plain http only to 127.0.0.1 or localhost"
MAX_URL_LENGTH = 2048


def is_delivery_url(value: str) -> bool:
    return re.match(DELIVERY_URL_PATTERN, value) is not None


def _delivery_url(value: str) -> str:
    if not is_delivery_url(value):
        raise ValueError(f"expected {DELIVERY_URL_RULE}")
    return value


# The rule as a field type, for every model that takes such a URL (its schema shows the pattern).
DeliveryUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    AfterValidator(_delivery_url),
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_URL_LENGTH, "pattern": DELIVERY_URL_PATTERN, "format": "uri"}
    ),
]
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?)(?![\w@])")
MAX_MENTIONS = 20


class Member(LazyModel):
    handle: str = Field(pattern=HANDLE_PATTERN)
    name: str
    role: Role = Role.RESPONDER
    email: str | None = None
    slack_webhook: str | None = None
    webhook_url: str | None = None
    # Signs outgoing webhooks to this member; never shown after it is set.
    webhook_secret: str | None = None
    created_at: UtcTime
    updated_at: UtcTime
    # Set while the member's incidents are being handed over; the member is gone when it ends.
    removing: bool = False


def mentioned_handles(body: str) -> list[str]:
    """`@handle` mentions in a comment, lower-cased, first occurrence order, at most MAX_MENTIONS."""
    seen: list[str] = []
    for match in _MENTION.finditer(body):
        handle = match.group(1).lower()
        if handle not in seen:
            seen.append(handle)
    return seen[:MAX_MENTIONS]
