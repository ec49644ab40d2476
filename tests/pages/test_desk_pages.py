"""The callback desk's pages in a real browser: the callback form's other results and
the contact correction (Alt+O), the review queue and a verdict, the missing ledger data, the
report room's desk figures for a week and the monthly report per branch.

The scheduler's web process runs on a clock set to Monday 2026-11-30 10:00 in Shanghai (inside
the call windows); the workers and the reporting service keep theirs.
"""
from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest

from services.scheduler.models import CallbackTask, ContactCorrection, Customer
from shared.users.store import save_person
from testkit.events import envelope
from testkit.polling import eventually
from testkit.tokens import bearer, user_token
from testkit.doubles import FakeClock
from testkit.pages import CJK, ORG, PASSWORD, english_text, press_accesskey, shoot, sign_in

#: Monday 2026-11-30 10:00 in Shanghai: a working day, inside the morning call window.
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


def _customer(cid: str, name: str, phone: str) -> dict:
    return {"id": cid, "name": name, "phone": phone, "contact_person": name, "segment": "vip"}  # key: always called


#: Four orders of two branches (one customer each), due for their first callback now.
ORDERS = {"O-A": ("north", _customer("C-A", "周海", "13800000001")),
          "O-B": ("north", _customer("C-B", "吴芳", "13800000002")),
          "O-C": ("south", _customer("C-C", "郑明", "13800000003")),
          "O-D": ("south", _customer("C-D", "孙丽", "13800000004"))}


@pytest.fixture(scope="module")
def desk(site):
    """The orders' callbacks (the scheduler's own handlers, in-process), D's reached by li through
    the API, a delivery waiting for its installation date, and zhou, manager of branch north."""
    scheduler = site.mesh.services["scheduler"]
    before = scheduler.clock
    scheduler.clock = FakeClock(NOW)
    with scheduler.connection():
        for order_id, (branch, customer) in ORDERS.items():
            scheduler.handle(envelope("service_order.completed", {
                "order_id": order_id, "customer": customer, "business_line": "vehicle", "kind": "maintenance",
                "completed_at": "2026-11-26T15:00:00+08:00", "branch": branch}, org=ORG))
        scheduler.handle(envelope("delivery.shipped", {
            "delivery_id": "D-OLD", "customer": _customer("C-P", "华电变电站", "13711112222"),
            "shipped_on": "2026-09-01", "project": "110kV 变电站扩建", "product_model": "KYN28-12"}, org=ORG))
        tasks = {t.order_id: t for t in CallbackTask.select().where(CallbackTask.kind == "first")}
    done = _post(site, f"/api/v1/callbacks/{tasks['O-D'].id}/outcome", {
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied"})
    assert done["status"] == "done", done
    scheduler.run(save_person, organization=ORG, login="zhou", role="manager", name="周经理", branch="north",
                  password=PASSWORD)
    yield {order_id: task.id for order_id, task in tasks.items()} | {
        "week": "%d-W%02d" % tasks["O-D"].due_on.isocalendar()[:2]}
    scheduler.clock = before


def _post(site, path: str, body: dict) -> dict:
    request = urllib.request.Request(site.url("scheduler", path), data=json.dumps(body).encode(), method="POST",
                                     headers={**bearer(user_token("agent", ORG, "li")),
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def _task(site, callback_id: int | str):
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        return CallbackTask.get_by_id(callback_id)


def test_seed_002_003_the_callback_forms_other_results_and_the_contact_correction(page, site, desk):
    sign_in(page, site, "li")
    # A: the customer asks to be called tomorrow at 10:00, and gives a new phone (Alt+O opens the section)
    page.goto(site.url("scheduler", f"/callbacks/{desk['O-A']}"))
    assert page.locator("#other-result").get_attribute("open") is None
    press_accesskey(page, "o")
    assert page.locator("#other-result").get_attribute("open") is not None
    page.fill("#contact_phone", "13900009999")
    page.fill("#call_at", "2026-12-01T10:00")
    shoot(page, "desk-callback-other-result")
    with page.expect_navigation():
        page.click("#save-rescheduled")
    a = _task(site, desk["O-A"])
    assert a.status == "open" and a.last_result == "rescheduled" and a.appointment_at is not None
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        correction = ContactCorrection.get(ContactCorrection.customer_id == "C-A")
        assert correction.after["phone"] == "13900009999" and correction.login == "li"
    # B: a wrong number; the task waits for corrected contact data
    page.goto(site.url("scheduler", f"/callbacks/{desk['O-B']}"))
    press_accesskey(page, "o")
    with page.expect_navigation():
        page.click("#save-wrong-number")
    assert _task(site, desk["O-B"]).status == "wrong_number"
    # C: the customer declines callbacks (谢绝回访): an opt-out
    page.goto(site.url("scheduler", f"/callbacks/{desk['O-C']}"))
    press_accesskey(page, "o")
    with page.expect_navigation():
        page.click("#save-declined")
    assert _task(site, desk["O-C"]).status == "declined"
    with scheduler.connection():
        assert Customer.get(Customer.customer_id == "C-C").opted_out_at is not None
    # the call log on the form shows who called
    page.goto(site.url("scheduler", f"/callbacks/{desk['O-A']}"))
    shoot(page, "desk-callback-after-reschedule")


def test_seed_002_the_supervisors_weekly_review_queue_takes_a_verdict(page, site, desk):
    sign_in(page, site, "chen")
    page.goto(site.url("scheduler", f"/reviews?period={desk['week']}"))
    row = page.locator(f"#r-{desk['O-D']}")
    assert row.count() == 1 and "li" in row.inner_text()
    row.locator("input[name=comment]").fill("开场白完整")
    with page.expect_navigation():
        row.locator("button[value=needs_improvement]").click()
    assert page.locator(f"#r-{desk['O-D']}.is-saved").count() == 1
    assert "有待改进" in page.locator(f"#r-{desk['O-D']}").inner_text()
    shoot(page, "desk-reviews")
    # an agent is not shown the page and is refused it
    agent = page.context.browser.new_context(locale="zh-CN").new_page()
    sign_in(agent, site, "li")
    assert agent.goto(site.url("scheduler", "/reviews")).status == 403
    agent.context.close()


def test_seed_000_part_5_the_ledger_lists_deliveries_waiting_for_a_date(page, site, desk):
    sign_in(page, site, "chen")
    page.goto(site.url("scheduler", "/ledger/gaps"))
    rows = page.locator("#ledger-gaps tbody tr")
    listed = rows.all_inner_texts()  # shipped 2026-09-01: past 30 days for installation, 60 for commissioning
    assert len(listed) == 2 and all("D-OLD" in row for row in listed)
    assert "安装时间" in listed[0] and "送电时间" in listed[1]  # the ledger's words (seed 000 part 5)
    shoot(page, "desk-ledger-gaps")


def _reporting_has(site, callback_id) -> bool:
    from services.reporting.models import Callback

    reporting = site.mesh.services["reporting"]
    with reporting.connection():
        return Callback.select().where(Callback.callback_id == str(callback_id),
                                       Callback.reached == True).exists()  # noqa: E712


def test_seed_004_the_weekly_desk_figures_in_the_report_room(page, site, desk):
    eventually(lambda: _reporting_has(site, desk["O-D"]), timeout=30, message="D's callback to reach reporting")
    sign_in(page, site, "zhang", service="reporting")
    page.goto(site.url("reporting", f"/desk?period={desk['week']}"))
    text = page.locator("main").inner_text()
    assert desk["week"] in text and "li" in text
    assert page.locator(".o-alert-danger").count() == 0  # a valid week, no "not a period"
    assert page.locator("#per-branch-table th").first.inner_text() == "门店/分支机构"
    shoot(page, "desk-figures-week")
    with page.expect_navigation():
        press_accesskey(page, "p")  # the previous week
    assert "period=" in page.url and desk["week"] not in page.url


def test_the_monthly_report_per_branch_and_a_branch_manager_sees_theirs(new_page, site, desk):
    eventually(lambda: _reporting_has(site, desk["O-D"]), timeout=30, message="D's callback to reach reporting")
    month = _task(site, desk["O-D"]).due_on.strftime("%Y-%m")
    lead = new_page()
    sign_in(lead, site, "zhang", service="reporting")
    lead.goto(site.url("reporting", f"/reports/{month}"))
    lead.select_option("#branch", "south")
    with lead.expect_navigation():
        lead.click("#branch-picker button[type=submit]")
    assert lead.locator("#shown-branch").inner_text() == "south"
    assert lead.locator(".r-pdf").count() == 0  # the PDF is the organisation's
    shoot(lead, "desk-month-branch")
    zhou = new_page()
    sign_in(zhou, site, "zhou", service="reporting")
    zhou.goto(site.url("reporting", f"/reports/{month}"))
    assert zhou.locator("#shown-branch").inner_text() == "north" and zhou.locator("#branch-picker").count() == 0
    assert zhou.goto(site.url("reporting", f"/reports/{month}?branch=south")).status == 403
    assert zhou.goto(site.url("reporting", f"/reports/{month}.pdf")).status == 403


def test_the_desk_pages_in_english_have_no_untranslated_label(new_page, site, desk):
    month = _task(site, desk["O-D"]).due_on.strftime("%Y-%m")
    pages = {"scheduler": [("chen", f"/callbacks/{desk['O-A']}"), ("chen", f"/reviews?period={desk['week']}"),
                           ("chen", "/ledger/gaps")],
             "reporting": [("zhang", f"/desk?period={desk['week']}"), ("zhang", f"/reports/{month}?branch=north")]}
    for service, visits in pages.items():
        page = new_page("en-US")
        sign_in(page, site, visits[0][0], service=service)
        for _login, path in visits:
            page.goto(site.url(service, path))
            if page.locator("#other-result").count():
                page.locator("#other-result > summary").click()
            page.evaluate("window.scrollTo(0, 0)")
            leftover = CJK.findall(english_text(page))
            assert not leftover, f"{path}: untranslated {''.join(leftover)}"
            shoot(page, "desk-en-" + path.strip("/").split("?")[0].replace("/", "-")[:40])
