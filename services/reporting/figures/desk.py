"""The callback desk's figures, apart from the report's RULES 3 figures (month.py).

For a period (a month or an ISO week: seed 004 每周、每月进行统计分析), for the organisation, per
agent (回访员: who made the last call, else the agent the callback was assigned to) and per
service advisor (服务顾问: the advisor of the order), each with the targets of the role (data/desk.yaml)
and whether they are met (seed 003 §七, seed 004 各岗位内部指标). Also the agents' monthly summaries
with their late mark (seed 000 part 1). Counted in SQL, one GROUP BY per table.
"""
from __future__ import annotations

from datetime import datetime

from peewee import JOIN, Case, fn

from shared.core.answers import SATISFIED_ANSWERS

from ..domain.desk import PERSON_ROLES, TARGET_FIGURES, DeskPolicy, Period, meets, summary_due_on, summary_state
from ..domain.kpi import month_bounds
from ..models import (CANCELLED, DECLINED, SERVED_ORDER, AgentSummary, Callback, CallbackVerdict, LeadRecord,
                      ServedDay)

#: The name a row gets when nobody is known (no agent assigned, an order without its advisor).
NOBODY = ""


def _sum_when(condition):
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _rate(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "value": round(numerator / denominator, 4) if denominator else None}


def declined_callbacks(organization: str, month: str, branch: str | None = None) -> int:
    """Gives the month's callbacks (by due date) whose customer declined callbacks (谢绝回访)."""
    first, last = month_bounds(month)
    query = Callback.select().where(Callback.organization == organization, Callback.due_on >= first,
                                    Callback.due_on <= last, Callback.status == DECLINED)
    return (query if branch is None else query.where(Callback.branch == branch)).count()


def _senior_verdicts(first, last, organization: str, *columns):
    """Gives a query of `columns` over the verdicts on the callbacks due from `first` to `last`, each
    record once: the verdict of the most senior role that reviewed it (review.yaml's order)."""
    senior = CallbackVerdict.alias()
    rank = fn.COALESCE(CallbackVerdict.seniority, -1)
    outranked = senior.select(senior.id).where(
        senior.organization == CallbackVerdict.organization, senior.callback_id == CallbackVerdict.callback_id,
        (fn.COALESCE(senior.seniority, -1) > rank)
        | ((fn.COALESCE(senior.seniority, -1) == rank) & (senior.id > CallbackVerdict.id)))
    return CallbackVerdict.select(*columns).where(
        CallbackVerdict.organization == organization, CallbackVerdict.due_on >= first,
        CallbackVerdict.due_on <= last, ~fn.EXISTS(outranked))


def pass_rates_by_agent(organization: str, period: Period, branch: str | None = None) -> dict[str, dict]:
    """Gives {agent: review pass rate (回访质量合格率) of their records of the period}: the records
    reviewed and those passed, each counted once by its most senior verdict."""
    who = fn.COALESCE(CallbackVerdict.agent, NOBODY)
    query = _senior_verdicts(period.first, period.last, organization, who.alias("who"), fn.COUNT(CallbackVerdict.id),
                             _sum_when(CallbackVerdict.verdict == "pass"))
    if branch is not None:
        query = query.join(Callback, on=((Callback.organization == CallbackVerdict.organization)
                                         & (Callback.callback_id == CallbackVerdict.callback_id))).where(
            Callback.branch == branch)
    return {agent: _rate(int(passed or 0), int(reviewed)) for agent, reviewed, passed in query.group_by(who).tuples()}


def callback_quality(organization: str, month: str, branch: str | None = None) -> dict | None:
    """Gives the month's callback quality pass rate (回访质量合格率, RULES 1.4) from the reviewers'
    verdicts on its callbacks (by due date): {status: reviewed, pass_rate, numerator, denominator},
    or None while no record of the month was reviewed. Each record counts once: the verdict of
    the most senior role that reviewed it (review.yaml lists the roles from the first check to
    the most senior: by default the manager's spot check outranks the supervisor's)."""
    first, last = month_bounds(month)
    senior = CallbackVerdict.alias()
    rank = fn.COALESCE(CallbackVerdict.seniority, -1)
    outranked = senior.select(senior.id).where(
        senior.organization == CallbackVerdict.organization, senior.callback_id == CallbackVerdict.callback_id,
        (fn.COALESCE(senior.seniority, -1) > rank)
        | ((fn.COALESCE(senior.seniority, -1) == rank) & (senior.id > CallbackVerdict.id)))
    query = CallbackVerdict.select(fn.COUNT(CallbackVerdict.id), _sum_when(CallbackVerdict.verdict == "pass")).where(
        CallbackVerdict.organization == organization, CallbackVerdict.due_on >= first,
        CallbackVerdict.due_on <= last, ~fn.EXISTS(outranked))
    if branch is not None:  # the branch of the callback reviewed
        query = query.join(Callback, on=((Callback.organization == CallbackVerdict.organization)
                                         & (Callback.callback_id == CallbackVerdict.callback_id))).where(
            Callback.branch == branch)
    reviewed, passed = query.tuples()[0]
    if not reviewed:
        return None
    return {"status": "reviewed", "pass_rate": round(int(passed) / int(reviewed), 4), "numerator": int(passed),
            "denominator": int(reviewed)}


def known_branches(organization: str) -> list[str]:
    """Gives the organisation's branches known to the read model (callbacks and served days), sorted."""
    found = {b for (b,) in Callback.select(Callback.branch).where(
        Callback.organization == organization, Callback.branch.is_null(False)).distinct().tuples()}
    found |= {b for (b,) in ServedDay.select(ServedDay.branch).where(
        ServedDay.organization == organization, ServedDay.branch.is_null(False)).distinct().tuples()}
    return sorted(found)


def month_leads(organization: str, month: str) -> dict:
    """Gives {raised, won} of the month: the leads callbacks raised in it, and those won in it (by the
    day each was raised or won)."""
    first, last = month_bounds(month)
    raised = LeadRecord.select().where(LeadRecord.organization == organization, LeadRecord.raised_on >= first,
                                       LeadRecord.raised_on <= last).count()
    won = LeadRecord.select().where(LeadRecord.organization == organization, LeadRecord.won_on >= first,
                                    LeadRecord.won_on <= last).count()
    return {"raised": raised, "won": won}


def desk_figures(organization: str, month: str, branch: str | None = None) -> dict:
    """Gives the desk's figures of the month as the report's JSON carries them: {declined_callbacks}."""
    return {"declined_callbacks": declined_callbacks(organization, month, branch)}


def _counts(organization: str, period: Period, group=None, *, with_orders: bool = False, branch: str | None = None):
    """Gives rows (group, callbacks, reached, declined, product answered, product satisfied, service
    answered, service satisfied) of the period's callbacks (by due date, cancelled ones left out)."""
    declined = Callback.status == DECLINED
    counted = Callback.status != DECLINED
    satisfied = sorted(SATISFIED_ANSWERS)
    columns = [
        _sum_when(counted), _sum_when(counted & (Callback.reached == True)),  # noqa: E712 (SQL)
        _sum_when(declined),
        _sum_when(counted & Callback.product_satisfaction.is_null(False)),
        _sum_when(counted & Callback.product_satisfaction.in_(satisfied)),
        _sum_when(counted & Callback.service_satisfaction.is_null(False)),
        _sum_when(counted & Callback.service_satisfaction.in_(satisfied)),
    ]
    query = Callback.select(*([group.alias("who")] if group is not None else []), *columns)
    if with_orders:
        query = query.join(ServedDay, JOIN.LEFT_OUTER, on=(
            (ServedDay.organization == Callback.organization) & (ServedDay.source_kind == SERVED_ORDER)
            & (ServedDay.source_id == Callback.order_id)))
    query = query.where((Callback.organization == organization) & (Callback.due_on >= period.first)
                        & (Callback.due_on <= period.last) & (Callback.status != CANCELLED))
    if branch is not None:
        query = query.where(Callback.branch == branch)
    if group is not None:
        query = query.group_by(group)
    rows = list(query.tuples())
    return rows if group is not None else [(None, *rows[0])]


def _figures(row, policy: DeskPolicy | None, role: str | None) -> dict:
    _, callbacks, reached, declined, p_n, p_ok, s_n, s_ok = (int(v or 0) if i else v for i, v in enumerate(row))
    figures = {"callback_completion_rate": _rate(reached, callbacks),
               "product_satisfaction_rate": _rate(p_ok, p_n), "service_satisfaction_rate": _rate(s_ok, s_n)}
    out = {"callbacks": callbacks, "reached": reached, "declined": declined, "figures": figures}
    if role is not None and policy is not None:
        out["targets"] = {name: policy.target(role, name) for name in TARGET_FIGURES
                          if policy.target(role, name) is not None}
        out["meets"] = {name: meets(figures[name]["value"], target) for name, target in out["targets"].items()}
    return out


def period_figures(organization: str, period: Period, policy: DeskPolicy, *, branch: str | None = None) -> dict:
    """Gives the period's desk figures: for the organisation (or one `branch` of it), per branch,
    per agent and per advisor (with their role's targets and whether each is met), sorted by name."""
    advisor = fn.COALESCE(Callback.advisor_id, ServedDay.advisor_id, NOBODY)
    agent = fn.COALESCE(Callback.agent, NOBODY)
    where = {"branch": branch}
    return {
        "period": period.name, "kind": period.kind, "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(), "branch": branch,
        "organization": _figures(_counts(organization, period, **where)[0], None, None),
        "branches": sorted(({"branch": row[0], **_figures(row, None, None)}
                            for row in _counts(organization, period, fn.COALESCE(Callback.branch, NOBODY), **where)),
                           key=lambda r: r["branch"]),
        "agents": _with_pass_rates(
            [{"login": row[0], **_figures(row, policy, "agent")} for row in _counts(organization, period, agent, **where)],
            pass_rates_by_agent(organization, period, branch), policy),
        "advisors": sorted(({"advisor_id": row[0], **_figures(row, policy, "advisor")}
                            for row in _counts(organization, period, advisor, with_orders=True, **where)),
                           key=lambda r: r["advisor_id"]),
    }


def _with_pass_rates(agents: list[dict], rates: dict[str, dict], policy: DeskPolicy) -> list[dict]:
    """Gives the agents' rows, by login, each with `review_pass_rate` among its figures (its records
    reviewed; 0 of 0 when none was), and a row for an agent reviewed without a callback of the period."""
    by_login = {row["login"]: row for row in agents}
    for login in rates.keys() - by_login.keys():
        by_login[login] = {"login": login, **_figures((login, 0, 0, 0, 0, 0, 0, 0), policy, "agent")}
    for login, row in by_login.items():
        row["figures"]["review_pass_rate"] = rates.get(login, _rate(0, 0))
    return sorted(by_login.values(), key=lambda r: r["login"])


def summary_row(row: AgentSummary | None, month: str, policy: DeskPolicy, now: datetime, tz, agent: str | None = None) -> dict:
    """Gives one agent's summary of the month as the API shows it, with its state (on_time, late, missing, not_due)."""
    submitted = None
    if row is not None:
        submitted = row.submitted_at.astimezone(tz)
    return {"agent": row.agent if row is not None else agent, "month": month,
            "due_on": summary_due_on(month, policy.summary_due_day).isoformat(),
            "submitted_at": submitted.isoformat() if submitted else None,
            "state": summary_state(month, policy.summary_due_day, submitted, now),
            "remark": row.remark if row is not None else None,
            "figures": row.figures if row is not None else None}


def summaries(*, organization: str, month: str, agents: list[str], policy: DeskPolicy, now: datetime, tz,
              submitted_too: bool = True) -> list[dict]:
    """Gives the month's summary of each agent (those of the directory and, with `submitted_too`, anyone
    else who submitted; without it, a branch's: `agents` only), by login."""
    rows = {r.agent: r for r in AgentSummary.select().where(AgentSummary.organization == organization,
                                                            AgentSummary.month == month)}
    return [summary_row(rows.get(login), month, policy, now, tz, agent=login)
            for login in sorted(set(agents) | (set(rows) if submitted_too else set()))]


__all__ = ["PERSON_ROLES", "declined_callbacks", "desk_figures", "period_figures", "summaries", "summary_row"]
