"""The complaints pages' own pieces: a deadline's countdown in service time (amber in the last
service hour, red once breached, paused outside service hours) and a history step's reason
shown in the page's language with what people typed kept apart (and escaped)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.complaints.pages.common import countdown, service_clock
from services.complaints.pages.history import describe
from services.complaints.rules import rules_for
from shared.core.settings import load_settings

CST = timezone(timedelta(hours=8))
ORG = "acme-electric"


@pytest.fixture
def app(tmp_path):
    from services.complaints.app import create_app
    from services.complaints.service import SERVICE

    settings = load_settings({"HUIFANG_SECRET_KEY": "s" * 32, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_COMPLAINTS_DATABASE_URL": f"sqlite:///{tmp_path / 'complaints.db'}"})
    SERVICE.bind(settings)
    app = create_app({"HUIFANG_SETTINGS": settings})
    with app.test_request_context("/?lang=en"):
        yield app


def _countdown(app, moment, due):
    rules = rules_for(app.config["HUIFANG_SETTINGS"], organization=ORG)
    return countdown("first_reply", due, service_clock(moment, rules), rules)


def test_rule_2_a_countdown_counts_service_time_amber_in_the_last_hour_red_when_breached(app):
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    ok = _countdown(app, monday_10, monday_10 + timedelta(hours=2))
    assert (ok.remaining_s, ok.state, ok.clock) == (7200, "ok", "2:00:00")
    assert ok.running_s == 8 * 3600 and ok.resumes_at is None  # runs until 18:00
    last_hour = _countdown(app, monday_10, monday_10 + timedelta(minutes=45))
    assert last_hour.state == "warning"
    breached = _countdown(app, monday_10, monday_10 - timedelta(hours=1, minutes=30))
    assert (breached.state, breached.clock) == ("breached", "−1:30:00")


def test_rule_2_outside_service_hours_the_countdown_is_paused_until_service_resumes(app):
    friday_17 = datetime(2026, 11, 20, 17, 0, tzinfo=CST)
    # RULES 2 worked example: raised Friday 17:00, first reply due Monday 09:30
    due = datetime(2026, 11, 23, 9, 30, tzinfo=CST)
    at_friday = _countdown(app, friday_17, due)
    assert at_friday.remaining_s == 7200 and at_friday.running_s == 3600  # one hour left on Friday
    saturday = _countdown(app, datetime(2026, 11, 21, 11, 0, tzinfo=CST), due)
    assert (saturday.remaining_s, saturday.running_s) == (3600, 0)
    assert saturday.resumes_at == datetime(2026, 11, 23, 8, 30, tzinfo=CST)
    assert saturday.state == "warning"


def test_a_history_reason_of_the_domain_is_shown_in_the_pages_words_and_typed_text_is_kept_apart(app):
    resolved = describe("resolved", 'root cause: <img src=x onerror=alert(1)>; corrective action: 更换接头')
    assert resolved.startswith("Root cause: ") and "<img" not in resolved and "&lt;img" in resolved
    assert resolved.count('translate="no"') == 2
    raised = describe("raised", "raised via hotline; repeat complaint about order SO-1")
    assert str(raised).startswith("Raised via Hotline; repeat complaint about order")
    missed = describe("escalated", "deadline missed: first reply (首次回复) was due 2026-11-23T09:30:00+08:00")
    assert "Deadline missed: First reply was due" in missed and "首次回复" not in missed
    typed = describe("escalated", "客户要求赔偿")
    assert typed == '<span translate="no">客户要求赔偿</span>'
    closed = describe("closed", "verification callback CB-1: satisfied, very_satisfied")
    assert closed == "Verification callback CB-1: Satisfied, Very satisfied"


def test_review_every_history_step_the_domain_writes_has_a_name_on_the_page():
    """Review: a promise made, kept or broken showed its code (promise_made ...) in the history."""
    import importlib
    import re
    from pathlib import Path

    from services.complaints.pages import labels

    folder = Path(__file__).resolve().parents[2] / "services" / "complaints" / "domain"
    codes = set()
    for path in folder.glob("*.py"):
        module = importlib.import_module(f"services.complaints.domain.{path.stem}")
        for name in re.findall(r"\baction=([A-Z_]+)\b", path.read_text(encoding="utf-8")):
            codes.add(getattr(module, name))
    assert {"promise_made", "accepted", "raised"} <= codes
    assert sorted(codes - set(labels.ACTIONS)) == []


def test_promise_steps_show_what_to_whom_and_by_when_in_local_time_and_overdue_in_words(app):
    """Review: a promise's history step showed `what | whom | ISO` and an English
    "(late)" (seed 004 「在对客户承诺的时间内」: the page says by when, in the organisation's time)."""
    made = describe("promise_made", "周三前上门复查 | 王先生 | 2026-11-25T09:00:00+00:00")
    assert " | " not in made and "T09:00" not in made and "+00:00" not in made
    assert made.startswith("Promised ") and "王先生" in made and "5:00" in made  # 17:00 in Shanghai
    assert made.count('translate="no"') == 2
    broken = describe("promise_broken", "<b>上门</b> | 2026-11-25T17:00:00+08:00")
    assert broken.startswith("Not kept by ") and "&lt;b&gt;" in broken and "<b>" not in broken
    kept = describe("promise_kept", "周三前上门复查 (late): 已上门")
    assert "(late)" not in kept and kept.startswith("Kept overdue: ") and "已上门" in kept
    assert describe("promise_kept", "周三前上门复查").startswith("Kept: ")
    from flask_babel import force_locale

    with force_locale("zh_Hans_CN"):
        made = describe("promise_made", "周三前上门复查 | 王先生 | 2026-11-25T09:00:00+00:00")
        kept = describe("promise_kept", "周三前上门复查 (late): 已上门")
        assert "Promised" not in made and "17:00" in made
        assert kept.startswith("逾期兑现") and "(late)" not in kept and "overdue" not in kept
