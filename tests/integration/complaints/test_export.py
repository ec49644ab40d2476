"""The seeds' tables as files, complaints: 客户投诉处理追踪表 (seed 004 "客户投诉受理"; RULES 2's complaint
record), the complaints raised in a period with their tracking fields, formula-safe, phones as the
role may see them (RULES 1.4)."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from testkit.tokens import bearer, user_token

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


def rows_of_xlsx(body: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_seed_004_complaint_tracking_record_lists_the_period_with_its_tracking_fields(api):
    # given a complaint raised on 2026-11-20 whose description starts like a formula
    assert api.raise_(description="=1+2 空调不制冷").status_code == 201
    # when the tracking record of November is downloaded
    response = api.client.get("/api/v1/complaints/export.xlsx", query_string=PERIOD, headers=api.headers("manager"))
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    rows = rows_of_xlsx(response.data)
    # then it is laid out as the seed's form: title, period, header, one row per complaint
    assert rows[0][0] == "客户投诉处理追踪表" and rows[1][0] == "期间：2026-11-01 至 2026-11-30"
    header = rows[3]
    assert header[:2] == ("投诉编号", "投诉时间") and {"投诉类别", "客户类别", "处理人", "接单时间", "原因分析", "流失原因"} <= set(header)
    (record,) = [dict(zip(header, row)) for row in rows[4:]]
    assert record["投诉编号"] == "K-1" and record["客户"] == "华东电力" and record["投诉类别"] == "产品质量"
    assert record["投诉详情"] == "'=1+2 空调不制冷"  # formula-safe
    assert record["来源"] and record["状态"]
    # and a month without complaints gives the header only
    empty = rows_of_xlsx(api.client.get("/api/v1/complaints/export.xlsx", query_string={
        "from": "2026-10-01", "to": "2026-10-31"}, headers=api.headers("manager")).data)
    assert len(empty) == 4


def test_seed_004_complaint_tracking_record_keeps_the_filters_and_masks_phones_for_advisors(api):
    # given a product-quality complaint and a service-quality one
    api.raise_()
    api.raise_(complaint_id="K-2", category="service_quality")
    # when an advisor downloads the service-quality ones as CSV
    response = api.client.get("/api/v1/complaints/export.csv", query_string={**PERIOD, "category": "service_quality"},
                              headers=api.headers("advisor"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    # then only K-2 is in it, its phone masked (RULES 1.4)
    assert [r[0] for r in rows[4:]] == ["K-2"]
    record = dict(zip(rows[3], rows[4]))
    assert record["联系电话"] == "****" or "*" in record["联系电话"]
    # and the manager sees the number
    manager = list(csv.reader(io.StringIO(api.client.get("/api/v1/complaints/export.csv", query_string=PERIOD,
                                                         headers=api.headers("manager")).data.decode("utf-8-sig"))))
    assert {dict(zip(manager[3], r))["联系电话"] for r in manager[4:]} == {"021-1234"}
    # an unknown category names its field
    bad = api.client.get("/api/v1/complaints/export.xlsx", query_string={"category": "x"},
                         headers=bearer(user_token("manager", "acme-electric")))
    assert bad.status_code == 422 and "category" in str(bad.get_json()["errors"])
