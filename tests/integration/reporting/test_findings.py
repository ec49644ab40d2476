"""Seed 000 6.2.5 and 6.3.1 (the dissatisfied customers and their reasons, the callback records'
answers counted by kind), seed 001 (complaints by where they came from, the hotline ticket handed to
an engineer in time: 信息协调员15分钟内转交) and seed 003 三(一)1 (年度、季度和月度: the same figures for a
quarter and a year): the month's JSON, a quarter's and a year's."""
from __future__ import annotations

import re

from testkit.reporting import ORG, completed, customer, pdf_text
from testkit.tokens import bearer, user_token

TRANSPORT = {"id": "transport_damage", "label_zh": "产品外包装和运输过程是否损伤",
             "label_en": "Was the packing or the product damaged in transport"}
OZONE = {"id": "unusual_noise_or_smell", "label_zh": "电力设备是否存在异常情况，如声音、气味等，尤其是臭氧味",
         "label_en": "Is there anything unusual, such as noise or smell, above all an ozone smell"}


def _callback(reporting, callback_id: str, due_on: str, *, product="satisfied", reason=None, **answers) -> None:
    reporting.feed("callback.completed", completed(
        callback_id, customer(f"C-{callback_id}", phone="13812345678"), due_on, product=product, service="satisfied",
        dissatisfied_reason=reason, questionnaire="equipment_installation", answers=answers,
        yes_no_questions=[TRANSPORT, OZONE]))


def _complaint(reporting, complaint_id: str, raised_at: str, source: str, *, due=None, handed=None) -> None:
    reporting.feed("complaint.raised", {"complaint_id": complaint_id, "customer": customer("C-9"), "description": "d",
                                        "source": source, "raised_at": raised_at, "handover_due_at": due})
    if handed:
        reporting.feed("complaint.handed_over", {"complaint_id": complaint_id, "handed_over_at": handed,
                                                 "handover_due_at": due})


def _autumn(reporting) -> None:
    """November 2026: three callbacks (one dissatisfied, two reported transport damage, one an ozone
    smell), three complaints (two by hotline: one handed over in time, one late; one from a callback);
    October: one more dissatisfied callback and one hotline complaint handed over in time."""
    reporting.at(2026, 11, 20, 10, 0)
    _callback(reporting, "K-1", "2026-11-02", product="dissatisfied", reason="柜门变形，运输中磕碰",
              transport_damage=True, unusual_noise_or_smell=False)
    _callback(reporting, "K-2", "2026-11-05", transport_damage=True, unusual_noise_or_smell=True)
    _callback(reporting, "K-3", "2026-11-06", transport_damage=False)
    _callback(reporting, "K-0", "2026-10-20", product="very_dissatisfied", reason="安装延误", transport_damage=False)
    _complaint(reporting, "Q-1", "2026-11-02T09:00:00+08:00", "hotline", due="2026-11-02T09:15:00+08:00",
               handed="2026-11-02T09:10:00+08:00")
    _complaint(reporting, "Q-2", "2026-11-03T09:00:00+08:00", "hotline", due="2026-11-03T09:15:00+08:00",
               handed="2026-11-03T09:40:00+08:00")
    _complaint(reporting, "Q-3", "2026-11-04T09:00:00+08:00", "callback")
    _complaint(reporting, "Q-0", "2026-10-04T09:00:00+08:00", "hotline", due="2026-10-04T09:15:00+08:00",
               handed="2026-10-04T09:05:00+08:00")


def _client(reporting):
    from services.reporting.app import create_app

    return create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings,
                       "REPORTING_GENERATE_INLINE": True}).test_client()


def _flat(text: str) -> str:
    """Gives the text with its layout's spaces and line breaks removed (a wrapped cell reads on)."""
    return re.sub(r"\s+", "", text)


def _yes_no(findings: dict) -> dict:
    return {row["question_id"]: (row["yes"], row["no"]) for row in findings["yes_no"]}


def _sources(findings: dict) -> dict:
    return {row["source"]: (row["complaints"], row["handover"]["numerator"], row["handover"]["denominator"])
            for row in findings["complaint_sources"]}


def test_seed_000_6_3_1_the_months_json_lists_the_dissatisfied_and_counts_the_yes_no_answers(reporting):
    # given November's callbacks and complaints
    _autumn(reporting)
    # when a manager reads November's figures
    response = _client(reporting).get("/api/v1/reports/2026-11", headers=bearer(user_token("manager", org=ORG)))
    # then the dissatisfied customer is listed with the reason, the phone masked like the other lists
    assert response.status_code == 200, response.json
    findings = response.json["findings"]
    assert findings["dissatisfied_total"] == 1
    [row] = findings["dissatisfied"]
    assert (row["customer_name"], row["reason"], row["product_satisfaction"]) == ("客户C-K-1", "柜门变形，运输中磕碰",
                                                                                 "dissatisfied")
    assert row["phone"] == "138****5678"
    # and each yes/no question is counted with its labels: two reported transport damage, one an ozone smell
    assert _yes_no(findings) == {"transport_damage": (2, 1), "unusual_noise_or_smell": (1, 1)}
    assert findings["yes_no"][0]["label_zh"] == TRANSPORT["label_zh"]


def test_seed_001_the_months_complaints_by_source_with_the_hand_over_on_time_share(reporting):
    # given November's complaints: two by hotline (one handed over in time, one late), one from a callback
    _autumn(reporting)
    # when the month's figures are read
    findings = reporting.report("2026-11").findings
    # then they are split by source, the hotline's hand-overs 1 of 2 on time
    assert _sources(findings) == {"hotline": (2, 1, 2), "callback": (1, 0, 0)}
    assert findings["complaint_sources"][0]["handover"]["value"] == 0.5


def test_seed_003_a_quarter_and_a_year_sum_the_same_figures(reporting):
    # given October's and November's callbacks and complaints
    _autumn(reporting)
    client, headers = _client(reporting), bearer(user_token("manager", org=ORG))
    # when the fourth quarter's and the year's findings are read
    quarter = client.get("/api/v1/reports/2026-Q4", headers=headers)
    year = client.get("/api/v1/reports/2026", headers=headers)
    # then both sum October and November: two dissatisfied, hotline hand-overs 2 of 3 on time
    assert quarter.status_code == 200, quarter.json
    assert (quarter.json["kind"], quarter.json["first"], quarter.json["last"]) == ("quarter", "2026-10-01",
                                                                                 "2026-12-31")
    assert quarter.json["months"] == ["2026-10", "2026-11", "2026-12"]
    for body in (quarter.json, year.json):
        assert body["findings"]["dissatisfied_total"] == 2
        assert {r["reason"] for r in body["findings"]["dissatisfied"]} == {"柜门变形，运输中磕碰", "安装延误"}
        assert all(r["phone"] == "138****5678" for r in body["findings"]["dissatisfied"])
        assert _yes_no(body["findings"])["transport_damage"] == (2, 2)
        assert _sources(body["findings"])["hotline"] == (3, 2, 3)
    assert year.json["kind"] == "year" and len(year.json["months"]) == 12
    # and the third quarter has none of them; a month still answers as a month
    q3 = client.get("/api/v1/reports/2026-Q3", headers=headers).json["findings"]
    assert (q3["dissatisfied_total"], q3["yes_no"], q3["complaint_sources"]) == (0, [], [])
    assert client.get("/api/v1/reports/2026-11", headers=headers).json["month"] == "2026-11"


def test_seed_003_a_quarter_is_the_organisations_an_agent_may_not_read_it(reporting):
    # given a quarter's findings
    _autumn(reporting)
    # when an agent asks for them, then 403
    response = _client(reporting).get("/api/v1/reports/2026-Q4", headers=bearer(user_token("agent", org=ORG)))
    assert response.status_code == 403


def test_seed_000_6_3_1_the_pdf_shows_the_findings_in_both_editions(reporting):
    # given November's callbacks and complaints
    _autumn(reporting)
    client, headers = _client(reporting), bearer(user_token("manager", org=ORG))
    # when the month's PDF is read in Chinese and in English
    chinese = _flat(pdf_text(client.get("/api/v1/reports/2026-11.pdf", headers=headers).data))
    english = _flat(pdf_text(client.get("/api/v1/reports/2026-11.pdf?language=en", headers=headers).data))
    # then both list the dissatisfied customer with the reason and masked phone, count the questions
    # and split the complaints by source with the hand-over share
    assert "不满意顾客及原因" in chinese and "柜门变形，运输中磕碰" in chinese and "138****5678" in chinese
    assert "13812345678" not in chinese and "13812345678" not in english
    assert "回访问题统计" in chinese and "产品外包装和运输过程是否损伤" in chinese
    assert "投诉来源" in chinese and "50%1/2" in chinese
    assert "Dissatisfiedcustomersandtheirreasons" in english and "Complaintsbysource" in english
    assert "Wasthepackingortheproductdamagedintransport" in english
