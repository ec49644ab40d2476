"""In a real browser: the month page's findings (seed 000 6.2.5 and 6.3.1: the dissatisfied customers
and their reasons, the callback records' yes/no answers counted; seed 001: complaints by source with the
hand-over on-time share) in both languages, and the workbench's 回访记录表 (seed 000 6.2.3) downloaded
from its form and opened as a workbook."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from services.reporting.domain.kpi import month_of
from services.scheduler.models import CallbackTask
from testkit.events import envelope
from testkit.pages import ORG, english_text, shoot, sign_in

CST = timezone(timedelta(hours=8))
TRANSPORT = {"id": "transport_damage", "label_zh": "产品外包装和运输过程是否损伤",
             "label_en": "Was the packing or the product damaged in transport"}


def _feed(service, type_, data):
    with service.connection():
        service.handle(envelope(type_, data, org=ORG, id_=f"t-{uuid.uuid4().hex}"))


@pytest.fixture(scope="module")
def findings(site):
    """This month in the reporting read model: a dissatisfied callback with its reason, two transport
    damage answers, a hotline complaint handed over in time and one from a callback."""
    reporting = site.mesh.services["reporting"]
    today = datetime.now(CST).date()
    day = today.replace(day=1).isoformat()
    for n, (product, reason, damaged) in enumerate((("dissatisfied", "柜门变形，运输中磕碰", True),
                                                     ("satisfied", None, True), ("satisfied", None, False))):
        _feed(reporting, "callback.completed", {
            "callback_id": f"FX-{n}", "kind": "installation", "due_on": day, "reached": True,
            "customer": {"id": f"FX-C{n}", "name": f"华电变电站{n}", "segment": "ordinary", "phone": "13711112222"},
            "product_satisfaction": product, "service_satisfaction": "satisfied", "dissatisfied_reason": reason,
            "questionnaire": "equipment_installation", "answers": {"transport_damage": damaged},
            "yes_no_questions": [TRANSPORT]})
    for complaint_id, source in (("FX-Q1", "hotline"), ("FX-Q2", "callback")):
        _feed(reporting, "complaint.raised", {
            "complaint_id": complaint_id, "customer": {"id": "FX-C0", "name": "华电变电站0"}, "description": "d",
            "source": source, "raised_at": f"{day}T09:00:00+08:00",
            "handover_due_at": f"{day}T09:15:00+08:00" if source == "hotline" else None})
    _feed(reporting, "complaint.handed_over", {"complaint_id": "FX-Q1", "handed_over_at": f"{day}T09:10:00+08:00",
                                               "handover_due_at": f"{day}T09:15:00+08:00"})
    return month_of(today)


def test_seed_000_6_3_1_the_month_page_lists_the_dissatisfied_and_counts_the_answers(new_page, site, findings):
    # given this month's findings; when a manager opens the month page in Chinese
    page = new_page("zh-CN")
    sign_in(page, site, "zhang", service="reporting")
    page.goto(site.url("reporting", f"/reports/{findings}"))
    page.wait_for_selector("#findings")
    block = page.locator("#findings").inner_text()
    # then the dissatisfied customer is there with the reason and a masked phone
    assert "不满意顾客及原因" in block and "柜门变形，运输中磕碰" in block and "137****2222" in block
    assert "13711112222" not in block
    # and the yes/no question is counted, the complaints split by source with the hand-over share
    assert page.locator("#yes-no tbody tr", has_text="产品外包装和运输过程是否损伤").inner_text().split()[-2:] == ["2", "1"]
    assert "100% 1/1" in page.locator("#complaint-sources tbody tr", has_text="热线").inner_text()
    shoot(page, "reporting-month-findings")
    # and in English every label is translated
    english = new_page("en")
    sign_in(english, site, "zhang", service="reporting")
    english.goto(site.url("reporting", f"/reports/{findings}?lang=en"))
    english.wait_for_selector("#findings")
    text = english_text(english)
    assert "Dissatisfied customers and their reasons" in text and "Complaints by source" in text
    assert "Was the packing or the product damaged in transport" in english.locator("#yes-no").inner_text()
    shoot(english, "reporting-month-findings-en")


def test_seed_000_6_2_3_the_callback_records_download_opens_as_a_workbook(page, site, tmp_path):
    # given a callback the scheduler planned and an agent recorded
    scheduler = site.mesh.services["scheduler"]
    _feed(scheduler, "service_order.completed", {
        "order_id": "FX-O1", "customer": {"id": "FX-CR", "name": "长安车队", "segment": "group", "phone": "13900001111"},
        "business_line": "vehicle", "kind": "repair", "completed_at": datetime.now(CST).isoformat()})
    with scheduler.connection():
        task = CallbackTask.get(CallbackTask.order_id == "FX-O1")
    # when a manager downloads the callback records of its day from the workbench's form
    sign_in(page, site, "zhang")
    page.goto(site.url("scheduler", "/"))
    page.fill("#x-from", task.due_on.isoformat())
    page.fill("#x-to", task.due_on.isoformat())
    with page.expect_download() as download:
        page.click("#export-xlsx")
    # then the file opens as a workbook: its title row is 回访记录表's, and the callback is a row
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    sheet = load_workbook(saved, read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "回访记录表"  # the title row, in the page's language
    header = next(row for row in rows if row and row[0] == "回访记录编号")
    mine = [dict(zip(header, row)) for row in rows if row and "长安车队" in row]
    assert mine and date.fromisoformat(mine[0]["应回访日期"]) == task.due_on
