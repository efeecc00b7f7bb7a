"""Members of an org: who can be assigned, mentioned and paged, and how to reach them."""

import re

from pydantic import BaseModel, Field

from stormwatch.domain.models import Role, UtcTime

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$"
# Where Stormwatch posts (Slack, webhooks): https, or plain http to this machine (local receivers, tests).
DELIVERY_URL_PATTERN = r"^(https://|http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?/)"
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?)(?![\w@])")
MAX_MENTIONS = 20


class Member(BaseModel):
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
