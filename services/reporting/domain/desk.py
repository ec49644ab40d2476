"""The callback desk's own rules, pure: periods (a month or an ISO week), targets per
role, the monthly summary's due day and late mark.

Seed 003 §七 (考核门店和回访人员: 回访任务完成率, 回访质量合格率, 客户满意度), seed 004 (各岗位内部指标;
维修回访数据每周、每月进行统计分析), seed 000 part 1 (回访员每月月初3日前将上月回访情况上报服务经理,
迟交或未交……扣罚).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..errors import KpiError, PolicyError
from .kpi import month_bounds, parse_month

#: The figures a target may be set for, per role (a rate between 0 and 1).
TARGET_FIGURES = ("callback_completion_rate", "product_satisfaction_rate", "service_satisfaction_rate")
#: The roles figures are given per: the agent who made the call, the service advisor of the order.
PERSON_ROLES = ("agent", "advisor")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

#: A monthly summary's state (seed 000 part 1).
NOT_DUE, ON_TIME, LATE, MISSING = "not_due", "on_time", "late", "missing"


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``) or an ISO week (``2026-W45``): its name and days (both inclusive)."""

    name: str
    kind: str
    first: date
    last: date


def parse_period(text: str) -> Period:
    """Gives the period named ``YYYY-MM`` (a month) or ``YYYY-Www`` (an ISO week, Monday to Sunday).

    Raises:
      KpiError: (field ``period``) neither a month nor a week of the years the report knows.
    """
    match = _WEEK_RE.match(text or "")
    if match:
        year, week = int(match[1]), int(match[2])
        try:
            first = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise KpiError("period", f"{text!r} is not a week such as 2026-W45") from None
        parse_month(f"{year:04d}-01")  # the same years as months
        return Period(text, "week", first, first + timedelta(days=6))
    try:
        parse_month(text)  # a report's years, not those a trend reaches
        first, last = month_bounds(text)
    except KpiError:
        raise KpiError("period", f"{text!r} is neither a month such as 2026-11 nor a week such as 2026-W45") from None
    return Period(text, "month", first, last)


def week_of(day: date) -> str:
    """Gives the ISO week (``YYYY-Www``) a day belongs to."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def summary_due_on(month: str, due_day: int) -> date:
    """Gives the day by which the agents' summary of ``month`` is due: ``due_day`` of the next month."""
    _, last = month_bounds(month)
    after = last + timedelta(days=1)
    return after.replace(day=due_day)


def summary_state(month: str, due_day: int, submitted_at: datetime | None, now: datetime) -> str:
    """Gives a monthly summary's state: on_time, late (submitted after its due day), missing (not
    submitted and past the due day) or not_due (not submitted, still time). Times are local."""
    due = summary_due_on(month, due_day)
    if submitted_at is not None:
        return ON_TIME if submitted_at.date() <= due else LATE
    return MISSING if now.date() > due else NOT_DUE


@dataclass(frozen=True)
class DeskPolicy:
    """An organisation's desk rules: targets per role ({role: {figure: rate}}), the summary's due day."""

    targets: dict
    summary_due_day: int
    #: The branch each branch manager (门店负责人, 站长) sees, by login; others see every branch.
    branch_managers: dict = None

    @classmethod
    def from_data(cls, data) -> "DeskPolicy":
        try:
            loaded = _DeskSchema().load(data or {})
        except ValidationError as exc:
            field, messages = next(iter(exc.normalized_messages().items()))
            raise PolicyError(f"desk.{field}", str(messages)) from None
        return cls(targets={role: dict(loaded["targets"].get(role) or {}) for role in PERSON_ROLES},
                   summary_due_day=loaded["summary"]["due_day"], branch_managers=dict(loaded["branch_managers"]))

    def branch_of(self, login: str | None) -> str | None:
        """Gives the branch a person manages (they see only it), or None (they see every branch)."""
        return (self.branch_managers or {}).get(login) if login else None

    def target(self, role: str, figure: str) -> float | None:
        """Gives the role's target for a figure, or None."""
        return self.targets.get(role, {}).get(figure)


def meets(value: float | None, target: float | None) -> bool | None:
    """Gives whether a rate meets its target (None: no target, or nothing to measure)."""
    if value is None or target is None:
        return None
    return value >= target


class _SummarySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    due_day = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1, max=28))


_RATE = fields.Float(validate=validate.Range(min=0, max=1))


class _DeskSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    targets = fields.Dict(keys=fields.String(validate=validate.OneOf(PERSON_ROLES)),
                          values=fields.Dict(keys=fields.String(validate=validate.OneOf(TARGET_FIGURES)),
                                             values=_RATE), load_default=dict)
    summary = fields.Nested(_SummarySchema, load_default=lambda: {"due_day": 3})
    branch_managers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                                  values=fields.String(validate=validate.Length(min=1, max=128)), load_default=dict)
