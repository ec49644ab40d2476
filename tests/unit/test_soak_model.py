"""The soak's own model of the end state (bench/soak.py), read from the policy file as
data: which callbacks must exist, the sampling floors, the outcomes' complaints and reporting's rows."""
from __future__ import annotations

from bench.soak import INSTALLATION, PolicyModel, Target, expected_state, outcome_targets, the_mix

POLICY = PolicyModel()
BASE = {"specversion": "1.0", "source": "erp://soak", "organization": "acme-electric",
        "time": "2026-10-12T10:00:00+08:00"}


def order(n: int, line: str, kind: str, segment: str = "ordinary", completed: str = "2026-10-12") -> dict:
    return {**BASE, "id": f"o-{n}", "type": "service_order.completed",
            "data": {"order_id": f"SO-{n}", "customer": {"id": f"C-{n}", "name": "客户", "segment": segment},
                     "completed_at": f"{completed}T15:00:00+08:00", "business_line": line, "kind": kind}}


def callbacks(want: dict) -> set:
    return set(want.get(("scheduler", "callback"), ()))


def test_the_policy_file_is_read_as_data():
    assert POLICY.milestones == ["trial_run", "warranty_6m", "warranty_end", "post_warranty_24m", "post_warranty_36m"]
    assert POLICY.is_key("vip", "maintenance") and POLICY.is_key("ordinary", "accident")
    assert not POLICY.is_key("ordinary", "repair")
    assert POLICY.order_plan("vehicle", "repair") == (["first", "second"], False, 0.3, False)
    assert POLICY.order_plan("property", "repair") == (["repair"], True, None, False)
    assert POLICY.order_plan("property", "accident")[0] == []  # no rule: no callback, no sampling decision
    assert [POLICY.batch_target(n) for n in (5, 100, 101, 301)] == [5, 100, 31, 31]
    assert POLICY.batch_period("2026-10-26") == "2026-10" and POLICY.batch_period("2026-12-27") == "2027-01"
    assert POLICY.clock_kinds == {"periodic"}


def test_a_delivery_gets_its_installation_then_its_milestones_once_commissioned():
    shipped = {**BASE, "id": "d", "type": "delivery.shipped",
               "data": {"delivery_id": "SD-1", "customer": {"id": "C-1", "name": "甲"}, "shipped_on": "2026-10-01"}}
    commissioned = {**BASE, "id": "c", "type": "equipment.commissioned",
                    "data": {"delivery_id": "SD-1", "commissioned_on": "2026-10-08"}}
    assert callbacks(expected_state([shipped])[0]) == {f"SD-1:{INSTALLATION}"}
    assert callbacks(expected_state([shipped, commissioned])[0]) == {
        f"SD-1:{kind}" for kind in [INSTALLATION, *POLICY.milestones]}


def test_key_customers_are_called_always_ordinary_ones_by_the_recorded_decision_above_the_floor():
    events = [order(0, "vehicle", "maintenance", "vip"), order(1, "property", "accident")]
    events += [order(n, "vehicle", "repair") for n in range(2, 12)]  # 10 ordinary: at least 3 called
    picked = {f"SO-{n}": (n < 5, 0.9) for n in range(2, 12)}  # 3 picked by the floor
    want, short = expected_state(events, decisions=picked)
    assert short == 0
    assert callbacks(want) == {"SO-0:first", "SO-0:second"} | {f"SO-{n}:{k}" for n in (2, 3, 4)
                                                              for k in ("first", "second")}
    assert set(want[("scheduler", "decision")]) == {f"SO-{n}" for n in [0, *range(2, 12)]}  # none for the accident
    assert expected_state(events, decisions={**picked, "SO-4": (False, 0.9)})[1] == 1  # below the floor
    assert expected_state(events, decisions={**picked, "SO-9": (False, 0.1)})[1] == 1  # its score is under 30%


def test_a_batch_is_topped_up_to_its_tier():
    events = [order(n, "property", "repair") for n in range(5)] + [order(5, "property", "maintenance", "vip")]
    all_picked = {f"SO-{n}": (True, 0.5) for n in range(6)}
    want, short = expected_state(events, decisions=all_picked)
    assert short == 0 and len(callbacks(want)) == 6
    assert expected_state(events, decisions={**all_picked, "SO-1": (False, 0.5)})[1] == 1


def test_the_outcomes_are_the_same_every_run_and_a_dissatisfied_one_raises_one_complaint():
    events = [e for e, _ in the_mix(2000)]
    targets = outcome_targets(events, POLICY)
    assert targets == outcome_targets(events, POLICY)
    assert 0 < sum(t.dissatisfied for t in targets) < len(targets)
    unhappy = [t.ref for t in outcome_targets([e for e, _ in the_mix(10_000)], POLICY)
               if t.dissatisfied and t.field == "order_id"]
    assert len(unhappy) == len(set(unhappy))  # never two complaints about one order (a repeat: RULES 1.3)
    want, _ = expected_state(events)
    assert {t.key for t in targets} <= callbacks(want)  # only callbacks that exist whatever the sampling
    sad = Target("delivery_id", "SD-1", "trial_run", 5, True)
    want, _ = expected_state(events, outcomes=[sad])
    assert want[("complaints", "Complaint")]["callback:SD-1:trial_run"] == 1
    assert want[("reporting", "Callback dissatisfied")] == {"SD-1:trial_run": 1}
    assert want[("scheduler", "callback done")] == {"SD-1:trial_run": 1}
