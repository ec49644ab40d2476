"""Seed 001 (热线接听流程): the hotline desk's tickets that are not complaints — consultations (咨询服务单)
and service requests (任务单) — count in figures of their own in the month's report (JSON, page, PDF):
recorded, handed to the hotline engineer inside 15 minutes (任务单由信息协调员15分钟内转交热线工程师), passed
on to the repair coordinator inside 15 more (服务信息由信息协调员15分钟内转交维修协调员), possible duplicates
(避免重复单据), turned into complaints; and never in a complaint figure."""
from __future__ import annotations

import re

from services.reporting.app import create_app
from services.reporting.figures.tickets import month_tickets
from services.reporting.models import DeskTicket
from testkit.reporting import ORG, customer, pdf_text
from testkit.tokens import bearer, user_token


def _recorded(reporting, ticket_id, kind, at, due, duplicate_of=None):
    reporting.feed("ticket.recorded", {"ticket_id": ticket_id, "kind": kind, "recorded_at": at,
                                       "handover_due_at": due, "duplicate_of": duplicate_of}, id_=f"{ticket_id}-r")


def _handed_over(reporting, ticket_id, kind, at, due, dispatch_due=None):
    reporting.feed("ticket.handed_over", {"ticket_id": ticket_id, "kind": kind, "handed_over_at": at,
                                          "handover_due_at": due, "dispatch_due_at": dispatch_due},
                   id_=f"{ticket_id}-h")


def _dispatched(reporting, ticket_id, at, due):
    reporting.feed("ticket.dispatched", {"ticket_id": ticket_id, "kind": "service_request", "dispatched_at": at,
                                         "dispatch_due_at": due}, id_=f"{ticket_id}-d")


def _converted(reporting, ticket_id, kind, complaint_id, at):
    reporting.feed("ticket.converted", {"ticket_id": ticket_id, "kind": kind, "complaint_id": complaint_id,
                                        "converted_at": at}, id_=f"{ticket_id}-c")


def _november_desk(reporting) -> None:
    """November 2026: one consultation handed over in time and turned into a complaint; two service
    requests of the same customer and product (the second a possible duplicate): the first handed over
    and passed on in time, the second handed over late and passed on late. October: one consultation."""
    reporting.at(2026, 11, 20, 10, 0)
    _recorded(reporting, "TK-1", "consultation", "2026-11-02T09:00:00+08:00", "2026-11-02T09:15:00+08:00")
    _handed_over(reporting, "TK-1", "consultation", "2026-11-02T09:10:00+08:00", "2026-11-02T09:15:00+08:00")
    _converted(reporting, "TK-1", "consultation", "CMP-TK1", "2026-11-02T09:30:00+08:00")
    _recorded(reporting, "TK-2", "service_request", "2026-11-03T10:00:00+08:00", "2026-11-03T10:15:00+08:00")
    _handed_over(reporting, "TK-2", "service_request", "2026-11-03T10:05:00+08:00", "2026-11-03T10:15:00+08:00",
                 dispatch_due="2026-11-03T10:20:00+08:00")
    _dispatched(reporting, "TK-2", "2026-11-03T10:18:00+08:00", "2026-11-03T10:20:00+08:00")
    _recorded(reporting, "TK-3", "service_request", "2026-11-04T10:00:00+08:00", "2026-11-04T10:15:00+08:00",
              duplicate_of="TK-2")
    _handed_over(reporting, "TK-3", "service_request", "2026-11-04T10:40:00+08:00", "2026-11-04T10:15:00+08:00",
                 dispatch_due="2026-11-04T10:55:00+08:00")
    _dispatched(reporting, "TK-3", "2026-11-04T11:30:00+08:00", "2026-11-04T10:55:00+08:00")
    _recorded(reporting, "TK-0", "consultation", "2026-10-30T09:00:00+08:00", "2026-10-30T09:15:00+08:00")


NOVEMBER = {"recorded": 3, "consultations": 1, "service_requests": 2,
            "handed_over_on_time": {"numerator": 2, "denominator": 3, "value": 0.6667},
            "dispatched_on_time": {"numerator": 1, "denominator": 2, "value": 0.5},
            "possible_duplicates": 1, "converted": 1}


def _client(reporting):
    return create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings,
                       "REPORTING_GENERATE_INLINE": True}).test_client()


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_seed_001_the_months_report_counts_the_desks_tickets_and_their_deadlines(reporting):
    # given November's and October's tickets
    _november_desk(reporting)
    # when the month's figures are read
    with reporting.service.connection():
        november, october = month_tickets(ORG, "2026-11"), month_tickets(ORG, "2026-10")
    # then November counts its three tickets, the hand-overs and pass-ons in time, the duplicate, the conversion
    assert november == NOVEMBER
    assert (october["recorded"], october["consultations"], october["handed_over_on_time"]["denominator"]) == (1, 1, 1)
    assert reporting.report("2026-11").desk["tickets"] == NOVEMBER
    # and the JSON of GET /api/v1/reports/<month> carries them in its desk block
    response = _client(reporting).get("/api/v1/reports/2026-11", headers=bearer(user_token("manager", org=ORG)))
    assert response.status_code == 200, response.json
    assert response.json["desk"]["tickets"] == NOVEMBER


def test_seed_001_a_ticket_never_changes_the_complaint_counts(reporting):
    # given November with one complaint raised on the hotline
    reporting.at(2026, 11, 20, 10, 0)
    reporting.feed("complaint.raised", {"complaint_id": "ERP-9", "customer": customer("C-9"), "description": "d",
                                        "source": "hotline", "raised_at": "2026-11-05T09:00:00+08:00"})
    before = reporting.report("2026-11")
    # when the desk records, hands over, passes on and converts tickets (the converted one's complaint not raised)
    _november_desk(reporting)
    after = reporting.report("2026-11")
    # then no complaint figure moved: the tickets count only in their own block
    assert after.complaints.as_dict() == before.complaints.as_dict()
    assert {k: f.as_dict() for k, f in after.figures.items()} == {k: f.as_dict() for k, f in before.figures.items()}
    assert after.findings["complaint_sources"] == before.findings["complaint_sources"]
    assert after.desk["tickets"]["recorded"] == 3


def test_seed_001_ticket_events_applied_twice_or_out_of_order_leave_the_same_row(reporting):
    # given a service request whose pass-on and hand-over arrive before its recording
    reporting.at(2026, 11, 20, 10, 0)
    _dispatched(reporting, "TK-9", "2026-11-03T10:18:00+08:00", "2026-11-03T10:20:00+08:00")
    _handed_over(reporting, "TK-9", "service_request", "2026-11-03T10:05:00+08:00", "2026-11-03T10:15:00+08:00",
                 dispatch_due="2026-11-03T10:20:00+08:00")
    _recorded(reporting, "TK-9", "service_request", "2026-11-03T10:00:00+08:00", "2026-11-03T10:15:00+08:00")
    # when the same events come again
    _recorded(reporting, "TK-9", "service_request", "2026-11-03T10:00:00+08:00", "2026-11-03T10:15:00+08:00")
    _dispatched(reporting, "TK-9", "2026-11-03T10:18:00+08:00", "2026-11-03T10:20:00+08:00")
    # then one row holds the whole ticket, counted once and in time at both steps
    with reporting.service.connection():
        assert DeskTicket.select().where(DeskTicket.ticket_id == "TK-9").count() == 1
        figures = month_tickets(ORG, "2026-11")
    assert (figures["service_requests"], figures["handed_over_on_time"]["numerator"],
            figures["dispatched_on_time"]["numerator"]) == (1, 1, 1)


def test_seed_001_the_pdf_shows_the_desks_tickets_in_both_editions(reporting):
    # given November's tickets
    _november_desk(reporting)
    client, headers = _client(reporting), bearer(user_token("manager", org=ORG))
    # when the month's PDF is read in Chinese and in English
    chinese = _flat(pdf_text(client.get("/api/v1/reports/2026-11.pdf", headers=headers).data))
    english = _flat(pdf_text(client.get("/api/v1/reports/2026-11.pdf?language=en", headers=headers).data))
    # then both show the tickets apart from the complaints, with the shares in time
    assert "热线工单(不计入投诉)" in chinese and "登记咨询服务单1" in chinese and "登记任务单2" in chinese
    assert "66.7%2/3" in chinese and "50%1/2" in chinese and "疑似重复单据1" in chinese and "转为投诉1" in chinese
    assert "Hotlinetickets(notcomplaints)" in english and "Possibleduplicates1" in english
