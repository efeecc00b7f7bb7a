"""The incident collection's items read back as domain models, from a stored item or a stream record's
image (snapshots, and the outbox's notifications): apart from the incident store, so that a stream
consumer reads its records without importing the store's writes."""

from typing import Any

from stormwatch.domain.events import SnapshotChange
from stormwatch.domain.models import Incident, Notification
from stormwatch.store.codec import Item, decode_item

STORAGE_ONLY = (
    "pk",
    "sk",
    "gsi1pk",
    "gsi1sk",
    "gsi2pk",
    "gsi3pk",
    "gsi4sk",
    # Copies of shared index keys, in items written before the indexes shared them.
    "gsi2sk",
    "gsi3sk",
    "gsi4pk",
    "search_text",
    "severity_rank",
    "entity",
    "expires_at",
    "changed",
)


def strip_storage(item: Item) -> Item:
    """The item without its keys, index attributes and other storage-only attributes."""
    return {key: value for key, value in item.items() if key not in STORAGE_ONLY}


def notification_from_image(image: dict[str, Any]) -> Notification:
    return Notification.model_validate(strip_storage(decode_item(image)))


def is_incident_image(image: dict[str, Any]) -> bool:
    return bool(image.get("entity") == {"S": "incident"})


def incident_from_image(image: dict[str, Any]) -> Incident:
    """The incident in a stream record's image (DynamoDB's attribute-value form)."""
    return Incident.model_validate(strip_storage(decode_item(image)))


def snapshot_change(old_image: dict[str, Any] | None, new_image: dict[str, Any]) -> SnapshotChange:
    """The change a stream record of an incident snapshot reports (its new image is one)."""
    before = incident_from_image(old_image) if old_image and is_incident_image(old_image) else None
    return SnapshotChange.of(before, incident_from_image(new_image))
