"""Bench of the monthly report: a month of 50,000 callbacks and 2,000 complaints.

    .venv/bin/python bench/reporting.py [--callbacks 50000] [--complaints 2000] [--database-url URL]

Measures (1) handling events through `SERVICE.handle` (a sample, to give a rate), (2) the
month's figures aggregated in SQL (month + two trend months), (3) rendering the PDF as the
service does (lists cut to data/report.yaml's `pdf_listing_limit`), with its page count and
size, (4) WeasyPrint alone laying out the same HTML, and prints the ratios; then (5) a report
of exactly 10 pages (the aim: under 1.5 s and 1 MB), (6) the lists uncapped, as before, and
(7) the database's plan (EXPLAIN) of each monthly aggregation query. The read model is
filled with bulk inserts (what the handlers would write), so the bench takes seconds.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.core.settings import load_settings  # noqa: E402

ORG = "bench-org"
MONTH = "2026-10"
ANSWERS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
WEIGHTS = (40, 40, 12, 6, 2)
SEGMENTS = ("vip", "group", "government", "fleet", "police", "ordinary")


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def fill(models, *, callbacks: int, complaints: int, rng: random.Random) -> None:
    """Bulk-inserts a month (and the two before) of read-model rows."""
    from services.reporting.domain.kpi import month_bounds, previous_months

    customers = max(callbacks // 2, 10)
    rows = [{"organization": ORG, "customer_id": f"C{i}", "name": f"客户{i}", "phone": f"139{i:08d}",
             "segment": rng.choices(SEGMENTS, (5, 5, 2, 3, 1, 84))[0], "flagged": rng.random() < 0.02}
            for i in range(customers)]
    _insert(models.Customer, rows)
    for month in [*previous_months(MONTH, 2), MONTH]:
        first, last = month_bounds(month)
        days = (last - first).days + 1
        served, cbs = [], []
        for i in range(callbacks // 2):
            cid = f"C{rng.randrange(customers)}"
            day = first + timedelta(days=rng.randrange(days))
            served.append({"organization": ORG, "source_kind": "order", "source_id": f"{month}-O{i}",
                           "customer_id": cid, "served_on": day})
        for i in range(callbacks):
            cid = f"C{rng.randrange(customers)}"
            status = rng.choices(("done", "open", "unreachable", "cancelled"), (80, 12, 5, 3))[0]
            reached = status == "done"
            cbs.append({
                "organization": ORG, "callback_id": f"{month}-CB{i}", "kind": rng.choice(("first", "second")),
                "due_on": first + timedelta(days=rng.randrange(days)), "status": status, "customer_id": cid,
                "key_customer": rng.random() < 0.2, "reached": reached,
                "product_satisfaction": rng.choices(ANSWERS, WEIGHTS)[0] if reached else None,
                "service_satisfaction": rng.choices(ANSWERS, WEIGHTS)[0] if reached else None,
                "suggestions": "希望周末也能预约保养" if reached and rng.random() < 0.05 else None,
                "recorded_at": datetime(first.year, first.month, 1, 2, tzinfo=timezone.utc) if reached else None,
            })
        _insert(models.ServedDay, served)
        _insert(models.Callback, cbs)
    first, last = month_bounds(MONTH)
    rows = []
    for i in range(complaints):
        raised = datetime(first.year, first.month, 1 + rng.randrange(last.day), 1 + rng.randrange(10),
                          tzinfo=timezone.utc)
        resolved = rng.random() < 0.8
        rows.append({
            "organization": ORG, "complaint_id": f"P{i}", "customer_id": f"C{rng.randrange(customers)}",
            "category": rng.choice(("product_quality", "service_quality", "attitude", "price", "waiting_time",
                                    "other")),
            "customer_class": rng.choice(SEGMENTS), "raised_at": raised, "raised_on": raised.date(),
            "state": "resolved" if resolved else "open", "level": rng.randrange(3),
            "resolved_level": rng.randrange(3) if resolved else None,
            "resolved_level_role": rng.choice(("agent", "advisor", "manager")) if resolved else None,
            "service_hours_to_resolve": rng.uniform(0.5, 30) if resolved else None,
            "first_reply_due_at": raised + timedelta(hours=2),
            "first_reply_at": raised + timedelta(minutes=rng.randrange(200)),
            "reopened_count": 1 if rng.random() < 0.05 else 0,
            "churn_reason": "价格偏高" if rng.random() < 0.02 else None,
        })
    _insert(models.Complaint, rows)


def _insert(model, rows, batch: int = 500):
    db = model._meta.database
    with db.atomic():
        for i in range(0, len(rows), batch):
            model.insert_many(rows[i:i + batch]).execute()


def ingest_sample(service, count: int) -> float:
    """Gives the events per second of `count` callback.completed events through SERVICE.handle."""
    envelopes = [{
        "specversion": "1.0", "id": f"bench-{uuid.uuid4().hex}", "type": "callback.completed",
        "source": "huifang://scheduler", "organization": "bench-ingest", "time": "2026-10-10T10:00:00+08:00",
        "data": {"callback_id": f"I{i}", "kind": "first", "due_on": "2026-10-10",
                 "customer": {"id": f"C{i % 500}", "name": "客户", "segment": "ordinary"}, "key_customer": False,
                 "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied"},
    } for i in range(count)]
    started = time.perf_counter()
    with service.connection():
        for env in envelopes:
            service.handle(env)
    return count / (time.perf_counter() - started)


def _pdf_shape(pdf: bytes) -> str:
    """Gives "N pages, K KiB" of a PDF (pypdf reads the page count)."""
    import io

    from pypdf import PdfReader

    return f"{len(PdfReader(io.BytesIO(pdf)).pages)} pages, {len(pdf) / 1024:.0f} KiB"


def _ten_page_rows(report, render) -> tuple[int, bool]:
    """Gives (rows a list, found) for which the Chinese report runs to exactly 10 pages (bisection)."""
    import io

    from pypdf import PdfReader

    def pages(rows: int) -> int:
        return len(PdfReader(io.BytesIO(render(report, "zh-CN", listing_limit=rows))).pages)

    low, high = 1, max(len(report.overdue), len(report.suggestions), len(report.unreachable), 2)
    while low < high:  # the smallest row count giving at least 10 pages
        middle = (low + high) // 2
        if pages(middle) >= 10:
            high = middle
        else:
            low = middle + 1
    return low, pages(low) == 10


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=50_000)
    parser.add_argument("--complaints", type=int, default=2_000)
    parser.add_argument("--ingest", type=int, default=2_000, help="events handled one by one for the rate")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp folder")
    args = parser.parse_args(argv)

    from services.reporting import jobs, models
    from services.reporting.domain.report import LISTINGS
    from services.reporting.figures.month import explain, month_queries
    from services.reporting.render import TEMPLATES_DIR, render_report_html, render_report_pdf, template_only_fetcher
    from services.reporting.rules import report_policy
    from services.reporting.service import SERVICE

    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-reporting-"))
    settings = load_settings({"HUIFANG_VAR_DIR": str(folder), "HUIFANG_SECRET_KEY": "bench-" + "x" * 20})
    url = args.database_url or f"sqlite:///{folder / 'reporting.db'}"
    SERVICE.bind(settings, url=url)
    SERVICE.clock = lambda: datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
    rng = random.Random(20261103)
    with SERVICE.connection():
        _, fill_s = timed(fill, models, callbacks=args.callbacks, complaints=args.complaints, rng=rng)
    rate = ingest_sample(SERVICE, args.ingest) if args.ingest else 0.0

    jobs.compute_report(SERVICE, ORG, MONTH, "zh-CN")  # warm caches, as a running service has them
    report, figures_s = timed(jobs.compute_report, SERVICE, ORG, MONTH, "zh-CN")
    policy = report_policy(settings, ORG)
    limit = policy.pdf_listing_limit
    render_report_pdf(report, "zh-CN", listing_limit=limit)  # warm fonts, as a running worker has them
    pdf, pdf_s = timed(jobs.render_pdf, SERVICE, report, "zh-CN")
    import weasyprint

    def weasyprint_alone(html):
        return weasyprint.HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                               url_fetcher=template_only_fetcher()).write_pdf()

    _, weasy_s = timed(weasyprint_alone, render_report_html(report, "zh-CN", listing_limit=limit))
    total = figures_s + pdf_s
    f = report.figures
    print(f"database: {url.split('://')[0]}; month {MONTH}: {args.callbacks} callbacks (and as many in each trend "
          f"month), {args.complaints} complaints; filled in {fill_s:.1f}s")
    print(f"ingest via SERVICE.handle: {rate:,.0f} events/s ({args.ingest} callback.completed)")
    print(f"figures (SQL, month + 2 trend months): {figures_s * 1000:8.0f} ms   "
          f"completion {f['callback_completion_rate'].numerator}/{f['callback_completion_rate'].denominator}, "
          f"served {f['return_rate'].denominator}")
    totals = ", ".join(f"{name} {report.listing_total(name)}" for name in LISTINGS)
    print(f"PDF (HTML + WeasyPrint):               {pdf_s * 1000:8.0f} ms   {_pdf_shape(pdf)}; lists cut to "
          f"{limit} rows (pdf_listing_limit) of {totals}")
    print(f"WeasyPrint alone, same HTML:           {weasy_s * 1000:8.0f} ms")
    print(f"ratios: PDF / WeasyPrint alone = {pdf_s / weasy_s:.2f}; figures / whole report = "
          f"{figures_s / total:.1%}; WeasyPrint / whole report = {weasy_s / total:.1%}")
    rows, ten = _ten_page_rows(report, render_report_pdf)
    ten_pdf, ten_s = timed(render_report_pdf, report, "zh-CN", listing_limit=rows)
    print(f"10-page report ({rows} rows a list):     {ten_s * 1000:8.0f} ms   {_pdf_shape(ten_pdf)}   "
          f"aim: under 1500 ms and 1 MB{'' if ten else ' (no row count gives exactly 10 pages)'}")
    uncapped_rows = policy.listing_limit
    uncapped, uncapped_s = timed(render_report_pdf, report, "zh-CN", listing_limit=uncapped_rows)
    print(f"uncapped lists ({uncapped_rows} rows, as before):   {uncapped_s * 1000:8.0f} ms   {_pdf_shape(uncapped)}")
    print("plans of the month's aggregation (each should search the (organization, due_on) or "
          "(organization, served_on, ...) index, never scan the table):")
    with SERVICE.connection():
        for name, query in month_queries(ORG, MONTH, policy).items():
            print(f"  {name}:")
            for line in explain(query):
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
