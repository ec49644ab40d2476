"""shared.core.calendar and .service_time: working days (RULES 1.6) and service time (RULES 2)."""

import calendar as stdlib_calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.calendar import WorkingCalendar, add_months
from shared.core.calendar_data import CalendarError
from shared.core.service_time import ServiceHours, add_service_days, add_service_hours, service_hours_between

CST = timezone(timedelta(hours=8))
OFFICIAL = WorkingCalendar()
SERVICE_HOURS = ServiceHours(start=time(8, 30), end=time(18, 0))

any_day = st.dates(min_value=date(2004, 1, 1), max_value=date(2035, 12, 31))


def at(y, m, d, hh=0, mm=0, tz=CST):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


# --- calendar months -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 18, date(2027, 7, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 20), 1, date(2027, 1, 20)),
    ],
)
def test_rules_month_arithmetic_is_clamped_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
       months=st.integers(min_value=-600, max_value=600))
def test_rules_add_months_lands_in_the_right_month_clamped(day, months):
    result = add_months(day, months)

    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    last = stdlib_calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)


# --- working days ----------------------------------------------------------------


def test_rule_1_6_national_day_2026_is_seven_holidays():
    # given the official calendar
    # then 1-7 October 2026 are holidays and the 8th is a working day
    assert [OFFICIAL.is_working_day(date(2026, 10, d)) for d in range(1, 9)] == [False] * 7 + [True]
    assert OFFICIAL.roll_forward(date(2026, 10, 1)) == date(2026, 10, 8)


def test_rule_1_6_make_up_saturday_2026_10_10_is_a_working_day():
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert OFFICIAL.is_working_day(saturday)
    assert OFFICIAL.next_working_day(date(2026, 10, 9)) == saturday
    assert not OFFICIAL.is_provisional(saturday)


def test_rule_1_6_a_2028_due_date_is_provisional():
    # given a year the official package has no data for
    # then its statutory holidays are computed (holidays package), and the day is provisional
    assert OFFICIAL.is_provisional(date(2028, 3, 15))
    assert OFFICIAL.source(date(2028, 3, 15)) == "holidays"
    assert OFFICIAL.roll_forward(date(2028, 1, 1)) == date(2028, 1, 4)  # Sat, then Jan 3 observed
    assert OFFICIAL.roll_forward(date(2028, 10, 1)) == date(2028, 10, 5)  # Sun, then Oct 2-4
    assert OFFICIAL.is_working_day(date(2028, 3, 15))
    assert not OFFICIAL.is_provisional(date(2026, 3, 16))
    assert OFFICIAL.source(date(2026, 3, 16)) == "official"


def test_rule_1_6_future_years_take_the_statutory_holidays_computed_from_the_lunar_calendar():
    # given 2027, which the official calendar has not published
    # then the Spring Festival is 2027-02-05..10 (除夕 and the first days of the lunar year)
    assert [OFFICIAL.is_working_day(date(2027, 2, d)) for d in range(4, 12)] == [True] + [False] * 6 + [True]
    # and Qingming, 1-2 May (since the 2024 revision), Dragon Boat, Mid-Autumn and the days after 1 October
    for day in (date(2027, 4, 5), date(2027, 5, 3), date(2027, 5, 4), date(2027, 6, 9), date(2027, 9, 15),
                date(2027, 10, 4), date(2027, 10, 5)):
        assert not OFFICIAL.is_working_day(day), day
    assert OFFICIAL.roll_forward(date(2027, 2, 5)) == date(2027, 2, 11)
    # still provisional, and the source that decided each date is recorded
    assert OFFICIAL.is_provisional(date(2027, 2, 8)) and OFFICIAL.source(date(2027, 2, 8)) == "holidays"
    assert OFFICIAL.sources(date(2026, 12, 31), date(2027, 1, 4)) == ("official", "holidays")


def test_rule_1_6_2005_12_31_was_a_working_day_by_the_corrections_table():
    # given the corrections table over the libraries' data (国办发明电〔2005〕35号)
    from shared.core.calendar_data import official_corrections

    correction = official_corrections()[date(2005, 12, 31)]
    assert correction.working and "35号" in correction.document
    # then Saturday 2005-12-31 is a working day, decided by the correction, not provisional
    assert date(2005, 12, 31).weekday() == 5
    assert OFFICIAL.is_working_day(date(2005, 12, 31))
    assert OFFICIAL.source(date(2005, 12, 31)) == "correction"
    assert not OFFICIAL.is_provisional(date(2005, 12, 31))
    assert OFFICIAL.next_working_day(date(2005, 12, 30)) == date(2005, 12, 31)
    # and the organisation's own calendar still wins over it
    assert not WorkingCalendar(extra_holidays=[date(2005, 12, 31)]).is_working_day(date(2005, 12, 31))


def test_rule_1_6_organisation_overrides_win():
    # given an organisation closing on Christmas Eve and working on 5 October
    calendar = WorkingCalendar.from_data(
        {"use_official": True, "holidays": ["2026-12-24"], "workdays": [date(2026, 10, 5)]}
    )
    # then its days win over the official calendar, and are not provisional
    assert OFFICIAL.is_working_day(date(2026, 12, 24))
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert calendar.is_working_day(date(2026, 10, 5))
    assert calendar.roll_forward(date(2026, 10, 1)) == date(2026, 10, 5)


def test_rule_1_6_organisation_override_in_a_provisional_year_is_not_provisional():
    calendar = WorkingCalendar(extra_holidays=[date(2028, 2, 7)])
    assert not calendar.is_working_day(date(2028, 2, 7))
    assert not calendar.is_provisional(date(2028, 2, 7))
    assert calendar.is_provisional(date(2028, 2, 8))


def test_rule_1_6_own_calendar_without_official_data():
    calendar = WorkingCalendar.from_data({"use_official": False})
    assert not calendar.is_working_day(date(2026, 10, 10))  # plain Saturday now
    assert calendar.is_working_day(date(2026, 10, 5))  # only Oct 1-3 are fixed holidays
    assert not calendar.is_provisional(date(2026, 10, 5))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"holidays": ["2026-13-01"]}, "holidays.0"),
        ({"workdays": "2026-10-10"}, "workdays"),
        ({"use_official": "perhaps"}, "use_official"),
        ({"colour": "red"}, "colour"),
        ({"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]}, "workdays"),
    ],
)
def test_rule_1_6_bad_calendar_data_names_the_field(data, field):
    with pytest.raises(CalendarError) as caught:
        WorkingCalendar.from_data(data)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


@settings(max_examples=300)
@given(day=any_day)
def test_rule_1_6_roll_forward_gives_the_first_working_day_on_or_after(day):
    rolled = OFFICIAL.roll_forward(day)

    assert rolled >= day
    assert OFFICIAL.is_working_day(rolled)
    skipped = (day + timedelta(days=i) for i in range((rolled - day).days))
    assert not any(OFFICIAL.is_working_day(d) for d in skipped)


@given(day=any_day, n=st.integers(min_value=0, max_value=40))
def test_rule_1_6_add_working_days_counts_working_days_only(day, n):
    result = OFFICIAL.add_working_days(day, n)

    assert OFFICIAL.is_working_day(result)
    between = [day + timedelta(days=i) for i in range(1, (result - day).days + 1)]
    counted = sum(OFFICIAL.is_working_day(d) for d in between)
    assert counted == (n if n else int(result != day))


# --- service time ----------------------------------------------------------------


def test_rule_2_first_reply_due_monday_0930_for_friday_1700_complaint():
    raised = at(2026, 11, 20, 17)
    due = add_service_hours(raised, 2, calendar=OFFICIAL, service_hours=SERVICE_HOURS)
    assert due == at(2026, 11, 23, 9, 30)
    assert due.tzinfo is CST


def test_rule_2_handler_answer_due_monday_1700_for_friday_1700_complaint():
    raised = at(2026, 11, 20, 17)
    due = add_service_days(raised, 1, calendar=OFFICIAL, service_hours=SERVICE_HOURS)
    assert due == at(2026, 11, 23, 17)


def test_rule_2_worked_example_in_the_named_time_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    raised = at(2026, 11, 20, 17, tz=shanghai)
    assert add_service_hours(
        raised, timedelta(hours=2), calendar=OFFICIAL, service_hours=SERVICE_HOURS
    ) == at(2026, 11, 23, 9, 30, tz=shanghai)


def test_rule_2_service_time_computed_on_the_start_wall_clock():
    # given a start expressed in UTC (Friday 17:00 in Shanghai)
    raised = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    due = add_service_hours(raised, 2, calendar=OFFICIAL, service_hours=SERVICE_HOURS)
    # then the UTC wall clock is used: 09:00 + 2 h = 11:00 UTC, same tz back
    assert due == datetime(2026, 11, 20, 11, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 20, 17), 1, at(2026, 11, 20, 18)),  # ends exactly at closing
        (at(2026, 11, 20, 18), 1, at(2026, 11, 23, 9, 30)),  # at closing: next day
        (at(2026, 11, 23, 7), 2, at(2026, 11, 23, 10, 30)),  # before opening
        (at(2026, 11, 21, 10), 2, at(2026, 11, 23, 10, 30)),  # Saturday
        (at(2026, 9, 30, 17), 2, at(2026, 10, 8, 9, 30)),  # over National Day
        (at(2026, 11, 23, 9), 0.25, at(2026, 11, 23, 9, 15)),
        (at(2026, 11, 23, 8, 30), 19, at(2026, 11, 24, 18)),  # two full service days
    ],
)
def test_rule_2_service_hours_skip_closed_time(start, hours, expected):
    assert add_service_hours(start, hours, calendar=OFFICIAL, service_hours=SERVICE_HOURS) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at(2026, 11, 20, 20), at(2026, 11, 23, 18)),  # after closing: from closing
        (at(2026, 11, 20, 7), at(2026, 11, 23, 8, 30)),  # before opening: from opening
        (at(2026, 11, 21, 10), at(2026, 11, 24, 8, 30)),  # Saturday: from Monday opening
        (at(2026, 10, 9, 11), at(2026, 10, 10, 11)),  # make-up Saturday counts
    ],
)
def test_rule_2_one_service_day_is_clamped_into_service_hours(start, expected):
    assert add_service_days(start, 1, calendar=OFFICIAL, service_hours=SERVICE_HOURS) == expected


def test_rule_2_service_hours_between_counts_service_time_only():
    hours = service_hours_between(
        at(2026, 11, 20, 17), at(2026, 11, 23, 9, 30),
        calendar=OFFICIAL, service_hours=SERVICE_HOURS,
    )
    assert hours == 2.0


def test_rule_2_naive_datetimes_are_refused():
    with pytest.raises(CalendarError):
        add_service_hours(datetime(2026, 11, 20, 17), 2, calendar=OFFICIAL, service_hours=SERVICE_HOURS)


def test_rule_2_service_hours_from_data_names_the_field():
    assert ServiceHours.from_data({"start": "08:30", "end": "18:00"}) == SERVICE_HOURS
    with pytest.raises(CalendarError) as caught:
        ServiceHours.from_data({"start": 830, "end": "18:00"})
    assert caught.value.field == "service_hours.start"
    with pytest.raises(CalendarError) as caught:
        ServiceHours.from_data({"start": "18:00", "end": "08:30"})
    assert caught.value.field == "service_hours.end"


@settings(max_examples=300)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    added_minutes=st.integers(min_value=0, max_value=60 * 200),
)
def test_rule_2_service_time_added_is_service_time_elapsed(day, minute, added_minutes):
    start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=CST)
    due = add_service_hours(start, timedelta(minutes=added_minutes),
                            calendar=OFFICIAL, service_hours=SERVICE_HOURS)

    assert due >= start
    assert OFFICIAL.is_working_day(due.date())
    assert SERVICE_HOURS.start <= due.time().replace(tzinfo=None) <= SERVICE_HOURS.end
    elapsed = service_hours_between(start, due, calendar=OFFICIAL, service_hours=SERVICE_HOURS)
    assert elapsed == pytest.approx(added_minutes / 60)


@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    days=st.integers(min_value=0, max_value=20),
)
def test_rule_2_service_days_land_on_working_days_within_service_hours(day, minute, days):
    start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=CST)
    due = add_service_days(start, days, calendar=OFFICIAL, service_hours=SERVICE_HOURS)

    assert due >= start or days == 0
    assert OFFICIAL.is_working_day(due.date())
    assert SERVICE_HOURS.start <= due.time().replace(tzinfo=None) <= SERVICE_HOURS.end
