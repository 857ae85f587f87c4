"""Weekly hours, time off and slot maths, on the real 2027 clock changes of New York and London."""

import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.appointments.hours import (
    DAY_NAMES,
    HoursSpecError,
    TimeOffError,
    WeeklyHours,
    format_hours,
    parse_hours,
    parse_time_off,
)
from booking.appointments.slots import (
    CELL_MINUTES,
    booking_window,
    day_part,
    cells,
    free_slots,
    group_by_day,
    local_starts,
    merge_practitioners,
    parse_slot_value,
    slot_value,
)
from booking.formatting import slot_label

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
# The real 2027 changes: (zone, spring-forward day, skipped wall hour, fall-back day, repeated hour).
CLOCK_CHANGES = [
    pytest.param(NEW_YORK, date(2027, 3, 14), 2, date(2027, 11, 7), 1, id="new-york"),
    pytest.param(LONDON, date(2027, 3, 28), 1, date(2027, 10, 31), 1, id="london"),
]
ZONES = [NEW_YORK, LONDON, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kathmandu")]
WEEKDAYS = parse_hours("mon-fri 09:00-12:00,13:00-17:00")
A_MONDAY = date(2027, 3, 15)
OFF_GRID = "is not on the 5-minute grid: appointments start and end on :00, :05, :10 ..."


def at(zone, day, hour, minute=0, fold=0):
    """A wall time in zone as aware UTC, the way a person reading the clock would give it."""
    return datetime(day.year, day.month, day.day, hour, minute, fold=fold, tzinfo=zone).astimezone(UTC)


def local_days(starts, zone=NEW_YORK):
    return {start.astimezone(zone).date() for start in starts}


def walls(starts, zone):
    return [start.astimezone(zone).strftime("%H:%M") for start in starts]


def offer(**overrides):
    """free_slots for one week of WEEKDAYS in New York, seen long before, unless told otherwise."""
    arguments = dict(
        hours=WEEKDAYS, time_off=[], booked_cells=set(), zone=NEW_YORK,
        now=at(NEW_YORK, date(2027, 3, 1), 8), minutes=30, min_notice=timedelta(hours=12),
        horizon_days=42, first_day=A_MONDAY,
    )  # fmt: skip
    return free_slots(**(arguments | overrides))


# --- the weekly hours spec -------------------------------------------------------------------


def test_the_issues_example_spec():
    hours = parse_hours("mon-fri 09:00-12:00,13:00-17:00; sat 08:00-12:00")
    weekday = ((time(9), time(12)), (time(13), time(17)))
    assert dict(hours) == {day: weekday for day in range(5)} | {5: ((time(8), time(12)),)}
    assert 6 not in hours and hours.ranges_on(6) == ()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("MON 9:00-10:00", {0: ((time(9), time(10)),)}),
        (" mon , wed - fri  13:00 - 14:00 , 08:00-09:00 ; ", {
            day: ((time(8), time(9)), (time(13), time(14))) for day in (0, 2, 3, 4)
        }),
        ("sat-sun 00:00-23:55", {5: ((time(0), time(23, 55)),), 6: ((time(0), time(23, 55)),)}),
        ("tue 09:00-12:00,12:00-13:00", {1: ((time(9), time(12)), (time(12), time(13)))}),
    ],
)
def test_specs_are_read_leniently_about_case_and_spaces(spec, expected):
    assert dict(parse_hours(spec)) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", 'the hours are empty: write e.g. "mon-fri 09:00-12:00,13:00-17:00"'),
        (" ; ", 'the hours are empty: write e.g. "mon-fri 09:00-12:00,13:00-17:00"'),
        ("tus 09:00-12:00", '"tus" is not a day: use mon, tue, wed, thu, fri, sat or sun'),
        ("mon-fry 09:00-12:00", '"fry" is not a day: use mon, tue, wed, thu, fri, sat or sun'),
        ("monday 09:00-12:00", '"monday" is not a day: use mon, tue, wed, thu, fri, sat or sun'),
        ("mon,,tue 09:00-12:00", '"" is not a day: use mon, tue, wed, thu, fri, sat or sun'),
        ("fri-mon 09:00-12:00", '"fri-mon" runs backwards: days run from mon to sun, so write "mon,fri-sun"'),
        ("sun-tue 09:00-12:00", '"sun-tue" runs backwards: days run from mon to sun, so write "mon-tue,sun"'),
        ("mon 13:00-12:00", '"13:00-12:00" ends before it starts'),
        ("mon 09:00-09:00", '"09:00-09:00" ends when it starts'),
        ("mon 09:00-12:00,11:00-13:00", '"11:00-13:00" overlaps "09:00-12:00"'),
        ("mon 13:00-17:00,09:00-13:05", '"13:00-17:00" overlaps "09:00-13:05"'),
        ("mon-fri 09:00-12:00; wed 13:00-17:00",
         '"wed" is given twice: put all of a day\'s times in one group'),
        ("mon,mon 09:00-12:00", '"mon" is given twice: put all of a day\'s times in one group'),
        ("mon-wed,tue 09:00-12:00", '"tue" is given twice: put all of a day\'s times in one group'),
        ("mon 09:07-12:00", f'"09:07" {OFF_GRID}'),
        ("mon 09:00-12:01", f'"12:01" {OFF_GRID}'),
        ("mon 25:00-26:00", '"25:00" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
        ("mon 09:00-24:00", '"24:00" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
        ("mon 09:60-10:00", '"09:60" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
        ("mon 9-12", '"9" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
        ("mon 9am-12pm", '"9am" is not a time of day: write 24-hour HH:MM, e.g. "13:30"'),
        ("mon 09:00-12:00 13:00-17:00",
         '"09:00-12:00 13:00-17:00" is not a time range: write HH:MM-HH:MM, e.g. "09:00-12:00",'
         " and separate ranges with commas"),
        ("mon 09:00", '"09:00" is not a time range: write HH:MM-HH:MM, e.g. "09:00-12:00",'
         " and separate ranges with commas"),
        ("mon 09:00-12:00,", '"" is not a time range: write HH:MM-HH:MM, e.g. "09:00-12:00",'
         " and separate ranges with commas"),
        ("sat", '"sat" has no times: write e.g. "sat 09:00-12:00"'),
        ("09:00-12:00", '"09:00-12:00" has no days before its times: write e.g. "mon 09:00-12:00"'),
    ],
)
def test_a_bad_spec_names_the_part_that_is_wrong(spec, message):
    with pytest.raises(HoursSpecError) as refused:
        parse_hours(spec)
    assert str(refused.value) == message


def test_the_canonical_spec_groups_equal_days_in_week_order():
    hours = parse_hours("sun 10:00-11:00; fri,thu,mon,wed 13:00-17:00,09:00-12:00; sat 10:00-11:00")
    assert format_hours(hours) == "mon,wed-fri 09:00-12:00,13:00-17:00; sat-sun 10:00-11:00"


def test_weekly_hours_cannot_be_changed_and_compare_by_value():
    hours = parse_hours("mon 09:00-10:00")
    with pytest.raises(TypeError):
        hours[1] = ((time(9), time(10)),)
    assert hours == parse_hours("mon 09:00-10:00") and hash(hours) == hash(parse_hours("mon 09:00-10:00"))
    assert hours != parse_hours("mon 09:00-10:05")


@st.composite
def weekly_hours(draw):
    """Any valid week: each day some non-overlapping grid ranges, which may touch."""
    days = {}
    for weekday in range(7):
        points = draw(st.lists(st.integers(0, 287), unique=True, max_size=6).map(sorted))
        touching = draw(st.booleans())
        ranges = []
        for first, last in zip(points[::2], points[1::2]):
            if touching and ranges and ranges[-1][1] < first:
                first = ranges[-1][1]
            ranges.append((first, last))
        days[weekday] = tuple((_grid_time(a), _grid_time(b)) for a, b in ranges)
    hours = WeeklyHours(days)
    return hours if hours else WeeklyHours({0: ((time(9), time(10)),)})


def _grid_time(cell):
    return time(cell * 5 // 60, cell * 5 % 60)


@given(weekly_hours())
def test_the_canonical_spec_parses_back_to_the_same_hours(hours):
    spec = format_hours(hours)
    assert parse_hours(spec) == hours
    assert format_hours(parse_hours(spec)) == spec


@given(weekly_hours(), st.randoms(use_true_random=False))
def test_any_spelling_of_the_same_week_parses_to_it(hours, random):
    """One group per day, in any order, any case: the same hours, the same canonical text."""
    groups = [
        f"{DAY_NAMES[day].upper() if random.random() < 0.5 else DAY_NAMES[day]}  "
        + " , ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in random.sample(ranges, len(ranges)))
        for day, ranges in hours.items()
    ]
    random.shuffle(groups)
    assert parse_hours(" ; ".join(groups)) == hours


# --- time off ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_text", "to_text", "start", "end"),
    [
        ("2027-03-10", None, at(NEW_YORK, date(2027, 3, 10), 0), at(NEW_YORK, date(2027, 3, 11), 0)),
        ("2027-03-10", "2027-03-12", at(NEW_YORK, date(2027, 3, 10), 0), at(NEW_YORK, date(2027, 3, 13), 0)),
        ("2027-03-10 13:00", "2027-03-10 17:30", at(NEW_YORK, date(2027, 3, 10), 13),
         at(NEW_YORK, date(2027, 3, 10), 17, 30)),
        ("2027-03-10T13:00", "2027-03-11T09:00", at(NEW_YORK, date(2027, 3, 10), 13),
         at(NEW_YORK, date(2027, 3, 11), 9)),
        ("2027-03-10 13:00", None, at(NEW_YORK, date(2027, 3, 10), 13), at(NEW_YORK, date(2027, 3, 11), 0)),
        ("2027-03-10", "2027-03-10 12:00", at(NEW_YORK, date(2027, 3, 10), 0),
         at(NEW_YORK, date(2027, 3, 10), 12)),
        ("2027-11-07 01:30", "2027-11-07 03:00", at(NEW_YORK, date(2027, 11, 7), 1, 30, fold=0),
         at(NEW_YORK, date(2027, 11, 7), 3)),
    ],
)
def test_time_off_is_read_on_the_clinic_clock(from_text, to_text, start, end):
    assert parse_time_off(from_text, to_text, NEW_YORK) == (start, end)


@pytest.mark.parametrize(("zone", "spring", "_skipped", "autumn", "_repeated"), CLOCK_CHANGES)
def test_a_whole_day_off_lasts_as_long_as_that_day_really_is(zone, spring, _skipped, autumn, _repeated):
    short_start, short_end = parse_time_off(spring.isoformat(), None, zone)
    long_start, long_end = parse_time_off(autumn.isoformat(), None, zone)
    assert short_end - short_start == timedelta(hours=23)
    assert long_end - long_start == timedelta(hours=25)
    assert short_start.astimezone(zone).time() == short_end.astimezone(zone).time() == time(0)


@pytest.mark.parametrize(
    ("from_text", "to_text", "message"),
    [
        ("2027-02-30", None, 'FROM "2027-02-30" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
        ("tomorrow", None, 'FROM "tomorrow" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
        ("2027-03-10", "2027-03-10 25:00",
         'TO "2027-03-10 25:00" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
        ("10/03/2027", None, 'FROM "10/03/2027" is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM'),
        ("2027-03-12", "2027-03-10", 'the time off ends ("2027-03-10") before it starts ("2027-03-12")'),
        ("2027-03-12", "2027-03-11", 'the time off ends ("2027-03-11") before it starts ("2027-03-12")'),
        ("2027-03-10 14:00", "2027-03-10 13:00",
         'the time off ends ("2027-03-10 13:00") before it starts ("2027-03-10 14:00")'),
        ("2027-03-10 14:00", "2027-03-10 14:00",
         'the time off ends ("2027-03-10 14:00") when it starts ("2027-03-10 14:00")'),
        ("2027-03-14 02:30", None,
         '"2027-03-14 02:30" does not exist in America/New_York: the clocks skip that time that day'),
        ("2027-03-14", "2027-03-14T02:00",
         '"2027-03-14T02:00" does not exist in America/New_York: the clocks skip that time that day'),
        ("9999-12-31", None, '"9999-12-31" runs off the calendar: give dates near today'),
    ],
)
def test_a_bad_time_off_names_the_part_that_is_wrong(from_text, to_text, message):
    with pytest.raises(TimeOffError) as refused:
        parse_time_off(from_text, to_text, NEW_YORK)
    assert str(refused.value) == message


# --- clock changes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "spring", "_skipped", "autumn", "_repeated"), CLOCK_CHANGES)
def test_nine_oclock_stays_nine_oclock_all_year(zone, spring, _skipped, autumn, _repeated):
    """Every day of 2027 offers 9:00 local; its UTC moves by an hour exactly on the change days."""
    hours = parse_hours("mon-sun 09:00-09:30")
    day, utc_hours = date(2027, 1, 1), {}
    while day.year == 2027:
        (start,) = local_starts(hours, zone, day, 30)
        assert start.astimezone(zone).time() == time(9) and start.astimezone(zone).date() == day
        utc_hours[day] = start.hour
        day += timedelta(days=1)
    winter, summer = utc_hours[date(2027, 1, 1)], utc_hours[date(2027, 7, 1)]
    assert winter - summer == 1
    for day, hour in utc_hours.items():
        assert hour == (summer if spring <= day < autumn else winter), day


@pytest.mark.parametrize(("zone", "spring", "skipped", "_autumn", "_repeated"), CLOCK_CHANGES)
def test_spring_forward_offers_nothing_in_the_skipped_hour(zone, spring, skipped, _autumn, _repeated):
    hours = parse_hours("mon-sun 00:00-04:00")
    starts = local_starts(hours, zone, spring, 30)
    expected = [f"{hour:02d}:{minute:02d}" for hour in (0, 1, 2, 3) if hour != skipped for minute in (0, 30)]
    assert walls(starts, zone) == expected
    assert all(start.astimezone(zone).date() == spring for start in starts)
    before_jump = starts[expected.index(f"{skipped - 1:02d}:30")]
    assert (before_jump + timedelta(minutes=30)).astimezone(zone).hour == skipped + 1  # 30 real minutes


@pytest.mark.parametrize(("zone", "_spring", "_skipped", "autumn", "repeated"), CLOCK_CHANGES)
def test_fall_back_offers_the_repeated_hour_once(zone, _spring, _skipped, autumn, repeated):
    hours = parse_hours("mon-sun 01:00-04:00")
    starts = local_starts(hours, zone, autumn, 30)
    assert walls(starts, zone) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert len({slot_label(start, zone) for start in starts}) == len(starts)
    in_repeated = [start for start in starts if start.astimezone(zone).hour == repeated]
    summer_offset = datetime(2027, 7, 1, tzinfo=zone).utcoffset()
    assert [start.astimezone(zone).utcoffset() for start in in_repeated] == [summer_offset] * 2


def test_a_length_that_does_not_divide_the_skipped_hour_never_overlaps():
    starts = local_starts(parse_hours("sun 01:00-05:00"), NEW_YORK, date(2027, 3, 14), 45)
    # 02:30 is skipped and 03:15 would overlap the 01:45 slot, which ends at 03:30 in summer time
    assert walls(starts, NEW_YORK) == ["01:00", "01:45", "04:00"]


@pytest.mark.parametrize(
    ("zone", "day", "spec", "minutes", "expected"),
    [
        (NEW_YORK, date(2027, 3, 14), "sun 00:00-02:30", 45, ["00:00", "00:45"]),  # 01:30 would end 03:15
        (NEW_YORK, date(2027, 3, 14), "sun 00:00-02:30", 60, ["00:00", "01:00"]),  # 01:00 ends at the jump
        (LONDON, date(2027, 3, 28), "sun 01:00-03:00", 30, ["02:00", "02:30"]),
        (LONDON, date(2027, 10, 31), "sun 00:30-01:30", 30, ["00:30", "01:00"]),
        (NEW_YORK, date(2027, 11, 7), "sun 01:00-02:00", 60, ["01:00"]),
    ],
)
def test_ranges_that_start_or_end_in_a_changed_hour(zone, day, spec, minutes, expected):
    """A range ends when the wall clock first reads its end: the jump itself if that time is skipped."""
    assert walls(local_starts(parse_hours(spec), zone, day, minutes), zone) == expected


CHANGE_DAYS = [date(2027, 3, 14), date(2027, 3, 28), date(2027, 10, 31), date(2027, 11, 7)]


@st.composite
def a_day_of_hours(draw):
    """Any day of 2027 in a zone with clock changes, drawn often from the change days themselves."""
    day = draw(st.one_of(st.sampled_from(CHANGE_DAYS), st.dates(date(2027, 1, 1), date(2027, 12, 31))))
    return draw(st.sampled_from(ZONES)), day, draw(weekly_hours())


@functools.cache
def clock_reaches(zone, wall):
    """The first 5-minute instant at which the wall clock reads `wall` or later, found by watching it."""
    moment = (wall - timedelta(hours=15)).replace(tzinfo=UTC)  # before it in every zone
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += timedelta(minutes=5)
    return moment


@settings(max_examples=300, deadline=None)
@given(a_day_of_hours(), st.sampled_from([5, 15, 20, 30, 45, 50, 60, 90]))
def test_every_slot_is_inside_its_hours_for_its_whole_real_length(case, minutes):
    zone, day, hours = case
    starts = local_starts(hours, zone, day, minutes)
    ranges = [(datetime.combine(day, a), datetime.combine(day, b)) for a, b in hours.ranges_on(day.weekday())]
    for start in starts:
        local = start.astimezone(zone)
        assert local.fold == 0, "a repeated wall time is offered at its first occurrence only"
        owner = next(r for r in ranges if r[0] <= local.replace(tzinfo=None) < r[1])
        assert (local.replace(tzinfo=None) - owner[0]) % timedelta(minutes=minutes) == timedelta(0)
        assert len(cells(start, minutes)) * CELL_MINUTES == minutes
        assert clock_reaches(zone, owner[0]) <= start
        assert start + timedelta(minutes=minutes) <= clock_reaches(zone, owner[1])
    for earlier, later in zip(starts, starts[1:]):
        assert later - earlier >= timedelta(minutes=minutes)


@settings(max_examples=200, deadline=None)
@given(a_day_of_hours(), st.sampled_from([15, 30, 45, 60]))
def test_on_an_ordinary_day_every_fitting_start_is_offered(case, minutes):
    zone, day, hours = case
    offsets = {datetime.combine(day + timedelta(days=n), time(0), zone).utcoffset() for n in (0, 1)}
    if len(offsets) > 1:
        return  # a change day: the two tests above pin those down
    expected = []
    for a, b in hours.ranges_on(day.weekday()):
        wall = datetime.combine(day, a)
        while wall + timedelta(minutes=minutes) <= datetime.combine(day, b):
            expected.append(wall.strftime("%H:%M"))
            wall += timedelta(minutes=minutes)
    assert walls(local_starts(hours, zone, day, minutes), zone) == expected


# --- one practitioner's free times ---------------------------------------------------------------


def test_a_week_of_weekday_hours():
    starts = offer()
    assert len(starts) == 5 * 14
    assert walls(starts[:7], NEW_YORK) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00"]
    assert local_days(starts) == {A_MONDAY + timedelta(days=n) for n in range(5)}


def test_a_whole_day_off_removes_exactly_that_day():
    off = parse_time_off("2027-03-17", None, NEW_YORK)
    starts = offer(time_off=[off])
    assert starts == [start for start in offer() if start.astimezone(NEW_YORK).date() != date(2027, 3, 17)]


def test_a_whole_day_off_on_the_short_day_keeps_the_days_either_side():
    hours = parse_hours("mon-sun 00:00-01:00,22:00-23:55")
    off = parse_time_off("2027-03-14", None, NEW_YORK)
    week = dict(hours=hours, first_day=date(2027, 3, 13), days=3)
    kept = offer(time_off=[off], **week)
    assert kept == [s for s in offer(**week) if s.astimezone(NEW_YORK).date() != date(2027, 3, 14)]
    assert local_days(kept) == {date(2027, 3, 13), date(2027, 3, 15)}


def test_part_of_a_day_off_removes_the_slots_it_touches_and_no_others():
    off = parse_time_off("2027-03-15 10:15", "2027-03-15 11:00", NEW_YORK)
    monday = [s for s in offer(time_off=[off]) if s.astimezone(NEW_YORK).date() == A_MONDAY]
    assert walls(monday, NEW_YORK) == ["09:00", "09:30", "11:00", "11:30"] + walls(monday[4:], NEW_YORK)
    assert walls(monday[4:], NEW_YORK)[0] == "13:00"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 7 * 24 * 60), st.integers(1, 3 * 24 * 60))
def test_time_off_removes_exactly_the_slots_sharing_a_minute_with_it(offset, length):
    away = at(NEW_YORK, A_MONDAY, 0) + timedelta(minutes=offset)
    back = away + timedelta(minutes=length)
    absent = {away + timedelta(minutes=n) for n in range(length)}

    def shares_a_minute(start):
        return any(start + timedelta(minutes=n) in absent for n in range(30))

    assert offer(time_off=[(away, back)]) == [start for start in offer() if not shares_a_minute(start)]


def test_minimum_notice_counts_from_now_and_includes_the_exact_moment():
    now = at(NEW_YORK, A_MONDAY, 1)
    starts = offer(now=now, min_notice=timedelta(hours=12))  # earliest 13:00 on Monday
    assert starts[0] == at(NEW_YORK, A_MONDAY, 13)
    later = offer(now=now + timedelta(minutes=1), min_notice=timedelta(hours=12))
    assert later[0] == at(NEW_YORK, A_MONDAY, 13, 30)


def test_the_horizon_counts_local_days_including_today():
    now = at(NEW_YORK, date(2027, 3, 14), 22)  # already the 15th in UTC, still the 14th in New York
    starts = offer(now=now, min_notice=timedelta(0), horizon_days=4)
    assert local_days(starts) == {date(2027, 3, 15), date(2027, 3, 16), date(2027, 3, 17)}
    assert booking_window(now=now, zone=NEW_YORK, min_notice=timedelta(0), horizon_days=4) == (
        date(2027, 3, 14), date(2027, 3, 17))
    assert booking_window(now=now, zone=NEW_YORK, min_notice=timedelta(hours=12), horizon_days=42) == (
        date(2027, 3, 15), date(2027, 4, 24))


def test_nothing_is_offered_before_now():
    assert offer(now=at(NEW_YORK, date(2027, 3, 20), 9), min_notice=timedelta(0)) == []


def test_a_booked_appointment_removes_the_slots_it_overlaps():
    other_length = set(cells(at(NEW_YORK, A_MONDAY, 10, 15), 45))  # 10:15-11:00
    starts = offer(booked_cells=other_length)
    monday = walls([s for s in starts if s.astimezone(NEW_YORK).date() == A_MONDAY], NEW_YORK)
    assert monday[:4] == ["09:00", "09:30", "11:00", "11:30"]
    assert len(starts) == len(offer()) - 2


def test_a_booked_cell_matches_whatever_zone_it_is_given_in():
    cell = at(NEW_YORK, A_MONDAY, 9).astimezone(LONDON)
    assert at(NEW_YORK, A_MONDAY, 9) not in offer(booked_cells={cell})


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, 7 * 24 * 12), max_size=40))
def test_booked_cells_remove_exactly_the_slots_holding_them(cell_numbers):
    booked = {at(NEW_YORK, A_MONDAY, 0) + timedelta(minutes=5 * n) for n in cell_numbers}
    assert offer(booked_cells=booked) == [s for s in offer() if booked.isdisjoint(cells(s, 30))]


@pytest.mark.parametrize(
    "overrides",
    [{"now": datetime(2027, 3, 1, 8)}, {"booked_cells": {datetime(2027, 3, 15, 13)}},
     {"time_off": [(datetime(2027, 3, 15), datetime(2027, 3, 16))]}, {"minutes": 7}, {"minutes": 0}],
    ids=["naive now", "naive cell", "naive time off", "off the grid", "no length"],
)
def test_inputs_that_would_silently_match_nothing_are_refused(overrides):
    with pytest.raises(ValueError):
        offer(**overrides)


# --- cells ---------------------------------------------------------------------------------------


def test_cells_are_the_five_minute_steps_of_an_appointment():
    start = at(NEW_YORK, A_MONDAY, 9)
    assert cells(start, 30) == [start + timedelta(minutes=n) for n in range(0, 30, 5)]
    assert all(cell.tzinfo == UTC for cell in cells(start.astimezone(NEW_YORK), 30))


@pytest.mark.parametrize(
    "start",
    [
        datetime(2027, 3, 15, 9, 2, tzinfo=UTC),
        datetime(2027, 3, 15, 9, 0, 30, tzinfo=UTC),
        datetime(2027, 3, 15, 9),
    ],
    ids=["off the grid", "seconds", "naive"],
)
def test_cells_refuse_a_start_that_could_miss_an_overlap(start):
    with pytest.raises(ValueError):
        cells(start, 30)


@given(st.integers(0, 500), st.integers(1, 24), st.integers(0, 500), st.integers(1, 24))
def test_two_appointments_share_a_cell_exactly_when_they_overlap(a, a_cells, b, b_cells):
    base = datetime(2027, 3, 15, tzinfo=UTC)
    first, second = base + timedelta(minutes=5 * a), base + timedelta(minutes=5 * b)
    first_end, second_end = first + timedelta(minutes=5 * a_cells), second + timedelta(minutes=5 * b_cells)
    overlap = first < second_end and second < first_end
    assert overlap == bool(set(cells(first, 5 * a_cells)) & set(cells(second, 5 * b_cells)))


# --- merging practitioners -------------------------------------------------------------------------


def test_merging_gives_each_time_to_the_least_busy_free_practitioner():
    nine, ten, eleven = (at(NEW_YORK, A_MONDAY, hour) for hour in (9, 10, 11))
    merged = merge_practitioners({1: [nine, ten], 2: [nine, eleven], 3: [ten]}, load={1: 3, 2: 1, 3: 3})
    assert merged == {nine: 2, ten: 1, eleven: 2}
    assert list(merged) == [nine, ten, eleven]


def test_a_practitioner_with_no_recorded_load_counts_as_free_and_ties_go_to_the_lower_id():
    nine = at(NEW_YORK, A_MONDAY, 9)
    assert merge_practitioners({4: [nine], 2: [nine], 7: [nine]}, load={4: 1}) == {nine: 2}


@given(st.dictionaries(st.integers(1, 6), st.sets(st.integers(0, 20)), max_size=6),
       st.dictionaries(st.integers(1, 6), st.integers(0, 10)))
def test_merging_offers_every_time_once_to_someone_free_and_least_loaded(offered, load):
    base = at(NEW_YORK, A_MONDAY, 9)
    per_practitioner = {pid: [base + timedelta(minutes=30 * n) for n in ns] for pid, ns in offered.items()}
    merged = merge_practitioners(per_practitioner, load)
    assert set(merged) == {start for starts in per_practitioner.values() for start in starts}
    for start, chosen in merged.items():
        free = [pid for pid, starts in per_practitioner.items() if start in starts]
        assert chosen in free
        assert all((load.get(chosen, 0), chosen) <= (load.get(pid, 0), pid) for pid in free)


# --- the picker's words and values ------------------------------------------------------------------


def test_starts_are_grouped_under_their_local_day():
    late = at(NEW_YORK, A_MONDAY, 20)  # already Tuesday in UTC
    early = at(NEW_YORK, A_MONDAY, 9)
    tuesday = at(NEW_YORK, A_MONDAY + timedelta(days=1), 9)
    grouped = group_by_day([tuesday, late, early], NEW_YORK)
    assert grouped == [(A_MONDAY, [early, late]), (date(2027, 3, 16), [tuesday])]


@pytest.mark.parametrize(
    ("hour", "minute", "label"),
    [
        (9, 0, "Monday 15 March, 9:00 am"),
        (12, 0, "Monday 15 March, 12:00 pm"),
        (0, 5, "Monday 15 March, 12:05 am"),
        (13, 30, "Monday 15 March, 1:30 pm"),
        (23, 55, "Monday 15 March, 11:55 pm"),
    ],
)
def test_a_label_reads_as_a_person_says_it(hour, minute, label):
    assert slot_label(at(NEW_YORK, A_MONDAY, hour, minute), NEW_YORK) == label


def test_a_value_is_local_iso_8601_with_its_offset():
    assert slot_value(at(NEW_YORK, A_MONDAY, 9), NEW_YORK) == "2027-03-15T09:00:00-04:00"
    assert slot_value(at(NEW_YORK, date(2027, 3, 12), 9), NEW_YORK) == "2027-03-12T09:00:00-05:00"
    assert slot_value(at(LONDON, date(2027, 3, 29), 9), LONDON) == "2027-03-29T09:00:00+01:00"


@given(st.sampled_from(ZONES), st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)))
def test_a_value_parses_back_to_its_instant(zone, moment):
    start = moment.replace(second=0, microsecond=0, tzinfo=UTC)  # starts are whole minutes
    assert parse_slot_value(slot_value(start, zone), zone) == start


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "2027-03-15", "2027-03-15T09:00:00", "2027-03-15T09:00:00-05:00",
     "2027-03-15T13:00:00+00:00", "2027-03-15T09:00-04:00", "2027-03-15 09:00:00-04:00",
     "2027-03-15T09:00:00-04:00 ", "2027-03-15T09:00:00-04:00" * 3,
     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", None, 20270315, "\x00", "\ud800"],
)
def test_a_bad_value_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_slot_value(text, NEW_YORK)


@given(st.text(max_size=60))
def test_any_text_either_parses_to_its_own_value_or_is_refused(text):
    try:
        start = parse_slot_value(text, NEW_YORK)
    except ValueError:
        return
    assert slot_value(start, NEW_YORK) == text and start.tzinfo == UTC


@pytest.mark.parametrize("local, part", [(time(7, 0), "morning"), (time(11, 55), "morning"), (time(12, 0), "afternoon"),
                                         (time(16, 59), "afternoon"), (time(17, 0), "evening"), (time(20, 30), "evening")])
def test_the_picker_groups_a_start_by_the_part_of_the_day_it_falls_in(local, part):
    assert day_part(local) == part
