"""The complaints service's pages for the loops the seeds open, in a real browser: the board's
department filter (seed 000 part 5 传递至相关部门), and a hotline consultation (seed 001 咨询服务单) recorded
on the new-ticket form by keyboard and turned into a complaint in one action; screenshots in both languages.
"""
from __future__ import annotations

import re
import uuid

from services.complaints import handlers
from testkit.pages import CJK, ORG, english_text, shoot, sign_in


def _raise(service, category: str) -> str:
    complaint_id = f"D-{uuid.uuid4().hex[:8].upper()}"
    service.run(handlers.raise_complaint, organization=ORG, actor="li", announce=True, data={
        "complaint_id": complaint_id, "customer": {"id": f"C-{complaint_id}", "name": "华东电力"},
        "description": "空调不制冷", "category": category, "source": "walk_in"})
    return complaint_id


def test_seed_000_part_5_the_board_filters_by_department(page, new_page, site):
    complaints = site.mesh.services["complaints"]
    quality, sales = _raise(complaints, "product_quality"), _raise(complaints, "price")
    sign_in(page, site, "li", service="complaints")
    page.goto(site.url("complaints", "/"))
    assert page.locator(f"[data-complaint={quality}]").is_visible()
    # when the agent picks the quality department (质量管理部) in the board's filter
    with page.expect_navigation():
        page.select_option("#f-department", "质量管理部")
    # then only that department's complaints are on the board
    assert "department=" in page.url
    assert page.locator(f"[data-complaint={quality}]").is_visible()
    assert page.locator(f"[data-complaint={sales}]").count() == 0
    assert page.locator("label[for=f-department]").inner_text() == "责任部门"
    shoot(page, "complaints-board-department.zh")
    english = new_page("en-US")
    sign_in(english, site, "li", service="complaints")
    english.goto(site.url("complaints", "/?department=质量管理部"))
    assert english.locator("label[for=f-department]").inner_text() == "Department"
    assert english.locator(f"[data-complaint={sales}]").count() == 0
    shoot(english, "complaints-board-department.en")


def test_seed_001_a_consultation_is_recorded_by_keyboard_and_turned_into_a_complaint(page, new_page, site):
    sign_in(page, site, "li", service="complaints")
    page.goto(site.url("complaints", "/tickets/new"))
    # the form speaks seed 001's words, a consultation by default
    assert page.locator("input[name=kind][value=consultation]").is_checked()
    for words in ("咨询服务单", "任务单", "客户信息", "产品信息", "购买时间", "故障现象", "保修状态", "服务级别", "服务方式"):
        assert words in page.locator("#new-ticket").inner_text(), words
    shoot(page, "complaints-new-ticket.zh")
    page.fill("#customer_id", "C-TK-1")
    page.fill("#customer_name", "刘先生")
    page.fill("#product_model", "KT-504")
    page.fill("#purchased_on", "2026-03-02")
    page.select_option("#warranty", "in_warranty")
    page.fill("#fault", "询问配置机型；对上次维修结果不满")
    page.focus("#new-ticket button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/tickets?done=TK-" in page.url
    ticket_id = re.search(r"done=(TK-[0-9A-F]+)", page.url).group(1)
    row = page.locator(f"#ticket-{ticket_id}")
    assert "咨询服务单" in row.inner_text() and "电话应答" in row.inner_text()  # by the warranty policy
    shoot(page, "complaints-tickets.zh")
    english = new_page("en-US")
    sign_in(english, site, "li", service="complaints")
    for path, name in (("/tickets", "complaints-tickets"), ("/tickets/new", "complaints-new-ticket")):
        english.goto(site.url("complaints", path))
        leftovers = CJK.findall(english_text(english))
        assert leftovers == [], f"untranslated Chinese on {path}: {''.join(leftovers)}"
        shoot(english, f"{name}.en")
    # when the agent turns it into a complaint, in one action
    with page.expect_navigation():
        row.locator("button[data-to-complaint]").click()
    # then the complaint's page opens, raised on the hotline, the agent its first taker
    assert re.search(r"/complaints/CMP-[0-9A-F]+", page.url)
    complaint_id = re.search(r"/complaints/(CMP-[0-9A-F]+)", page.url).group(1)
    complaints = site.mesh.services["complaints"]
    with complaints.connection():
        complaint = handlers.get_by_id_or_raise(organization=ORG, complaint_id=complaint_id)
    assert (complaint.source, complaint.first_taker, complaint.description) == (
        "hotline", "li", "询问配置机型；对上次维修结果不满")
    page.goto(site.url("complaints", "/tickets"))
    assert complaint_id in page.locator(f"#ticket-{ticket_id}").inner_text()
