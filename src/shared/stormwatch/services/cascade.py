"""A resolution reaches the children that asked to resolve with their parent, in the same write."""

from collections.abc import Sequence
from datetime import datetime

from stormwatch.domain.errors import NotFound
from stormwatch.domain.events import Change
from stormwatch.domain.models import Status
from stormwatch.domain.work import children_resolving_with, resolve_with_parent
from stormwatch.store.incidents import IncidentStore


def with_children_resolved(store: IncidentStore, changes: Sequence[Change], now: datetime) -> list[Change]:
    result = list(changes)
    for change in changes:
        parent = change.after
        resolved_now = (
            parent.status is Status.RESOLVED and change.before is not None and change.before.status.is_active
        )
        if not resolved_now:
            continue
        for child_id in children_resolving_with(parent):
            try:
                child = store.get(parent.org, child_id, consistent=True)
            except NotFound:
                continue
            resolution = resolve_with_parent(child, parent.id, parent.resolved_by or "stormwatch", now)
            if resolution is not None:
                result.append(resolution)
    return result
