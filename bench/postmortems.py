"""DynamoDB requests and capacity of post-mortem operations (capacity from item sizes: see capacity.py):
drafting from a 200-event timeline, saving an edit, publishing, a search page, the action-items list.

.venv/bin/python bench/postmortems.py
"""

from datetime import date

import _environment
from capacity import CapacityMeter
from dynamodb_costs import SteppedClock
from stormwatch import wiring
from stormwatch.domain.models import Caller, NewIncident, Role, Severity, Status
from stormwatch.domain.postmortems import PostmortemEdit, PostmortemStatus
from stormwatch.domain.work import comment_event
from stormwatch.settings import get_settings
from stormwatch.store.codec import encode_item
from stormwatch.store.keys import IncidentKeys

TIMELINE_EVENTS = 200
SEARCHED = 25
ACTION_ITEMS = 40


def main() -> None:
    rows: list[tuple[str, str]] = []
    clock = SteppedClock()
    wiring.clock = clock
    with _environment.moto_table() as (client, raw):
        meter = CapacityMeter(client, raw, get_settings().table_name)
        commands = wiring.incident_commands()
        postmortems = wiring.postmortems()
        lead = Caller(org="acme", user="lee", roles=frozenset({Role.LEAD}))

        def measure(name: str, action) -> object:
            meter.reset()
            result = action()
            rows.append((name, meter.reset().describe()))
            return result

        meter.enabled = False
        incidents = []
        for number in range(SEARCHED):
            incident = commands.open(
                lead, NewIncident(title=f"Checkout errors {number}", severity=Severity.CRITICAL)
            )
            incidents.append(incident.id)
        main_id = incidents[0]
        # The comments are written as plain items (moto copies the whole table for every transaction).
        store = wiring.incident_store()
        opened = store.get("acme", main_id)
        partition = IncidentKeys.of(opened)["pk"]
        for number in range(TIMELINE_EVENTS - 3):
            clock.advance(seconds=30)
            body = f"Update {number}: still looking at the connection pool"
            event = comment_event(body, [], lead.actor, clock.now())
            item = store._event_item(partition, opened.generation, event)
            raw.put_item(TableName=get_settings().table_name, Item=encode_item(item))
        for incident_id in incidents:
            commands.set_status(lead, incident_id, Status.RESOLVED, "rolled back")
        for incident_id in incidents[1:]:
            postmortems.create(lead, incident_id, [])
        meter.enabled = True

        postmortem = measure(
            f"create draft ({TIMELINE_EVENTS}-event timeline)", lambda: postmortems.create(lead, main_id, [])
        )
        sections = {
            **postmortem.sections,
            "root_cause": "The connection pool was exhausted by a retry storm.",
        }
        edit = PostmortemEdit(
            title=postmortem.title,
            sections=sections,
            impact=postmortem.impact,
            contributing_factors=["no canary"],
            related_incident_ids=[],
        )
        measure("save an edit (If-Match)", lambda: postmortems.replace(lead, main_id, edit, 1))
        measure("publish", lambda: postmortems.move(lead, main_id, PostmortemStatus.PUBLISHED, None))
        measure(
            f"search page (q=pool, 20 of {SEARCHED})",
            lambda: postmortems.search(lead, "pool", None, None, None, 20, None),
        )
        measure(
            f"search page (no words, 20 of {SEARCHED})",
            lambda: postmortems.search(lead, None, None, None, None, 20, None),
        )
        meter.enabled = False
        for number in range(ACTION_ITEMS):
            due = date(2026, 11, 1 + number % 28)
            postmortems.add_item(
                lead, incidents[number % SEARCHED], {"title": f"item {number}", "due_date": due}
            )
        meter.enabled = True
        measure(
            f"action-items list (50 of {ACTION_ITEMS})",
            lambda: postmortems.list_items(lead, None, None, False, 50, None),
        )
        measure(
            "action-items list (overdue)", lambda: postmortems.list_items(lead, None, None, True, 50, None)
        )

    width = max(len(name) for name, _ in rows)
    print(f"{'operation':<{width}}  cost")
    for name, cost in rows:
        print(f"{name:<{width}}  {cost}")


if __name__ == "__main__":
    main()
