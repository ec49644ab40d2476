"""The reporting service's pages in a real browser: the report room (报告室) with this month so far,
making a month's report in the background, its preview with the PDF's charts, the PDF in both
editions, sending it again; the rows behind a figure; and who may not open any of it.

The read model is fed in-process (the reporting service's own handlers) with three months of
callbacks, orders and complaints ending with the running month.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.reporting.domain.kpi import month_of, previous_months
from services.reporting.models import Report
from shared.users.store import save_person
from testkit.events import envelope
from testkit.polling import eventually
from testkit.pages import CJK, ORG, english_text, shoot, sign_in

CST = timezone(timedelta(hours=8))
MANAGER_EMAIL = "zhang@acme.example"


def _customer(cid, segment="ordinary", name=None):
    return {"id": cid, "name": name or f"客户{cid}", "segment": segment, "phone": "13812345678"}


def _feed(service, type_, data):
    with service.connection():
        service.handle(envelope(type_, data, org=ORG, id_=f"t-{uuid.uuid4().hex}"))


def _month_days(month: str, today: date):
    """Gives days 1..5 of a month, none after today."""
    year, number = map(int, month.split("-"))
    return [d for d in (date(year, number, n) for n in (1, 2, 3, 4, 5)) if d <= today] or [today]


@pytest.fixture(scope="module")
def months(site):
    """Three months of figures in the reporting read model; the manager gets an e-mail address."""
    scheduler = site.mesh.services["scheduler"]
    scheduler.run(save_person, organization=ORG, login="zhang", role="manager", name="张伟", email=MANAGER_EMAIL)
    reporting = site.mesh.services["reporting"]
    today = datetime.now(CST).date()
    this_month = month_of(today)
    answers = ["very_satisfied", "satisfied", "neutral", "dissatisfied"]
    for m_index, month in enumerate([*previous_months(this_month, 2), this_month]):
        for n, day in enumerate(_month_days(month, today)):
            cust = _customer(f"K{n}", "vip" if n % 2 else "ordinary", name=["华东电力", "长春集团", "王建国", "李明", "赵强"][n])
            order = f"O-{month}-{n}"
            _feed(reporting, "service_order.completed", {
                "order_id": order, "customer": cust, "business_line": "vehicle", "kind": "maintenance",
                "completed_at": f"{day.isoformat()}T10:00:00+08:00"})
            callback = f"CB-{month}-{n}"
            _feed(reporting, "callback.scheduled", {"callback_id": callback, "kind": "first", "due_on": day.isoformat(),
                                                    "customer_id": cust["id"], "order_id": order})
            if (n + m_index) % 3:
                answer = answers[(n + m_index) % 4]
                _feed(reporting, "callback.completed", {
                    "callback_id": callback, "kind": "first", "due_on": day.isoformat(), "customer": cust,
                    "key_customer": bool(n % 2), "reached": True, "product_satisfaction": answer,
                    "service_satisfaction": answers[(n + 1) % 3], "complaint_id": None, "duration_s": 120,
                    "suggestions": "希望延长保修" if n == 1 else None,
                    "dissatisfied_reason": "噪音大" if answer == "dissatisfied" else None})
        day = _month_days(month, today)[0]
        _feed(reporting, "complaint.raised", {
            "complaint_id": f"P-{month}", "customer": _customer("K0", name="华东电力"), "description": "等待时间太长",
            "category": ["service_quality", "waiting_time", "attitude"][m_index], "source": "walk_in",
            "raised_at": f"{day.isoformat()}T09:00:00+08:00"})
    eventually(lambda: _email_known(reporting), timeout=30, message="the manager's e-mail to reach reporting")
    # the schedule (data/schedule.yaml: by the 3rd, the previous month) makes last month's report by
    # itself as soon as the organisation has events: the manager makes the month before it
    return {"this": this_month, "last": previous_months(this_month, 1)[0],
            "made_by_hand": previous_months(this_month, 2)[0]}


def _email_known(reporting) -> bool:
    with reporting.connection():
        return MANAGER_EMAIL in reporting.users.emails_of_role(ORG, "manager")


def _stored(site, month):
    reporting = site.mesh.services["reporting"]
    with reporting.connection():
        return Report.get_or_none(Report.organization == ORG, Report.month == month)


def test_a_manager_makes_the_months_report_previews_it_downloads_the_pdf_and_sends_it(page, site, months):
    sign_in(page, site, "zhang", service="reporting")
    page.goto(site.url("reporting", "/"))
    row = page.locator(f"#months tr[data-month='{months['made_by_hand']}']")
    assert row.get_attribute("data-status") == "not_made"
    assert page.locator(".r-tile").count() >= 8  # this month so far, each figure against its target
    shoot(page, "reporting-room.zh")

    page.evaluate("window.__no_reload = true")
    row.locator("button", has_text="生成").click()
    page.wait_for_selector(f"#months tr[data-month='{months['made_by_hand']}'][data-status='making']", timeout=10000)
    making = page.locator(f"#months tr[data-month='{months['made_by_hand']}']")
    assert making.locator("[role=progressbar]").count() == 1  # its progress, on the page
    shoot(page, "reporting-room-making.zh")
    page.wait_for_selector(f"#months tr[data-month='{months['made_by_hand']}'][data-status='ready']", timeout=60000)
    assert page.evaluate("window.__no_reload") is True  # made in the background; the table refreshed itself
    assert _stored(site, months["made_by_hand"]) is not None

    with page.expect_navigation():
        page.locator(f"#months tr[data-month='{months['made_by_hand']}'] a", has_text="预览").click()
    assert page.locator("h1").inner_text().startswith("报告室")
    assert page.locator(".r-svg svg").count() >= 3  # the PDF's charts: trend, satisfaction, complaints
    assert "回访完成率" in page.locator(".r-summary").inner_text()
    shoot(page, "reporting-month.zh")

    for code in ("zh-CN", "en"):
        with page.expect_download() as download:
            page.locator(f".o-actions a.r-pdf[lang='{code}']").click()
        content = open(download.value.path(), "rb").read()
        assert content.startswith(b"%PDF") and len(content) > 10000
        assert download.value.suggested_filename.endswith(".pdf")

    page.goto(site.url("reporting", "/"))
    page.locator(f"#months tr[data-month='{months['made_by_hand']}'] button", has_text="发送").click()
    page.wait_for_selector(f"#months tr[data-month='{months['made_by_hand']}'][data-status='sent']", timeout=60000)
    sent = page.locator(f"#months tr[data-month='{months['made_by_hand']}']")
    assert MANAGER_EMAIL in sent.inner_text()  # when and to whom
    assert _stored(site, months["made_by_hand"]).send_status == "sent"
    shoot(page, "reporting-room-sent.zh")


def test_each_figure_of_this_month_so_far_opens_the_rows_behind_it(page, site, months):
    sign_in(page, site, "chen", service="reporting")  # a reception supervisor
    page.goto(site.url("reporting", "/"))
    tile = page.locator(".r-tile[data-figure='callback_completion_rate']")
    counts = tile.locator(".r-tile-counts").inner_text()
    numerator, denominator = (int(x) for x in counts.split("/"))
    with page.expect_navigation():
        tile.locator("a").click()
    assert page.locator("#rows tbody tr").count() == denominator
    assert page.locator("#rows tbody tr:not(.r-not-counted)").count() == numerator
    shoot(page, "reporting-rows.zh")
    with page.expect_navigation():
        page.locator(".r-only a", has_text="未计入的").click()
    assert page.locator("#rows tbody tr").count() == denominator - numerator

    page.goto(site.url("reporting", f"/reports/{months['this']}/rows/touched_rate"))
    assert page.locator("#rows tbody tr").count() >= 1  # the customers served this month


def test_an_advisor_opening_the_report_room_gets_403(page, site, months):
    sign_in(page, site, "zhao", service="reporting")  # a service advisor
    for path in ("/", f"/reports/{months['last']}", f"/reports/{months['last']}.pdf",
                 f"/reports/{months['last']}/rows/touched_rate"):
        answer = page.goto(site.url("reporting", path))
        assert answer.status == 403, path
    assert page.locator("h1").inner_text() == "无权访问"
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(site.url("reporting", f"/reports/{months['this']}/make"), form={"csrf_token": token})
    assert refused.status == 403
    assert _stored(site, months["this"]) is None
    shoot(page, "reporting-403.zh")


def test_english_pages_have_no_untranslated_labels_and_screenshots(new_page, site, months):
    page = new_page("en-US")
    sign_in(page, site, "zhang", service="reporting")
    for path, name in (("/", "reporting-room"), (f"/reports/{months['last']}", "reporting-month"),
                       (f"/reports/{months['this']}", "reporting-month-running"),
                       (f"/reports/{months['this']}/rows/product_satisfaction_rate", "reporting-rows")):
        page.goto(site.url("reporting", path))
        assert page.locator("html").get_attribute("lang") == "en"
        leftovers = CJK.findall(english_text(page))
        assert leftovers == [], f"untranslated Chinese on {path}: {''.join(leftovers)}"
        shoot(page, f"{name}.en")
    chinese = new_page()
    sign_in(chinese, site, "zhang", service="reporting")
    chinese.goto(site.url("reporting", f"/reports/{months['this']}"))
    # the month shows its closures and corrective actions, and the desk's people
    assert chinese.locator("#closures-title").inner_text() == "投诉结案与承诺"
    assert chinese.locator("#people-title").inner_text() == "回访员及服务顾问指标"
    assert chinese.locator("#month-agents-table").is_visible()
    shoot(chinese, "reporting-month-running.zh")
