"""Customers who stopped coming, in a real browser (seed 000 part 5 「回访调查流失原因」): the supervisor
lists the vehicle customers not served for six months, plans a "why not back" callback from the list, and
its agent finds it on the workbench. Only roles that may plan see the page and its button. Screenshots in
both languages; the English page has no untranslated label.

The scheduler's in-process clock is set to Monday 2026-11-30 10:00 in Shanghai while the fixture runs."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.scheduler.models import CallbackTask
from testkit.doubles import FakeClock
from testkit.events import envelope
from testkit.pages import CJK, ORG, english_text, shoot, sign_in

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def lapsed(site):
    """A vehicle customer last served in March 2026 (lapsed after the policy's six months)."""
    scheduler = site.mesh.services["scheduler"]
    before = scheduler.clock
    scheduler.clock = FakeClock(NOW)
    with scheduler.connection():
        scheduler.handle(envelope("service_order.completed", {
            "order_id": "V-LAPSE", "customer": {"id": "C-LAPSE", "name": "钱先生", "segment": "ordinary"},
            "business_line": "vehicle", "kind": "maintenance", "completed_at": "2026-03-10T15:00:00+08:00"}, org=ORG))
    yield "C-LAPSE"
    scheduler.clock = before


def test_seed_000_part_5_supervisor_plans_why_not_back_callback_from_the_list_and_agent_sees_it(
        new_page, site, lapsed):
    # given the supervisor chen on the list of lapsed vehicle customers
    page = new_page()
    sign_in(page, site, "chen")
    page.goto(site.url("scheduler", "/customers/lapsed?business_line=vehicle"))
    row = page.locator(f"#c-{lapsed}")
    assert "钱先生" in row.inner_text() and "流失客户" in page.locator("h1").inner_text()
    shoot(page, "lapsed-list.zh")
    # when chen plans the "why not back" callback from the list
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    # then the row shows the open callback and its agent, and no plan button any more
    with site.mesh.services["scheduler"].connection():
        task = CallbackTask.get(CallbackTask.customer_id == lapsed, CallbackTask.kind == "lapsed")
    assert task.status == "open" and task.assigned_to
    row = page.locator(f"#c-{lapsed}")
    assert row.locator("button").count() == 0 and row.locator(f"a[href$='{task.id}']").count() == 1
    assert task.assigned_to in row.inner_text()
    shoot(page, "lapsed-planned.zh")
    # the English page: every label translated
    english = new_page("en")
    sign_in(english, site, "chen")
    english.goto(site.url("scheduler", "/customers/lapsed?business_line=vehicle&lang=en"))
    assert "Lapsed customers" in english.locator("h1").inner_text()
    assert not CJK.search(english_text(english)), CJK.findall(english_text(english))
    shoot(english, "lapsed-planned.en")
    # and the agent it was given to finds it on the workbench, with its kind named
    agent = new_page()
    sign_in(agent, site, task.assigned_to)
    agent.goto(site.url("scheduler", "/?all=1&kind=lapsed"))
    link = agent.locator(f"a[href$='{task.id}']")
    assert link.count() >= 1
    assert "流失客户回访" in agent.locator("main").inner_text()
    shoot(agent, "lapsed-workbench.zh")
    # its form asks why the customer has not come back (the lapsed questionnaire)
    with agent.expect_navigation():
        link.first.click()
    assert "流失原因" in agent.locator("main").inner_text()
    # offering the organisation's churn reasons (the customer's own words are taken too)
    assert "转到其他维修站" in agent.locator("datalist#choices-churn_reason option").evaluate_all(
        "options => options.map(o => o.value)")
    shoot(agent, "lapsed-callback.zh")
    english_agent = new_page("en")
    sign_in(english_agent, site, task.assigned_to)
    english_agent.goto(site.url("scheduler", f"/callbacks/{task.id}?lang=en"))
    assert "Lapsed customer callback" in english_agent.locator("main").inner_text()
    shoot(english_agent, "lapsed-callback.en")
    # an agent has no link to the list, and may not open it or plan
    assert agent.locator("a[href$='/customers/lapsed']").count() == 0
    assert agent.goto(site.url("scheduler", "/customers/lapsed")).status == 403
