"""Key builders, one class per stored entity. Every key that a request can reach starts with the caller's org.

Layout (one table, `pk`/`sk`):
- incident key partition `ORG#{org}#K#{key_hash}`:
  - `CUR`: the snapshot of the key's latest incident. Repeats update it without a read, by key alone.
  - `G#{generation}`: the snapshot of an earlier incident of the key, archived when a successor opened.
  - `G#{generation}#A#{fingerprint_hash}`: an alert's details (labels, links), written when it first fires.
  - `G#{generation}#T#{at}#{event_id}`: timeline events, in time order.
  - `G#{generation}#C#{comment_id}`: a comment's current state (author, deleted), for edits and deletes.
  - `G#{generation}#TIMER#{kind}`: a pending timer of the incident (escalation, ack_timeout, inactivity).
- `INTKEY#{sha256(key)}` / `INTEGRATION`: an integration key's owner, found by the key's hash alone.
- `ORG#{org}` / `INTEGRATION#{id}`: the org's list of integrations; `HEARTBEAT#{id}`: an integration's
  heartbeat deadline (a timer); `SETTINGS`: the org's settings.
- `ORG#{org}#POLICIES` / `POLICY#{id}`: the org's escalation policies.
- `ORG#{org}#MEMBERS` / `MEMBER#{handle}`: the org's members.
- `ORG#{org}#SCHEDULES` / `SCHEDULE#{id}`: an on-call schedule whole (layers and overrides), so who is on
  call is one GetItem.
- `ORG#{org}#SCHEDULE#{id}` / `TIMER#shift_reminder`: the schedule's next shift reminder (a timer);
  `REMINDER#{at}#{notification id}`: a reminder sent, each delivery of it after it
  (`…#{notification id}#{channel}`); they expire.
- `CALTOKEN#{sha256(token)}` / `CALENDAR`: a schedule's calendar feed token's owner (org, schedule id).
- `OUTBOX#{id}` / `OUTBOX`: a notification to deliver, one partition each (no hot item); it expires.
- `IDEMPOTENCY#{key}` / `IDEMPOTENCY`: a command's first answer, for retries; it expires.
- `ORG#{org}#DELIVERY#{key}` / `DELIVERY`: a delivery (or part of one) already written; it expires.
- `ORG#{org}#CTX#{kind}#{hash(value)}` / `{created_at}#{incident id}`: a context index item (see
  store/context_index.py): the incident carries that correlation key (`ck`), trace id (`trace`), tag,
  project, service, or is an active incident of that service (`open`); `ORG#{org}#CTX#slo#{hash(slo id)}`
  / `{window_start}#{id}`: an SLO violation. Lists Query one such partition, never the org's incidents.
- `ORG#{org}#METRICS#{shard}` / `DAY#{date}`: the metrics' fact of each incident of that shard created that
  day; `OPEN`: the shard's active incidents. Kept by the stream consumer (see `store/metrics.py`).

GSIs, all projecting the attributes the list filters on (status, severity, service, environment, assignee,
created_at, search_text), none of which a repeat changes, so a repeat writes no index entry. Indexes whose
keys hold the same value share the attribute, so a snapshot stores it once: `gsi1sk` (creation order) sorts
gsi1, gsi2 and gsi3, and `gsi2pk` (the status partition) partitions gsi2 and gsi4:
- gsi1 (`gsi1pk`, `gsi1sk`): an org's incidents by creation time;
- gsi2 (`gsi2pk`, `gsi1sk`): the same per status;
- gsi3 (`gsi3pk`, `gsi1sk`), sparse: per assignee, by creation time;
- gsi4 (`gsi2pk`, `gsi4sk`): per status, by last activity (the org-wide order by activity merges the
  statuses).
Items written before the indexes shared attributes also hold `gsi2sk`, `gsi3sk` and `gsi4pk` (copies of the
shared ones): they are listed as before, and the copies are dropped when the snapshot is next put whole.
gsi5, sparse, holds only timers: `TIMERS#{shard}` / `{due}#{owner id}#{kind}`, so a sweep reads what is due in
each shard and nothing else.
"""

import hashlib
import re
from datetime import date

from stormwatch.clock import iso
from stormwatch.domain.models import Incident, Status
from stormwatch.ids import short_hash

# An incident id: its key hash and its generation. Anything else names no incident.
INCIDENT_ID = re.compile(r"^([a-z2-7]{20})-([1-9][0-9]{0,8})$")

INCIDENT_INDEX = "gsi1"
STATUS_INDEX = "gsi2"
ASSIGNEE_INDEX = "gsi3"
ACTIVITY_INDEX = "gsi4"
TIMER_INDEX = "gsi5"
# The index key attributes that several indexes share (see above).
CREATION_ORDER = "gsi1sk"
STATUS_PARTITION = "gsi2pk"
# Timers spread over this many index partitions: a sweep reads each, so reads are the due count plus this.
TIMER_SHARDS = 8


def _generation(generation: int) -> str:
    return f"G#{generation:08d}"


class IncidentKeys:
    CURRENT = "CUR"

    @staticmethod
    def partition(org: str, key_hash: str) -> str:
        return f"ORG#{org}#K#{key_hash}"

    @staticmethod
    def current(org: str, key_hash: str) -> dict[str, str]:
        return {"pk": IncidentKeys.partition(org, key_hash), "sk": IncidentKeys.CURRENT}

    @staticmethod
    def archived(org: str, key_hash: str, generation: int) -> dict[str, str]:
        return {"pk": IncidentKeys.partition(org, key_hash), "sk": _generation(generation)}

    @staticmethod
    def of(incident: Incident) -> dict[str, str]:
        """Where a snapshot lives: at the key's head until a successor archives it."""
        key_hash = incident.id.rsplit("-", 1)[0]
        if incident.superseded_by is None:
            return IncidentKeys.current(incident.org, key_hash)
        return IncidentKeys.archived(incident.org, key_hash, incident.generation)

    @staticmethod
    def alert_prefix(generation: int) -> str:
        return f"{_generation(generation)}#A#"

    @staticmethod
    def timeline_prefix(generation: int) -> str:
        return f"{_generation(generation)}#T#"

    @staticmethod
    def timer(incident: Incident, kind: str) -> dict[str, str]:
        return {
            "pk": IncidentKeys.of(incident)["pk"],
            "sk": f"{_generation(incident.generation)}#TIMER#{kind}",
        }

    @staticmethod
    def comment(generation: int, comment_id: str) -> str:
        return f"{_generation(generation)}#C#{comment_id}"

    @staticmethod
    def index_attributes(incident: Incident) -> dict[str, str]:
        created = f"{iso(incident.created_at)}#{incident.id}"
        status_partition = IncidentKeys.status_partition(incident.org, incident.status)
        attributes = {
            "gsi1pk": IncidentKeys.list_partition(incident.org),
            CREATION_ORDER: created,
            STATUS_PARTITION: status_partition,
            "gsi4sk": f"{iso(incident.last_activity_at)}#{incident.id}",
        }
        if incident.assignee is not None:
            attributes["gsi3pk"] = IncidentKeys.assignee_partition(incident.org, incident.assignee)
        return attributes

    @staticmethod
    def assignee_partition(org: str, handle: str) -> str:
        return f"ORG#{org}#ASSIGNEE#{handle}"

    @staticmethod
    def list_partition(org: str) -> str:
        return f"ORG#{org}#INC"

    @staticmethod
    def status_partition(org: str, status: Status) -> str:
        return f"ORG#{org}#INC#{status.value}"


class ContextKeys:
    @staticmethod
    def partition(org: str, kind: str, value: str) -> str:
        # The value is a user string: hashed (the readable value is an attribute of the item).
        return f"ORG#{org}#CTX#{kind}#{short_hash(value)}"

    @staticmethod
    def of(org: str, kind: str, value: str, incident: Incident) -> dict[str, str]:
        return {
            "pk": ContextKeys.partition(org, kind, value),
            "sk": f"{iso(incident.created_at)}#{incident.id}",
        }


class IntegrationKeys:
    @staticmethod
    def heartbeat(org: str, integration_id: str) -> dict[str, str]:
        return {"pk": f"ORG#{org}", "sk": f"HEARTBEAT#{integration_id}"}

    @staticmethod
    def by_secret_hash(secret_hash: str) -> dict[str, str]:
        return {"pk": f"INTKEY#{secret_hash}", "sk": "INTEGRATION"}

    @staticmethod
    def in_org(org: str, integration_id: str) -> dict[str, str]:
        return {"pk": f"ORG#{org}", "sk": f"INTEGRATION#{integration_id}"}


class MemberKeys:
    @staticmethod
    def partition(org: str) -> str:
        return f"ORG#{org}#MEMBERS"

    @staticmethod
    def of(org: str, handle: str) -> dict[str, str]:
        return {"pk": MemberKeys.partition(org), "sk": f"MEMBER#{handle}"}


class OutboxKeys:
    @staticmethod
    def of(notification_id: str) -> dict[str, str]:
        return {"pk": f"OUTBOX#{notification_id}", "sk": "OUTBOX"}


class IdempotencyKeys:
    @staticmethod
    def of(idempotency_key: str) -> dict[str, str]:
        return {"pk": f"IDEMPOTENCY#{idempotency_key}", "sk": "IDEMPOTENCY"}


class DeliveryKeys:
    @staticmethod
    def of(org: str, delivery_key: str) -> dict[str, str]:
        return {"pk": f"ORG#{org}#DELIVERY#{delivery_key}", "sk": "DELIVERY"}


class MetricsKeys:
    OPEN = "OPEN"

    @staticmethod
    def partition(org: str, shard: int) -> str:
        return f"ORG#{org}#METRICS#{shard:02d}"

    @staticmethod
    def day_sort_key(day: date) -> str:
        return f"DAY#{day.isoformat()}"

    @staticmethod
    def day(org: str, shard: int, day: date) -> dict[str, str]:
        return {"pk": MetricsKeys.partition(org, shard), "sk": MetricsKeys.day_sort_key(day)}

    @staticmethod
    def open(org: str, shard: int) -> dict[str, str]:
        return {"pk": MetricsKeys.partition(org, shard), "sk": MetricsKeys.OPEN}


class ScheduleKeys:
    SORT_PREFIX = "SCHEDULE#"
    REMINDER_PREFIX = "REMINDER#"

    @staticmethod
    def partition(org: str) -> str:
        return f"ORG#{org}#SCHEDULES"

    @staticmethod
    def of(org: str, schedule_id: str) -> dict[str, str]:
        return {"pk": ScheduleKeys.partition(org), "sk": f"{ScheduleKeys.SORT_PREFIX}{schedule_id}"}

    @staticmethod
    def calendar_token(token_hash: str) -> dict[str, str]:
        return {"pk": f"CALTOKEN#{token_hash}", "sk": "CALENDAR"}

    @staticmethod
    def own_partition(org: str, schedule_id: str) -> str:
        """What belongs to one schedule beside its definition: its reminder timer and reminders sent."""
        return f"ORG#{org}#SCHEDULE#{schedule_id}"

    @staticmethod
    def timer(org: str, schedule_id: str, kind: str) -> dict[str, str]:
        return {"pk": ScheduleKeys.own_partition(org, schedule_id), "sk": f"TIMER#{kind}"}

    @staticmethod
    def reminder(
        org: str, schedule_id: str, at: str, notification_id: str, channel: str | None = None
    ) -> dict[str, str]:
        """A reminder sent at `at`, or (with `channel`) one delivery of it, sorted right after it."""
        sk = f"{ScheduleKeys.REMINDER_PREFIX}{at}#{notification_id}"
        return {
            "pk": ScheduleKeys.own_partition(org, schedule_id),
            "sk": f"{sk}#{channel}" if channel else sk,
        }


class TimerKeys:
    @staticmethod
    def index_attributes(owner_id: str, kind: str, due: str) -> dict[str, str]:
        shard = int.from_bytes(hashlib.sha256(owner_id.encode()).digest()[:4], "big") % TIMER_SHARDS
        return {"gsi5pk": TimerKeys.shard(shard), "gsi5sk": f"{due}#{owner_id}#{kind}"}

    @staticmethod
    def owner(index_sort_key: str) -> str:
        """The owner id in an index entry's sort key (neither a due time nor an owner id holds a `#`)."""
        return index_sort_key.split("#")[1]

    @staticmethod
    def shard(shard: int) -> str:
        return f"TIMERS#{shard:02d}"


class PolicyKeys:
    @staticmethod
    def partition(org: str) -> str:
        return f"ORG#{org}#POLICIES"

    @staticmethod
    def of(org: str, policy_id: str) -> dict[str, str]:
        return {"pk": PolicyKeys.partition(org), "sk": f"POLICY#{policy_id}"}

    @staticmethod
    def settings(org: str) -> dict[str, str]:
        return {"pk": f"ORG#{org}", "sk": "SETTINGS"}
