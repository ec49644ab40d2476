"""The callback desk's own events and commands: a declined callback counts apart from the
completion rate; an agent submits their monthly summary (seed 000 part 1)."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..figures.desk import period_figures, summary_row
from ..domain.desk import DeskPolicy, Period
from ..domain.kpi import month_bounds
from ..models import CANCELLED, DECLINED, AgentSummary, Callback, CallbackVerdict
from .rows import by_key, to_date, utc_moment


def on_callback_declined(*, uow: UnitOfWork, event: Event) -> None:
    """Marks the callback `declined` (谢绝回访): out of the month's callbacks and counted apart."""
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.customer_id, callback.kind = data["customer_id"], data["kind"]
    if data.get("branch"):
        callback.branch = data["branch"]
    if data.get("due_on"):
        callback.due_on = to_date(data["due_on"])
    if callback.status != CANCELLED:
        callback.status = DECLINED
    callback.save()


def on_callback_reviewed(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps a reviewer's verdict on a callback record: the newest of its role by `reviewed_at`
    (an older one arriving late, from another worker or a retry, is dropped), with the role's
    `seniority` (review.yaml's order) that callback_quality counts by."""
    data, org = event.data, event.organization
    verdict = by_key(CallbackVerdict, organization=org, callback_id=data["callback_id"],
                     reviewer_role=data["reviewer_role"])
    at = utc_moment(data.get("reviewed_at"), uow.settings.tz)
    if verdict.reviewed_at is not None and (at is None or at < verdict.reviewed_at):
        return
    verdict.verdict, verdict.agent, verdict.reviewed_at = data["verdict"], data.get("agent"), at
    if isinstance(data.get("seniority"), int):
        verdict.seniority = data["seniority"]
    if data.get("due_on"):
        verdict.due_on = to_date(data["due_on"])
    verdict.save()


def submit_summary(*, uow, organization: str, month: str, agent: str, remark: str | None, policy: DeskPolicy) -> dict:
    """Gives the agent's summary of `month` after they submitted it (again: the latest figures and
    remark, the first submission's time kept, so a late mark stays late) with its state."""
    first, last = month_bounds(month)
    figures = period_figures(organization, Period(month, "month", first, last), policy)
    mine = next((row for row in figures["agents"] if row["login"] == agent), None)
    row = AgentSummary.get_or_none(AgentSummary.organization == organization, AgentSummary.month == month,
                                   AgentSummary.agent == agent)
    if row is None:
        row = AgentSummary(organization=organization, month=month, agent=agent, submitted_at=uow.now)
    row.figures, row.remark = mine or {}, remark
    row.save()
    return summary_row(row, month, policy, uow.now.astimezone(uow.settings.tz), uow.settings.tz)
