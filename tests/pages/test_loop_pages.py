"""The whole loop through the pages, three people in three browsers:

an agent records a dissatisfied callback on the scheduler's callback form; a service advisor
watching the complaint board sees its card appear without reloading and escalates it with a
reason; a service manager resolves it; the next working day the verification callback is on
the agent's workbench; the agent records the customer satisfied; the card leaves the board and
the complaint shows closed.

The web pages of the scheduler and the complaints service run on a clock moved to a working
morning (inside the call windows) that keeps ticking; the workers keep the real one.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from services.scheduler.models import CallbackTask
from services.scheduler.rules import rules_for
from testkit.events import envelope
from testkit.polling import eventually
from testkit.pages import ORG, PEOPLE, shoot, sign_in

CST = timezone(timedelta(hours=8))
CUSTOMER = {"id": "C-LOOP", "name": "周先生", "segment": "vip", "phone": "13812340000", "contact_person": "周先生"}


class ShiftedClock:
    """A clock that runs in real time from a moment of the test's choosing."""

    def __init__(self, start: datetime):
        self.set(start)

    def set(self, start: datetime) -> None:
        self.offset = start - datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


def _morning(day) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=CST)


@pytest.fixture(scope="module")
def clocks(site):
    scheduler, complaints = site.mesh.services["scheduler"], site.mesh.services["complaints"]
    saved = scheduler.clock, complaints.clock
    calendar = rules_for(site.mesh.settings, ORG).calendar
    day = calendar.roll_forward(datetime.now(CST).date() + timedelta(days=7))
    clock = ShiftedClock(_morning(day))
    scheduler.clock = complaints.clock = clock
    yield clock
    scheduler.clock, complaints.clock = saved


def _task(site, **where) -> CallbackTask | None:
    scheduler = site.mesh.services["scheduler"]
    with scheduler.connection():
        query = CallbackTask.select().where(CallbackTask.organization == ORG)
        for name, value in where.items():
            query = query.where(getattr(CallbackTask, name) == value)
        return query.order_by(CallbackTask.id).first()


def _answer(page, *, first_scale: str, scale: str) -> None:
    """Answers every question of the callback form: the first five-point question `first_scale`,
    the others `scale`, yes to yes/no questions, a word in required text ones."""
    first = True
    for question in page.locator(".s-question").all():
        radios = question.locator("input[type=radio]")
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        if scale in values:
            question.locator(f"input[value={first_scale if first else scale}]").check()
            first = False
        elif "yes" in values:
            question.locator("input[value=yes]").check()
        elif question.locator("textarea[required]").count():
            question.locator("textarea").fill("无")


def test_the_whole_loop_through_the_pages(new_page, site, clocks):
    # given a key customer's service completed five days ago: a first callback due on the agent's workbench
    scheduler = site.mesh.services["scheduler"]
    completed_at = (clocks() - timedelta(days=5)).astimezone(CST).replace(hour=15, minute=0, second=0, microsecond=0)
    with scheduler.connection():
        scheduler.handle(envelope("service_order.completed", {
            "order_id": "O-LOOP", "customer": CUSTOMER, "business_line": "vehicle", "kind": "maintenance",
            "completed_at": completed_at.isoformat()}, org=ORG))
    first = _task(site, order_id="O-LOOP", kind="first")
    agent_login = first.assigned_to if first.assigned_to in PEOPLE else "li"

    board = new_page()  # the advisor's board stays open all along
    sign_in(board, site, "zhao", service="complaints")
    board.goto(site.url("complaints", "/"))
    board.evaluate("window.__no_reload = true")

    # when the agent records the customer dissatisfied on the callback form
    agent = new_page()
    sign_in(agent, site, agent_login)
    agent.goto(site.url("scheduler", "/"))
    with agent.expect_navigation():
        agent.locator("#worklist tbody tr", has_text=CUSTOMER["name"]).locator("a").first.click()
    _answer(agent, first_scale="dissatisfied", scale="satisfied")
    agent.fill("#dissatisfied_reason", "保养后仍有异响，等了两个小时才交车。")
    with agent.expect_navigation():
        agent.click("#save-reached")
    assert "?saved=1" in agent.url
    complaint_id = agent.locator("#raised-complaint").inner_text().strip()
    shoot(agent, "loop-1-dissatisfied-callback.zh")

    # then the advisor's board shows its card, without a reload
    card = board.locator(f"[data-complaint='{complaint_id}']")
    card.wait_for(timeout=40000)
    assert board.evaluate("window.__no_reload") is True
    assert CUSTOMER["name"] in card.inner_text()
    shoot(board, "loop-2-board-card.zh")

    # and the advisor escalates it with a reason (in a second tab)
    advisor = board.context.new_page()
    assert card.locator("a.c-card-link").get_attribute("href") == f"/complaints/{complaint_id}"
    advisor.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    advisor.click("#action-escalate")
    advisor.fill("#escalate-reason", "客户要求免费返修并补偿，超出服务顾问权限。")
    with advisor.expect_navigation():
        advisor.click("#dialog-escalate button[type=submit]")
    assert "已上报至" in advisor.locator("#done").inner_text()

    # a manager resolves it
    manager = new_page()
    sign_in(manager, site, "zhang", service="complaints")
    manager.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    manager.click("#action-resolve")
    manager.fill("#resolve-root_cause", "保养时未紧固底盘护板。")
    manager.fill("#resolve-corrective_action", "免费返修，技师复检签字；班前会通报。")
    with manager.expect_navigation():
        manager.click("#dialog-resolve button[type=submit]")
    assert "待回访验证" in manager.locator(".c-state").inner_text()
    shoot(manager, "loop-3-resolved.zh")

    # the next working day the verification callback is on the agent's workbench
    verification = eventually(lambda: _task(site, complaint_id=complaint_id, kind="verification"), timeout=40,
                              message="the verification callback to be planned (complaint.resolved)")
    clocks.set(_morning(verification.due_on))
    verifier = verification.assigned_to if verification.assigned_to in PEOPLE else agent_login
    if verifier != agent_login:
        agent = new_page()
        sign_in(agent, site, verifier)
    agent.goto(site.url("scheduler", "/"))
    row = agent.locator("#worklist tbody tr", has_text=CUSTOMER["name"])
    assert "投诉验证回访" in row.inner_text()
    shoot(agent, "loop-4-workbench-verification.zh")

    # the agent records the customer satisfied
    with agent.expect_navigation():
        row.locator("a").first.click()
    _answer(agent, first_scale="satisfied", scale="satisfied")
    with agent.expect_navigation():
        agent.click("#save-reached")
    assert "?saved=1" in agent.url

    # the card leaves the board and the complaint shows closed
    board.locator(f"[data-complaint='{complaint_id}']").wait_for(state="detached", timeout=40000)
    assert board.evaluate("window.__no_reload") is True
    shoot(board, "loop-5-board-after.zh")
    advisor.goto(site.url("complaints", f"/complaints/{complaint_id}"))
    assert advisor.locator(".c-state").inner_text() == "已关闭"
    history = advisor.locator(".c-timeline").inner_text()
    assert "已关闭" in history and "上报" in history and "已解决" in history
    shoot(advisor, "loop-6-closed.zh")
