"""Churn reasons (流失原因) of the month that callbacks brought back: a lapsed customer's "why not back"
callback (seed 000 part 5: 回访调查流失原因), listed and counted with the complaints' churn reasons
(RULES 3 "churn reasons, listed"). A callback belongs to the month of its due date; cancelled and
declined ones count nowhere."""
from __future__ import annotations

from peewee import JOIN, fn

from ..domain.report import Remark
from ..models import Callback, Customer
from .populations import month_callbacks_of


def callback_churn(organization: str, month: str, *, limit: int, tz, branch: str | None = None
                   ) -> tuple[list[Remark], int]:
    """Gives the month's callback churn reasons (at most `limit`, by the day recorded) and their full count."""
    where = month_callbacks_of(organization, month, branch) & Callback.churn_reason.is_null(False)
    rows = (Callback.select(Customer.name, Callback.customer_id, Callback.churn_reason, Callback.recorded_at)
            .join(Customer, JOIN.LEFT_OUTER, on=((Customer.organization == Callback.organization)
                                                 & (Customer.customer_id == Callback.customer_id)))
            .where(where).order_by(Callback.recorded_at, Callback.callback_id).limit(limit).tuples())
    remarks = [Remark(name or cid or "—", text, recorded_at.astimezone(tz).date() if recorded_at else None)
               for name, cid, text, recorded_at in rows]
    return remarks, int(Callback.select(fn.COUNT(Callback.id)).where(where).scalar() or 0)


def merged_churn(complaints: list[Remark], callbacks: list[Remark], limit: int) -> list[Remark]:
    """Gives the complaints' and the callbacks' churn reasons as one list by day (undated last), at most `limit`."""
    both = sorted(complaints + callbacks, key=lambda r: (r.recorded_on is None, r.recorded_on or 0))
    return both[:limit]
