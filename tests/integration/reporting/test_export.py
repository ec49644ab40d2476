"""The seeds' tables as files, reporting: 维修用户回访记录统计表 (seed 004: 维修回访数据每周、每月进行统计分析),
the desk's statistics of a week or a month for the organisation, per branch, agent and advisor."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from testkit.tokens import bearer, user_token
from testkit.worked_examples import week_of_november


def test_seed_004_repair_callback_statistics_of_a_week_as_a_workbook(reporting):
    from services.reporting.app import create_app

    # given the callbacks of the first week of November
    week_of_november(reporting)
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings}).test_client()
    # when a manager downloads the week's statistics
    response = client.get("/api/v1/desk/figures.xlsx", query_string={"period": "2026-W45"},
                          headers=bearer(user_token("manager", "acme-electric")))
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    rows = [tuple(c.value for c in row) for row in load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows()]
    # then the table has the seed's title, the week's days, and the organisation's row first
    assert rows[0][0] == "维修用户回访记录统计表" and rows[1][0] == "期间：2026-11-02 至 2026-11-08"
    header = rows[3]
    assert header[:4] == ("统计范围", "名称", "回访", "接通数")
    first = dict(zip(header, rows[4]))
    assert (first["回访"], first["接通数"], first["回访完成率"]) == (4, 2, "50.0%")
    agents = {r[1]: dict(zip(header, r)) for r in rows[5:] if r[0] == "回访员"}
    assert set(agents) == {"li", "wang", "zhao"} and agents["li"]["回访"] == 2
    # and the CSV alike; an agent may not download everyone's figures; a bad period names its field
    csv_body = client.get("/api/v1/desk/figures.csv", query_string={"period": "2026-11", "language": "en"},
                          headers=bearer(user_token("manager", "acme-electric")))
    assert csv_body.status_code == 200 and csv_body.data.decode("utf-8-sig").startswith("Repair callback statistics")
    assert client.get("/api/v1/desk/figures.xlsx", query_string={"period": "2026-W45"},
                      headers=bearer(user_token("agent", "acme-electric", "li"))).status_code == 403
    bad = client.get("/api/v1/desk/figures.xlsx", query_string={"period": "nope"},
                     headers=bearer(user_token("manager", "acme-electric")))
    assert bad.status_code == 422 and "period" in str(bad.get_json())
