"""The seeds' tables as files, scheduler: 回访记录表 (seed 002 4.3; seed 000 6.2.3-6.2.4 《顾客回访记录》), the
callback records of a period with their outcome, formula-safe, phones as the role may see them (RULES 1.4)."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

GOOD = ("发货单号,顾客编号,顾客名称,顾客类别,工程名称,产品型号,产品数量,合同额,发货时间,送电时间,质保期满,回访记录编号,"
        "顾客用电管理负责人,负责人电话,变电站联系人,联系人电话\n"
        "D-1,C-1,华东电力,ordinary,华东变电站,KYN28-12,4,120000.00,2026-01-31,2026-03-15,,,张工,13812345678,李工,13987654321\n")


def given_a_delivery_with_a_recorded_callback(scheduler) -> dict:
    scheduler.post("/api/v1/ledger/import", data={"file": (io.BytesIO(GOOD.encode("utf-8-sig")), "ledger.csv")},
                   content_type="multipart/form-data")
    (installation,) = scheduler.callbacks(delivery_id="D-1", kind="installation")
    response = scheduler.post(f"/api/v1/callbacks/{installation['id']}/outcome", json={
        "reached": True, "product_satisfaction": "dissatisfied", "service_satisfaction": "satisfied",
        "dissatisfied_reason": "=HYPERLINK(\"http://evil.example\")", "suggestions": "@希望上门培训"})
    assert response.status_code == 200, response.get_json()
    return installation


def rows_of_xlsx(body: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_seed_002_callback_records_table_has_its_title_period_and_the_recorded_outcome(scheduler):
    # given a delivery whose installation callback (due 2026-02-09) was made, and one not yet due
    installation = given_a_delivery_with_a_recorded_callback(scheduler)
    # when the records of February are downloaded
    response = scheduler.get("/api/v1/callbacks/export.xlsx", query_string={"from": "2026-02-01", "to": "2026-02-28"})
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    rows = rows_of_xlsx(response.data)
    # then the sheet is laid out as the seed's form: the title, the period, the header, one row per callback
    assert rows[0][0] == "回访记录表" and rows[1][0] == "期间：2026-02-01 至 2026-02-28"
    header = rows[3]
    assert header[:3] == ("回访记录编号", "应回访日期", "回访时间") and "不满意原因" in header
    (record,) = [dict(zip(header, row)) for row in rows[4:]]
    assert record["应回访日期"] == "2026-02-09" and record["回访类型"] == "安装调试"
    assert record["回访记录编号"] and record["已接通"] == "是" and record["产品质量"] == "不满意"
    assert record["顾客电话"] == "13812345678"  # an agent-facing role (integration) sees the number
    assert installation["id"] and record["客户"] == "华东电力"


def test_seed_002_callback_records_cells_never_run_as_formulas_and_phones_are_masked_for_advisors(scheduler):
    # given a recorded callback whose reason and suggestion start like formulas
    given_a_delivery_with_a_recorded_callback(scheduler)
    # when an advisor downloads the records as CSV and as .xlsx
    body = scheduler.get("/api/v1/callbacks/export.csv", query_string={"from": "2026-02-01", "to": "2026-02-28"},
                         role="advisor")
    assert body.status_code == 200 and body.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(body.data.decode("utf-8-sig"))))
    record = dict(zip(rows[3], rows[4]))
    # then the text is inert and the phone masked (RULES 1.4)
    assert record["不满意原因"].startswith("'=") and record["建议和需求"].startswith("'@")
    assert record["顾客电话"] == "138****5678"
    workbook = load_workbook(io.BytesIO(scheduler.get("/api/v1/callbacks/export.xlsx", role="advisor", query_string={
        "from": "2026-02-01", "to": "2026-02-28"}).data))
    assert all(c.data_type != "f" for row in workbook.worksheets[0].iter_rows() for c in row)


def test_seed_002_callback_records_keep_the_filters_of_the_list(scheduler):
    # given the delivery's six callbacks over three years
    given_a_delivery_with_a_recorded_callback(scheduler)
    whole = rows_of_xlsx(scheduler.get("/api/v1/callbacks/export.xlsx", query_string={
        "from": "2026-01-01", "to": "2029-12-31"}).data)
    assert len(whole) - 4 == 6
    # when the list's filters are given, then only what they keep is in the file, in English on request
    done = rows_of_xlsx(scheduler.get("/api/v1/callbacks/export.xlsx", query_string={
        "from": "2026-01-01", "to": "2029-12-31", "status": "done", "language": "en"}).data)
    assert done[0][0] == "Callback records" and len(done) - 4 == 1
    trial = rows_of_xlsx(scheduler.get("/api/v1/callbacks/export.xlsx", query_string={
        "from": "2026-01-01", "to": "2029-12-31", "kind": "trial_run"}).data)
    assert [r[1] for r in trial[4:]] == ["2026-04-15"]
    # a bad filter names its field
    bad = scheduler.get("/api/v1/callbacks/export.xlsx", query_string={"from": "2026-13-01"})
    assert bad.status_code == 422 and "from" in str(bad.get_json()["errors"])
