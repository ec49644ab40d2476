"""RULES 2: escalation chains as data, and who may act at which level."""
import pytest

from services.complaints.domain.chain import can_act, level_for_role, load_chain
from services.complaints.domain.data import packaged_chain, packaged_names
from services.complaints.errors import ComplaintsError, InvalidData


def test_rule_2_default_chain_is_agent_advisor_manager():
    chain = packaged_chain("default")
    assert [lv.role for lv in chain.levels] == ["agent", "advisor", "manager"]
    assert [lv.label for lv in chain.levels] == ["回访员", "服务顾问", "服务经理"]
    assert chain.top == 2


def test_rule_2_seed004_chain_has_four_levels():
    chain = packaged_chain("seed004")
    assert [lv.role for lv in chain.levels] == ["agent", "advisor", "supervisor", "manager"]
    assert chain.level(2).label == "接待主管"


def test_rule_2_seed000_chain_station_manager_approves_then_service_manager_handles():
    chain = packaged_chain("seed000")
    assert [lv.role for lv in chain.levels] == ["agent", "supervisor", "manager"]
    assert chain.level(1).label == "站长/总经理"
    assert chain.role_at(chain.top) == "manager"
    assert chain.verifier_role == "agent"  # back to the agent for the callback


def test_every_packaged_chain_loads():
    assert set(packaged_names("chains")) >= {"default", "seed000", "seed004"}
    for name in packaged_names("chains"):
        assert packaged_chain(name).levels


@pytest.mark.parametrize(
    "data, field",
    [
        ({"label": "x", "levels": [{"role": "agent", "label": "回访员"}]}, "name"),
        ({"name": "x", "label": "x", "levels": []}, "levels"),
        ({"name": "x", "label": "x", "levels": [{"role": "boss", "label": "老板"}]}, "levels.0.role"),
        ({"name": "x", "label": "x", "levels": [{"role": "agent"}]}, "levels.0.label"),
        ({"name": "x", "label": "x", "levels": [{"role": "agent", "label": "a"}, {"role": "agent", "label": "b"}]}, "levels.1.role"),
        ({"name": "x", "label": "x", "levels": [{"role": "admin", "label": "a"}]}, "levels.0.role"),
        ({"name": "x", "label": "x", "levels": [{"role": "agent", "label": "a"}], "straight_to_top_sources": ["fax"]},
         "straight_to_top_sources.0"),
    ],
)
def test_invalid_chain_names_the_bad_field(data, field):
    with pytest.raises(InvalidData) as err:
        load_chain(data)
    assert err.value.field == field
    assert field in str(err.value)
    assert isinstance(err.value, ComplaintsError)


def test_level_for_role():
    chain = packaged_chain("default")
    assert level_for_role(chain, "agent") == 0
    assert level_for_role(chain, "manager") == 2
    assert level_for_role(chain, "supervisor") is None


def test_rule_2_role_may_act_at_its_level_or_lower():
    chain = packaged_chain("seed004")
    assert can_act(chain, "supervisor", 2)[0]
    assert can_act(chain, "supervisor", 0)[0]
    allowed, reason = can_act(chain, "advisor", 2)
    assert not allowed
    assert "supervisor" in reason and "level 2" in reason


def test_rule_2_role_outside_the_chain_may_not_act():
    allowed, reason = can_act(packaged_chain("default"), "supervisor", 0)
    assert not allowed
    assert "holds no level" in reason


def test_admin_acts_at_any_level_integration_at_none():
    chain = packaged_chain("default")
    assert can_act(chain, "admin", chain.top)[0]
    allowed, reason = can_act(chain, "integration", 0)
    assert not allowed and "integration" in reason


def test_rule_2_the_sources_that_start_at_the_top_level_are_chain_data():
    # the packaged chains send the manufacturer's, the consumer association's and the media's complaints
    # to the top (seed 004); a chain without the key the manufacturer's
    assert all(packaged_chain(name).straight_to_top_sources == ("manufacturer", "consumer_association", "media")
               for name in packaged_names("chains"))
    minimal = {"name": "x", "label": "x", "levels": [{"role": "agent", "label": "a"}, {"role": "manager", "label": "b"}]}
    assert load_chain(minimal).straight_to_top_sources == ("manufacturer",)
    # an organisation may send its hotline tickets there instead
    assert load_chain({**minimal, "straight_to_top_sources": ["hotline"]}).straight_to_top_sources == ("hotline",)
