"""A supervisor's buttons and a customer's open questions in a real browser (seed 000 parts 3 and 5, seed 002
4.1): reassign a callback, switch it to on-site with the reason, give an absent agent's callbacks to
another; record a question the customer asked. The buttons show only to the roles that may press them.

The scheduler's web process runs on a clock set to Monday 2026-11-30 10:00 in Shanghai.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.scheduler.models import CallbackChange, CallbackTask, OpenQuestion
from testkit.doubles import FakeClock
from testkit.events import envelope
from testkit.pages import CJK, ORG, english_text, shoot, sign_in

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


def _promise(n: int, due_at: str) -> dict:
    return {"complaint_id": f"K-S{n}", "promise_id": "P", "what": "上门复查", "due_at": due_at,
            "customer": {"id": f"C-S{n}", "name": f"周先生{n}", "phone": "13812340000"}}


@pytest.fixture(scope="module")
def followups(site):
    """Promise follow-ups due this week, made in-process by the scheduler's own handlers."""
    scheduler = site.mesh.services["scheduler"]
    before = scheduler.clock
    scheduler.clock = FakeClock(NOW)
    with scheduler.connection():
        for n, due in enumerate(("2026-11-30T15:00:00+08:00", "2026-12-01T10:00:00+08:00",
                                 "2026-12-02T10:00:00+08:00", "2026-12-03T10:00:00+08:00")):
            scheduler.handle(envelope("complaint.promise_made", _promise(n, due), org=ORG))
        ids = [t.id for t in CallbackTask.select().where(CallbackTask.complaint_id.startswith("K-S"))
               .order_by(CallbackTask.due_on)]
        CallbackTask.update(assigned_to="li").where(CallbackTask.id.in_(ids)).execute()
    yield ids
    scheduler.clock = before


def _read(site, query):
    with site.mesh.services["scheduler"].connection():
        return query()


@pytest.mark.parametrize("locale, suffix", [("zh-CN", "zh"), ("en-US", "en")])
def test_seed_002_4_1_a_supervisor_reassigns_and_switches_a_callback_to_onsite(new_page, site, followups, locale,
                                                                                suffix):
    callback_id = followups[0] if suffix == "zh" else followups[1]
    page = new_page(locale)
    sign_in(page, site, "chen")
    page.goto(site.url("scheduler", f"/callbacks/{callback_id}"))
    # when the supervisor gives the callback to wang
    page.select_option("#assign-agent", "wang")
    with page.expect_navigation():
        page.locator("#assign-form button").click()
    # then the history says who did it
    assert "chen" in page.locator("#change-log").inner_text() and "wang" in page.locator("#change-log").inner_text()
    # when they switch it to an on-site visit with the reason
    page.fill("#onsite-reason", "电话无法解决，需上门查看漏水处")
    with page.expect_navigation():
        page.locator("#onsite-form button").click()
    log = page.locator("#change-log").inner_text()
    assert "电话无法解决" in log
    assert page.locator("#onsite-form").count() == 0  # on site already: no second switch
    task = _read(site, lambda: CallbackTask.get_by_id(callback_id))
    assert (task.assigned_to, task.channel) == ("wang", "onsite")
    changes = _read(site, lambda: [(c.action, c.actor) for c in CallbackChange.select().where(
        CallbackChange.callback_id == callback_id).order_by(CallbackChange.at, CallbackChange.id)])
    assert changes == [("assigned", "chen"), ("channel", "chen")]
    if suffix == "en":
        assert not CJK.findall(english_text(page)), CJK.findall(english_text(page))
    shoot(page, f"callback-supervised.{suffix}")


def test_seed_000_an_agent_records_an_open_question_and_sees_no_supervisor_button(new_page, site, followups):
    page = new_page()
    sign_in(page, site, "li")
    callback_id = followups[2]
    page.goto(site.url("scheduler", f"/callbacks/{callback_id}"))
    assert page.locator("#assign-form").count() == 0 and page.locator("#onsite-form").count() == 0
    # posting the supervisor's form anyway is refused
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(site.url("scheduler", f"/callbacks/{callback_id}/assign"),
                                form={"csrf_token": token, "agent": "wang"})
    assert refused.status == 403
    # when li records the customer's question for zhang, promised by Wednesday 16:00
    page.locator("details.s-ask summary").click()
    page.fill("#q-text", "保修期外更换压缩机的费用能否减免？")
    page.select_option("#q-owner", "zhang")
    page.fill("#q-due", "2026-12-02T16:00")
    with page.expect_navigation():
        page.locator("#ask-form button").click()
    # then the question shows with its owner, and a follow-up callback is planned that day
    assert "保修期外更换压缩机" in page.locator("#questions").inner_text()
    question = _read(site, lambda: OpenQuestion.get(OpenQuestion.callback_id == callback_id))
    followup = _read(site, lambda: CallbackTask.get_by_id(question.followup_id))
    assert (question.owner, followup.kind, str(followup.due_on)) == ("zhang", "question_followup", "2026-12-02")
    shoot(page, "callback-question.zh")
    en = new_page("en-US")
    sign_in(en, site, "li")
    en.goto(site.url("scheduler", f"/callbacks/{callback_id}"))
    en.locator("details.s-ask summary").click()
    assert not CJK.findall(english_text(en)), CJK.findall(english_text(en))
    shoot(en, "callback-question.en")


def test_seed_000_a_supervisor_gives_an_absent_agents_callbacks_to_another(new_page, site, followups):
    agent = new_page()
    sign_in(agent, site, "li")
    agent.goto(site.url("scheduler", "/"))
    assert agent.locator("#absent-form").count() == 0  # an agent does not see the form
    for locale, suffix in (("zh-CN", "zh"), ("en-US", "en")):
        page = new_page(locale)
        sign_in(page, site, "chen")
        page.goto(site.url("scheduler", "/"))
        page.locator("#absent summary").click()
        shoot(page, f"workbench-absent.{suffix}")
        if suffix == "en":
            assert not CJK.findall(english_text(page)), CJK.findall(english_text(page))
    # when chen gives li's callbacks of 12-03 to wang
    page.select_option("#absent-agent", "li")
    page.select_option("#absent-to", "wang")
    page.fill("#absent-from", "2026-12-03")
    page.fill("#absent-until", "2026-12-03")
    with page.expect_navigation():
        page.locator("#absent-form button").click()
    assert page.locator("#moved-note").count() == 1
    assert _read(site, lambda: CallbackTask.get_by_id(followups[3]).assigned_to) == "wang"
