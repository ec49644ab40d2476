"""Opening and closing scripts, pure: with placeholders (seed 003 §六 回访话术规范), and the
equipment questionnaire of each stage (seed 000 part 5, 6.1.1.1-6.1.1.4) as data."""
from __future__ import annotations

import copy

import pytest

from services.scheduler.domain.questionnaire import QuestionnaireError, fill_script, load_questionnaire

from testkit.scheduler_domain import packaged, raw


def test_seed_003_s6_scripts_fill_their_placeholders():
    script = packaged("ordinary").opening_zh
    filled = fill_script(script, {"customer_name": "王先生", "company": "安达汽车", "agent": "李娜", "subject": "工单 O-1"})
    assert filled.startswith("您好，请问是王先生吗？我是安达汽车的客服李娜") and "{" not in filled
    assert fill_script("{agent}/{company}", {"agent": None}) == "/"


def test_seed_003_s6_a_script_naming_an_unknown_placeholder_is_refused():
    data = copy.deepcopy(raw("ordinary"))
    data["opening_zh"] = "您好，{customer_name}，我是{phone}"
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(data, source="ordinary.yaml")
    assert raised.value.field == "opening_zh" and "{phone}" in str(raised.value)


@pytest.mark.parametrize(("name", "asks"), [
    ("equipment_installation", {"documents_complete", "transport_damage"}),
    ("equipment_trial_run", {"unusual_noise_or_smell"}),
    ("equipment_warranty", {"unusual_noise_heat_discharge", "interlocks_reliable", "outage_maintenance_wanted"}),
    ("equipment_post_warranty", {"discharge_on_insulators", "interlocks_normal", "maintenance_or_retrofit_wanted",
                                 "purchase_wanted"}),
])
def test_seed_000_part_5_each_equipment_stage_asks_its_checks(name, asks):
    questionnaire = packaged(name)
    assert asks <= {q.id for q in questionnaire.questions}
    assert questionnaire.opening_zh and questionnaire.closing_zh and questionnaire.opening_en
