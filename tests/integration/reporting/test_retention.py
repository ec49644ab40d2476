"""Retention settings with a prune job, and erasing one customer (PIPL),
the figures left intact."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from services.reporting.models import Callback, Customer, EventLog
from services.reporting.jobs import rebuild
from shared.mesh.retention import ERASED, erase_customer, prune

from testkit import worked_examples
from testkit.reporting import ORG


def _snapshot(reporting, month: str) -> dict:
    data = reporting.report(month).as_dict()
    data.pop("generated_at")
    return data


def test_old_inbox_ids_and_periodic_slots_are_pruned_and_old_event_logs_lose_personal_data(reporting):
    # given October's events handled on 2026-11-03 and a periodic slot claimed then
    worked_examples.october(reporting)
    service = reporting.service
    with service.connection():
        service.PeriodicRun.insert(job="reporting_schedule", slot=1, claimed_at=datetime(2026, 11, 3, tzinfo=timezone.utc)
                                   ).execute()
        logged, handled = EventLog.select().count(), service.Inbox.select().count()
    figures = reporting.figures("2026-10")
    # when the prune job runs 30 days later: nothing is old enough but the periodic slot (7 days)
    reporting.at(2026, 12, 3, 8, 0)
    assert service.run(prune) == {"inbox": 0, "periodic_run": 1, "rate_window": 0, "event_log": 0}
    # and 14 months later: the inbox ids (90 days) go, the event log keeps every event but no personal data
    reporting.at(2028, 1, 10, 8, 0)
    assert service.run(prune) == {"inbox": handled, "periodic_run": 0, "rate_window": 0, "event_log": logged}
    with service.connection():
        raw = "".join(e.envelope for e in EventLog.select())
        assert EventLog.select().count() == logged
    assert "王先生" not in raw and "13900001111" not in raw and "希望延长保修" not in raw
    assert service.run(prune)["event_log"] == 0  # stripped once
    # then a rebuild from the stripped log gives the same figures
    rebuild(service)
    assert reporting.figures("2026-10") == figures


def test_erasing_a_customer_blanks_their_personal_data_and_keeps_the_figures(reporting):
    worked_examples.october(reporting)
    service = reporting.service
    before = reporting.figures("2026-10")
    listing_before = _snapshot(reporting, "2026-10")
    # when customer K1 asks to be erased
    done = service.run(erase_customer, organization=ORG, customer_id="K1")
    assert done["customer"] == 1 and done["event_log"] > 0
    with service.connection():
        row = Customer.get(Customer.organization == ORG, Customer.customer_id == "K1")
        assert (row.name, row.phone) == (None, None)
        about_k1 = [json.loads(e.envelope) for e in EventLog.select() if '"K1"' in e.envelope]
        assert about_k1 and all(e.get("_personal_data") == "erased" for e in about_k1)
        assert all(c.suggestions in (None, ERASED) for c in Callback.select().where(Callback.customer_id == "K1"))
        others = Customer.get(Customer.organization == ORG, Customer.customer_id == "O2")
        assert others.phone == "13722223333"  # nobody else is touched
    raw = json.dumps(about_k1, ensure_ascii=False)
    assert "王先生" not in raw and "13900001111" not in raw
    # then every figure is as before, also after a rebuild from the log
    assert reporting.figures("2026-10") == before
    rebuild(service)
    assert reporting.figures("2026-10") == before
    assert _snapshot(reporting, "2026-10")["figures"] == listing_before["figures"]


def test_the_rate_count_is_one_upsert_on_either_database(reporting):
    import pytest

    from shared.web.auth import Principal
    from shared.core.errors import TooManyRequests
    from shared.mesh.ratelimit import check_rate

    who = Principal(login="m1", role="manager", organization=ORG)
    for _ in range(2):
        check_rate(reporting.service, what="report.send", who=who, organization=ORG, limit=2, per_seconds=3600)
    with pytest.raises(TooManyRequests):
        check_rate(reporting.service, what="report.send", who=who, organization=ORG, limit=2, per_seconds=3600)
    reporting.at(2026, 11, 5, 8, 0)  # two days later: a new window, and the old one pruned
    check_rate(reporting.service, what="report.send", who=who, organization=ORG, limit=2, per_seconds=3600)
    assert reporting.service.run(prune)["rate_window"] == 1
