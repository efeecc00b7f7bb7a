"""The notifier: delivers what commands, ingestion and sweeps wrote to the outbox, and tells EventBridge of
each lifecycle change. It never runs inside a request: the table's stream feeds it.

Each channel of a notification (a member's Slack, webhook and email; or a policy's single target) is tried
up to DELIVERY_ATTEMPTS times with backoff, then its outcome (sent, or failed with the reason) is recorded
once: on the incident's timeline, or for a schedule's notification (a shift reminder) beside the reminder
in the schedule's reminders sent. A channel with a recorded outcome is not tried again, so a stream record
delivered twice sends nothing twice.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from stormwatch.clock import Clock, iso, parse_iso
from stormwatch.domain.errors import NotFound
from stormwatch.domain.events import SnapshotChange
from stormwatch.domain.models import Incident, Notification, Status
from stormwatch.domain.schedules import ScheduleNotification, zone
from stormwatch.services.delivery import (
    DeliveryFailed,
    EmailSender,
    EventPublisher,
    host_of,
    post_json,
    post_signed,
)
from stormwatch.store.images import is_incident_image, notification_from_image, snapshot_change
from stormwatch.store.incidents import IncidentStore
from stormwatch.store.members import MemberStore
from stormwatch.store.schedules import (
    ScheduleStore,
    is_schedule_notification,
    schedule_notification_from_image,
)

DELIVERY_ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 4.0)


@dataclass(frozen=True)
class Channel:
    name: str
    # Who or what it reaches, as the timeline shows it (a member's handle, a host, an address).
    to: str
    send: Callable[[], None]
    # Set when there is nothing to try: the outcome is this failure, at once.
    failure: str | None = None


class Notifier:
    def __init__(
        self,
        incidents: IncidentStore,
        members: MemberStore,
        email: EmailSender,
        events: EventPublisher,
        clock: Clock,
        sleep: Callable[[float], None],
        schedules: ScheduleStore,
    ) -> None:
        self._incidents = incidents
        self._schedules = schedules
        self._members = members
        self._email = email
        self._events = events
        self._clock = clock
        self._sleep = sleep

    def handle_images(self, old_image: dict[str, Any] | None, new_image: dict[str, Any]) -> None:
        """A stream record's images: a new outbox item to deliver, or an incident snapshot that changed."""
        if is_incident_image(new_image):
            self.lifecycle(snapshot_change(old_image, new_image))
        elif old_image is None and is_schedule_notification(new_image):
            self.deliver_schedule_notification(schedule_notification_from_image(new_image))
        elif old_image is None:
            self.deliver(notification_from_image(new_image))

    def deliver(self, notification: Notification) -> None:
        incident = self._incidents.get(notification.org, notification.incident_id)
        message = _message(notification, incident)
        self._send(
            self._channels(notification, message),
            notification.kind,
            partial(self._incidents.delivery_recorded, notification),
            partial(self._incidents.record_delivery, notification),
        )

    def deliver_schedule_notification(self, notification: ScheduleNotification) -> None:
        """A shift reminder, to the member's contact points; each outcome kept with the reminder."""
        message = _reminder_message(notification)
        self._send(
            self._member_channels(notification.org, notification.member, message),
            notification.kind,
            partial(self._schedules.delivery_recorded, notification),
            partial(self._schedules.record_delivery, notification),
        )

    def _send(
        self,
        channels: Sequence["Channel"],
        kind: str,
        recorded: Callable[[str], bool],
        record: Callable[[str, dict[str, Any]], None],
    ) -> None:
        for channel in channels:
            if recorded(channel.name):
                continue
            outcome = self._attempt(channel)
            record(channel.name, {"kind": kind, "channel": channel.name, "to": channel.to, **outcome})

    def lifecycle(self, change: SnapshotChange) -> None:
        """One EventBridge event per lifecycle change: created, then each status change."""
        previous, new = change.previous, change.current
        if change.archived:
            return
        if new.postmortem_status == "published" and (
            previous is None or previous.postmortem_status != "published"
        ):
            self._events.publish(
                "postmortem.published",
                {
                    "incident_id": new.id,
                    "org": new.org,
                    "title": new.title,
                    "severity": new.severity.value,
                    "service": new.service,
                    "version": new.version,
                },
            )
            return
        changed = lifecycle_changes(previous, new)
        status_from = previous.status.value if previous is not None else None
        if previous is None:
            detail_type = "incident.created"
        elif not changed:
            # A comment, a signal, a tag, a timer: nothing an automation on lifecycle events acts on.
            return
        elif "status" in changed and new.status is Status.RESOLVED:
            detail_type = "incident.resolved"
        else:
            detail_type = "incident.updated"
        self._events.publish(
            detail_type,
            {
                "incident_id": new.id,
                "project": new.project,
                "status_change": {"from": status_from, "to": new.status.value},
                "changed": changed,
                "assignee": new.assignee,
                "id": new.id,
                "org": new.org,
                "incident_key": new.incident_key,
                "title": new.title,
                "status": new.status.value,
                "previous_status": previous.status.value if previous else None,
                "severity": new.severity.value,
                "service": new.service,
                "environment": new.environment,
                "links": [link.model_dump(mode="json") for link in new.links],
                "urls": [url.model_dump(mode="json") for url in new.urls],
                "version": new.version,
            },
        )

    def _attempt(self, channel: Channel) -> dict[str, Any]:
        if channel.failure is not None:
            return {"status": "failed", "attempts": 0, "reason": channel.failure}
        reason = ""
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                channel.send()
            except DeliveryFailed as failure:
                reason = failure.message
                if attempt < DELIVERY_ATTEMPTS:
                    self._sleep(BACKOFF_SECONDS[attempt - 1])
                continue
            return {"status": "sent", "attempts": attempt, "delivered_at": iso(self._clock.now())}
        return {"status": "failed", "attempts": DELIVERY_ATTEMPTS, "reason": reason}

    def _channels(self, notification: Notification, message: "_Message") -> list[Channel]:
        now = self._clock.now()
        if notification.target is not None:
            target = notification.target
            kind, value = target["type"], target["value"]
            if kind == "slack":
                return [Channel("slack", host_of(value), lambda: post_json(value, {"text": message.text}))]
            if kind == "webhook":
                secret = target.get("webhook_secret")
                return [
                    Channel(
                        "webhook", host_of(value), lambda: post_signed(value, message.payload, secret, now)
                    )
                ]
            return [Channel("email", value, lambda: self._email.send(value, message.subject, message.text))]
        return self._member_channels(notification.org, notification.member or "", message)

    def _member_channels(self, org: str, handle: str, message: "_Message") -> list[Channel]:
        """Each contact point the member has."""
        now = self._clock.now()
        try:
            member = self._members.get(org, handle)
        except NotFound:
            return [Channel("member", handle, _nothing, f"member {handle} is gone")]
        channels = []
        if member.slack_webhook:
            url = member.slack_webhook
            channels.append(Channel("slack", handle, lambda: post_json(url, {"text": message.text})))
        if member.webhook_url:
            hook, secret = member.webhook_url, member.webhook_secret
            channels.append(
                Channel("webhook", handle, lambda: post_signed(hook, message.payload, secret, now))
            )
        if member.email:
            address = member.email
            channels.append(
                Channel("email", handle, lambda: self._email.send(address, message.subject, message.text))
            )
        return channels or [Channel("member", handle, _nothing, f"member {handle} has no contact point")]


@dataclass(frozen=True)
class _Message:
    subject: str
    text: str
    payload: dict[str, Any]


_PHRASES = {
    "created": "New incident",
    "escalated": "Escalated to you",
    "assigned": "Assigned to you",
    "mentioned": "You were mentioned",
    "postmortem_reminder": "Post-mortem due",
    "action_item_reminder": "Action item overdue",
}


def _message(notification: Notification, incident: Incident) -> _Message:
    phrase = _PHRASES.get(notification.kind, notification.kind)
    if notification.kind == "escalated":
        phrase += f" (level {notification.data.get('level')})"
    subject = f"[{incident.severity.value}] {incident.title}"
    text = f"{phrase}: {subject} - {incident.status.value}, incident {incident.id}"
    if incident.service:
        text += f", service {incident.service}"
    payload = {
        **_about(notification, **notification.data),
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "status": incident.status.value,
            "severity": incident.severity.value,
            "service": incident.service,
            "environment": incident.environment,
            "incident_key": incident.incident_key,
        },
    }
    return _Message(subject, text, payload)


def _about(notification: Notification | ScheduleNotification, **data: Any) -> dict[str, Any]:
    """What every webhook payload says of its notification."""
    return {
        "type": f"notification.{notification.kind}",
        "notification": {
            "id": notification.id,
            "kind": notification.kind,
            "at": iso(notification.at),
            **data,
        },
    }


def _reminder_message(notification: ScheduleNotification) -> _Message:
    """A shift reminder: its text gives the times in the schedule's zone (where its hand-offs are defined),
    the webhook's payload in UTC."""
    data = notification.data
    local = zone(data["time_zone"])

    def when(text: str | None) -> str:
        if text is None:
            return "further notice"
        return parse_iso(text).astimezone(local).strftime("%a %Y-%m-%d %H:%M")

    name = data["schedule_name"]
    subject = f"On call from {when(data['start'])} ({data['time_zone']}): {name}"
    text = (
        f"On call soon: you are on call for {name} from {when(data['start'])} to {when(data.get('end'))} "
        f"({data['time_zone']}), schedule {notification.schedule_id}"
    )
    payload = {
        **_about(notification, hours_before=data["hours_before"]),
        "schedule": {"id": notification.schedule_id, "name": name, "time_zone": data["time_zone"]},
        "shift": {"member": notification.member, "start": data["start"], "end": data.get("end")},
    }
    return _Message(subject, text, payload)


def _nothing() -> None:
    """The send of a channel that cannot be tried (its `failure` says why)."""


# What an `incident.updated` event reports; any other change of the snapshot sends no event.
LIFECYCLE_FIELDS = ("status", "severity", "service", "assignee")


def lifecycle_changes(previous: Incident | None, current: Incident) -> list[str]:
    """The lifecycle fields that differ (none for a new incident)."""
    if previous is None:
        return []
    return [name for name in LIFECYCLE_FIELDS if getattr(previous, name) != getattr(current, name)]
