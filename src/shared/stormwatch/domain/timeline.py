"""Timeline events: the append-only history of an incident."""

from datetime import datetime
from typing import Any

from stormwatch.domain.models import TimelineEvent
from stormwatch.ids import new_event_id


def new_event(event_type: str, at: datetime, actor: str, data: dict[str, Any] | None = None) -> TimelineEvent:
    return TimelineEvent(id=new_event_id(at), type=event_type, at=at, actor=actor, data=data or {})
