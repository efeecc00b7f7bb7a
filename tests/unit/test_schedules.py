"""Shift computation: hand-offs across daylight-saving changes, restrictions, overrides, and properties of
the final shifts for random schedules and instants."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stormwatch.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Weekday,
    final_shifts,
    layer_shifts,
    local_instant,
    on_call,
    zone,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def schedule(layers, overrides=(), time_zone="Europe/Berlin"):
    return Schedule(
        id="sch_1",
        name="payments",
        time_zone=time_zone,
        layers=layers,
        overrides=list(overrides),
        created_at=T0,
        updated_at=T0,
    )


def layer(participants, unit="weeks", length=1, **fields):
    return Layer(
        name=fields.pop("name", "primary"),
        participants=participants,
        shift_unit=unit,
        shift_length=length,
        start_date=fields.pop("start_date", date(2026, 1, 5)),
        **fields,
    )


def override(member, start, end, created=0):
    return Override(
        id=f"ovr_{member}_{created}",
        member=member,
        start=start,
        end=end,
        created_at=T0 + timedelta(seconds=created),
        created_by="olga",
    )


def local(shift_edge, time_zone):
    return shift_edge.astimezone(zone(time_zone))


@pytest.mark.parametrize("time_zone", ["Europe/Berlin", "America/New_York"])
def test_a_weekly_rotation_hands_off_at_nine_local_across_both_daylight_saving_changes(time_zone):
    weekly = schedule([layer(["alice", "bob", "carol"], handoff_time="09:00")], time_zone=time_zone)
    shifts = final_shifts(weekly, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    handoffs = [local(shift.start, time_zone) for shift in shifts[1:]]
    assert len(handoffs) >= 42
    assert {(moment.hour, moment.minute) for moment in handoffs} == {(9, 0)}
    assert {moment.weekday() for moment in handoffs} == {0}
    offsets = {moment.utcoffset() for moment in handoffs}
    assert len(offsets) == 2  # both sides of both changes were crossed
    # The shift across each change is an hour shorter (spring) or longer (autumn).
    lengths = {shift.end - shift.start for shift in shifts[1:-1]}
    assert lengths == {timedelta(days=7), timedelta(days=7, hours=-1), timedelta(days=7, hours=1)}
    members = [shift.member for shift in shifts[1:]]
    assert all(after != before for before, after in pairwise(members))


@pytest.mark.parametrize(
    ("time_zone", "spring_forward"),
    [("Europe/Berlin", date(2026, 3, 29)), ("America/New_York", date(2026, 3, 8))],
)
def test_a_handoff_at_a_local_time_that_does_not_exist_happens_at_the_next_valid_instant(
    time_zone, spring_forward
):
    daily = schedule(
        [
            layer(
                ["alice", "bob"],
                unit="days",
                handoff_time="02:30",
                start_date=spring_forward - timedelta(days=2),
            )
        ],
        time_zone=time_zone,
    )
    shifts = final_shifts(
        daily,
        datetime.combine(spring_forward - timedelta(days=1), time(12), UTC),
        datetime.combine(spring_forward + timedelta(days=2), time(12), UTC),
    )
    handoffs = [local(shift.start, time_zone) for shift in shifts[1:]]
    assert [(moment.date(), moment.hour, moment.minute) for moment in handoffs] == [
        (spring_forward, 3, 0),
        (spring_forward + timedelta(days=1), 2, 30),
        (spring_forward + timedelta(days=2), 2, 30),
    ]


def test_a_local_time_that_exists_twice_means_its_first_occurrence():
    berlin = zone("Europe/Berlin")
    moment = local_instant(berlin, date(2026, 10, 25), time(2, 30))
    assert moment == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET


def test_hour_shifts_are_elapsed_time_so_their_local_handoff_moves_with_the_clocks():
    twelve = schedule([layer(["alice", "bob"], unit="hours", length=12, start_date=date(2026, 3, 27))])
    shifts = final_shifts(twelve, datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    assert {shift.end - shift.start for shift in shifts[1:-1]} == {timedelta(hours=12)}
    berlin_hours = [local(shift.start, "Europe/Berlin").hour for shift in shifts[1:]]
    assert berlin_hours[:2] == [21, 9] and 10 in berlin_hours


def test_restrictions_and_a_later_layer_cover_the_earlier_one_only_where_they_have_someone():
    business_hours = Restriction(
        days=[Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI], start="09:00", end="17:00"
    )
    week = schedule(
        [
            layer(["alice"], name="base"),
            layer(["bob"], name="daytime", restrictions=[business_hours]),
        ],
        time_zone="UTC",
    )
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    assert on_call(week, monday + timedelta(hours=10)).member == "bob"
    assert on_call(week, monday + timedelta(hours=10)).until == monday + timedelta(hours=17)
    assert on_call(week, monday + timedelta(hours=18)).member == "alice"
    assert on_call(week, monday + timedelta(days=5, hours=10)).member == "alice"  # Saturday


def test_a_window_past_midnight_runs_into_the_next_day():
    nights = layer(["nina"], restrictions=[Restriction(days=[Weekday.FRI], start="22:00", end="06:00")])
    spans = layer_shifts(
        nights, zone("UTC"), datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)
    )
    assert [(shift.start, shift.end) for shift in spans] == [
        (datetime(2026, 3, 6, 22, tzinfo=UTC), datetime(2026, 3, 7, 6, tzinfo=UTC)),
        (datetime(2026, 3, 13, 22, tzinfo=UTC), datetime(2026, 3, 14, 6, tzinfo=UTC)),
    ]


def test_before_its_start_date_a_layer_has_nobody():
    later = schedule([layer(["alice"], start_date=date(2026, 6, 1))])
    answer = on_call(later, datetime(2026, 5, 31, tzinfo=UTC))
    assert answer.member is None
    assert answer.until == datetime(2026, 6, 1, 7, tzinfo=UTC)  # 09:00 CEST


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"shift_unit": "days", "shift_length": 85}, "shift_length"),
        ({"shift_unit": "days", "handoff_day": "mon"}, "handoff_day"),
        (
            {
                "restrictions": [
                    {"days": ["mon"], "start": "09:00", "end": "17:00"},
                    {"days": ["mon"], "start": "16:00", "end": "18:00"},
                ]
            },
            "overlap",
        ),
        (
            {
                "restrictions": [
                    {"days": ["sun"], "start": "20:00", "end": "08:00"},
                    {"days": ["mon"], "start": "07:00", "end": "09:00"},
                ]
            },
            "overlap",
        ),
        ({"handoff_time": "25:00"}, "handoff_time"),
    ],
)
def test_invalid_layer_definitions_are_refused_naming_the_problem(fields, problem):
    with pytest.raises(ValueError, match=problem):
        Layer.model_validate(
            {
                "name": "x",
                "participants": ["alice"],
                "shift_unit": "weeks",
                "shift_length": 1,
                "start_date": "2026-01-05",
                **fields,
            }
        )


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="IANA"):
        schedule([layer(["alice"])], time_zone="Europe/Atlantis")


# Properties over random schedules. Instants range over two years around the layers' start, so they cross
# several daylight-saving changes in each zone.
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
MEMBERS = ["alice", "bob", "carol", "dave"]
instants = st.integers(min_value=0, max_value=2 * 365 * 24 * 60).map(
    lambda m: datetime(2025, 7, 1, tzinfo=UTC) + timedelta(minutes=m)
)
clocks = st.sampled_from(["00:00", "02:30", "09:00", "17:00", "23:30", "01:15"])
restrictions = st.builds(
    Restriction,
    days=st.sets(st.sampled_from(list(Weekday)), min_size=1).map(sorted),
    start=clocks,
    end=clocks,
)


@st.composite
def layers(draw, name):
    unit = draw(st.sampled_from(["hours", "days", "weeks"]))
    length = draw(st.integers(1, {"hours": 36, "days": 10, "weeks": 3}[unit]))
    windows = draw(st.lists(restrictions, max_size=1))
    return Layer(
        name=name,
        participants=draw(st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=4)),
        shift_unit=unit,
        shift_length=length,
        handoff_time=draw(clocks),
        handoff_day=draw(st.none() | st.sampled_from(list(Weekday))) if unit == "weeks" else None,
        start_date=date(2026, 1, 1) + timedelta(days=draw(st.integers(-200, 200))),
        restrictions=windows,
    )


@st.composite
def schedules(draw):
    count = draw(st.integers(0, 3))
    drawn_layers = [draw(layers(f"layer {number}")) for number in range(count)]
    drawn_overrides = [
        override(
            draw(st.sampled_from(MEMBERS)),
            start,
            start + timedelta(minutes=draw(st.integers(1, 20000))),
            created,
        )
        for created, start in enumerate(draw(st.lists(instants, max_size=3)))
    ]
    return schedule(drawn_layers, drawn_overrides, time_zone=draw(st.sampled_from(ZONES)))


def _ambiguous(moment, tz):
    wall = moment.astimezone(tz).replace(tzinfo=None)
    return wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset()


def _in_restriction(moment, tz, windows):
    """Wall-clock reading of a layer's restrictions, independent of how windows become instants."""
    if not windows:
        return True
    wall = moment.astimezone(tz)
    minute = wall.hour * 60 + wall.minute + wall.second / 60
    today = list(Weekday)[wall.weekday()]
    yesterday = list(Weekday)[(wall.weekday() - 1) % 7]
    for window in windows:
        start = int(window.start[:2]) * 60 + int(window.start[3:])
        end = int(window.end[:2]) * 60 + int(window.end[3:])
        if end > start and today in window.days and start <= minute < end:
            return True
        if end <= start and (
            (today in window.days and minute >= start) or (yesterday in window.days and minute < end)
        ):
            return True
    return False


def _reference(sched, moment):
    """Who is on call at `moment`, read directly off the definition."""
    live = [o for o in sched.overrides if o.start <= moment < o.end]
    if live:
        return max(live, key=lambda o: o.created_at).member
    tz = zone(sched.time_zone)
    for candidate in reversed(sched.layers):
        spans = layer_shifts(
            candidate.model_copy(update={"restrictions": []}), tz, moment, moment + timedelta(seconds=1)
        )
        if spans and _in_restriction(moment, tz, candidate.restrictions):
            return spans[0].member
    return None


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, st.integers(1, 20 * 24 * 60))
def test_shifts_cover_the_window_contiguously_and_agree_with_the_definition(sched, since, minutes):
    until = since + timedelta(minutes=minutes)
    shifts = final_shifts(sched, since, until)
    assert shifts[0].start == since and shifts[-1].end == until
    for before, after in pairwise(shifts):
        assert before.end == after.start and before.member != after.member
    assert all(shift.start < shift.end for shift in shifts)
    tz = zone(sched.time_zone)
    for shift in shifts:
        for moment in (
            shift.start,
            shift.start + (shift.end - shift.start) / 2,
            shift.end - timedelta(seconds=1),
        ):
            if moment >= shift.start and not _ambiguous(moment, tz):
                assert _reference(sched, moment) == shift.member


@settings(max_examples=150, deadline=None)
@given(schedules(), instants)
def test_who_is_on_call_is_the_shift_containing_the_instant_whatever_zone_it_is_given_in(sched, at):
    answer = on_call(sched, at)
    assert answer == on_call(sched, at.astimezone(zone(sched.time_zone)))
    assert answer == on_call(sched, at.astimezone(zone("Asia/Tokyo")))
    shift = final_shifts(sched, at, at + timedelta(days=93))[0]
    assert answer.member == shift.member
    assert answer.until == (shift.end if shift.end < at + timedelta(days=93) else None)
    assume(answer.until is not None)
    assert on_call(sched, answer.until).member != answer.member


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, st.integers(1, 20000), st.sampled_from(MEMBERS))
def test_an_override_replaces_exactly_its_span(sched, start, minutes, member):
    end = start + timedelta(minutes=minutes)
    since, until = start - timedelta(days=2), end + timedelta(days=2)
    before = final_shifts(sched, since, until)
    newest = override(member, start, end, created=len(sched.overrides) + 10)
    after = final_shifts(sched.model_copy(update={"overrides": [*sched.overrides, newest]}), since, until)
    assert [(s.start, s.end, s.member) for s in after if s.start < end and s.end > start] == [
        (min(s.start for s in after if s.end > start), max(s.end for s in after if s.start < end), member)
    ]
    assert _clip(after, since, start) == _clip(before, since, start)
    assert _clip(after, end, until) == _clip(before, end, until)


def _clip(shifts, since, until):
    return [
        (max(s.start, since), min(s.end, until), s.member)
        for s in shifts
        if s.end > since and s.start < until
    ]


def test_the_calendar_feed_folds_long_lines_and_escapes_text_as_rfc_5545_says():
    import icalendar

    from stormwatch.domain.calendar import calendar

    name = "Zahlungen; Nacht, Wochenende — Bereitschaft für die Überwachung der Zahlungsströme " * 2
    sched = schedule([layer(["alice"])]).model_copy(update={"name": name.strip()})
    shifts = final_shifts(sched, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC))
    text = calendar(sched, shifts, T0)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(text)
    (event,) = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"On call: alice ({name.strip()})"
