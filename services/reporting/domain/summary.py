"""The report's findings (seed 000 6.2.5, 6.3.1; seed 001; seed 003 三(一)1), pure: the periods they
are summed over (a month, a quarter, a year) and the shape of the block.

Seed 003: 客户服务部根据公司业务情况……制定年度、季度和月度电话回访计划 — the findings of a month are
summed the same way over a quarter (``2026-Q4``) and a year (``2026``).

The block (``ReportData.findings``, the JSON of GET /api/v1/reports/<period>)::

    dissatisfied: [{customer_name, phone, product_satisfaction, service_satisfaction, reason, recorded_on}]
        the dissatisfied customers with their reasons (phones masked wherever shown), at most the
        policy's listing limit; dissatisfied_total: all of them
    yes_no: [{question_id, label_zh, label_en, yes, no}]   each yes/no question of the questionnaires
    complaint_sources: [{source, complaints, handover: Figure}]   complaints by source, with the share of
        hotline tickets handed to an engineer on time (seed 001 信息协调员15分钟内转交)
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..errors import KpiError
from .desk import Period
from .kpi import Figure, month_bounds, parse_month

_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
#: A quarter (2026-Q4) or a year (2026) of the years the report knows.
SUMMARY_PATTERN = r"^(19|[2-9][0-9])[0-9]{2}(-Q[1-4])?$"
QUARTER, YEAR = "quarter", "year"


def parse_summary_period(text: str) -> Period:
    """Gives the quarter (``YYYY-Qn``) or the year (``YYYY``) named, with its first and last day.

    Raises:
      KpiError: (field ``period``) neither a quarter nor a year of the years the report knows.
    """
    quarter, year = _QUARTER_RE.match(text or ""), _YEAR_RE.match(text or "")
    try:
        if quarter:
            number, q = int(quarter[1]), int(quarter[2])
            first_month, last_month = f"{number:04d}-{3 * q - 2:02d}", f"{number:04d}-{3 * q:02d}"
            parse_month(first_month)
            return Period(text, QUARTER, month_bounds(first_month)[0], month_bounds(last_month)[1])
        if year:
            parse_month(f"{text}-01")
            return Period(text, YEAR, date(int(text), 1, 1), date(int(text), 12, 31))
    except KpiError:
        pass
    raise KpiError("period", f"{text!r} is neither a quarter such as 2026-Q4 nor a year such as 2026")


def is_summary_period(text: str) -> bool:
    """Gives whether the text names a quarter or a year (else: a month, or nothing)."""
    return bool(_QUARTER_RE.match(text or "") or _YEAR_RE.match(text or ""))


def months_of(period: Period) -> list[str]:
    """Gives the months (``YYYY-MM``) of a period, oldest first."""
    months, year, month = [], period.first.year, period.first.month
    while date(year, month, 1) <= period.last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def yes_no_counts(rows: Iterable[Mapping[str, bool] | None], labels: Mapping[str, tuple[str, str]]) -> list[dict]:
    """Gives each yes/no question's counts of yes and of no over the callbacks' answers, in the order of
    `labels` (question id -> (label_zh, label_en)); a question no one answered is left out."""
    counts: dict[str, list[int]] = {}
    for answers in rows:
        for question, value in (answers or {}).items():
            if isinstance(value, bool):
                counts.setdefault(question, [0, 0])[0 if value else 1] += 1
    order = [q for q in labels if q in counts] + sorted(q for q in counts if q not in labels)
    return [{"question_id": q, "label_zh": labels.get(q, (q, q))[0], "label_en": labels.get(q, (q, q))[1],
             "yes": counts[q][0], "no": counts[q][1]} for q in order]


def source_rows(by_source: Mapping[str, tuple[int, int, int]]) -> list[dict]:
    """Gives the complaints per source, most first: (complaints, hand-overs due, handed over on time)
    become `{source, complaints, handover}` (the on-time share a Figure, empty where none was due)."""
    ordered = sorted(by_source.items(), key=lambda item: (-item[1][0], item[0]))
    return [{"source": source, "complaints": int(total), "handover": Figure.of(int(on_time), int(due)).as_dict()}
            for source, (total, due, on_time) in ordered]


def empty_findings() -> dict[str, Any]:
    """Gives the block of a period with nothing in it (a report stored before it carried one)."""
    return {"dissatisfied": [], "dissatisfied_total": 0, "yes_no": [], "complaint_sources": []}
