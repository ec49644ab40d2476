"""HTML and PDF editions of the Customer Satisfaction Measurement Report (顾客满意度测量报告).

``render_report_html`` fills ``templates/report.html`` (Jinja2, autoescaped: every text
that came from a user is escaped); ``render_report_pdf`` lays it out with WeasyPrint.
Charts are inline SVG (charts.py), so the PDF needs no plotting library and no network.
WeasyPrint may only read files under ``templates/`` and ``data:`` URIs
(:class:`TemplateOnlyFetcher`): a report can never pull in ``/etc/passwd`` or call out.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2

from shared.core.privacy import mask_phone
from shared.web import vocabulary
from shared.web.vocabulary import ACTION_STATUSES

from .charts import FONT_FAMILY, hbar_chart, satisfaction_chart, trend_chart
from .domain.desk import TARGET_FIGURES
from .domain.kpi import FIGURE_NAMES, KEY_FIGURES
from .domain.report import DEADLINES, LISTINGS, QUALITY_NOT_REVIEWED, ReportData
from .errors import RenderError, URLRefused
from .labels import FIGURE_LABELS, LABELS, LANGUAGES, code_label, percent

logger = logging.getLogger(__name__)

#: The only directory WeasyPrint may read from.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


# --------------------------------------------------------------------------- fetcher


def _weasyprint():
    # Imported on first use: WeasyPrint loads Pango and fonts, no work at import time.
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return weasyprint, URLFetcher, URLFetcherResponse


@functools.cache
def _fetcher_class():
    _, URLFetcher, URLFetcherResponse = _weasyprint()

    class TemplateOnlyFetcher(URLFetcher):
        """Serves files under ``root`` and ``data:`` URIs; refuses everything else."""

        def __init__(self, root: Path = TEMPLATES_DIR):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
            self.root = Path(root).resolve()

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                raise URLRefused(f"refused {url!r}: only report templates may be read")
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise URLRefused(f"refused {url!r}: remote file")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                raise URLRefused(f"refused {url!r}: outside the report templates")
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mimetype})

    return TemplateOnlyFetcher


def template_only_fetcher(root: Path = TEMPLATES_DIR):
    """Gives a WeasyPrint URL fetcher that reads only files under ``root`` and data: URIs."""
    return _fetcher_class()(root)


# --------------------------------------------------------------------------- rendering


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.filters["mask_phone"] = lambda phone: mask_phone(phone) or ""
    return env


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise RenderError(f"{language!r} is not one of {LANGUAGES}", field="language")
    return language


def _listing(report: ReportData, name: str, limit: int | None) -> dict:
    rows = getattr(report, name)
    shown = rows if limit is None else rows[:limit]
    total = report.listing_total(name)
    return {"rows": shown, "total": total, "more": total - len(shown)}


def report_charts(report: ReportData, language: str) -> dict:
    """Gives the report's charts as inline SVG, by name (trend_chart, satisfaction_chart,
    category_chart, level_chart): the PDF's, and the report room's preview of it."""
    language = _check_language(language)
    complaints = report.complaints
    return {
        "trend_chart": trend_chart(report, language),
        "satisfaction_chart": satisfaction_chart(report, language),
        "category_chart": hbar_chart([(code_label(language, k), v, str(v)) for k, v in complaints.by_category.items()]),
        "level_chart": hbar_chart([(code_label(language, k), v, str(v)) for k, v in complaints.by_level.items()]),
    }


def render_report_html(report: ReportData, language: str = "zh-CN", *, listing_limit: int | None = None) -> str:
    """Gives the report as an HTML page (stylesheet ``report.css`` relative to TEMPLATES_DIR).

    Parameters:
        listing_limit: print at most this many rows of each list (the policy's
            ``pdf_listing_limit``); the rest is one line "… and N more", N counted from
            ``report.listing_totals``. None prints every row the report holds.

    Raises:
        RenderError: the language is not one of LANGUAGES.
    """
    language = _check_language(language)
    labels = LABELS[language]
    figure_labels = FIGURE_LABELS[language]
    trend_months = sorted(report.trend)
    summary_rows = []
    for name in FIGURE_NAMES:
        figure = report.figures.get(name)
        if figure is None:
            continue
        target = report.targets.get(name)
        met = figure.meets(target)
        summary_rows.append({
            "key": name in KEY_FIGURES,
            "label": figure_labels[name],
            "figure": figure,
            "target": percent(target) if target is not None else "—",
            "met": "—" if met is None else labels["yes" if met else "no"],
            "met_class": "" if met is None else ("met" if met else "missed"),
            "trend": [report.trend[m].get(name) for m in trend_months],
        })
    complaints = report.complaints
    charts = report_charts(report, language)
    deadlines = [
        (code_label(language, name), complaints.deadlines[name])
        for name in DEADLINES
        if name in complaints.deadlines
    ]
    return _environment().get_template("report.html").render(
        lang=language,
        font_family=FONT_FAMILY,
        labels=labels,
        report=report,
        code=functools.partial(code_label, language),
        summary_rows=summary_rows,
        trend_months=trend_months,
        **charts,
        by_class=[(code_label(language, k), v) for k, v in complaints.by_customer_class.items()],
        deadlines=deadlines,
        lists={name: _listing(report, name, listing_limit) for name in LISTINGS},
        scores={name: _score(report.satisfaction_scores.get(name)) for name in ("product", "service")},
        quality=_quality(report, labels),
        closures=closures_shown(report, language),
        actions=actions_shown(report, language),
        people=people_shown(report, language),
        findings=findings_shown(report, language, listing_limit),
        target_figures=[figure_labels[name] for name in TARGET_FIGURES],
    )


def findings_shown(report: ReportData, language: str, listing_limit: int | None = None) -> dict | None:
    """Gives the findings block as shown (domain/summary.py): answers, sources and questions named, the
    dissatisfied list cut to `listing_limit`; None when the report holds none (stored before it existed)."""
    found = report.findings
    if not found:
        return None
    rows = found.get("dissatisfied", [])
    rows = rows if listing_limit is None else rows[:listing_limit]
    total = max(int(found.get("dissatisfied_total", len(rows))), len(rows))
    english = language == "en"
    return {
        "dissatisfied": [{**row, "answers": " / ".join(
            code_label(language, row.get(name) or "—", vocabulary.ANSWERS)
            for name in ("product_satisfaction", "service_satisfaction"))} for row in rows],
        "total": total, "more": total - len(rows),
        "yes_no": [{**row, "label": row["label_en"] if english else row["label_zh"]} for row in found.get("yes_no", [])],
        "sources": [{**row, "name": code_label(language, row["source"], vocabulary.SOURCES),
                     "share": percent(row["handover"].get("value")) if row["handover"].get("denominator") else "—",
                     "counts": f"{row['handover'].get('numerator', 0)}/{row['handover'].get('denominator', 0)}"}
                    for row in found.get("complaint_sources", [])],
    }


def closures_shown(report: ReportData, language: str) -> dict | None:
    """Gives the closures block as shown: each closure reason named, or None (a report stored
    before the block existed)."""
    closures = report.closures
    if not closures:
        return None
    return {**closures, "reasons": [(code_label(language, reason), count)
                                    for reason, count in sorted(closures.get("by_reason", {}).items())]}


def actions_shown(report: ReportData, language: str) -> dict | None:
    """Gives the corrective actions as listed, their status named, or None (no such block stored)."""
    actions = report.corrective_actions
    if not actions:
        return None
    rows = [{**a, "status_name": code_label(language, a["status"], ACTION_STATUSES)} for a in actions.get("listed", [])]
    return {"rows": rows, "total": int(actions.get("total", len(rows))), "overdue": len(actions.get("overdue", [])),
            "more": int(actions.get("total", len(rows))) - len(rows)}


def people_shown(report: ReportData, language: str) -> dict | None:
    """Gives the desk's block as shown: per agent and per advisor, each target figure as
    {value, target, met}, with the declined callbacks; None when no such block was stored."""
    desk = report.desk
    if not desk:
        return None
    labels = LABELS[language]

    def rows(people: list[dict], key: str) -> list[dict]:
        out = []
        for person in people:
            cells = []
            for name in TARGET_FIGURES:
                figure = person.get("figures", {}).get(name, {})
                target = person.get("targets", {}).get(name)
                met = person.get("meets", {}).get(name)
                cells.append({"value": percent(figure.get("value")),
                              "counts": f"{figure.get('numerator', 0)}/{figure.get('denominator', 0)}",
                              "target": percent(target) if target is not None else None,
                              "met_class": "" if met is None else ("met" if met else "missed"),
                              "below": met is False})
            out.append({"name": person.get(key) or labels["nobody"], "callbacks": person.get("callbacks", 0),
                        "declined": person.get("declined", 0), "cells": cells})
        return out

    return {"declined": int(desk.get("declined_callbacks", 0)), "leads": desk.get("leads"),
            "agents": rows(desk.get("agents", []), "login"), "advisors": rows(desk.get("advisors", []), "advisor_id")}


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _quality(report: ReportData, labels: dict) -> str:
    """Gives the callback quality pass rate as shown: "not reviewed" until reviews exist, never 100%."""
    quality = report.callback_quality
    if quality.get("status") == QUALITY_NOT_REVIEWED or quality.get("pass_rate") is None:
        return labels["not_reviewed"]
    return percent(quality["pass_rate"])


def render_report_pdf(report: ReportData, language: str = "zh-CN", *, listing_limit: int | None = None) -> bytes:
    """Gives the report as PDF bytes, fonts subset, nothing read outside TEMPLATES_DIR.

    Parameters:
        listing_limit: as for :func:`render_report_html`.

    Raises:
        RenderError: the language is not one of LANGUAGES.
    """
    html = render_report_html(report, language, listing_limit=listing_limit)
    weasyprint, _, _ = _weasyprint()
    document = weasyprint.HTML(
        string=html,
        base_url=TEMPLATES_DIR.as_uri() + "/",
        url_fetcher=template_only_fetcher(),
    )
    pdf = document.write_pdf()
    logger.info("rendered report %s %s for %s: %d bytes", report.month, language, report.organization, len(pdf))
    return pdf
