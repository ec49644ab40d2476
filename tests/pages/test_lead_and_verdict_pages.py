"""Two loops closed, in a real browser: a lead's states changed on the leads page by its owner (seed 000
part 5 「寻求新的商务机会」; seed 003 「了解客户未来的购买需求和计划」), and a "needs improvement" verdict shown
to the agent on their workbench with the reviewer's comment (seed 002 「有待改进」). Screenshots in both
languages; the English pages have no untranslated label.

The scheduler's in-process clock is set to Monday 2026-11-30 10:00 in Shanghai while the fixture runs."""
from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest

from services.scheduler.models import CallbackTask
from testkit.doubles import FakeClock
from testkit.events import envelope
from testkit.pages import CJK, ORG, english_text, shoot, sign_in
from testkit.tokens import bearer, user_token

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
COMMENT = "未核实客户联系方式，开场白不完整。"


def _api(site, method: str, path: str, body: dict | None, role: str, login: str):
    request = urllib.request.Request(site.url("scheduler", path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={**bearer(user_token(role, ORG, login)),
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def loops(site):
    """A retail purchase's first callback made by li, the customer planning a new purchase (a lead for the
    first manager, zhang), and the supervisor chen's verdict "needs improvement" on one of li's records."""
    scheduler = site.mesh.services["scheduler"]
    before = scheduler.clock
    scheduler.clock = FakeClock(NOW)
    with scheduler.connection():
        scheduler.handle(envelope("service_order.completed", {
            "order_id": "R-LEAD", "customer": {"id": "C-LEAD", "name": "何先生", "segment": "vip"},
            "business_line": "retail", "kind": "purchase", "completed_at": "2026-11-26T15:00:00+08:00"}, org=ORG))
        task = CallbackTask.get(CallbackTask.order_id == "R-LEAD", CallbackTask.kind == "first")
    done = _api(site, "POST", f"/api/v1/callbacks/{task.id}/outcome", {
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"purchase_wanted": True}}, "agent", "li")
    assert done["status"] == "done", done
    [lead] = _api(site, "GET", "/api/v1/leads?status=open", None, "manager", "zhang")
    week = "%d-W%02d" % task.due_on.isocalendar()[:2]
    queue = _api(site, "GET", f"/api/v1/reviews?period={week}", None, "supervisor", "chen")
    record = next(row["callback_id"] for row in queue if row["agent"] == "li")
    _api(site, "POST", f"/api/v1/reviews/{record}", {"verdict": "needs_improvement", "comment": COMMENT},
         "supervisor", "chen")
    yield {"lead": lead["id"], "record": record}
    scheduler.clock = before


def test_seed_000_part_5_the_leads_owner_moves_it_to_contacted_then_won_on_the_page(new_page, site, loops):
    page = new_page()
    sign_in(page, site, "zhang")
    page.goto(site.url("scheduler", "/leads"))
    row = page.locator(f"#l-{loops['lead']}")
    assert row.get_attribute("data-status") == "open"
    shoot(page, "loops-leads.zh")
    # the owner records that the customer was contacted, with a note
    row.locator("input[name=note]").fill("客户周末到店看新款")
    with page.expect_navigation():
        row.locator("button[value=contacted]").click()
    row = page.locator(f"#l-{loops['lead']}")
    assert row.get_attribute("data-status") == "contacted" and "已联系" in row.inner_text()
    # then that it was won: it leaves the list of leads being followed up, and shows among the ended ones
    with page.expect_navigation():
        row.locator("button[value=won]").click()
    assert page.locator(f"#l-{loops['lead']}").count() == 0
    page.goto(site.url("scheduler", "/leads?view=ended"))
    ended = page.locator(f"#l-{loops['lead']}")
    assert ended.get_attribute("data-status") == "won" and ended.locator("form").count() == 0
    shoot(page, "loops-leads-ended.zh")
    english = new_page("en")
    sign_in(english, site, "zhang")
    english.goto(site.url("scheduler", "/leads?view=all&lang=en"))
    assert "Won" in english.locator(f"#l-{loops['lead']}").inner_text()
    assert not CJK.search(english_text(english)), CJK.findall(english_text(english))
    shoot(english, "loops-leads.en")
    # an agent who owns no lead sees none, and no buttons
    agent = new_page()
    sign_in(agent, site, "wang")
    agent.goto(site.url("scheduler", "/leads?view=all"))
    assert agent.locator(f"#l-{loops['lead']}").count() == 0


def test_seed_002_the_agent_sees_the_needs_improvement_verdict_with_its_comment_on_the_workbench(
        new_page, site, loops):
    for locale, suffix in (("zh-CN", "zh"), ("en", "en")):
        page = new_page(locale)
        sign_in(page, site, "li")
        page.goto(site.url("scheduler", "/" if suffix == "zh" else "/?lang=en"))
        notes = page.locator("#improvement-notes")
        assert notes.count() == 1 and COMMENT in notes.inner_text()
        assert notes.locator(f"a[href$='{loops['record']}']").count() == 1
        if suffix == "en":
            assert "Needs improvement" in notes.inner_text()
            assert not CJK.search(english_text(page)), CJK.findall(english_text(page))
        shoot(page, f"loops-workbench-verdict.{suffix}")
    # another agent's workbench does not show it
    other = new_page()
    sign_in(other, site, "wang")
    other.goto(site.url("scheduler", "/"))
    assert other.locator("#improvement-notes").count() == 0
