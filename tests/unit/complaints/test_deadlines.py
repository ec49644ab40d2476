"""RULES 2 + 1.6: the 2-1-1 deadlines count service time on working days only."""
import pytest

from testkit.complaints_domain import at


def test_rule_2_worked_example_friday_evening(raise_at):
    # given a complaint raised Friday 2026-11-20 17:00
    c = raise_at(at(2026, 11, 20, 17, 0))
    # then the first reply is due Monday 09:30 (1 h on Friday + 1 h on Monday)
    assert c.first_reply_due_at == at(2026, 11, 23, 9, 30)
    # and the handler's answer Monday 17:00 (one service day, same clock time)
    assert c.answer_due_at == at(2026, 11, 23, 17, 0)


@pytest.mark.parametrize(
    "raised, first_reply_due, answer_due",
    [
        # inside one working day
        (at(2026, 11, 18, 10, 0), at(2026, 11, 18, 12, 0), at(2026, 11, 19, 10, 0)),
        # ends exactly at closing time: stays that day
        (at(2026, 11, 18, 16, 0), at(2026, 11, 18, 18, 0), at(2026, 11, 19, 16, 0)),
        # before opening: the clock starts at 08:30
        (at(2026, 11, 18, 7, 0), at(2026, 11, 18, 10, 30), at(2026, 11, 19, 8, 30)),
        # Saturday: nothing counts until Monday 08:30
        (at(2026, 11, 21, 10, 0), at(2026, 11, 23, 10, 30), at(2026, 11, 24, 8, 30)),
        # Friday night after closing: counts from Monday's opening, answer from Friday's close
        (at(2026, 11, 20, 20, 0), at(2026, 11, 23, 10, 30), at(2026, 11, 23, 18, 0)),
    ],
)
def test_rule_2_deadlines_across_the_weekend(raise_at, raised, first_reply_due, answer_due):
    c = raise_at(raised)
    assert (c.first_reply_due_at, c.answer_due_at) == (first_reply_due, answer_due)


def test_rule_1_6_national_day_2026_holidays_do_not_count(raise_at):
    # given a complaint raised the evening before National Day (Oct 1-7 are holidays)
    c = raise_at(at(2026, 9, 30, 17, 0))
    # then the clock resumes on Thursday 2026-10-08
    assert c.first_reply_due_at == at(2026, 10, 8, 9, 30)
    assert c.answer_due_at == at(2026, 10, 8, 17, 0)


def test_rule_1_6_complaint_raised_during_national_day_waits_for_october_8(raise_at):
    c = raise_at(at(2026, 10, 3, 11, 0))
    assert c.first_reply_due_at == at(2026, 10, 8, 10, 30)
    assert c.answer_due_at == at(2026, 10, 9, 8, 30)


def test_rule_1_6_make_up_saturday_2026_10_10_is_a_working_day(raise_at):
    # given Friday 2026-10-09 17:00
    c = raise_at(at(2026, 10, 9, 17, 0))
    # then the deadlines fall on the make-up working Saturday
    assert c.first_reply_due_at == at(2026, 10, 10, 9, 30)
    assert c.answer_due_at == at(2026, 10, 10, 17, 0)


def test_rule_1_6_after_the_make_up_saturday_sunday_is_off(raise_at):
    c = raise_at(at(2026, 10, 10, 17, 0))
    assert c.first_reply_due_at == at(2026, 10, 12, 9, 30)
    assert c.answer_due_at == at(2026, 10, 12, 17, 0)


def test_rule_2_deadlines_are_computed_from_raised_at_and_never_moved(raise_at, policy, chain, calendar):
    from services.complaints.domain.deadlines import sweep
    c = raise_at(at(2026, 11, 20, 17, 0))
    later = sweep(c, at(2026, 11, 25, 12, 0), policy, chain, calendar).complaint
    later = sweep(later, at(2026, 11, 26, 12, 0), policy, chain, calendar).complaint
    assert later.level == 2
    assert (later.first_reply_due_at, later.answer_due_at) == (c.first_reply_due_at, c.answer_due_at)
