"""RULES 1.1 ledger (顾客回访台帐): list, export with the ledger's columns, import all or nothing."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from services.scheduler.ledger_file import LEDGER_COLUMNS
from services.scheduler.service import SERVICE

HEADERS = ["发货单号", "顾客编号", "顾客名称", "顾客类别", "工程名称", "产品型号", "产品数量", "合同额", "发货时间",
           "送电时间", "质保期满", "回访记录编号", "顾客用电管理负责人", "负责人电话", "变电站联系人", "联系人电话"]

GOOD = [
    ["D-1", "C-1", "华东电力", "ordinary", "华东变电站", "KYN28-12", "4", "120000.00", "2026-01-31", "2026-03-15", "", "",
     "张工", "13812345678", "李工", "13987654321"],
    ["D-2", "C-2", "江南钢铁", "group", "二号线", "GCS", "2", "80000", "2026-02-02", "", "", "", "", "", "", ""],
]


def csv_file(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_file(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(scheduler, content: bytes, name: str, dry_run: bool = False):
    return scheduler.post("/api/v1/ledger/import", query_string={"dry_run": "1"} if dry_run else {},
                          data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def stored_deliveries(scheduler) -> int:
    Delivery = scheduler.model("Delivery")
    with SERVICE.connection():
        return Delivery.select().count()


def test_rule_1_1_ledger_import_dry_run_validates_and_stores_nothing(scheduler):
    response = upload(scheduler, csv_file(GOOD), "ledger.csv", dry_run=True)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"dry_run": True, "rows": 2, "created": 2, "updated": 0}
    assert stored_deliveries(scheduler) == 0 and scheduler.callbacks() == []


def test_rule_1_1_ledger_import_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(scheduler):
    bad = [GOOD[0], [*GOOD[1][:8], "2026/02/30", *GOOD[1][9:]], ["D-3", "C-3", "", "vip", *GOOD[1][4:6], "many",
                                                                 *GOOD[1][7:]]]
    response = upload(scheduler, xlsx_file(bad), "ledger.xlsx")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"rows.3.shipped_on", "rows.4.customer_name", "rows.4.quantity"}, errors
    assert stored_deliveries(scheduler) == 0 and scheduler.callbacks() == []


def test_rule_1_1_ledger_import_plans_the_callbacks(scheduler):
    response = upload(scheduler, xlsx_file(GOOD), "ledger.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2
    assert len(scheduler.callbacks(delivery_id="D-1")) == 6
    assert [c["kind"] for c in scheduler.callbacks(delivery_id="D-2")] == ["installation"]
    # the same file again: updated, no new callbacks
    assert upload(scheduler, csv_file(GOOD), "ledger.csv").get_json()["updated"] == 2
    assert len(scheduler.callbacks()) == 7


def test_rule_1_1_ledger_export_has_the_ledger_columns_with_record_numbers(scheduler):
    upload(scheduler, csv_file(GOOD), "ledger.csv")
    (installation,) = scheduler.callbacks(delivery_id="D-1", kind="installation")
    scheduler.post(f"/api/v1/callbacks/{installation['id']}/outcome", json={"reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})

    response = scheduler.get("/api/v1/ledger.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS == [zh for _, zh, _, _ in LEDGER_COLUMNS]
    first = dict(zip(rows[0], rows[1]))
    assert first["发货单号"] == "D-1" and first["送电时间"] == "2026-03-15" and first["质保期满"] == "2027-03-15"
    assert first["回访记录编号"] == "202611-0001" and first["合同额"] == "120000.00"

    workbook = load_workbook(io.BytesIO(scheduler.get("/api/v1/ledger.xlsx").data), read_only=True)
    xrows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(xrows[0]) == HEADERS and len(xrows) == 3

    listing = scheduler.get("/api/v1/ledger", role="advisor").get_json()
    assert listing[0]["phone"] == "138****5678" and len(listing[0]["callbacks"]) == 6
    assert listing[0]["record_nos"] == ["202611-0001"]


def test_rule_1_1_exported_ledger_imports_back_unchanged(scheduler):
    upload(scheduler, csv_file(GOOD), "ledger.csv")
    exported = scheduler.get("/api/v1/ledger.xlsx").data
    response = upload(scheduler, exported, "ledger.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["updated"] == 2 and len(scheduler.callbacks()) == 7


def test_policy_preview_plans_without_storing(scheduler):
    response = scheduler.get("/api/v1/policies/preview", query_string={
        "shipped_on": "2026-01-31", "commissioned_on": "2026-03-15", "contract_amount": "3000000"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [c["due_on"] for c in body["callbacks"]] == ["2026-02-09", "2026-04-15", "2026-09-15", "2027-03-15",
                                                        "2028-03-15", "2029-03-15"]
    assert {c["channel"] for c in body["callbacks"]} == {"onsite"}
    order = scheduler.get("/api/v1/policies/preview", query_string={
        "business_line": "vehicle", "kind": "maintenance", "completed_on": "2026-10-30"}).get_json()
    assert order["sample_rate"] == 0.3 and [c["due_on"] for c in order["callbacks"]] == ["2026-11-02", "2026-11-09"]
    assert scheduler.get("/api/v1/policies/preview").status_code == 422
    assert stored_deliveries(scheduler) == 0


def test_exported_ledger_never_turns_customer_text_into_a_formula(scheduler):
    evil = [["D-9", "C-9", '=HYPERLINK("http://evil.example","点击")', "ordinary", "+cmd|' /C calc'!A0", "KYN", "1",
             "1000", "2026-01-31", "", "", "", "@SUM(1)", "", "", ""]]
    assert upload(scheduler, csv_file(evil), "ledger.csv").status_code == 200
    rows = list(csv.reader(io.StringIO(scheduler.get("/api/v1/ledger.csv").data.decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1]))
    assert row["顾客名称"].startswith("'=") and row["工程名称"].startswith("'+")
    workbook = load_workbook(io.BytesIO(scheduler.get("/api/v1/ledger.xlsx").data))
    cells = [c for row in workbook.worksheets[0].iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
