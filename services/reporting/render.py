"""HTML and PDF editions of the Customer Satisfaction Measurement Report (顾客满意度测量报告).

``render_report_html`` fills ``templates/report.html`` (Jinja2, autoescaped: every text
that came from a user is escaped); ``render_report_pdf`` lays it out with WeasyPrint.
Charts are inline SVG built here, so the PDF needs no plotting library and no network.
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
from markupsafe import Markup, escape

from services.reporting.domain.kpi import (
    ANSWERS,
    DEADLINES,
    FIGURE_NAMES,
    KEY_FIGURES,
    LISTINGS,
    Figure,
    ReportData,
)
from shared.privacy import mask_phone

logger = logging.getLogger(__name__)

#: The only directory WeasyPrint may read from.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Editions the report is written in.
LANGUAGES = ("zh-CN", "en")

#: Fonts tried in order; the CJK ones carry the Chinese glyphs.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif'

#: Series colours of the charts (colour-blind friendly, Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")

#: Colours of the five-point answers, very satisfied first.
ANSWER_COLOURS = ("#1a9850", "#91cf60", "#d9d9d9", "#fc8d59", "#d73027")

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "顾客满意度测量报告",
        "month": "报告月份",
        "organization": "单位",
        "generated_at": "生成时间",
        "summary": "关键指标摘要",
        "figure": "指标",
        "this_month": "本月",
        "counts": "分子/分母",
        "target": "目标",
        "met": "达标",
        "yes": "是",
        "no": "否",
        "charts": "图表",
        "trend_chart": "近三个月趋势",
        "satisfaction_chart": "各维度满意情况",
        "complaints": "投诉分析",
        "complaints_by_category": "投诉按类别",
        "complaints_by_level": "投诉按处理层级",
        "complaints_by_class": "投诉按客户类别",
        "complaints_total": "投诉总数",
        "deadline": "时限",
        "deadline_share": "按时完成比例",
        "mean_hours": "平均解决时长(服务小时)",
        "reopened": "重新打开",
        "count": "数量",
        "category": "类别",
        "suggestions": "建议和需求",
        "churn_reasons": "流失原因",
        "overdue": "逾期未回访",
        "unreachable": "未能联系的客户",
        "customer": "客户",
        "phone": "电话",
        "kind": "回访类型",
        "due_on": "应回访日期",
        "recorded_on": "记录日期",
        "text": "内容",
        "none": "无",
        "page": "第 {} 页",
        "dimension": "维度",
        "product": "产品质量",
        "service": "服务质量",
        "hours": "小时",
        "no_data": "本月无数据",
        "more": "…… 另有 {} 条未列出(完整清单见 JSON 接口 / 回访台账)",
        "shown_of": "共 {total} 条,列出前 {shown} 条",
    },
    "en": {
        "title": "Customer Satisfaction Measurement Report",
        "month": "Month",
        "organization": "Organisation",
        "generated_at": "Generated",
        "summary": "Key figures",
        "figure": "Figure",
        "this_month": "This month",
        "counts": "Counts",
        "target": "Target",
        "met": "Met",
        "yes": "yes",
        "no": "no",
        "charts": "Charts",
        "trend_chart": "Three-month trend",
        "satisfaction_chart": "Satisfaction by dimension",
        "complaints": "Complaint analysis",
        "complaints_by_category": "Complaints by category",
        "complaints_by_level": "Complaints by resolving level",
        "complaints_by_class": "Complaints by customer class",
        "complaints_total": "Complaints",
        "deadline": "Deadline",
        "deadline_share": "Met on time",
        "mean_hours": "Mean time to resolve (service hours)",
        "reopened": "Reopened",
        "count": "Count",
        "category": "Category",
        "suggestions": "Suggestions and needs",
        "churn_reasons": "Churn reasons",
        "overdue": "Overdue callbacks",
        "unreachable": "Unreachable customers",
        "customer": "Customer",
        "phone": "Phone",
        "kind": "Callback kind",
        "due_on": "Due on",
        "recorded_on": "Recorded on",
        "text": "Text",
        "none": "None",
        "page": "Page {}",
        "dimension": "Dimension",
        "product": "Product quality",
        "service": "Service quality",
        "hours": "h",
        "no_data": "No data this month",
        "more": "… and {} more (full list in the JSON / ledger)",
        "shown_of": "{total} in all, the first {shown} shown",
    },
}

FIGURE_LABELS = {
    "zh-CN": {
        "callback_completion_rate": "回访完成率",
        "key_callback_completion_rate": "重点客户回访完成率",
        "ordinary_callback_completion_rate": "一般客户回访完成率",
        "product_satisfaction_rate": "产品质量满意率",
        "service_satisfaction_rate": "服务质量满意率",
        "touched_rate": "感动率",
        "return_rate": "回头率",
    },
    "en": {
        "callback_completion_rate": "Callback completion rate",
        "key_callback_completion_rate": "Completion, key customers",
        "ordinary_callback_completion_rate": "Completion, ordinary customers",
        "product_satisfaction_rate": "Product satisfaction rate",
        "service_satisfaction_rate": "Service satisfaction rate",
        "touched_rate": "Touched rate",
        "return_rate": "Return rate",
    },
}

#: Names of codes (answers, deadlines, callback kinds, segments, roles) per edition;
#: a code not listed is shown as it is.
CODE_LABELS = {
    "zh-CN": {
        "very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般",
        "dissatisfied": "不满意", "very_dissatisfied": "非常不满意",
        "first_reply": "首次答复", "answer": "答复处理", "verify": "回访验证",
        "installation": "安装调试", "trial_run": "试运行期", "warranty_6m": "质保期半年",
        "warranty_end": "质保期满", "post_warranty_24m": "质保期外24个月",
        "post_warranty_36m": "质保期外36个月", "first": "首次回访", "second": "二次回访",
        "verification": "投诉验证回访",
        "product_quality": "产品质量", "service_quality": "服务质量", "attitude": "服务态度",
        "price": "价格", "waiting_time": "等待时间", "other": "其他",
        "vip": "VIP客户", "group": "集团用户", "government": "政府车队", "fleet": "单位车队",
        "police": "司法警务", "ordinary": "一般用户",
        "0": "回访员", "1": "服务顾问", "2": "接待主管", "3": "服务经理",
        "agent": "回访员", "advisor": "服务顾问", "supervisor": "接待主管",
        "manager": "服务经理", "admin": "管理员",
    },
    "en": {
        "very_satisfied": "Very satisfied", "satisfied": "Satisfied", "neutral": "Neutral",
        "dissatisfied": "Dissatisfied", "very_dissatisfied": "Very dissatisfied",
        "first_reply": "First reply", "answer": "Answer", "verify": "Verification",
        "installation": "Installation", "trial_run": "Trial run", "warranty_6m": "Warranty 6 months",
        "warranty_end": "Warranty end", "post_warranty_24m": "Post-warranty 24 months",
        "post_warranty_36m": "Post-warranty 36 months", "first": "First", "second": "Second",
        "verification": "Complaint verification",
        "product_quality": "Product quality", "service_quality": "Service quality", "attitude": "Attitude",
        "price": "Price", "waiting_time": "Waiting time", "other": "Other",
        "vip": "VIP", "group": "Group", "government": "Government", "fleet": "Fleet",
        "police": "Police", "ordinary": "Ordinary",
        "0": "Agent", "1": "Advisor", "2": "Supervisor", "3": "Manager",
        "agent": "Agent", "advisor": "Advisor", "supervisor": "Supervisor",
        "manager": "Manager", "admin": "Admin",
    },
}


class RenderError(Exception):
    """The report could not be rendered (root of this module's errors)."""


class URLRefused(ValueError):
    """WeasyPrint asked for a resource outside the templates directory."""


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
    """Give a WeasyPrint URL fetcher that reads only files under ``root`` and data: URIs."""
    return _fetcher_class()(root)


# --------------------------------------------------------------------------- formatting


def percent(value: float | None) -> str:
    """Give ``0.375`` as ``37.5%`` and None as an em dash."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _code(language: str, code) -> str:
    return CODE_LABELS[language].get(str(code), str(code))


# --------------------------------------------------------------------------- charts

_SVG_FONT = escape(FONT_FAMILY)


def _clip(label: str, width: int = 24) -> str:
    # Width counts a CJK character as two, so long names do not run out of the chart.
    used, kept = 0, []
    for char in label:
        used += 2 if ord(char) > 0x2E7F else 1
        if used > width:
            return "".join(kept) + "…"
        kept.append(char)
    return label


def _text(x, y, content, *, size=11, anchor="start", fill="#333", weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{_SVG_FONT}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">' + "".join(body) + "</svg>"
    )


def trend_chart(report: ReportData, language: str) -> Markup:
    """Give a line chart of the key figures over the month and the two before it."""
    months = [*sorted(report.trend), report.month]
    series = []
    for name in KEY_FIGURES:
        points = [report.trend.get(m, {}).get(name) for m in months[:-1]] + [report.figures.get(name)]
        series.append((FIGURE_LABELS[language][name], [p.value if p else None for p in points]))
    width, height = 640, 270
    left, top, plot_w, plot_h = 48, 16, 400, 200
    body = []
    for tick in range(0, 101, 20):
        y = top + plot_h - plot_h * tick / 100
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y + 4, f"{tick}%", size=10, anchor="end", fill="#666"))
    step = plot_w / max(len(months) - 1, 1)
    for i, month in enumerate(months):
        body.append(_text(left + i * step, top + plot_h + 18, month, size=10, anchor="middle"))
    for index, (label, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        coords = [
            (left + i * step, top + plot_h - plot_h * v) for i, v in enumerate(values) if v is not None
        ]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in coords:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        legend_y = top + 8 + index * 20
        body.append(f'<rect x="{left + plot_w + 20}" y="{legend_y - 8}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(left + plot_w + 38, legend_y + 2, label, size=10))
    return _svg(width, height, body)


def hbar_chart(rows: list[tuple[str, float, str]], *, scale_max: float | None = None) -> Markup:
    """Give horizontal bars, one per (label, value, shown text); empty rows give no chart."""
    if not rows:
        return Markup("")
    label_w, bar_w, row_h = 150, 380, 24
    width, height = label_w + bar_w + 70, row_h * len(rows) + 8
    top_value = scale_max or max((v for _, v, _ in rows), default=0) or 1
    body = []
    for i, (label, value, shown) in enumerate(rows):
        y = 4 + i * row_h
        length = bar_w * max(value, 0) / top_value
        body.append(_text(label_w - 8, y + 15, _clip(label), size=10, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" fill="#f2f2f2"/>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" '
            f'fill="{PALETTE[0]}"/>'
        )
        body.append(_text(label_w + length + 6, y + 15, shown, size=10))
    return _svg(width, height, body)


def satisfaction_chart(report: ReportData, language: str) -> Markup:
    """Give, per dimension, the answers stacked on the five-point scale and the rate."""
    dimensions = (("product", "product_satisfaction_rate"), ("service", "service_satisfaction_rate"))
    labels = LABELS[language]
    label_w, bar_w, row_h = 110, 400, 34
    # room on the right for "79.8% (31889/39961)" at bench scale
    width, height = label_w + bar_w + 130, row_h * len(dimensions) + 40
    body = []
    for i, (dimension, figure_name) in enumerate(dimensions):
        y = 6 + i * row_h
        figure = report.figures.get(figure_name) or Figure.of(0, 0)
        answers = report.satisfaction_answers.get(dimension) or {}
        total = sum(answers.values())
        body.append(_text(label_w - 8, y + 17, labels[dimension], size=11, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 12}" fill="#f2f2f2"/>')
        x = float(label_w)
        if total:
            for answer, colour in zip(ANSWERS, ANSWER_COLOURS):
                part = bar_w * answers.get(answer, 0) / total
                if part > 0:
                    body.append(
                        f'<rect x="{x:.1f}" y="{y + 4}" width="{part:.1f}" height="{row_h - 12}" fill="{colour}"/>'
                    )
                x += part
        elif figure.value is not None:
            body.append(
                f'<rect x="{x}" y="{y + 4}" width="{bar_w * figure.value:.1f}" height="{row_h - 12}" '
                f'fill="{ANSWER_COLOURS[1]}"/>'
            )
        shown = f"{percent(figure.value)} ({figure.numerator}/{figure.denominator})"
        body.append(_text(label_w + bar_w + 6, y + 17, shown, size=10))
    legend_y = 6 + len(dimensions) * row_h + 10
    x = label_w
    for answer, colour in zip(ANSWERS, ANSWER_COLOURS):
        body.append(f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{colour}"/>')
        text = _code(language, answer)
        body.append(_text(x + 14, legend_y + 9, text, size=9))
        x += 24 + len(text) * (11 if language == "zh-CN" else 5.5)
    return _svg(width, height, body)


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
        raise RenderError(f"language: {language!r} is not one of {LANGUAGES}")
    return language


def _listing(report: ReportData, name: str, limit: int | None) -> dict:
    rows = getattr(report, name)
    shown = rows if limit is None else rows[:limit]
    total = report.listing_total(name)
    return {"rows": shown, "total": total, "more": total - len(shown)}


def render_report_html(report: ReportData, language: str = "zh-CN", *, listing_limit: int | None = None) -> str:
    """Give the report as an HTML page (stylesheet ``report.css`` relative to TEMPLATES_DIR).

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
    category_chart = hbar_chart([(_code(language, k), v, str(v)) for k, v in complaints.by_category.items()])
    level_chart = hbar_chart([(_code(language, k), v, str(v)) for k, v in complaints.by_level.items()])
    deadlines = [
        (_code(language, name), complaints.deadlines[name])
        for name in DEADLINES
        if name in complaints.deadlines
    ]
    return _environment().get_template("report.html").render(
        lang=language,
        font_family=FONT_FAMILY,
        labels=labels,
        report=report,
        code=functools.partial(_code, language),
        summary_rows=summary_rows,
        trend_months=trend_months,
        trend_chart=trend_chart(report, language),
        satisfaction_chart=satisfaction_chart(report, language),
        category_chart=category_chart,
        level_chart=level_chart,
        by_class=[(_code(language, k), v) for k, v in complaints.by_customer_class.items()],
        deadlines=deadlines,
        lists={name: _listing(report, name, listing_limit) for name in LISTINGS},
    )


def render_report_pdf(report: ReportData, language: str = "zh-CN", *, listing_limit: int | None = None) -> bytes:
    """Give the report as PDF bytes, fonts subset, nothing read outside TEMPLATES_DIR.

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
