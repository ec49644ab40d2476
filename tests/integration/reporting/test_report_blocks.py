"""Issues 17 and 18 in the monthly report's PDF (顾客满意度测量报告) and the report room's month page:
how complaints ended (closure reasons, seed 002), unreachable verifications, broken promises, the
corrective actions with the overdue ones marked (seed 000 parts 1 and 5, seed 003), and the desk's
people against their targets with the callback quality pass rate and the declined callbacks counted
apart (seed 003 §七, seed 004 各岗位内部指标)."""
from __future__ import annotations

import re

from testkit.tokens import bearer, user_token
from testkit.reporting import ORG, customer, scheduled
from testkit.reporting import pdf_text
from testkit.worked_examples import week_of_november


def _november(reporting) -> None:
    """A worked example of November 2026, read on November 3rd."""
    reporting.at(2026, 11, 3, 10, 0)
    # complaints raised in November: two anonymous, one answered in writing, one whose verification
    # found nobody (still waiting) with a promise to its customer broken
    for n in range(1, 5):
        reporting.feed("complaint.raised", {"complaint_id": f"Q-{n}", "customer": customer("C-1"), "description": "d",
                                            "category": "price", "raised_at": f"2026-11-0{n % 3 + 1}T10:00:00+08:00"})
    for complaint_id, reason in (("Q-1", "anonymous"), ("Q-2", "anonymous"), ("Q-3", "written_reply")):
        reporting.feed("complaint.closed", {"complaint_id": complaint_id, "closure_reason": reason,
                                            "closed_at": "2026-11-03T09:00:00+08:00"})
    reporting.feed("complaint.verification_unreachable", {"complaint_id": "Q-4", "callback_id": "CB-4",
                                                          "unreachable_at": "2026-11-03T09:00:00+08:00"})
    reporting.feed("complaint.promise_broken", {"complaint_id": "Q-4", "promise_id": "P-1"})
    # two corrective actions: one past its due date and not done, one due at the month's end
    for action_id, status, due_on in (("CA-1", "open", "2026-11-01"), ("CA-2", "in_progress", "2026-11-30")):
        reporting.feed("corrective_action.updated", {
            "action_id": action_id, "title": f"整改 {action_id}", "owner": "zhang", "due_on": due_on,
            "status": status, "complaint_ids": ["Q-1"], "callback_ids": [], "updated_at": "2026-11-02T10:00:00+08:00"})
    # the desk: li has three callbacks (one reached), wang one, zhao made one call; advisors zhang
    # and zhou; a sixth customer declines callbacks (counted apart)
    week_of_november(reporting)
    reporting.feed("callback.scheduled", scheduled("K-6", "F", "2026-11-06", assigned_to="li"))
    reporting.feed("callback.declined", {"callback_id": "K-6", "customer_id": "F", "kind": "first",
                                         "due_on": "2026-11-06"})
    # reviewers pass two records and find one needing improvement: 2/3
    for callback_id, verdict in (("K-1", "pass"), ("K-2", "pass"), ("K-3", "needs_improvement")):
        reporting.feed("callback.reviewed", {"callback_id": callback_id, "verdict": verdict, "reviewer": "zhao",
                                             "reviewer_role": "supervisor", "due_on": "2026-11-02", "agent": "li"})


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _line_of(text: str, start: str) -> str:
    """Gives the (whitespace-flattened) line of `text` that starts with `start`."""
    return next(_flat(line).strip() for line in text.splitlines() if line.strip().startswith(start))


def test_seed_002_and_003_the_pdf_shows_closures_promises_corrective_actions_and_the_desk(reporting):
    from services.reporting.app import create_app

    _november(reporting)
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    response = client.get("/api/v1/reports/2026-11.pdf", headers=bearer(user_token("manager", org=ORG)))
    assert response.status_code == 200
    text = pdf_text(response.data)
    # closures by reason, unreachable verifications, broken promises (seed 002)
    assert "投诉结案与承诺" in text
    assert _line_of(text, "匿名投诉").endswith(" 2") and _line_of(text, "已书面答复").endswith(" 1")
    assert _line_of(text, "按原因结案合计").endswith(" 3")
    assert _line_of(text, "回访无法联系的投诉").endswith(" 1") and _line_of(text, "其中尚未结案").endswith(" 1")
    assert _line_of(text, "承诺未兑现 ").endswith(" 1")
    # the register of corrective actions, the overdue one marked (seed 000 part 5)
    assert "纠正预防措施 共 2 项,逾期 1 项" in _flat(text)
    assert _line_of(text, "整改 CA-1") == "整改 CA-1 zhang 2026-11-01 处理中 逾期"
    assert _line_of(text, "整改 CA-2") == "整改 CA-2 zhang 2026-11-30 整改中"
    # the desk: each agent and advisor against the targets, quality pass rate, declined apart
    assert "回访员及服务顾问指标" in text
    assert _line_of(text, "回访质量合格率(合格/评审)").endswith("66.7% 2/3")
    assert _line_of(text, "谢绝回访").endswith(" 1")
    li = _line_of(text, "li ")
    assert li.startswith("li 3 33.3% 1/3 (100%) 未达标"), li
    assert _line_of(text, "zhou ").startswith("zhou 1 100% 1/1")

    # the English edition says the same in English
    english = _flat(pdf_text(client.get("/api/v1/reports/2026-11.pdf?language=en",
                                         headers=bearer(user_token("manager", org=ORG))).data))
    for words in ("Complaint closures and promises", "Anonymous complaint 2", "Answered in writing 1",
                  "Corrective and preventive actions 2 in all, 1 overdue", "Open overdue",
                  "Agents and service advisors against targets", "Callback quality pass rate (passed/reviewed) 66.7% 2/3",
                  "li 3 33.3% 1/3 (100%)", "0% 0/1 (90%) below target"):
        assert words in english, words


def test_seed_002_and_003_the_month_page_shows_closures_corrective_actions_and_the_desk(reporting):
    from services.reporting.app import create_app

    from shared.users.store import save_person

    _november(reporting)
    reporting.service.run(save_person, organization=ORG, login="chen", role="manager", password="pw-chen")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "chen", "password": "pw-chen", "csrf_token": token})
    page = client.get("/reports/2026-11")
    assert page.status_code == 200, page.status_code
    html = _flat(page.get_data(as_text=True))
    closures = html[html.index('id="closures"'):html.index('id="people"')]
    for words in ("匿名投诉", "纠正预防措施", "整改 CA-1"):
        assert words in closures, words
    overdue_row = re.search(r"整改 CA-1.*?</tr>", closures).group(0)
    assert "逾期" in overdue_row
    assert "逾期" not in re.search(r"整改 CA-2.*?</tr>", closures).group(0)
    people = html[html.index('id="people"'):html.index('class="r-lists"')]
    assert "2/3" in people and "li" in people and "zhou" in people and "未达标" in people


def test_the_report_json_carries_the_desk_people_and_a_stored_report_keeps_the_blocks(reporting):
    from services.reporting.domain.report import ReportData
    from services.reporting.render import render_report_html

    _november(reporting)
    report = reporting.report("2026-11")
    again = ReportData.from_dict(report.as_dict())
    assert again.closures["by_reason"] == {"anonymous": 2, "written_reply": 1}
    assert again.corrective_actions["overdue"] == ["CA-1"]
    assert {a["login"] for a in again.desk["agents"]} == {"li", "wang", "zhao"}
    assert again.desk["declined_callbacks"] == 1
    # a report stored before these blocks existed renders without them
    old = {k: v for k, v in report.as_dict().items() if k not in ("closures", "corrective_actions", "desk")}
    html = render_report_html(ReportData.from_dict(old))
    assert "纠正预防措施" not in html and "回访员及服务顾问指标" not in html


def test_reporting_keeps_a_complaints_branch(reporting):
    from services.reporting.models import Complaint

    reporting.feed("complaint.raised", {"complaint_id": "Q-1", "customer": customer("C-1"), "description": "d",
                                        "raised_at": "2026-11-02T10:00:00+08:00", "branch": "north"})
    reporting.feed("complaint.raised", {"complaint_id": "Q-2", "customer": customer("C-1"), "description": "d",
                                        "raised_at": "2026-11-02T10:00:00+08:00"})
    with reporting.service.connection():
        assert {c.complaint_id: c.branch for c in Complaint.select()} == {"Q-1": "north", "Q-2": None}
