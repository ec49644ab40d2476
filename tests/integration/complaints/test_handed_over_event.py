"""Seed 001 (信息协调员15分钟内转交热线工程师): the hand-over of a hotline ticket and its deadline reach the
monthly report, which counts the complaints by source with the share handed over on time."""
from __future__ import annotations

import shutil

import pytest

from services.complaints.domain.data import DATA_DIR
from shared.core.event_types import REGISTRY
from testkit.complaints import ORG, at


@pytest.fixture
def seed001(settings):
    """The organisation handles complaints by the seed 001 policy (its own default)."""
    target = settings.data_dir / ORG / "complaints" / "policies" / "default.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA_DIR / "policies" / "seed001.yaml", target)


def test_seed_001_the_hand_over_and_its_deadline_are_told_to_the_report(api, clock, seed001):
    # given a hotline complaint raised at 17:00, its hand-over due at 17:15
    api.raise_()
    (raised,) = api.events("complaint.raised")
    assert raised["data"]["handover_due_at"] == "2026-11-20T17:15:00+08:00"
    # when its ticket goes to an engineer at 17:10
    clock.set(at(2026, 11, 20, 17, 10))
    assert api.post("K-1", "handover", {"engineer": "陈工"}, role="agent").status_code == 200
    # then complaint.handed_over says when, against the deadline, as its schema takes it
    (handed,) = api.events("complaint.handed_over")
    assert handed["data"]["complaint_id"] == "K-1"
    assert handed["data"]["handed_over_at"] == "2026-11-20T17:10:00+08:00"
    assert handed["data"]["handover_due_at"] == "2026-11-20T17:15:00+08:00"
    assert REGISTRY["complaint.handed_over"]().validate(handed["data"]) == {}
