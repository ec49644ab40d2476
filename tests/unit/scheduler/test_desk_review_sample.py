"""The review of callback records, pure: the sample (seed 002 weekly review, monthly spot checks; RULES 1.5)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from services.scheduler.errors import PolicyError, SchedulerDomainError
from services.scheduler.domain.review import ReviewPolicy, ReviewerRule, pass_rate, period_days, review_sample

RULE = ReviewerRule(role="supervisor", period="week", share=0.2, min_per_agent=1)


@settings(max_examples=80, deadline=None)
@given(counts=st.dictionaries(st.sampled_from(["li", "wang", "sun", None]), st.integers(min_value=1, max_value=40),
                              min_size=1), share=st.floats(min_value=0.01, max_value=1.0))
def test_rules_1_5_review_sample_keeps_each_agents_share_and_is_the_same_every_time(counts, share):
    rule = ReviewerRule(role="manager", period="month", share=share, min_per_agent=1)
    records = [(f"{agent}-{i}", agent) for agent, n in counts.items() for i in range(n)]
    chosen = review_sample(records, rule, "2026-11")
    assert chosen == review_sample(list(reversed(records)), rule, "2026-11")
    for agent, n in counts.items():
        mine = [c for c in chosen if c.startswith(f"{agent}-")]
        assert len(mine) >= max(1, math.ceil(share * n - 1e-9)) or len(mine) == n
        assert len(mine) / n >= share - 1e-9


def test_seed_002_review_sample_differs_by_period_and_role():
    records = [(f"r{i}", "li") for i in range(50)]
    assert review_sample(records, RULE, "2026-W45") != review_sample(records, RULE, "2026-W46")


def test_seed_002_reviewers_are_data_checked_at_load():
    policy = ReviewPolicy.from_data({"reviewers": {"supervisor": {"period": "week", "share": 0.2}}})
    assert policy.rule_for("supervisor").min_per_agent == 1
    with pytest.raises(SchedulerDomainError):
        policy.rule_for("manager")
    for bad in ({"reviewers": {"supervisor": {"period": "day", "share": 0.2}}},
                {"reviewers": {"supervisor": {"period": "week", "share": 0}}}, {"reviewers": {}}):
        with pytest.raises(PolicyError):
            ReviewPolicy.from_data(bad)


def test_rules_1_4_pass_rate_counts_passes_among_verdicts_and_periods_have_their_days():
    assert pass_rate(["pass", "needs_improvement", "pass"]) == (2, 3)
    assert period_days("2026-W53") == period_days("2026-W53")
    assert str(period_days("2026-02")[1]) == "2026-02-28"
    with pytest.raises(SchedulerDomainError):
        period_days("2026-W99")
