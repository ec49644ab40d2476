"""RULES 3: the report is a PDF in Chinese (English on request) with charts; user text is
escaped and WeasyPrint reads nothing outside the report templates."""

import io
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from services.reporting.domain.kpi import MonthCounts, build_figures
from services.reporting.domain.report import CallbackListing, Remark, ReportData, build_report, complaint_summary
from services.reporting.errors import RenderError, URLRefused
from services.reporting.render import TEMPLATES_DIR, render_report_html, render_report_pdf, template_only_fetcher
from shared.core import privacy

INJECTION = '<img src="file:///etc/passwd">'


#: Rows printed of each list, as data/report.yaml's pdf_listing_limit.
PDF_ROWS = 60


def sample_report(*, rows: int = 60, suggestions=None, listing_totals=None):
    """The RULES 3 worked example as October 2026, with enough listings for ~10 pages."""
    counts = MonthCounts(
        callbacks=8, callbacks_reached=3, key_callbacks=8, key_callbacks_reached=3,
        product_answered=3, product_satisfied=2, service_answered=3, service_satisfied=2,
        customers_served=4, customers_touched=1, customers_returning=1,
    )
    trend = {
        "2026-08": MonthCounts(callbacks=10, callbacks_reached=9, product_answered=9,
                               product_satisfied=8, service_answered=9, service_satisfied=7,
                               customers_served=6, customers_touched=2, customers_returning=1),
        "2026-09": MonthCounts(callbacks=12, callbacks_reached=10, product_answered=10,
                               product_satisfied=7, service_answered=10, service_satisfied=9,
                               customers_served=7, customers_touched=3, customers_returning=2),
    }
    complaints = complaint_summary(
        by_category={"维修质量": 5, "服务态度": 3, "配件供应": 2},
        by_customer_class={"group": 6, "ordinary": 4},
        by_level={0: 4, 1: 3, 2: 2, 3: 1},
        deadlines_met={"first_reply": (9, 10), "answer": (8, 10), "verify": (5, 6)},
        resolve_service_hours=123.0, resolved=10, reopened=1,
    )
    if suggestions is None:
        suggestions = [
            Remark(f"客户{i}有限公司", "建议增加周末服务时间,配件库存需要更充足。" * (1 + i % 3),
                   date(2026, 10, 1 + i % 28), "服务" if i % 2 else None)
            for i in range(rows)
        ]
    return build_report(
        organization="长春市某某汽车服务有限公司",
        month="2026-10",
        counts=counts,
        trend_counts=trend,
        targets={"callback_completion_rate": 0.95, "key_callback_completion_rate": 1.0,
                 "ordinary_callback_completion_rate": 0.3},
        complaints=complaints,
        satisfaction_answers={"product": {"very_satisfied": 1, "satisfied": 1, "neutral": 1},
                              "service": {"very_satisfied": 1, "satisfied": 1, "neutral": 1}},
        suggestions=suggestions,
        churn_reasons=[Remark(f"流失客户{i}", "价格偏高,转到其他服务站") for i in range(rows // 3)],
        overdue=[CallbackListing(f"逾期客户{i}", f"139{i:08d}", "first",
                                 date(2026, 10, 1) + timedelta(days=i % 30)) for i in range(rows)],
        unreachable=[CallbackListing("联系不上的客户", "13812345678", "second", date(2026, 10, 12))],
        generated_at="2026-11-03T08:00:00+08:00",
        listing_totals=listing_totals,
    )


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,
                              capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def chinese_pdf():
    return render_report_pdf(sample_report(), "zh-CN", listing_limit=PDF_ROWS)


def test_rule_3_chinese_report_has_headings_and_worked_example_figures(chinese_pdf):
    text = pdf_text(chinese_pdf)
    for heading in ("顾客满意度测量报告", "长春市某某汽车服务有限公司", "2026-10", "关键指标摘要",
                    "回访完成率", "产品质量满意率", "服务质量满意率", "感动率", "回头率",
                    "建议和需求", "流失原因", "投诉分析", "逾期未回访", "未能联系的客户"):
        assert heading in text, heading
    for figure in ("37.5%", "3/8", "66.7%", "2/3", "25%", "1/4"):
        assert figure in text, figure
    assert "建议增加周末服务时间" in text


def test_rule_3_report_masks_phones(chinese_pdf):
    text = pdf_text(chinese_pdf)
    assert "138****5678" in text
    assert "13812345678" not in text


@pytest.mark.parametrize("phone", ["13812345678", "0431-88730001"])
def test_rule_1_4_report_masks_phones_with_the_shared_rule(phone):
    # the report masks as the rest of the mesh does (shared/core/privacy.py), not by a rule of its own
    report = build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={}, targets={},
                          unreachable=[CallbackListing("丁公司", phone, "second", date(2026, 10, 20))])
    html = render_report_html(report, "zh-CN")
    assert privacy.mask_phone(phone) in html and phone not in html


def test_a_listing_without_a_phone_shows_an_empty_masked_phone():
    report = build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={}, targets={},
                          unreachable=[CallbackListing("丁公司", None, "second", date(2026, 10, 20))])
    html = render_report_html(report, "zh-CN")
    assert '<td class="num"></td>' in html and "None" not in html


def test_rule_3_report_carries_svg_charts():
    html = render_report_html(sample_report(rows=1), "zh-CN")
    assert html.count("<svg") == 4  # trend, satisfaction, complaints by category and level
    assert "近三个月趋势" in html and "投诉按类别" in html and "投诉按处理层级" in html


def test_rule_3_english_edition():
    pdf = render_report_pdf(sample_report(rows=3), "en")
    text = pdf_text(pdf)
    for heading in ("Customer Satisfaction Measurement Report", "Callback completion rate",
                    "Product satisfaction rate", "Service satisfaction rate", "Touched rate",
                    "Return rate", "Suggestions and needs", "Churn reasons",
                    "Overdue callbacks", "Unreachable customers"):
        assert heading in text, heading
    assert "37.5%" in text and "3/8" in text
    assert "顾客满意度测量报告" not in text


def test_unknown_language_is_refused():
    with pytest.raises(RenderError):
        render_report_html(sample_report(rows=1), "fr")


def test_user_text_is_escaped_and_never_fetched():
    # given a suggestion, a customer name and an organisation that look like markup
    report = sample_report(rows=0, suggestions=[Remark("<script>x()</script>", INJECTION)])
    # when rendered
    html = render_report_html(report, "zh-CN")
    pdf = render_report_pdf(report, "zh-CN")
    # then the markup is text, not an element, and /etc/passwd stays out
    assert INJECTION not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>" not in html
    text = pdf_text(pdf)
    assert INJECTION in text
    assert "root:x:0:0" not in text
    assert b"root:x:0:0" not in pdf


def test_fetcher_serves_only_report_templates():
    fetcher = template_only_fetcher()
    css = fetcher.fetch((TEMPLATES_DIR / "report.css").as_uri())
    assert b"Noto Sans CJK SC" in css.read()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    for url in (
        "file:///etc/passwd",
        (TEMPLATES_DIR / ".." / "render.py").as_uri(),
        TEMPLATES_DIR.as_uri() + "/../render.py",
        TEMPLATES_DIR.as_uri() + "/missing.css",
        "file://evil.example/etc/passwd",
        "http://127.0.0.1:9/report.css",
        "https://example.com/x.png",
        "ftp://example.com/x",
    ):
        with pytest.raises(URLRefused):
            fetcher.fetch(url)


def test_direct_html_cannot_pull_in_local_files():
    # given markup that references a local file (as if a template slipped)
    import weasyprint

    html = f'<p>before</p><object data="file:///etc/passwd"></object>{INJECTION}' \
           '<link rel="stylesheet" href="file:///etc/passwd"><p>after</p>'
    # when laid out with the report's fetcher
    pdf = weasyprint.HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                          url_fetcher=template_only_fetcher()).write_pdf()
    # then nothing of the file is in the PDF
    assert b"root:x:0:0" not in pdf
    assert "root:x:0:0" not in pdf_text(pdf)


def test_ten_page_report_is_small(chinese_pdf):
    # How long it takes is measured by bench/reporting.py (no timed assertions in tests).
    pages = len(PdfReader(io.BytesIO(chinese_pdf)).pages)
    assert 8 <= pages <= 12
    assert len(chinese_pdf) < 1_000_000


def test_empty_month_renders_with_dashes_and_none():
    # given a month with nothing in it and no trend at all
    report = ReportData(organization="acme", month="2026-10", language="zh-CN",
                        figures=build_figures(MonthCounts()))
    # when rendered
    html = render_report_html(report, "zh-CN")
    # then every figure shows a dash and every list says none
    assert "0/0" in html and "—" in html
    assert html.count(">无<") >= 4


def test_rule_3_pdf_prints_at_most_the_policy_rows_of_a_list_and_counts_the_rest():
    # given a month with 6077 overdue callbacks, 200 of them held in the report
    report = sample_report(rows=200, listing_totals={"overdue": 6077})
    # when printed with 60 rows a list
    html = render_report_html(report, "zh-CN", listing_limit=60)
    text = pdf_text(render_report_pdf(report, "en", listing_limit=60))
    # then each list shows 60 rows and one line counting the others
    assert html.count("逾期客户") == 60
    assert "另有 6017 条未列出" in html and "共 6077 条,列出前 60 条" in html
    assert "另有 140 条未列出" in html  # suggestions: 200 held, no total given
    assert "and 6017 more (full list in the JSON / ledger)" in text.replace("\n", " ")
    # and the JSON keeps the full counts
    assert report.as_dict()["listing_totals"] == {"suggestions": 200, "churn_reasons": 66, "overdue": 6077,
                                                   "unreachable": 1}


def test_pdf_uses_one_cjk_face():
    # bold would embed a second CJK subset (Noto Sans CJK SC Bold): size and time for nothing
    assert shutil.which("pdffonts"), "pdffonts (poppler-utils) lists the embedded fonts"
    pdf = render_report_pdf(sample_report(rows=5), "zh-CN", listing_limit=PDF_ROWS)
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
    fonts = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
    assert len(fonts) == 1 and "CJK" in fonts[0], listing


def test_rule_3_pdf_shows_order_coverage_call_shares_satisfaction_score_and_quality_not_reviewed():
    # given a month with ordinary customers' orders, timed calls and five-point answers
    report = build_report(
        organization="o", month="2026-10", targets={"ordinary_order_coverage_rate": 0.3},
        counts=MonthCounts(ordinary_orders=60, ordinary_orders_reached=19, calls_timed=33, calls_over_time_limit=4,
                           calls_windowed=33, calls_outside_window=2),
        trend_counts={}, complaints=complaint_summary(by_category={"price": 1}, repeat=1, special_callbacks=(1, 1),
                                                      deadlines_met={"rework": (1, 1)}),
        satisfaction_answers={"product": {"very_satisfied": 3, "neutral": 1}},
        satisfaction_points={"very_satisfied": 5, "satisfied": 4, "neutral": 3, "dissatisfied": 2,
                             "very_dissatisfied": 1})
    # then both editions print them, the quality pass rate as "not reviewed", never as a rate
    chinese = pdf_text(render_report_pdf(report, "zh-CN"))
    for text in ("一般客户工单回访率", "31.7%", "19/60", "通话超时比例", "4/33", "非回访时段记录比例",
                 "客户满意度得分", "4.5", "回访质量合格率", "未评审", "重复投诉", "返修"):
        assert text in chinese, text
    english = pdf_text(render_report_pdf(report, "en"))
    for text in ("Orders called back", "Calls over the time", "Satisfaction score",
                 "Callback quality pass rate", "not reviewed", "Repeat complaints", "Rework"):
        assert text in english, text
