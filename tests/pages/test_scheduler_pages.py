"""The scheduler's pages in a real browser: the workbench (工作台), the callback form, the ledger
(台帐) and the policy preview, against the three services and their workers.

The scheduler's web process runs on a clock set to Monday 2026-11-30 10:00 in Shanghai (inside
the call windows); the workers keep theirs.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest

from services.scheduler.models import CallbackTask, Delivery, LedgerImport, PhoneReveal
from testkit.events import envelope
from testkit.polling import eventually
from testkit.tokens import API_TOKEN, bearer
from testkit.doubles import FakeClock
from testkit.pages import CJK, ORG, english_text, shoot, sign_in

#: Monday 2026-11-30 10:00 in Shanghai: a working day, inside the morning call window.
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
VIP = {"id": "C-VIP", "name": "王建国", "segment": "vip", "phone": "13812345678", "contact_person": "王建国"}
GROUP = {"id": "C-GRP", "name": "长安车队", "segment": "group", "phone": "13900001111"}
PLANT = {"id": "C-PLANT", "name": "华电变电站", "phone": "13711112222", "contact_person": "刘工",
         "site_contact": "赵工", "site_phone": "13622223333"}


@pytest.fixture(scope="module")
def tasks(site):
    """Callbacks due now (the scheduler's own handlers, in-process), by what they are for."""
    scheduler = site.mesh.services["scheduler"]
    before = scheduler.clock
    scheduler.clock = FakeClock(NOW)
    events = [
        ("service_order.completed", {"order_id": "O-VIP", "customer": VIP, "business_line": "vehicle",
                                     "kind": "maintenance", "completed_at": "2026-11-27T15:00:00+08:00"}),
        ("service_order.completed", {"order_id": "O-GRP", "customer": GROUP, "business_line": "vehicle",
                                     "kind": "repair", "completed_at": "2026-11-26T11:00:00+08:00"}),
        ("delivery.shipped", {"delivery_id": "D-PLANT", "customer": PLANT, "shipped_on": "2026-11-20",
                              "project": "110kV 变电站扩建", "product_model": "KYN28-12", "quantity": 4,
                              "contract_amount": "860000.00"}),
    ]
    with scheduler.connection():
        for type_, data in events:
            scheduler.handle(envelope(type_, data, org=ORG))
        found = {(t.order_id or t.delivery_id, t.kind): t.id for t in CallbackTask.select()}
    yield {"vip": found[("O-VIP", "first")], "group": found[("O-GRP", "first")],
           "plant": found[("D-PLANT", "installation")]}
    scheduler.clock = before


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def _task(site, callback_id):
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        return CallbackTask.get_by_id(callback_id)


def test_an_agent_works_a_callback_to_a_dissatisfied_outcome_and_opens_the_complaint_it_raised(page, site, tasks):
    sign_in(page, site, "li")
    page.goto(site.url("scheduler", "/"))
    assert page.locator(".s-window.is-open").count() == 1  # Monday 10:00: inside the call windows
    row = page.locator("#worklist tbody tr", has_text=VIP["name"])
    assert row.locator(".s-badge-key").count() == 1  # a key customer
    with page.expect_navigation():
        row.locator("a").click()
    assert page.url == site.url("scheduler", f"/callbacks/{tasks['vip']}")
    legends = page.locator(".s-question legend").all_inner_texts()
    assert legends[0].startswith("产品质量满意度") and legends[-1].startswith("建议和需求")  # VIP questionnaire, in order
    assert "138****5678" in page.locator("#phones").inner_text()  # masked until asked for

    # The server refuses a dissatisfied answer without its reason, naming the field.
    refused = page.request.post(site.url("scheduler", f"/callbacks/{tasks['vip']}/outcome"), form={
        "csrf_token": _csrf(page), "reached": "1", "q_product_satisfaction": "satisfied",
        "q_service_satisfaction": "dissatisfied"})
    assert refused.status == 422 and "不满意原因" in refused.text()
    assert _task(site, tasks["vip"]).status == "open"

    page.click("#timer-toggle")
    assert page.locator("#reason").is_hidden()
    page.check("input[name=q_product_satisfaction][value=satisfied]")
    page.check("input[name=q_service_satisfaction][value=dissatisfied]")
    assert page.locator("#reason").is_visible()  # a dissatisfied answer asks for its reason
    page.fill("#dissatisfied_reason", "等了两个小时才交车")
    page.check("input[name=q_delivered_on_time][value=no]")
    assert page.get_attribute("#save-reached", "accesskey") == "s"  # Alt+S (headless Chromium ignores access keys)
    with page.expect_navigation():
        page.click("#save-reached")

    assert "?saved=1" in page.url
    link = page.locator("#raised-complaint")
    complaint_id = f"callback-{tasks['vip']}"
    assert link.get_attribute("href") == site.url("complaints", f"/complaints/{complaint_id}")
    assert _task(site, tasks["vip"]).completed_by == "li"
    complaints = site.mesh.client("complaints")
    eventually(lambda: complaints.get(f"/api/v1/complaints/{complaint_id}?organization={ORG}",
                                      headers=bearer(API_TOKEN)).status_code == 200,
               timeout=30, message="the complaint raised by the callback to reach the complaints service")
    shoot(page, "scheduler-callback-done.zh")
    with page.expect_navigation() as opened:
        link.click()
    assert page.url == site.url("complaints", f"/complaints/{complaint_id}")
    assert opened.value.status < 500
    if opened.value.status == 200:  # the complaint's page (complaints service)
        assert complaint_id in page.content()


def test_an_agent_sees_a_customers_phone_on_purpose_and_the_look_is_recorded(page, site, tasks):
    sign_in(page, site, "wang")
    page.goto(site.url("scheduler", f"/callbacks/{tasks['plant']}"))
    assert "137****2222" in page.locator("#phones").inner_text()

    page.click("#phones button")
    page.wait_for_selector("#phones a[href='tel:13711112222']")

    assert "13622223333" in page.locator("#phones").inner_text()
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        looks = [(r.login, r.role, r.callback_id) for r in PhoneReveal.select()]
    assert ("wang", "agent", tasks["plant"]) in looks


def test_an_advisor_sees_no_outcome_button_and_is_refused_when_posting_anyway(page, site, tasks):
    sign_in(page, site, "zhao")  # 服务顾问: reads callbacks, does not make them
    answer = page.goto(site.url("scheduler", f"/callbacks/{tasks['group']}"))
    assert answer.status == 200
    assert page.locator("#outcome, #save-reached, #save-unreached").count() == 0
    assert page.locator("#phones button").count() == 0
    assert "139****1111" in page.locator("#phones").inner_text()
    token = _csrf(page)

    posted = page.request.post(site.url("scheduler", f"/callbacks/{tasks['group']}/outcome"),
                               form={"csrf_token": token, "reached": "0"})
    assert posted.status == 403 and "服务顾问" in posted.text()
    looked = page.request.post(site.url("scheduler", f"/callbacks/{tasks['group']}/phones"),
                               form={"csrf_token": token})
    assert looked.status == 403
    page.goto(site.url("scheduler", "/ledger"))
    assert page.locator("#ledger-file, #dry-run").count() == 0  # no import for an advisor either
    imported = page.request.post(site.url("scheduler", "/ledger/imports"), multipart={
        "csrf_token": token, "mode": "dry_run",
        "file": {"name": "ledger.csv", "mimeType": "text/csv", "buffer": _ledger_csv([])}})
    assert imported.status == 403
    assert _task(site, tasks["group"]).attempts == 0
    shoot(page, "scheduler-callback-advisor.zh")


def test_an_outcome_without_its_csrf_token_is_refused(page, site, tasks):
    sign_in(page, site, "li")
    page.goto(site.url("scheduler", f"/callbacks/{tasks['group']}"))
    url = site.url("scheduler", f"/callbacks/{tasks['group']}/outcome")

    for form in ({"reached": "0"}, {"reached": "0", "csrf_token": "forged"}):
        answer = page.request.post(url, form=form, max_redirects=0)
        assert answer.status == 400, f"an outcome posted with {form} was not refused"
    assert _task(site, tasks["group"]).attempts == 0

    with page.expect_navigation():  # the page's own form carries its token: accepted
        page.click("#save-unreached")
    assert "?saved=1" in page.url and _task(site, tasks["group"]).attempts == 1


def _ledger_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["发货单号", "顾客编号", "顾客名称", "工程名称", "产品型号", "产品数量", "合同额", "发货时间", "送电时间"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _deliveries(site, ids) -> int:
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        return Delivery.select().where(Delivery.organization == ORG, Delivery.delivery_id.in_(ids)).count()


def test_a_ledger_file_with_one_bad_row_is_refused_by_row_and_column_and_nothing_is_stored(page, site, tasks):
    sign_in(page, site, "li")
    page.goto(site.url("scheduler", "/ledger"))
    rows = [["D-IMP-1", "C-IMP", "中车电气", "一号线", "KYN28", "2", "150000", "2026-09-01", "2026-10-08"],
            ["D-IMP-2", "C-IMP", "中车电气", "二号线", "KYN28", "1", "90000", "2026-02-30", ""],
            ["D-IMP-3", "C-IMP", "中车电气", "三号线", "KYN28", "3", "210000", "2026-09-15", ""]]
    page.set_input_files("#ledger-file", files=[{"name": "ledger.csv", "mimeType": "text/csv",
                                                 "buffer": _ledger_csv(rows)}])
    with page.expect_navigation():
        page.click("#dry-run")

    page.wait_for_selector("#import-status .s-problem", timeout=30000)  # polled until the worker has checked it
    problems = page.locator("#import-status .s-problem")
    assert problems.count() == 1
    assert (problems.get_attribute("data-row"), problems.get_attribute("data-field")) == ("3", "shipped_on")
    assert "发货时间" in problems.inner_text()
    assert _deliveries(site, ["D-IMP-1", "D-IMP-2", "D-IMP-3"]) == 0
    shoot(page, "scheduler-ledger-import-refused.zh")

    rows[1][7] = "2026-02-28"  # corrected: the dry run finds nothing, then the real run imports
    page.set_input_files("#ledger-file", files=[{"name": "ledger.csv", "mimeType": "text/csv",
                                                 "buffer": _ledger_csv(rows)}])
    with page.expect_navigation():
        page.click("#dry-run")
    page.wait_for_selector("#run-import", timeout=30000)
    assert _deliveries(site, ["D-IMP-1", "D-IMP-2", "D-IMP-3"]) == 0
    with page.expect_navigation():
        page.click("#run-import")
    page.wait_for_selector("#import-status .s-import-done", timeout=30000)
    assert _deliveries(site, ["D-IMP-1", "D-IMP-2", "D-IMP-3"]) == 3


def test_the_ledger_filters_sorts_and_exports_what_it_shows(page, site, tasks):
    sign_in(page, site, "zhang")
    page.goto(site.url("scheduler", "/ledger?customer=" + PLANT["name"]))
    assert page.locator(".s-ledger tbody tr").count() == 1
    assert "137****2222" in page.locator(".s-ledger tbody").inner_text()  # masked in the list for everyone
    with page.expect_download() as download:
        page.click("a[href*='format=csv']")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "D-PLANT" in text and "D-IMP-1" not in text  # what is filtered, no more

    page.goto(site.url("scheduler", "/ledger?sort=contract_amount&dir=desc"))
    amounts = [float(a.replace(",", "")) for a in page.locator(".s-ledger tbody td.num").all_inner_texts() if a]
    assert amounts == sorted(amounts, reverse=True)


def _stored(site) -> tuple[int, int]:
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        return Delivery.select().count(), CallbackTask.select().count()


def test_the_policy_preview_plans_a_sample_and_stores_nothing(page, site, tasks):
    stored = _stored(site)
    sign_in(page, site, "zhao")
    page.goto(site.url("scheduler", "/policies/preview"))
    page.fill("#p-shipped", "2026-01-31")
    page.fill("#p-commissioned", "2026-03-15")
    with page.expect_navigation():
        page.click("#preview-button")
    due = page.locator(".s-planned tbody tr td:nth-child(3)").all_inner_texts()
    assert due[0].startswith("2026年2月9日") and due[1].startswith("2026年4月15日")  # RULES 1.1 worked example
    assert _stored(site) == stored


def _imports(site) -> list[str]:
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        return [f"/ledger?import={row.id}" for row in LedgerImport.select().order_by(LedgerImport.created_at)]


def test_english_pages_have_no_untranslated_label(new_page, site, tasks):
    for login in ("li", "zhang"):
        page = new_page("en-US")
        sign_in(page, site, login)
        for path in ("/", "/?all=1", f"/callbacks/{tasks['plant']}", f"/callbacks/{tasks['vip']}",
                     "/ledger", "/ledger?overdue=1", *_imports(site),
                     "/policies/preview?shipped_on=2026-01-31&commissioned_on=2026-03-15",
                     "/policies/preview?sample=order&business_line=property&kind=repair&completed_on=2026-10-30"):
            answer = page.goto(site.url("scheduler", path))
            assert answer.status == 200, path
            assert page.locator("html").get_attribute("lang") == "en"
            leftovers = CJK.findall(english_text(page))
            assert leftovers == [], f"untranslated Chinese on {path} for {login}: {''.join(leftovers)}"


@pytest.mark.parametrize("locale, suffix", [("zh-CN", "zh"), ("en-US", "en")])
def test_screenshots_of_every_scheduler_page(new_page, site, tasks, locale, suffix):
    agent, lead = new_page(locale), new_page(locale)
    sign_in(agent, site, "li")
    sign_in(lead, site, "zhang")
    for page, path, name in (
            (agent, "/?all=1", "workbench"), (lead, "/?all=1", "workbench-team"),
            (agent, f"/callbacks/{tasks['plant']}", "callback"), (agent, f"/callbacks/{tasks['vip']}", "callback-done"),
            (lead, "/ledger", "ledger"), *((agent, path, f"ledger-import-{n}") for n, path in enumerate(_imports(site))),
            (lead, "/policies/preview?shipped_on=2026-01-31&commissioned_on=2026-03-15", "preview")):
        page.goto(site.url("scheduler", path))
        shoot(page, f"scheduler-{name}.{suffix}")
    agent.goto(site.url("scheduler", f"/callbacks/{tasks['plant']}"))
    agent.check("input[name=q_product_satisfaction][value=very_dissatisfied]")
    agent.click("#timer-toggle")
    shoot(agent, f"scheduler-callback-dissatisfied.{suffix}")
    assert re.match(r"\d+:\d\d", agent.locator("#call-time").inner_text())
