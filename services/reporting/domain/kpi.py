"""KPI formulas of the monthly Customer Satisfaction Measurement Report (顾客满意度测量报告).

Pure functions only: no Flask, no Dramatiq, no peewee. The caller aggregates the month's
rows in SQL (RULES 3 says what belongs to a month) and hands the counts in as
:class:`MonthCounts`; this module turns counts into :class:`Figure` objects (each serialises
as ``{"numerator", "denominator", "value"}``) and does the month arithmetic of the report and
its trend. ``domain/report.py`` assembles the :class:`ReportData` the renderer and the JSON
route both read.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from shared.core.event_fields import SATISFACTION

from ..errors import KpiError

#: Months of trend shown before the report's month (RULES 3: "the two months before it").
#: The one place this number lives: figures/month.py aggregates, and build_report keeps, these months.
TREND_MONTHS = 2

#: Decimal places kept in :attr:`Figure.value` (a ratio between 0 and 1).
VALUE_DIGITS = 4

#: Satisfaction answers on the five-point scale, best first (RULES 3; CONTRACT.md's scale).
ANSWERS = SATISFACTION

#: The report's figures, in the order they are shown.
FIGURE_NAMES = (
    "callback_completion_rate",  # 回访完成率
    "key_callback_completion_rate",  # 重点客户回访完成率
    "ordinary_callback_completion_rate",  # 一般客户回访完成率
    "product_satisfaction_rate",  # 产品质量满意率
    "service_satisfaction_rate",  # 服务质量满意率
    "touched_rate",  # 感动率
    "return_rate",  # 回头率
    "ordinary_order_coverage_rate",  # 一般客户工单回访覆盖率 (RULES 3: at least the sampled share of their orders)
    "over_time_limit_rate",  # 超时通话比例 (RULES 1.2: calls over the 3-minute guide, no complaint)
    "outside_call_window_rate",  # 非回访时段记录比例 (outcomes recorded outside the call windows)
    "verification_on_time_rate",  # 投诉回访及时率 (RULES 3: follow-up calls, verifications reached on time)
    "verification_satisfied_rate",  # 投诉处理满意率 (RULES 3: verifications satisfied with the handling)
)

#: The five headline figures of the summary page and the trend chart.
KEY_FIGURES = (
    "callback_completion_rate",
    "product_satisfaction_rate",
    "service_satisfaction_rate",
    "touched_rate",
    "return_rate",
)

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
#: The years a report month may fall in (the trend reaches two months before, still a valid date).
FIRST_YEAR, LAST_YEAR = 1900, 9999
#: A month `parse_month` takes, as the OpenAPI documents say it.
MONTH_PATTERN = r"^(19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
#: A month or an ISO week (2026-W45) of those years (domain/desk.py parse_period).
PERIOD_PATTERN = r"^(19|[2-9][0-9])[0-9]{2}-(W(0[1-9]|[1-4][0-9]|5[0-3])|0[1-9]|1[0-2])$"


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """A rate with the counts behind it; ``value`` is None when nothing was counted."""

    numerator: int
    denominator: int
    value: float | None

    @classmethod
    def of(cls, numerator: int, denominator: int) -> "Figure":
        """Gives the figure numerator / denominator, rounded to VALUE_DIGITS.

        Raises:
            KpiError: a count is negative or the numerator exceeds the denominator.
        """
        if numerator < 0 or denominator < 0:
            raise KpiError("numerator", f"counts cannot be negative ({numerator}/{denominator})")
        if numerator > denominator:
            raise KpiError(
                "numerator", f"{numerator} is more than its denominator {denominator}"
            )
        value = round(numerator / denominator, VALUE_DIGITS) if denominator else None
        return cls(int(numerator), int(denominator), value)

    def as_dict(self) -> dict[str, Any]:
        """Gives the JSON form ``{"numerator", "denominator", "value"}``."""
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Figure":
        """Gives the figure back from its JSON form (the value is recomputed)."""
        return cls.of(int(data["numerator"]), int(data["denominator"]))

    def meets(self, target: float | None) -> bool | None:
        """Gives whether the value reaches ``target``; None when either is unknown."""
        if target is None or self.value is None:
            return None
        return self.value + 1e-9 >= target


def callback_completion_rate(*, reached: int, callbacks: int) -> Figure:
    """Gives 回访完成率: callbacks whose customer was reached / the month's callbacks.

    ``callbacks`` excludes cancelled ones (they count nowhere).
    """
    return Figure.of(reached, callbacks)


def product_satisfaction_rate(*, satisfied: int, answered: int) -> Figure:
    """Gives 产品质量满意率: satisfied or very satisfied / callbacks that answered."""
    return Figure.of(satisfied, answered)


def service_satisfaction_rate(*, satisfied: int, answered: int) -> Figure:
    """Gives 服务质量满意率: satisfied or very satisfied / callbacks that answered."""
    return Figure.of(satisfied, answered)


def touched_rate(*, touched: int, served: int) -> Figure:
    """Gives 感动率: served customers whose callback of the month was all very satisfied / served."""
    return Figure.of(touched, served)


def return_rate(*, returning: int, served: int) -> Figure:
    """Gives 回头率: served customers also served in an earlier month / served."""
    return Figure.of(returning, served)


@dataclass(frozen=True)
class MonthCounts:
    """The counts of one month, as the SQL aggregation gives them (RULES 3).

    Callback counts exclude cancelled callbacks. ``key_*`` are callbacks of key
    customers (重点客户, target 100%), ``ordinary_*`` those of ordinary customers.
    ``customers_touched`` and ``customers_returning`` are subsets of ``customers_served``.
    """

    callbacks: int = 0
    callbacks_reached: int = 0
    key_callbacks: int = 0
    key_callbacks_reached: int = 0
    ordinary_callbacks: int = 0
    ordinary_callbacks_reached: int = 0
    product_answered: int = 0
    product_satisfied: int = 0
    service_answered: int = 0
    service_satisfied: int = 0
    customers_served: int = 0
    customers_touched: int = 0
    customers_returning: int = 0
    #: Ordinary customers' service orders completed in the month, and those with a callback that reached them.
    ordinary_orders: int = 0
    ordinary_orders_reached: int = 0
    #: Reached calls whose length was judged against the guide, and those over it (no complaint raised).
    calls_timed: int = 0
    calls_over_time_limit: int = 0
    #: Callbacks whose outcome says whether it was recorded in a call window, and those outside.
    calls_windowed: int = 0
    calls_outside_window: int = 0
    #: The month's complaint verifications (follow-up calls, in no survey count above): all, reached by
    #: their last day on time, answered the handling question, satisfied with the handling.
    verifications: int = 0
    verifications_on_time: int = 0
    verifications_answered: int = 0
    verifications_satisfied: int = 0


def build_figures(counts: MonthCounts) -> dict[str, Figure]:
    """Gives the month's figures keyed by the names in FIGURE_NAMES."""
    return {
        "callback_completion_rate": callback_completion_rate(
            reached=counts.callbacks_reached, callbacks=counts.callbacks
        ),
        "key_callback_completion_rate": callback_completion_rate(
            reached=counts.key_callbacks_reached, callbacks=counts.key_callbacks
        ),
        "ordinary_callback_completion_rate": callback_completion_rate(
            reached=counts.ordinary_callbacks_reached, callbacks=counts.ordinary_callbacks
        ),
        "product_satisfaction_rate": product_satisfaction_rate(
            satisfied=counts.product_satisfied, answered=counts.product_answered
        ),
        "service_satisfaction_rate": service_satisfaction_rate(
            satisfied=counts.service_satisfied, answered=counts.service_answered
        ),
        "touched_rate": touched_rate(
            touched=counts.customers_touched, served=counts.customers_served
        ),
        "return_rate": return_rate(
            returning=counts.customers_returning, served=counts.customers_served
        ),
        "ordinary_order_coverage_rate": ordinary_order_coverage_rate(
            reached=counts.ordinary_orders_reached, orders=counts.ordinary_orders
        ),
        "over_time_limit_rate": Figure.of(counts.calls_over_time_limit, counts.calls_timed),
        "outside_call_window_rate": Figure.of(counts.calls_outside_window, counts.calls_windowed),
        "verification_on_time_rate": Figure.of(counts.verifications_on_time, counts.verifications),
        "verification_satisfied_rate": Figure.of(counts.verifications_satisfied, counts.verifications_answered),
    }


def ordinary_order_coverage_rate(*, reached: int, orders: int) -> Figure:
    """Gives 一般客户工单回访覆盖率: ordinary customers' service orders completed in the month that got
    a callback which reached the customer / their orders completed in the month (RULES 3: the
    target is at least the policy's sampled share)."""
    return Figure.of(reached, orders)


def satisfaction_score(answers: Mapping[str, int], points: Mapping[str, float]) -> float | None:
    """Gives the satisfaction score (满意度得分, RULES 1.4): the mean points of the answers counted
    (``{answer: count}``), each answer worth ``points[answer]``; None when none was given.

    Raises:
        KpiError: an answer has no points.
    """
    counted = {answer: n for answer, n in answers.items() if n}
    missing = sorted(set(counted) - set(points))
    if missing:
        raise KpiError("points", f"no points for the answers {missing}")
    total = sum(counted.values())
    if not total:
        return None
    return round(sum(points[answer] * n for answer, n in counted.items()) / total, 2)


# --------------------------------------------------------------------------- months


def parse_month(month: str) -> tuple[int, int]:
    """Gives (year, month) of a ``YYYY-MM`` string.

    Raises:
        KpiError: the text is not a month such as ``2026-10``.
    """
    year, number = _calendar_month(month)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        # year 0000 made `date()` fail: a 500
        raise KpiError("month", f"{month!r} is not a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12")
    return year, number


def _calendar_month(month: str) -> tuple[int, int]:
    """Gives (year, month) of any ``YYYY-MM`` month a date can fall in: a report's month, or one
    of its trend's months, which reach before FIRST_YEAR for the first months of it."""
    match = _MONTH_RE.match(month or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise KpiError("month", f"{month!r} is not a month such as 2026-10")
    return int(match[1]), int(match[2])


def month_bounds(month: str) -> tuple[date, date]:
    """Gives the first and the last day (both inclusive) of a ``YYYY-MM`` month (a report's or its trend's)."""
    year, number = _calendar_month(month)
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def month_of(day: date) -> str:
    """Gives the ``YYYY-MM`` month a date belongs to."""
    return f"{day.year:04d}-{day.month:02d}"


def previous_months(month: str, count: int) -> list[str]:
    """Gives the ``count`` months before ``month``, oldest first."""
    year, number = parse_month(month)
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count, index)]
