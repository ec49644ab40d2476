"""Rules fidelity, the complaints service: verification without objection, repeat
complaints, provisional deadlines and their re-planning, the special remark of the flag."""
from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from services.complaints import jobs
from services.complaints.service import SERVICE
from shared.core import calendar as shared_calendar
from shared.core import orgdata
from testkit.concurrency import run_overlapping
from testkit.databases import TEST_DB
from testkit.complaints import at
from testkit.complaints import handle, raised, resolved, verification


def test_rule_2_a_neutral_verification_closes_the_complaint_with_the_answer_recorded(api, clock):
    # given a resolved complaint
    resolved(api, clock)
    # when the verification callback finds the customer neither satisfied nor dissatisfied
    handle(verification(product="neutral", service="satisfied"))
    # then no objection closes it (seed 002: 满意或没有提出异议的,可认为投诉处理已闭合), answers recorded
    body = api.get("K-1").get_json()
    assert body["state"] == "closed"
    (entry,) = api.history("K-1", "closed")
    assert "neutral" in entry.reason
    (closed,) = api.events("complaint.closed")
    assert "neutral" in closed["data"]["verification"]
    assert api.events("complaint.reopened") == []


def test_rule_2_a_dissatisfied_reason_alone_still_reopens(api, clock):
    resolved(api, clock)
    handle(verification(product="neutral", service="neutral", dissatisfied_reason="异味仍在"))
    assert api.get("K-1").get_json()["state"] == "open"


def test_rule_2_a_special_callback_of_the_complaint_is_no_verification(api, clock):
    resolved(api, clock)
    handle(verification(product="very_dissatisfied", service="dissatisfied", verification=False,
                        dissatisfied_reason="x"))
    assert api.get("K-1").get_json()["state"] == "resolved"


def test_rule_1_3_repeat_complaint_gets_a_rework_deadline_within_24_hours_and_a_special_callback(api, clock):
    # given a complaint about order SO-1, and a second one about it within the window
    handle(raised("K-1", order_id="SO-1", raised_at="2026-11-10T10:00:00+08:00"))
    handle(raised("K-2", order_id="SO-1", raised_at="2026-11-20T17:00:00+08:00"))
    # then the repeat has a rework deadline 24 hours (wall clock) later, visible in the API
    body = api.get("K-2").get_json()
    assert body["repeat"] is True and body["rework_due_at"] == "2026-11-21T17:00:00+08:00"
    assert api.get("K-1").get_json()["rework_due_at"] is None
    # and the scheduler is told to plan the special callback (complaint.repeated)
    (repeated,) = api.events("complaint.repeated")
    assert repeated["data"]["complaint_id"] == "K-2" and repeated["data"]["order_id"] == "SO-1"
    assert repeated["data"]["rework_due_at"] == "2026-11-21T17:00:00+08:00"
    assert repeated["data"]["customer"]["id"] == "C-1"
    # when the rework is recorded in time
    clock.set(at(2026, 11, 21, 9, 0))
    response = api.post("K-2", "rework", {"note": "更换排水管"}, role="agent")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["reworked_at"] == "2026-11-21T09:00:00+08:00"
    assert "rework: 更换排水管" in api.history("K-2", "reworked")[0].reason
    # and a second rework, or one on a complaint that is no repeat, is refused
    assert api.post("K-2", "rework", {"note": "again"}, role="agent").status_code == 409
    assert api.post("K-1", "rework", {"note": "x"}, role="agent").status_code == 409


def test_rule_1_3_a_repeat_does_not_depend_on_the_order_complaints_arrive_in(api, clock):
    # given the later complaint about order SO-1 handled first (a retry, another worker thread)
    handle(raised("K-2", order_id="SO-1", raised_at="2026-11-20T17:00:00+08:00"))
    assert api.get("K-2").get_json()["repeat"] is False and api.events("complaint.repeated") == []
    # when the earlier one arrives
    handle(raised("K-1", order_id="SO-1", raised_at="2026-11-10T10:00:00+08:00"))
    # then the later one is the repeat, as if they had come in order: its rework deadline from its own
    # raising, the special callback asked for once, and its history says why
    body = api.get("K-2").get_json()
    assert body["repeat"] is True and body["rework_due_at"] == "2026-11-21T17:00:00+08:00"
    assert api.get("K-1").get_json()["repeat"] is False
    (repeated,) = api.events("complaint.repeated")
    assert repeated["data"]["complaint_id"] == "K-2" and repeated["data"]["rework_due_at"] == "2026-11-21T17:00:00+08:00"
    (entry,) = api.history("K-2", "repeat_found")
    assert "K-1" in entry.reason
    # and the earlier one delivered again changes nothing
    handle(raised("K-1", order_id="SO-1", raised_at="2026-11-10T10:00:00+08:00"))
    assert len(api.events("complaint.repeated")) == 1


def test_rule_1_3_a_late_earlier_complaint_outside_the_window_makes_no_repeat(api, clock):
    handle(raised("K-2", order_id="SO-1", raised_at="2026-11-20T17:00:00+08:00"))
    handle(raised("K-1", order_id="SO-1", raised_at="2026-09-01T10:00:00+08:00"))
    assert api.get("K-2").get_json()["repeat"] is False and api.events("complaint.repeated") == []


def test_rule_1_3_a_missed_rework_deadline_escalates_like_any_deadline(api, clock):
    handle(raised("K-1", order_id="SO-1", raised_at="2026-11-10T10:00:00+08:00"))
    handle(raised("K-2", order_id="SO-1", raised_at="2026-11-20T17:00:00+08:00"))
    api.post("K-2", "reply", {"message": "已安排", "answer": True}, role="agent")
    SERVICE.run(jobs.sweep_due, now=at(2026, 11, 21, 17, 1))
    body = api.get("K-2").get_json()
    assert body["level"] == 1 and "rework" in body["history"][-1]["reason"]


def test_rule_2_special_remark_goes_with_the_flag_with_who_set_it(api, clock):
    # given a complaint resolved by an advisor with a special remark (特别备注)
    handle(raised())
    clock.set(at(2026, 11, 23, 10, 0))
    api.post("K-1", "escalate", {"reason": "需服务顾问处理"}, role="agent")
    response = api.post("K-1", "resolve", {"root_cause": "态度", "corrective_action": "培训",
                                           "special_remark": "重点关注: 服务态度投诉"}, role="advisor")
    assert response.get_json()["special_remark"] == "重点关注: 服务态度投诉"
    # when the flag is due the next day
    SERVICE.run(jobs.sweep_due, now=at(2026, 11, 24, 10, 1))
    # then customer.flagged carries the remark's text, who set it and when
    (flagged,) = api.events("customer.flagged")
    assert flagged["data"]["remark"] == "重点关注: 服务态度投诉"
    assert flagged["data"]["flagged_by"] == "advisor-1"
    assert flagged["data"]["flagged_at"].startswith("2026-11-24T10:01")


def _publish_2027(monkeypatch, *, spring_festival: tuple[date, date]):
    """Pretends the official calendar package has published 2027, with this Spring Festival."""
    real = chinese_calendar.is_workday
    first, last = spring_festival

    def is_workday(day):
        if day.year == 2027:
            return day.weekday() < 5 and not first <= day <= last
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)
    monkeypatch.setattr(shared_calendar, "official_year_published", lambda year: year <= 2027)
    monkeypatch.setattr(orgdata, "_parsed", {})  # the organisation's calendar is read again


def test_rule_1_6_complaint_deadlines_on_a_provisional_day_are_marked_provisional(api, clock):
    # given a complaint raised on the eve of the 2027 Spring Festival, a year not published yet
    handle(raised(raised_at="2027-02-04T17:00:00+08:00"))
    body = api.get("K-1").get_json()
    # then its answer falls after the computed holidays (2027-02-05..10) and is provisional
    assert body["answer_due_at"] == "2027-02-11T17:00:00+08:00"
    assert body["provisional"] is True
    assert set(body["provisional_deadlines"]) == {"first_reply", "answer"}
    # and a complaint of a published year is not
    handle(raised("K-2", raised_at="2026-11-20T17:00:00+08:00"))
    assert api.get("K-2").get_json()["provisional"] is False


def test_rule_1_6_provisional_deadlines_are_replanned_once_the_year_is_published(api, clock, monkeypatch):
    # given a complaint whose deadlines were counted over the computed 2027 Spring Festival
    handle(raised(raised_at="2027-02-04T17:00:00+08:00"))
    # when the official calendar publishes 2027 with the holidays from 2027-02-06, and the job runs
    _publish_2027(monkeypatch, spring_festival=(date(2027, 2, 6), date(2027, 2, 12)))
    clock.set(at(2027, 1, 10, 8, 0))
    moved = SERVICE.run(jobs.replan_provisional_deadlines)
    # then its open deadlines are computed again: Friday 2027-02-05 is a working day now
    assert moved == [("acme-electric", "K-1", ("first_reply", "answer"))]
    body = api.get("K-1").get_json()
    assert body["first_reply_due_at"] == "2027-02-05T09:30:00+08:00"
    assert body["answer_due_at"] == "2027-02-05T17:00:00+08:00"
    assert body["provisional"] is False
    (entry,) = api.history("K-1", "deadlines_replanned")
    assert "2027-02-11T17:00:00+08:00 -> 2027-02-05T17:00:00+08:00" in entry.reason
    (event,) = api.events("complaint.deadlines_moved")
    assert event["data"]["moved"] == ["first_reply", "answer"]
    # and running it again moves nothing
    assert SERVICE.run(jobs.replan_provisional_deadlines) == []


@pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite serialises writers: nothing to race")
def test_rule_1_3_two_complaints_about_one_order_handled_at_once_make_one_repeat(api):
    from services.complaints import handlers

    # when two complaints about order SO-1 are handled at once by two workers (the later one first)
    run_overlapping(SERVICE, handlers.HANDLERS,
                    ("complaint.raised", raised("K-2", order_id="SO-1", raised_at="2026-11-20T17:00:00+08:00")["data"]),
                    ("complaint.raised", raised("K-1", order_id="SO-1", raised_at="2026-11-10T10:00:00+08:00")["data"]))
    # then the later one is the repeat, once
    assert api.get("K-2").get_json()["repeat"] is True and api.get("K-1").get_json()["repeat"] is False
    assert [e["data"]["complaint_id"] for e in api.events("complaint.repeated")] == ["K-2"]
