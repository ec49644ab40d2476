"""In a real browser: the month page shows the hotline desk's tickets (seed 001 热线接听流程) apart from the
complaints — consultations and service requests recorded, handed over and passed on in time, possible
duplicates, turned into complaints — in both languages."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.reporting.domain.kpi import month_of
from testkit.events import envelope
from testkit.pages import ORG, english_text, shoot, sign_in

CST = timezone(timedelta(hours=8))


def _feed(service, type_, data):
    with service.connection():
        service.handle(envelope(type_, data, org=ORG, id_=f"t-{uuid.uuid4().hex}"))


@pytest.fixture(scope="module")
def desk_tickets(site):
    """This month in the reporting read model: a consultation handed over in time and turned into a
    complaint, and a service request (a possible duplicate) handed over in time and passed on late."""
    reporting = site.mesh.services["reporting"]
    today = datetime.now(CST).date()
    day = today.replace(day=1).isoformat()
    _feed(reporting, "ticket.recorded", {"ticket_id": "TKP-1", "kind": "consultation",
                                         "recorded_at": f"{day}T09:00:00+08:00",
                                         "handover_due_at": f"{day}T09:15:00+08:00"})
    _feed(reporting, "ticket.handed_over", {"ticket_id": "TKP-1", "kind": "consultation",
                                            "handed_over_at": f"{day}T09:05:00+08:00",
                                            "handover_due_at": f"{day}T09:15:00+08:00"})
    _feed(reporting, "ticket.converted", {"ticket_id": "TKP-1", "kind": "consultation", "complaint_id": "CMP-TKP1",
                                          "converted_at": f"{day}T09:30:00+08:00"})
    _feed(reporting, "ticket.recorded", {"ticket_id": "TKP-2", "kind": "service_request",
                                         "recorded_at": f"{day}T10:00:00+08:00",
                                         "handover_due_at": f"{day}T10:15:00+08:00", "duplicate_of": "TKP-1"})
    _feed(reporting, "ticket.handed_over", {"ticket_id": "TKP-2", "kind": "service_request",
                                            "handed_over_at": f"{day}T10:10:00+08:00",
                                            "handover_due_at": f"{day}T10:15:00+08:00",
                                            "dispatch_due_at": f"{day}T10:25:00+08:00"})
    _feed(reporting, "ticket.dispatched", {"ticket_id": "TKP-2", "kind": "service_request",
                                           "dispatched_at": f"{day}T10:40:00+08:00",
                                           "dispatch_due_at": f"{day}T10:25:00+08:00"})
    return month_of(today)


def test_seed_001_the_month_page_shows_the_desks_tickets_apart_from_complaints(new_page, site, desk_tickets):
    # given this month's tickets; when a manager opens the month page in Chinese
    page = new_page("zh-CN")
    sign_in(page, site, "zhang", service="reporting")
    page.goto(site.url("reporting", f"/reports/{desk_tickets}"))
    page.wait_for_selector("#month-tickets")
    block = page.locator("#month-tickets").inner_text()
    # then the tickets are counted in their own block, with the shares in time
    assert "热线工单（不计入投诉）" in block
    assert page.locator("#tickets-consultations dd").inner_text().strip() == "1"
    assert page.locator("#tickets-requests dd").inner_text().strip() == "1"
    assert "100% 2/2" in page.locator("#tickets-handed-over dd").inner_text()
    assert "0% 0/1" in page.locator("#tickets-dispatched dd").inner_text()
    assert page.locator("#tickets-duplicates dd").inner_text().strip() == "1"
    assert page.locator("#tickets-converted dd").inner_text().strip() == "1"
    page.locator("#month-tickets").scroll_into_view_if_needed()
    shoot(page, "reporting-month-tickets")
    # and in English every label is translated
    english = new_page("en")
    sign_in(english, site, "zhang", service="reporting")
    english.goto(site.url("reporting", f"/reports/{desk_tickets}?lang=en"))
    english.wait_for_selector("#month-tickets")
    text = english_text(english)
    assert "Hotline tickets (not complaints)" in text and "Possible duplicates" in text
    shoot(english, "reporting-month-tickets-en")
