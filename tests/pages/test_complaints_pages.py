"""The complaints service's pages in a real browser: the complaint board (投诉看板), a complaint's
page with the steps a role may take at its level, and raising a complaint (hotline, walk-in).

The organisation runs the seed 001 policy here (hotline tickets to an engineer within 15
service minutes); one test switches it to seed 004's four-level chain and back.
"""
from __future__ import annotations

import re
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.complaints import handlers
from services.complaints.models import Complaint
from shared.core.settings import ROOT
from testkit.pages import CJK, ORG, english_text, shoot, sign_in

DATA = ROOT / "services" / "complaints" / "data"


@pytest.fixture(scope="module")
def complaints(site):
    """The complaints service of the site, its organisation on the seed 001 policy."""
    service = site.mesh.services["complaints"]
    policy = site.mesh.settings.data_dir / ORG / "complaints" / "policies" / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "policies" / "seed001.yaml", policy)
    yield service
    policy.unlink()


def raise_complaint(service, *, source="walk_in", raised_at=None, name="华东电力", category="waiting_time",
                    segment="ordinary") -> str:
    """Raises a complaint with the API's command (in-process); gives its id."""
    complaint_id = f"T-{uuid.uuid4().hex[:8].upper()}"
    data = {"complaint_id": complaint_id, "customer": {"id": f"C-{complaint_id}", "name": name, "segment": segment,
                                                       "phone": "13812345678", "contact_person": "刘经理"},
            "description": "维修后空调仍不制冷，客户要求再次检查。", "category": category, "source": source,
            "raised_at": raised_at, "order_id": None, "delivery_id": None}
    service.run(handlers.raise_complaint, organization=ORG, data=data, actor="li", announce=True)
    return complaint_id


def _row(service, complaint_id) -> Complaint:
    with service.connection():
        return Complaint.get(Complaint.organization == ORG, Complaint.complaint_id == complaint_id)


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_a_hotline_ticket_raised_on_the_page_shows_its_hand_over_countdown(page, site, complaints):
    sign_in(page, site, "li", service="complaints")
    page.goto(site.url("complaints", "/complaints/new"))
    assert page.locator("input[name=source][value=hotline]").is_checked()
    assert page.locator("#handover-note").is_visible()  # the policy hands hotline tickets over
    shoot(page, "complaints-new.zh")

    # The server checks the form too (the schema of POST /api/v1/complaints), naming the fields.
    refused = page.request.post(site.url("complaints", "/complaints/new"), form={
        "csrf_token": _csrf(page), "source": "hotline", "customer_id": "", "customer_name": "", "description": ""})
    assert refused.status == 422 and "请填写客户名称" in refused.text() and "请填写投诉详情" in refused.text()

    page.fill("#customer_id", "C-HOT-1")
    page.fill("#customer_name", "王建国")
    page.fill("#phone", "13900001111")
    page.select_option("#category", "product_quality")
    page.fill("#description", "空调漏水，热线来电要求上门。")
    page.focus("#new-complaint button[type=submit]")  # the keyboard alone: to the button, Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "/complaints/CMP-" in page.url and "done=raised" in page.url
    complaint_id = re.search(r"/complaints/(CMP-[0-9A-F]+)", page.url).group(1)
    banner = page.locator("#handover")
    assert "请将此热线工单转交工程师" in banner.inner_text()
    countdown = banner.locator("[data-countdown]")
    assert countdown.get_attribute("data-state") in ("warning", "breached")  # 15 service minutes: its last hour
    row = _row(complaints, complaint_id)
    assert row.source == "hotline" and row.handover_due_at is not None and row.level == 0
    assert "客户投诉处理追踪表" in page.locator(".c-record h2").inner_text()
    shoot(page, "complaints-hotline-ticket.zh")

    page.click("#handover button[data-dialog]")
    page.fill("#hand_over-engineer", "孙工")
    with page.expect_navigation():
        page.click("#dialog-hand_over button[type=submit]")
    assert page.locator("#handover").count() == 0  # handed over: the countdown is gone
    assert "孙工" in page.locator(".c-record").inner_text()
    assert _row(complaints, complaint_id).handed_over_to == "孙工"


def test_the_board_has_a_column_per_level_highlights_mine_and_shows_new_cards_without_reloading(
        new_page, site, complaints):
    late = raise_complaint(complaints, name="长春集团", segment="group",
                           raised_at=datetime.now(timezone.utc) - timedelta(days=10))
    page = new_page()
    sign_in(page, site, "zhao", service="complaints")  # a service advisor
    page.goto(site.url("complaints", "/"))
    columns = page.locator(".c-column")
    assert columns.count() == 3
    assert [c.split("\n")[0].strip() for c in page.locator(".c-column-head h2").all_inner_texts()][0].startswith("回访员")
    mine = page.locator(".c-column.is-mine")
    assert mine.count() == 1 and mine.get_attribute("data-role") == "advisor"
    assert "我的层级" in mine.inner_text()
    card = page.locator(f"[data-complaint='{late}']")
    assert card.locator("[data-countdown]").get_attribute("data-state") == "breached"  # red: past its deadline
    assert "已超时" in card.inner_text()

    page.evaluate("window.__no_reload = true")
    fresh = raise_complaint(complaints, name="新来的客户")
    page.wait_for_selector(f"[data-complaint='{fresh}']", timeout=20000)
    assert page.evaluate("window.__no_reload") is True  # the card came in place, no page load
    new_card = page.locator(f"[data-complaint='{fresh}']")
    assert new_card.locator("[data-countdown]").get_attribute("data-state") in ("ok", "warning")
    clock = new_card.locator(".c-clock").inner_text()
    assert re.fullmatch(r"−?\d+:\d\d:\d\d", clock)
    shoot(page, "complaints-board.zh")

    # Filters: one category, one source; the board keeps them when it refreshes.
    with page.expect_navigation():
        page.select_option("#f-source", "hotline")
    assert "source=hotline" in page.url
    assert page.locator(f"[data-complaint='{fresh}']").count() == 0  # a walk-in
    assert page.locator("#board").get_attribute("hx-get").endswith("source=hotline")


def test_only_the_steps_a_role_may_take_at_the_level_are_shown_and_others_are_refused(new_page, site, complaints):
    complaint_id = raise_complaint(complaints, category="attitude")
    agent = new_page()
    sign_in(agent, site, "li", service="complaints")
    agent.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    buttons = agent.locator(".o-actions button").all_inner_texts()
    assert buttons == ["答复客户", "上报", "解决", "转交工程师", "记录流失", "接单", "提出补偿", "记录承诺"]

    # Escalating needs a reason: the browser asks for it, the server refuses without it.
    agent.click("#action-escalate")
    assert agent.locator("#dialog-escalate").is_visible()
    assert agent.locator("#escalate-reason").get_attribute("required") is not None
    refused = agent.request.post(site.url("complaints", f"/complaints/{complaint_id}/escalate"),
                                 form={"csrf_token": _csrf(agent), "reason": "  "})
    assert refused.status == 422 and "请说明本层级为何无法处理此投诉" in refused.text()
    agent.fill("#escalate-reason", "客户要求赔偿，超出回访员权限。")
    shoot(agent, "complaints-escalate-dialog.zh")
    with agent.expect_navigation():
        agent.click("#dialog-escalate button[type=submit]")
    assert "已上报至服务顾问" in agent.locator("#done").inner_text()
    assert _row(complaints, complaint_id).level == 1

    # At the advisor's level, the agent sees no step, and one posted anyway is refused (403).
    assert agent.locator(".o-actions button").count() == 0
    answer = agent.request.post(site.url("complaints", f"/complaints/{complaint_id}/resolve"), form={
        "csrf_token": _csrf(agent), "root_cause": "x", "corrective_action": "y"})
    assert answer.status == 403
    assert _row(complaints, complaint_id).state == "open"

    manager = new_page()
    sign_in(manager, site, "zhang", service="complaints")
    manager.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    assert "上报" in manager.locator(".o-actions").inner_text()  # a manager may act at a lower level
    manager.focus("#action-resolve")
    manager.keyboard.press("Enter")  # the keyboard opens the step's dialog, its first field focused
    assert manager.evaluate("document.activeElement.id") == "resolve-root_cause"
    manager.fill("#resolve-root_cause", "接待人员语气生硬。")
    manager.fill("#resolve-corrective_action", "专项培训，主管当面致歉。")
    with manager.expect_navigation():
        manager.click("#dialog-resolve button[type=submit]")
    assert "已解决" in manager.locator("#done").inner_text()
    history = manager.locator(".c-timeline").inner_text()
    assert "上报" in history and "回访员 → 服务顾问" in history and "客户要求赔偿" in history
    deadlines = manager.locator(".c-deadlines").inner_text()
    assert "处理结果回访" in deadlines  # the verification callback is now due
    # resolved: only churn, and closing with a reason the ownership policy gives a manager
    assert manager.locator(".o-actions button").all_inner_texts() == ["记录流失", "记录承诺", "说明原因结案"]
    shoot(manager, "complaints-complaint.zh")


def test_seed_004s_chain_puts_four_columns_on_the_board(page, site, complaints):
    chain = site.mesh.settings.data_dir / ORG / "complaints" / "chains" / "default.yaml"
    chain.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "chains" / "seed004.yaml", chain)
    try:
        sign_in(page, site, "chen", service="complaints")  # a reception supervisor (接待主管)
        page.goto(site.url("complaints", "/"))
        assert page.locator(".c-column").count() == 4
        assert page.locator(".c-column.is-mine").get_attribute("data-role") == "supervisor"
        shoot(page, "complaints-board-seed004.zh")
    finally:
        chain.unlink()


def test_english_pages_have_no_untranslated_labels_and_screenshots(new_page, site, complaints):
    complaint_id = raise_complaint(complaints, source="hotline")
    page = new_page("en-US")
    sign_in(page, site, "zhao", service="complaints")
    for path, name in (("/corrective-actions", "complaints-corrective"), ("/", "complaints-board"),
                       (f"/complaints/{complaint_id}", "complaints-complaint"), ("/complaints/new", "complaints-new")):
        page.goto(site.url("complaints", path))
        assert page.locator("html").get_attribute("lang") == "en"
        leftovers = CJK.findall(english_text(page))
        assert leftovers == [], f"untranslated Chinese on {path}: {''.join(leftovers)}"
        shoot(page, f"{name}.en")
    assert page.locator("h1").inner_text().startswith("Complaint board")
    page.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    page.click("#action-reply")
    shoot(page, "complaints-reply-dialog.en")


def test_seed_002_owner_first_taker_and_closure_reason_on_the_complaint_page_and_board(new_page, site, complaints):
    # given agent li took a price complaint down (首问责任人), assigned by the policy to 销售部
    complaint_id = raise_complaint(complaints, category="price")
    advisor = new_page()
    sign_in(advisor, site, "zhao", service="complaints")
    advisor.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    assert "销售部" in advisor.locator(".c-record").inner_text()
    assert "李娜" in advisor.locator("#first-taker").inner_text()
    assert "尚未接单" in advisor.locator("#owner").inner_text()
    # an advisor may close as answered in writing or anonymous, not as "not valid" (a manager's)
    advisor.click("#action-close")
    reasons = advisor.locator("#close-reason option").all_inner_texts()
    assert reasons == ["匿名投诉", "已书面答复"]
    refused = advisor.request.post(site.url("complaints", f"/complaints/{complaint_id}/close"), form={
        "csrf_token": _csrf(advisor), "reason": "not_valid", "comment": "x"})
    assert refused.status == 403
    advisor.click("#dialog-close button[data-close]")
    # when the advisor accepts it (接单) the page says so and the board card shows the owner
    advisor.click("#action-accept")
    with advisor.expect_navigation():
        advisor.click("#dialog-accept button[type=submit]")
    assert "赵敏" in advisor.locator("#owner").inner_text() and "接单时间" in advisor.locator("#owner").inner_text()
    advisor.goto(site.url("complaints", "/"))
    card = advisor.locator(f".c-card[data-complaint='{complaint_id}']")
    assert "接单人" in card.inner_text() and "zhao" in card.inner_text()
    # and closing it as answered in writing, with a comment, ends it with the reason in the history
    advisor.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    advisor.click("#action-close")
    advisor.select_option("#close-reason", "written_reply")
    advisor.fill("#close-comment", "客户只要求书面答复，已邮寄。")
    with advisor.expect_navigation():
        advisor.click("#dialog-close button[type=submit]")
    assert "投诉已结案" in advisor.locator("#done").inner_text()
    assert "已书面答复" in advisor.locator("#closure-reason").inner_text()
    assert "已书面答复" in advisor.locator(".c-timeline").inner_text()
    assert _row(complaints, complaint_id).closure_reason == "written_reply"
    shoot(advisor, "complaints-closed-with-reason.zh")


def test_seed_004_a_compensation_is_approved_on_the_page_before_it_is_promised(new_page, site, complaints):
    complaint_id = raise_complaint(complaints, source="media", category="product_quality")
    manager = new_page()
    sign_in(manager, site, "zhang", service="complaints")
    manager.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    # a media complaint starts at the top level (seed 004), like the manufacturer's
    assert "媒体" in manager.locator(".c-record").inner_text() and _row(complaints, complaint_id).level == 2
    manager.click("#action-propose_compensation")
    manager.fill("#propose_compensation-offer", "免费更换压缩机。")
    manager.fill("#propose_compensation-amount", "1200.00")
    with manager.expect_navigation():
        manager.click("#dialog-propose_compensation button[type=submit]")
    assert "待审批" in manager.locator("#compensation").inner_text()
    manager.click("#action-decide_compensation")
    manager.fill("#decide_compensation-note", "销售服务大区已同意。")
    with manager.expect_navigation():
        manager.click("#dialog-decide_compensation button[type=submit]")
    assert "已批准" in manager.locator("#compensation").inner_text()
    assert "补偿已批准" in manager.locator(".c-timeline").inner_text()
    assert _row(complaints, complaint_id).compensation_decided_by == "zhang"
    shoot(manager, "complaints-compensation.zh")

    # seed 004 在对客户承诺的时间内: the promise is a deadline; missed, it shows broken on the page and the board
    manager.click("#action-make_promise")
    manager.fill("#make_promise-what", "三天内上门更换。")
    manager.fill("#make_promise-to_whom", "刘经理")
    manager.fill("#make_promise-due_at", "2099-01-05T17:00")
    with manager.expect_navigation():
        manager.click("#dialog-make_promise button[type=submit]")
    assert "待兑现" in manager.locator("#promises").inner_text()
    later = datetime(2099, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert complaints.run(handlers.sweep_promises, now=later)["broken"] >= 1
    manager.reload()
    assert "承诺未兑现" in manager.locator("#promises").inner_text()
    manager.goto(site.url("complaints", "/"))
    assert "承诺未兑现" in manager.locator(f".c-card[data-complaint='{complaint_id}']").inner_text()



def test_seed_000_part_5_the_register_of_corrective_actions_opened_done_and_checked(new_page, site, complaints):
    complaint_id = raise_complaint(complaints, category="attitude")
    agent = new_page()
    sign_in(agent, site, "li", service="complaints")
    agent.goto(site.url("complaints", "/corrective-actions"))
    assert agent.locator("#new-action").count() == 0  # the policy: supervisors, managers, admins open them
    manager = new_page()
    sign_in(manager, site, "zhang", service="complaints")
    manager.goto(site.url("complaints", "/corrective-actions"))
    manager.fill("#action-title", "接待礼仪专项培训")
    manager.fill("#action-owner", "chen")
    manager.fill("#action-due_on", "2099-01-31")
    manager.fill("#action-complaints", complaint_id)
    with manager.expect_navigation():
        manager.click("#new-action button")
    row = manager.locator("#register tr[data-action]").filter(has_text="接待礼仪专项培训")
    assert "chen" in row.inner_text() and complaint_id in row.inner_text()
    row.locator("select[name=status]").select_option("done")
    with manager.expect_navigation():
        row.locator("form").first.locator("button").click()
    row = manager.locator("#register tr[data-action]").filter(has_text="接待礼仪专项培训")
    row.locator("input[name=finding]").fill("一个月内无同类投诉。")
    with manager.expect_navigation():
        row.locator("form").last.locator("button").click()
    assert "有效" in manager.locator("#register tr[data-action]").filter(has_text="接待礼仪专项培训").inner_text()
    shoot(manager, "complaints-corrective.zh")
    manager.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    assert "接待礼仪专项培训" in manager.locator("#corrective-actions").inner_text()
