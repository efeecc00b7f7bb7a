"""Who is on call: DynamoDB requests and capacity per answer, and CPU time of the shift computation.

.venv/bin/python bench/schedules.py

1. `GET /v1/schedules/{id}/oncall` through the service on moto: the requests made and their capacity
   (priced from item sizes: see capacity.py), for a 3-layer schedule with 8 participants a layer and 50
   overrides, and `GET /v1/oncall` for an org of 20 such schedules.
2. CPU time (process time, best of 5) of the final shifts of a year for that 3-layer schedule (weekly
   rotation, a daily follow-the-sun layer restricted to business hours, 12-hour weekend shifts), of one
   "who is on call" computation, and of a 93-day window.
3. Shift reminders: the requests and capacity of a sweep firing that schedule's reminder timer (the sweep's
   8 shard Queries included), and the CPU time of the reminder rules every write of a schedule and every
   firing compute (the next reminder's time; the reminders due).
"""

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import _environment
from capacity import CapacityMeter, item_size
from stormwatch import wiring
from stormwatch.domain.models import Caller, Role
from stormwatch.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Schedule,
    final_shifts,
    next_reminder_at,
    on_call,
    reminders_due,
)
from stormwatch.settings import get_settings
from stormwatch.store.codec import encode_item
from stormwatch.store.keys import ScheduleKeys

START = datetime(2026, 1, 1, tzinfo=UTC)
PEOPLE = [f"member{number:02d}" for number in range(24)]


def three_layers(schedule_id: str) -> Schedule:
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    layers = [
        Layer(
            name="weekly",
            participants=PEOPLE[:8],
            shift_length=1,
            shift_unit="weeks",
            handoff_time="09:00",
            handoff_day="mon",
            start_date=date(2025, 12, 1),
        ),
        Layer(
            name="business hours",
            participants=PEOPLE[8:16],
            shift_length=1,
            shift_unit="days",
            handoff_time="08:00",
            start_date=date(2025, 12, 1),
            restrictions=[Restriction(days=weekdays, start="08:00", end="18:00")],
        ),
        Layer(
            name="weekends",
            participants=PEOPLE[16:24],
            shift_length=12,
            shift_unit="hours",
            handoff_time="07:00",
            start_date=date(2025, 12, 6),
            restrictions=[Restriction(days=["sat"], start="07:00", end="07:00")],
        ),
    ]
    overrides = [
        Override(
            id=f"ovr_{number}",
            member=PEOPLE[number % 24],
            start=START + timedelta(days=number * 7, hours=3),
            end=START + timedelta(days=number * 7, hours=11),
            created_at=START,
            created_by="bench",
        )
        for number in range(50)
    ]
    return Schedule(
        id=schedule_id,
        name=f"schedule {schedule_id}",
        time_zone="Europe/Berlin",
        layers=layers,
        overrides=overrides,
        created_at=START,
        updated_at=START,
    )


def best_cpu(step: Any, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.process_time()
        step()
        best = min(best, time.process_time() - began)
    return best


def requests_and_capacity() -> None:
    with _environment.moto_table() as (client, raw):
        table = get_settings().table_name
        meter = CapacityMeter(client, raw, table)
        schedules = [three_layers(f"sch_bench{number:02d}") for number in range(20)]
        for schedule in schedules:
            item = {
                **schedule.model_dump(mode="json", exclude_none=True),
                **ScheduleKeys.of("bench", schedule.id),
                "entity": "schedule",
                "org": "bench",
            }
            raw.put_item(TableName=table, Item=encode_item(item))
        size = item_size(encode_item({**schedules[0].model_dump(mode="json", exclude_none=True)}))
        admin = wiring.schedule_admin()
        viewer = Caller(org="bench", user="vera", roles=frozenset({Role.VIEWER}))
        meter.reset()
        admin.on_call(viewer, schedules[0].id, START + timedelta(days=40, hours=10))
        one = meter.reset()
        admin.everyone_on_call(viewer, START + timedelta(days=40, hours=10))
        everyone = meter.reset()
        print(f"schedule item (3 layers x 8 participants, 50 overrides): {size / 1024:.1f} KB")
        print(f"who is on call, one schedule: {one.describe()}")
        print(f"who is on call, 20 schedules (GET /v1/oncall): {everyone.describe()}")


def reminders() -> None:
    with _environment.moto_table() as (client, raw):
        meter = CapacityMeter(client, raw, get_settings().table_name)
        schedule = three_layers("sch_remind")
        written = START + timedelta(days=40, hours=10)
        wiring.schedule_store().create("bench", schedule, written)
        due = next_reminder_at(schedule, written)
        assert due is not None
        sent = len(reminders_due(schedule, due))
        meter.reset()
        wiring.sweeper().run(due)
        fired = meter.reset()
        print(f"a sweep firing one schedule's reminder timer ({sent} reminder sent): {fired.describe()}")
    due_cpu = best_cpu(lambda: next_reminder_at(schedule, written))
    sent_cpu = best_cpu(lambda: reminders_due(schedule, due))
    print(f"the next reminder's time (each schedule write, each firing): {due_cpu * 1000:.2f} ms CPU")
    print(f"the reminders due at a firing: {sent_cpu * 1000:.2f} ms CPU")


def cpu() -> None:
    schedule = three_layers("sch_cpu")
    year = best_cpu(lambda: final_shifts(schedule, START, START + timedelta(days=365)))
    shifts = final_shifts(schedule, START, START + timedelta(days=365))
    window = best_cpu(lambda: final_shifts(schedule, START, START + timedelta(days=93)))
    moments = [START + timedelta(hours=7 * number) for number in range(200)]
    answer = best_cpu(lambda: [on_call(schedule, moment) for moment in moments]) / len(moments)
    print(f"a year of final shifts, 3 layers: {year * 1000:.1f} ms CPU ({len(shifts)} shifts)")
    print(f"93 days of final shifts (the longest window a request may ask): {window * 1000:.1f} ms CPU")
    print(f"who is on call (one instant, with its 'until'): {answer * 1000:.2f} ms CPU")


if __name__ == "__main__":
    requests_and_capacity()
    cpu()
    reminders()
