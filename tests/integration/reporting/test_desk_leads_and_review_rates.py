"""The desk's figures and the month's report close two loops: the review pass rate per agent (seed 002
「□抽查合格/□有待改进」; RULES 1.4 回访质量合格率), and the leads callbacks raised and won in the month
(seed 000 part 5 「寻求新的商务机会」)."""
from __future__ import annotations

from services.reporting.domain.desk import parse_period
from services.reporting.figures.desk import month_leads, period_figures
from services.reporting.rules import desk_policy

from testkit.reporting import completed, customer, scheduled

ORG = "acme-electric"


def _reviewed(reporting, callback_id: str, agent: str, verdict: str, role: str = "supervisor", seniority: int = 0):
    reporting.feed("callback.reviewed", {"callback_id": callback_id, "verdict": verdict, "reviewer_role": role,
                                         "agent": agent, "due_on": "2026-11-02", "seniority": seniority,
                                         "reviewed_at": "2026-11-06T16:00:00+08:00", "comment": None})


def test_seed_002_desk_figures_give_the_review_pass_rate_per_agent(reporting):
    # given li made three records and wang one, all due in week 2026-W45
    for n, agent in enumerate(("li", "li", "li", "wang"), start=1):
        cust = customer(f"C{n}")
        reporting.feed("callback.scheduled", scheduled(f"K-{n}", cust["id"], "2026-11-02"))
        reporting.feed("callback.completed", completed(f"K-{n}", cust, "2026-11-02", product="satisfied",
                                                       service="satisfied", agent=agent))
    # when the supervisor passes two of li's, finds one needs improvement, and the manager (more senior)
    # overrules one pass; wang's record is not reviewed
    _reviewed(reporting, "K-1", "li", "pass")
    _reviewed(reporting, "K-2", "li", "pass")
    _reviewed(reporting, "K-3", "li", "needs_improvement")
    _reviewed(reporting, "K-2", "li", "needs_improvement", role="manager", seniority=1)
    with reporting.service.connection():
        week = period_figures(ORG, parse_period("2026-W45"), desk_policy(reporting.settings, ORG))
    # then li's pass rate is 1 of 3 (each record once, by its most senior verdict); wang's 0 of 0
    agents = {row["login"]: row["figures"]["review_pass_rate"] for row in week["agents"]}
    assert agents["li"] == {"numerator": 1, "denominator": 3, "value": 0.3333}
    assert agents["wang"] == {"numerator": 0, "denominator": 0, "value": None}


def test_seed_000_part_5_the_months_report_counts_leads_raised_and_won(reporting):
    # given two leads raised in November (one won in November) and one raised in October, won in November
    def raised(lead_id, at):
        reporting.feed("lead.raised", {"lead_id": lead_id, "kind": "purchase", "callback_id": "K-1",
                                       "customer": customer("A"), "due_on": "2026-11-20", "raised_at": at})

    def updated(lead_id, status, raised_at, at):
        reporting.feed("lead.updated", {"lead_id": lead_id, "kind": "purchase", "status": status,
                                        "raised_at": raised_at, "updated_at": at,
                                        "closed_at": at if status in ("won", "lost") else None},
                       id_=f"{lead_id}-{status}")

    raised("L-1", "2026-11-03T10:00:00+08:00")
    raised("L-2", "2026-11-04T10:00:00+08:00")
    raised("L-3", "2026-10-30T10:00:00+08:00")
    updated("L-1", "won", "2026-11-03T10:00:00+08:00", "2026-11-10T10:00:00+08:00")
    updated("L-2", "lost", "2026-11-04T10:00:00+08:00", "2026-11-10T10:00:00+08:00")
    updated("L-3", "won", "2026-10-30T10:00:00+08:00", "2026-11-01T09:00:00+08:00")
    # an older update arriving late changes nothing
    updated("L-1", "contacted", "2026-11-03T10:00:00+08:00", "2026-11-05T10:00:00+08:00")
    # then November counts two raised and two won; October one raised, none won
    with reporting.service.connection():
        assert month_leads(ORG, "2026-11") == {"raised": 2, "won": 2}
        assert month_leads(ORG, "2026-10") == {"raised": 1, "won": 0}
    assert reporting.report("2026-11").desk["leads"] == {"raised": 2, "won": 2}
