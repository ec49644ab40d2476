"""The callback desk's figures of a month (issue 17), apart from the report's RULES 3 figures.

Kept in its own module so the report's figures (figures.py) stay as they are: what the API's
month answer carries under `desk`.
"""
from __future__ import annotations

from .domain.kpi import month_bounds
from .models import DECLINED, Callback


def declined_callbacks(organization: str, month: str) -> int:
    """Gives the month's callbacks (by due date) whose customer declined callbacks (谢绝回访)."""
    first, last = month_bounds(month)
    return Callback.select().where(Callback.organization == organization, Callback.due_on >= first,
                                   Callback.due_on <= last, Callback.status == DECLINED).count()


def desk_figures(organization: str, month: str) -> dict:
    """Gives the desk's figures of the month: {declined_callbacks}."""
    return {"declined_callbacks": declined_callbacks(organization, month)}
