"""The monthly report as data: :class:`ReportData`, which the renderer and the JSON route read.

Pure: no Flask, no Dramatiq, no peewee. ``build_report`` assembles it from the counts of the
month and of the months before (``domain/kpi.py`` turns counts into figures).

The shape of :class:`ReportData` (``ReportData.as_dict()`` gives the JSON form)::

    organization: str                     e.g. "acme-electric" (display name allowed)
    month: str                            "2026-10"
    language: str                         "zh-CN" or "en"
    generated_at: str | None              ISO 8601, shown on the cover
    figures: {name: Figure}               names in FIGURE_NAMES
    trend: {"2026-08": {name: Figure}, "2026-09": {name: Figure}}   TREND_MONTHS, oldest first
    targets: {name: float | None}         0..1, None when the policy sets none
    satisfaction_answers: {"product"|"service": {answer: count}}    optional
    complaints: ComplaintSummary
        total, by_category {str: int}, by_customer_class {str: int},
        by_level {str: int}  (key: level number as text, "0" = agent, or a role name),
        deadlines {"first_reply"|"answer"|"verify"|"rework": Figure}  (met / due),
        mean_hours_to_resolve: float | None  (service hours), reopened: int,
        repeat: int  (repeat complaints, RULES 1.3), special_callbacks: Figure  (their special
        callbacks of the month that reached the customer / all of them)
    satisfaction_scores: {"product"|"service": float | None}   mean points of the answers (RULES 1.4)
    callback_quality: {"status": "not_reviewed", "pass_rate": None}  回访质量合格率: no reviews of
                                          callback records yet, so never shown as a rate
    suggestions: [Remark(customer_name, text, recorded_on, category)]   建议和需求
    churn_reasons: [Remark(...)]                                         流失原因
    overdue: [CallbackListing(customer_name, phone, kind, due_on)]
    unreachable: [CallbackListing(...)]
    listing_totals: {name: int}           per name in LISTINGS, the month's full count
                                          (the lists above may be capped; these never are)
    closures: {by_reason {reason: int}, closed_with_reason, verification_unreachable,
               unreachable_waiting, promises_broken, complaints_with_broken_promises}  how they ended
    corrective_actions: {listed [{id, title, owner, due_on, status, overdue, ...}], total,
               by_status, overdue [ids], month_end}                                  the register
    touched_rate_can_rise: bool          the touched rate can still rise (a served customer's survey open)
    desk: {declined_callbacks, agents [{login, callbacks, reached, declined, figures, targets,
           meets}], advisors [{advisor_id, ...}]}    the desk's people against targets
    (these three blocks are {} in a report stored before they existed)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from ..errors import KpiError
from .kpi import (FIGURE_NAMES, TREND_MONTHS, Figure, MonthCounts, build_figures, parse_month, previous_months,
                  satisfaction_score)

#: The report's lists, in the order they are shown.
LISTINGS = ("suggestions", "churn_reasons", "overdue", "unreachable")

#: The 2-1-1 deadlines (and a repeat complaint's rework, RULES 1.3) whose met share the report shows.
DEADLINES = ("first_reply", "answer", "verify", "rework")

#: The callback quality pass rate (回访质量合格率, RULES 1.4) needs reviews of callback records,
#: which Huifang does not keep yet: the report says so instead of showing a rate.
QUALITY_NOT_REVIEWED = "not_reviewed"


# --------------------------------------------------------------------------- complaints


@dataclass(frozen=True)
class ComplaintSummary:
    """The month's complaint analysis (投诉分析)."""

    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_customer_class: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)
    deadlines: dict[str, Figure] = field(default_factory=dict)
    mean_hours_to_resolve: float | None = None
    reopened: int = 0
    repeat: int = 0
    special_callbacks: Figure = field(default_factory=lambda: Figure.of(0, 0))

    def as_dict(self) -> dict[str, Any]:
        """Gives the JSON form."""
        return {
            "repeat": self.repeat,
            "special_callbacks": self.special_callbacks.as_dict(),
            "total": self.total,
            "by_category": dict(self.by_category),
            "by_customer_class": dict(self.by_customer_class),
            "by_level": dict(self.by_level),
            "deadlines": {k: f.as_dict() for k, f in self.deadlines.items()},
            "mean_hours_to_resolve": self.mean_hours_to_resolve,
            "reopened": self.reopened,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ComplaintSummary":
        """Gives the summary back from its JSON form."""
        return cls(
            total=int(data.get("total", 0)),
            by_category=dict(data.get("by_category", {})),
            by_customer_class=dict(data.get("by_customer_class", {})),
            by_level={str(k): v for k, v in data.get("by_level", {}).items()},
            deadlines={k: Figure.from_dict(v) for k, v in data.get("deadlines", {}).items()},
            mean_hours_to_resolve=data.get("mean_hours_to_resolve"),
            reopened=int(data.get("reopened", 0)),
            repeat=int(data.get("repeat", 0)),
            special_callbacks=Figure.from_dict(data.get("special_callbacks") or {"numerator": 0, "denominator": 0}),
        )


def complaint_summary(
    *,
    by_category: Mapping[str, int],
    by_customer_class: Mapping[str, int] | None = None,
    by_level: Mapping[Any, int] | None = None,
    deadlines_met: Mapping[str, tuple[int, int]] | None = None,
    resolve_service_hours: float = 0.0,
    resolved: int = 0,
    reopened: int = 0,
    repeat: int = 0,
    special_callbacks: tuple[int, int] = (0, 0),
) -> ComplaintSummary:
    """Gives the complaint summary from counts.

    Parameters:
        by_category: complaints raised in the month per category (the total is their sum).
        by_customer_class: the same complaints per customer class (集团用户, 私家车用户...).
        by_level: resolved complaints per level that resolved them (0 = agent).
        deadlines_met: per deadline in DEADLINES, (met, due) counts.
        resolve_service_hours: service hours from raise to resolution, summed.
        resolved: complaints those hours belong to (mean = hours / resolved).
        reopened: complaints reopened in the month.
        repeat: repeat complaints raised in the month (RULES 1.3).
        special_callbacks: (reached, all) special callbacks of repeat complaints due in the month.

    Raises:
        KpiError: a deadline name is unknown or a count is negative.
    """
    deadlines_met = deadlines_met or {}
    unknown = set(deadlines_met) - set(DEADLINES)
    if unknown:
        raise KpiError("deadlines_met", f"unknown deadlines {sorted(unknown)}; use {DEADLINES}")
    if resolved < 0 or resolve_service_hours < 0 or reopened < 0:
        raise KpiError("resolved", "counts and hours cannot be negative")
    mean = round(resolve_service_hours / resolved, 1) if resolved else None
    return ComplaintSummary(
        total=sum(by_category.values()),
        by_category=_sorted_counts(by_category),
        by_customer_class=_sorted_counts(by_customer_class or {}),
        by_level={str(k): v for k, v in sorted((by_level or {}).items(), key=lambda kv: str(kv[0]))},
        deadlines={name: Figure.of(*deadlines_met[name]) for name in DEADLINES if name in deadlines_met},
        mean_hours_to_resolve=mean,
        reopened=reopened,
        repeat=repeat,
        special_callbacks=Figure.of(*special_callbacks),
    )


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    # Largest first, then by name, so the bar charts read top-down.
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


# --------------------------------------------------------------------------- listings


@dataclass(frozen=True)
class Remark:
    """A suggestion or need (建议和需求) or a churn reason (流失原因) from a callback."""

    customer_name: str
    text: str
    recorded_on: date | None = None
    category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_name": self.customer_name,
            "text": self.text,
            "recorded_on": self.recorded_on.isoformat() if self.recorded_on else None,
            "category": self.category,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Remark":
        return cls(
            customer_name=data["customer_name"],
            text=data["text"],
            recorded_on=_date_or_none(data.get("recorded_on")),
            category=data.get("category"),
        )


@dataclass(frozen=True)
class CallbackListing:
    """An overdue callback or an unreachable customer; ``phone`` is unmasked here."""

    customer_name: str
    phone: str | None
    kind: str
    due_on: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_name": self.customer_name,
            "phone": self.phone,
            "kind": self.kind,
            "due_on": self.due_on.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CallbackListing":
        return cls(
            customer_name=data["customer_name"],
            phone=data.get("phone"),
            kind=data["kind"],
            due_on=_date_or_none(data["due_on"]),
        )


def _date_or_none(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ReportData:
    """Everything one monthly report shows; see the module docstring for the shape."""

    organization: str
    month: str
    language: str
    figures: dict[str, Figure]
    trend: dict[str, dict[str, Figure]] = field(default_factory=dict)
    targets: dict[str, float | None] = field(default_factory=dict)
    complaints: ComplaintSummary = field(default_factory=ComplaintSummary)
    satisfaction_answers: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestions: list[Remark] = field(default_factory=list)
    churn_reasons: list[Remark] = field(default_factory=list)
    overdue: list[CallbackListing] = field(default_factory=list)
    unreachable: list[CallbackListing] = field(default_factory=list)
    generated_at: str | None = None
    #: Per name in LISTINGS, how many rows the month has in all (the lists may hold fewer).
    listing_totals: dict[str, int] = field(default_factory=dict)
    #: The satisfaction score per dimension (RULES 1.4), None where nothing was answered.
    satisfaction_scores: dict[str, float | None] = field(default_factory=dict)
    #: 回访质量合格率 (RULES 1.4): not reviewed until callback records are reviewed.
    callback_quality: dict[str, Any] = field(default_factory=lambda: {"status": QUALITY_NOT_REVIEWED,
                                                                      "pass_rate": None})
    #: How the month's complaints ended besides a satisfied callback, broken promises.
    closures: dict[str, Any] = field(default_factory=dict)
    #: The register of corrective actions as of the month, the overdue ones marked.
    corrective_actions: dict[str, Any] = field(default_factory=dict)
    #: The desk's people against their targets, declined callbacks counted apart.
    desk: dict[str, Any] = field(default_factory=dict)
    #: The touched rate can still rise (RULES 3): a customer served in the month, not touched yet, has a
    #: survey callback of that service still open (the month's last customers are called the next month).
    touched_rate_can_rise: bool = False
    #: The dissatisfied customers, the yes/no answers counted, complaints by source (domain/summary.py).
    findings: dict[str, Any] = field(default_factory=dict)

    def listing_total(self, name: str) -> int:
        """Gives the month's full count of a list (at least the rows held here)."""
        held = len(getattr(self, name))
        return max(int(self.listing_totals.get(name, held)), held)

    def as_dict(self) -> dict[str, Any]:
        """Gives the JSON form (phones unmasked: mask them before showing to a user)."""
        return {
            "organization": self.organization,
            "month": self.month,
            "language": self.language,
            "generated_at": self.generated_at,
            "figures": {k: f.as_dict() for k, f in self.figures.items()},
            "trend": {m: {k: f.as_dict() for k, f in fs.items()} for m, fs in self.trend.items()},
            "targets": dict(self.targets),
            "complaints": self.complaints.as_dict(),
            "satisfaction_answers": {k: dict(v) for k, v in self.satisfaction_answers.items()},
            "suggestions": [r.as_dict() for r in self.suggestions],
            "churn_reasons": [r.as_dict() for r in self.churn_reasons],
            "overdue": [c.as_dict() for c in self.overdue],
            "unreachable": [c.as_dict() for c in self.unreachable],
            "listing_totals": {name: self.listing_total(name) for name in LISTINGS},
            "satisfaction_scores": dict(self.satisfaction_scores),
            "callback_quality": dict(self.callback_quality),
            "closures": dict(self.closures),
            "corrective_actions": dict(self.corrective_actions),
            "desk": dict(self.desk),
            "touched_rate_can_rise": self.touched_rate_can_rise,
            "findings": dict(self.findings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ReportData":
        """Gives the report back from its JSON form (for a stored snapshot)."""
        figures = lambda d: {k: Figure.from_dict(v) for k, v in d.items()}  # noqa: E731
        return cls(
            organization=data["organization"],
            month=data["month"],
            language=data.get("language", "zh-CN"),
            generated_at=data.get("generated_at"),
            figures=figures(data["figures"]),
            trend={m: figures(fs) for m, fs in data.get("trend", {}).items()},
            targets=dict(data.get("targets", {})),
            complaints=ComplaintSummary.from_dict(data.get("complaints", {})),
            satisfaction_answers={k: dict(v) for k, v in data.get("satisfaction_answers", {}).items()},
            suggestions=[Remark.from_dict(r) for r in data.get("suggestions", [])],
            churn_reasons=[Remark.from_dict(r) for r in data.get("churn_reasons", [])],
            overdue=[CallbackListing.from_dict(c) for c in data.get("overdue", [])],
            unreachable=[CallbackListing.from_dict(c) for c in data.get("unreachable", [])],
            listing_totals={k: int(v) for k, v in data.get("listing_totals", {}).items() if k in LISTINGS},
            satisfaction_scores=dict(data.get("satisfaction_scores", {})),
            callback_quality=dict(data.get("callback_quality") or {"status": QUALITY_NOT_REVIEWED,
                                                                   "pass_rate": None}),
            closures=dict(data.get("closures") or {}),
            corrective_actions=dict(data.get("corrective_actions") or {}),
            desk=dict(data.get("desk") or {}),
            touched_rate_can_rise=bool(data.get("touched_rate_can_rise", False)),
            findings=dict(data.get("findings") or {}),
        )


def build_report(
    *,
    organization: str,
    month: str,
    counts: MonthCounts,
    trend_counts: Mapping[str, MonthCounts],
    targets: Mapping[str, float | None],
    language: str = "zh-CN",
    complaints: ComplaintSummary | None = None,
    satisfaction_answers: Mapping[str, Mapping[str, int]] | None = None,
    suggestions: Iterable[Remark] = (),
    churn_reasons: Iterable[Remark] = (),
    overdue: Iterable[CallbackListing] = (),
    unreachable: Iterable[CallbackListing] = (),
    generated_at: str | None = None,
    listing_totals: Mapping[str, int] | None = None,
    trend_months: int = TREND_MONTHS,
    satisfaction_points: Mapping[str, float] | None = None,
) -> ReportData:
    """Gives the report of ``month`` from the counts of it and of the months before.

    Parameters:
        trend_counts: counts keyed by month; only the ``trend_months`` months before
            ``month`` are kept, and a month missing from it shows as empty figures.
        targets: per figure name, the policy's target (0..1) or None. Key customers
            have 100% and ordinary customers the policy's sampled share: the caller
            reads both from the policy, this module holds no rule numbers.
        listing_totals: per name in LISTINGS, the month's full count when the lists
            given are capped (a name missing counts the rows given).
        satisfaction_points: the points of each answer (policy data); with them the
            satisfaction score of each dimension is the mean points of its answers.

    Raises:
        KpiError: a month is malformed, a target is outside 0..1 or names no figure.
    """
    parse_month(month)
    if trend_months < 0:
        raise KpiError("trend_months", f"cannot be negative ({trend_months})")
    for name, target in targets.items():
        if name not in FIGURE_NAMES:
            raise KpiError("targets", f"{name!r} is not a figure; use one of {FIGURE_NAMES}")
        if target is not None and not 0 <= target <= 1:
            raise KpiError("targets", f"{name} target {target} is not between 0 and 1")
    trend = {m: build_figures(trend_counts.get(m, MonthCounts())) for m in previous_months(month, trend_months)}
    lists = {"suggestions": list(suggestions), "churn_reasons": list(churn_reasons), "overdue": list(overdue),
             "unreachable": list(unreachable)}
    totals = dict(listing_totals or {})
    answers = {k: dict(v) for k, v in (satisfaction_answers or {}).items()}
    scores = {k: satisfaction_score(v, satisfaction_points) for k, v in answers.items()} if satisfaction_points else {}
    return ReportData(
        organization=organization,
        month=month,
        language=language,
        generated_at=generated_at,
        figures=build_figures(counts),
        trend=trend,
        targets={name: targets.get(name) for name in FIGURE_NAMES},
        complaints=complaints or ComplaintSummary(),
        satisfaction_answers=answers,
        satisfaction_scores=scores,
        **lists,
        listing_totals={name: max(int(totals.get(name, len(rows))), len(rows)) for name, rows in lists.items()},
    )
