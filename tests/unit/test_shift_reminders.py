"""Shift reminders, as pure rules of a schedule and an instant: whom to remind when, the next reminder's
time, and across any run of timely sweeps each shift reminded exactly once, before it starts."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stormwatch.domain.schedules import (
    REMINDER_LOOKAHEAD,
    ShiftReminder,
    final_shifts,
    next_reminder_at,
    reminders_due,
    with_reminded,
)
from tests.unit.test_schedules import instants, layer, override, schedule, schedules

# Sunday 1 March 2026; alice's first weekly shift starts on Monday 2 March at 09:00 Berlin (08:00 UTC).
SUNDAY = datetime(2026, 3, 1, tzinfo=UTC)
MONDAY = datetime(2026, 3, 2, 8, tzinfo=UTC)
WEEK = timedelta(weeks=1)


def weekly(**fields):
    rotation = layer(["alice", "bob"], handoff_time="09:00", handoff_day="mon", start_date=date(2026, 3, 2))
    return schedule([rotation]).model_copy(update=fields)


def test_a_member_is_reminded_a_day_before_their_shift_and_once():
    rota = weekly()
    assert next_reminder_at(rota, SUNDAY) == MONDAY - timedelta(hours=24)
    assert reminders_due(rota, MONDAY - timedelta(hours=24, minutes=1)) == []
    due = reminders_due(rota, MONDAY - timedelta(hours=24))
    assert due == [ShiftReminder("alice", MONDAY, MONDAY + WEEK)]
    reminded = with_reminded(rota, due, MONDAY - timedelta(hours=24))
    assert reminders_due(reminded, MONDAY - timedelta(hours=1)) == []
    # The next: bob's, a day before the following Monday.
    assert next_reminder_at(reminded, MONDAY - timedelta(hours=24)) == MONDAY + WEEK - timedelta(hours=24)


def test_the_lead_is_the_schedules_and_zero_sends_none():
    assert next_reminder_at(weekly(reminder_hours=2), SUNDAY) == MONDAY - timedelta(hours=2)
    assert next_reminder_at(weekly(reminder_hours=0), SUNDAY) is None
    assert reminders_due(weekly(reminder_hours=0), MONDAY - timedelta(hours=1)) == []


def test_a_shift_that_started_is_not_reminded_of():
    # The sweep came late: alice is on call already, and nobody is told of a shift that has begun.
    late = MONDAY + timedelta(minutes=5)
    assert reminders_due(weekly(), late) == []
    assert next_reminder_at(weekly(), late) == MONDAY + WEEK - timedelta(hours=24)


def test_an_override_within_the_lead_makes_shifts_that_are_due_at_once():
    now = MONDAY + timedelta(days=2)
    covered = weekly(overrides=[override("carol", now + timedelta(hours=3), now + timedelta(hours=5))])
    assert next_reminder_at(covered, now) == now
    # carol covers two hours; alice's shift resumes after them: a shift of its own, and she hears of it.
    assert reminders_due(covered, now) == [
        ShiftReminder("carol", now + timedelta(hours=3), now + timedelta(hours=5)),
        ShiftReminder("alice", now + timedelta(hours=5), MONDAY + WEEK),
    ]


def test_a_shift_reminded_of_is_not_reminded_again_and_one_that_changed_is():
    sent_at = MONDAY - timedelta(hours=24)
    reminded = with_reminded(weekly(), reminders_due(weekly(), sent_at), sent_at)
    renamed = reminded.model_copy(update={"name": "payments and billing"})
    assert reminders_due(renamed, sent_at + timedelta(hours=1)) == []
    # Swapping the rotation's order makes bob's the shift starting on Monday: he has not heard of it.
    swapped = reminded.model_copy(
        update={"layers": [reminded.layers[0].model_copy(update={"participants": ["bob", "alice"]})]}
    )
    assert reminders_due(swapped, sent_at + timedelta(hours=1)) == [
        ShiftReminder("bob", MONDAY, MONDAY + WEEK)
    ]


def test_the_shifts_reminded_of_are_forgotten_once_they_start():
    sent_at = MONDAY - timedelta(hours=24)
    reminded = with_reminded(weekly(), reminders_due(weekly(), sent_at), sent_at)
    assert [(shift.member, shift.start) for shift in reminded.reminded] == [("alice", MONDAY)]
    later = with_reminded(reminded, [], MONDAY)
    assert later.reminded == []


def test_a_schedule_with_no_shift_soon_looks_again_later():
    far = schedule([layer(["alice", "bob"], start_date=date(2026, 9, 7))])
    assert next_reminder_at(far, SUNDAY) == SUNDAY + REMINDER_LOOKAHEAD


def test_nobody_is_reminded_of_a_stretch_where_nobody_is_on_call():
    # alice alone, all the time: one endless shift that never starts again.
    solo = schedule([layer(["alice"], start_date=date(2026, 1, 5))])
    assert reminders_due(solo, SUNDAY) == []
    assert next_reminder_at(solo, SUNDAY) == SUNDAY + REMINDER_LOOKAHEAD


@settings(max_examples=40, deadline=None)
@given(schedules(), instants, st.sampled_from([1, 6, 24]))
def test_timely_sweeps_remind_each_shift_once_at_its_lead_before_it_starts(sched, start, hours):
    sched = sched.model_copy(update={"reminder_hours": hours})
    lead = timedelta(hours=hours)
    horizon = start + timedelta(days=4)
    sent: list[tuple[str, datetime, datetime]] = []
    now = start
    while True:
        due_at = next_reminder_at(sched, now)
        assert due_at is not None and due_at >= now
        if due_at > horizon:
            break
        now = due_at
        due = reminders_due(sched, now)
        sent += [(reminder.member, reminder.start, now) for reminder in due]
        sched = with_reminded(sched, due, now)
        # Everything due at `now` is sent: the next reminder is later.
        assert next_reminder_at(sched, now) > now
    expected = {
        (shift.member, shift.start)
        for shift in final_shifts(sched, start, horizon + lead)[1:]
        if shift.member is not None and shift.start - lead <= horizon
    }
    assert len({(member, at) for member, at, _ in sent}) == len(sent), "a shift reminded twice"
    assert {(member, at) for member, at, _ in sent} == expected
    for _, shift_start, sent_at in sent:
        assert sent_at == max(shift_start - lead, start) and sent_at < shift_start
