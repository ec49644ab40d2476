"""Review of callback records (seed 002), pure: who reviews, how often, and which records.

Seed 000 part 3 「审核电话回访记录」; seed 002: the service supervisor reviews weekly, the project
manager spot-checks monthly (「□抽查合格/□有待改进」); seed 003 「提交给门店负责人进行审核」「电话抽查客户」.
A reviewer role gets, per period, a share of each agent's callback records, chosen like the
callback sample (RULES 1.5): by a hash of the role, the period and the record, so the same
records give the same queue every time, and never fewer than the share.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from ..errors import PolicyError, SchedulerDomainError
from .sampling import sample_score

#: A verdict on a callback record: 抽查合格 / 有待改进.
PASS, NEEDS_IMPROVEMENT = "pass", "needs_improvement"
VERDICTS = (PASS, NEEDS_IMPROVEMENT)
WEEK, MONTH = "week", "month"


@dataclass(frozen=True)
class ReviewerRule:
    """One reviewer role's checks: every `period` (week or month), `share` of each agent's records,
    at least `min_per_agent` (when the agent has that many)."""

    role: str
    period: str
    share: float
    min_per_agent: int


@dataclass(frozen=True)
class ReviewPolicy:
    reviewers: dict[str, ReviewerRule]
    #: A "needs improvement" verdict stays on the agent's workbench, with its comment, this many days.
    shown_for_days: int = 30
    #: ... and puts the agent's next records (this many, made after it) in the same role's queue again.
    rereview_next: int = 3

    def rule_for(self, role: str) -> ReviewerRule:
        """Gives the reviewer role's rule.

        Raises:
          SchedulerDomainError: (field ``role``) the role reviews no callback records.
        """
        if role not in self.reviewers:
            raise SchedulerDomainError(f"{role} reviews no callback records (reviewers: "
                                       f"{', '.join(sorted(self.reviewers))})", field="role")
        return self.reviewers[role]

    def seniority(self, role: str) -> int:
        """Gives the role's rank: its place in review.yaml's `reviewers`, listed from the first
        check to the most senior. When several roles review one record, the callback quality pass
        rate counts the verdict of the most senior (the highest rank)."""
        return list(self.reviewers).index(role)

    @classmethod
    def from_data(cls, data) -> "ReviewPolicy":
        try:
            loaded = _ReviewSchema().load(data or {})
        except ValidationError as exc:
            field, messages = next(iter(exc.normalized_messages().items()))
            raise PolicyError(f"review.{field}: {messages}", field=f"review.{field}") from None
        return cls(reviewers={role: ReviewerRule(role=role, **rule) for role, rule in loaded["reviewers"].items()},
                   shown_for_days=loaded["needs_improvement"]["shown_for_days"],
                   rereview_next=loaded["needs_improvement"]["rereview_next"])


def period_of(day: date, kind: str) -> str:
    """Gives the period a day belongs to: ``YYYY-Www`` (ISO week) or ``YYYY-MM``."""
    if kind == WEEK:
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def period_days(period: str) -> tuple[date, date]:
    """Gives the first and last day of a ``YYYY-Www`` or ``YYYY-MM`` period.

    Raises:
      SchedulerDomainError: (field ``period``) neither.
    """
    try:
        if "-W" in period:
            year, week = period.split("-W")
            first = date.fromisocalendar(int(year), int(week), 1)
            return first, first + timedelta(days=6)
        year, month = map(int, period.split("-"))
        first = date(year, month, 1)
        return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    except (ValueError, TypeError):
        raise SchedulerDomainError(f"{period!r} is neither a week such as 2026-W45 nor a month such as 2026-11",
                                   field="period") from None


def review_sample(records: Iterable[tuple[str, str | None]], rule: ReviewerRule, period: str) -> list[str]:
    """Gives the ids of the records `rule`'s reviewers check in `period`, from (record id, agent)
    pairs: per agent, the lowest scores, as many as keep the share at or above the rule's, at
    least `min_per_agent`. The same records always give the same sample."""
    by_agent: dict[str | None, list[str]] = defaultdict(list)
    for record_id, agent in records:
        by_agent[agent].append(record_id)
    chosen: list[str] = []
    for agent in sorted(by_agent, key=lambda a: a or ""):
        ids = by_agent[agent]
        count = min(len(ids), max(rule.min_per_agent, math.ceil(rule.share * len(ids) - 1e-9)))
        ranked = sorted(ids, key=lambda rid: (sample_score(f"review:{rule.role}", rid, period), rid))
        chosen.extend(ranked[:count])
    return sorted(chosen)


def pass_rate(verdicts: Iterable[str]) -> tuple[int, int]:
    """Gives (passed, reviewed) of verdicts: the callback quality pass rate (回访质量合格率, RULES 1.4)."""
    given = list(verdicts)
    return sum(1 for v in given if v == PASS), len(given)


class _RuleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    period = fields.String(required=True, validate=validate.OneOf((WEEK, MONTH)))
    share = fields.Float(required=True, validate=validate.Range(min=0, max=1, min_inclusive=False))
    min_per_agent = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=0))


class _NeedsImprovementSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    shown_for_days = fields.Integer(load_default=30, strict=True, validate=validate.Range(min=0, max=366))
    rereview_next = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=0, max=100))


class _ReviewSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    needs_improvement = fields.Nested(_NeedsImprovementSchema, load_default=lambda: {"shown_for_days": 30,
                                                                                      "rereview_next": 3})
    reviewers = fields.Dict(keys=fields.String(validate=validate.OneOf(("supervisor", "manager", "admin"))),
                            values=fields.Nested(_RuleSchema), required=True)

    @post_load
    def some(self, data, **kwargs):
        if not data["reviewers"]:
            raise ValidationError("name at least one reviewer role", field_name="reviewers")
        return data
