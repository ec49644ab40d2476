"""The report's charts as inline SVG, so the PDF needs no plotting library and no network."""

from __future__ import annotations

from markupsafe import Markup, escape

from .domain.kpi import ANSWERS, KEY_FIGURES, Figure
from .domain.report import ReportData
from .labels import FIGURE_LABELS, LABELS, code_label, percent

#: Fonts tried in order; the CJK ones carry the Chinese glyphs.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif'

#: Series colours of the charts (colour-blind friendly, Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")

#: Colours of the five-point answers, very satisfied first.
ANSWER_COLOURS = ("#1a9850", "#91cf60", "#d9d9d9", "#fc8d59", "#d73027")

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
    """Gives a line chart of the key figures over the month and the two before it."""
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


def hbar_chart(rows: list[tuple[str, float, str]]) -> Markup:
    """Gives horizontal bars, one per (label, value, shown text); empty rows give no chart."""
    if not rows:
        return Markup("")
    label_w, bar_w, row_h = 150, 380, 24
    width, height = label_w + bar_w + 70, row_h * len(rows) + 8
    top_value = max((v for _, v, _ in rows), default=0) or 1
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
    """Gives, per dimension, the answers stacked on the five-point scale and the rate."""
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
        text = code_label(language, answer)
        body.append(_text(x + 14, legend_y + 9, text, size=9))
        x += 24 + len(text) * (11 if language == "zh-CN" else 5.5)
    return _svg(width, height, body)
