"""On PostgreSQL: two events about one row at once never lose an update.

SQLite takes its write lock at the start of every transaction (IMMEDIATE), so two handlers never
overlap there; on PostgreSQL they do, and each read-modify-write of a whole row would save what it
read over what the other wrote.
"""
from __future__ import annotations

import pytest

from services.reporting import handlers
from services.reporting.models import Complaint, Customer
from testkit.concurrency import run_overlapping
from testkit.databases import TEST_DB
from testkit.reporting import ORG, customer

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite serialises writers: nothing to race")


def overlapping(service, first: tuple[str, dict], second: tuple[str, dict]) -> None:
    """testkit.concurrency.run_overlapping with reporting's handlers."""
    run_overlapping(service, handlers.APPLY, first, second, org=ORG)


def test_a_resolution_and_an_escalation_at_once_keep_both(reporting):
    # given an open complaint at level 0
    reporting.feed("complaint.raised", {"complaint_id": "P-6", "customer": customer("K6"), "description": "漏水",
                                        "raised_at": "2026-11-02T09:00:00+08:00"})
    # when it is resolved, and while that transaction is open an escalation arrives
    overlapping(reporting.service,
                ("complaint.resolved", {"complaint_id": "P-6", "customer_id": "K6", "level": 1,
                                        "level_role": "advisor", "resolved_at": "2026-11-02T15:00:00+08:00"}),
                ("complaint.escalated", {"complaint_id": "P-6", "customer_id": "K6", "from_level": 0,
                                         "to_level": 1}))
    # then the complaint is resolved (the escalation did not put it back to open) and at level 1
    with reporting.service.connection():
        row = Complaint.get(Complaint.organization == ORG, Complaint.complaint_id == "P-6")
    assert (row.state, row.level, row.resolved_level) == ("resolved", 1, 1)
    assert row.resolved_at is not None


def test_a_flag_and_a_customer_update_at_once_keep_both(reporting):
    reporting.feed("customer.updated", {"customer": customer("K7", name="旧名")})
    overlapping(reporting.service,
                ("customer.updated", {"customer": customer("K7", name="新名", segment="vip")}),
                ("customer.flagged", {"customer_id": "K7", "complaint_id": "P-7"}))
    with reporting.service.connection():
        row = Customer.get(Customer.organization == ORG, Customer.customer_id == "K7")
    assert (row.name, row.segment, row.flagged) == ("新名", "vip", True)


def test_two_first_events_of_one_callback_at_once_make_one_row(reporting):
    scheduled = {"callback_id": "CB-6", "kind": "first", "due_on": "2026-11-05", "customer_id": "K8",
                 "key_customer": False}
    completed = {"callback_id": "CB-6", "kind": "first", "due_on": "2026-11-05", "customer": customer("K8"),
                 "key_customer": False, "reached": True, "product_satisfaction": "satisfied",
                 "service_satisfaction": "satisfied"}
    overlapping(reporting.service, ("callback.completed", completed), ("callback.scheduled", scheduled))
    from services.reporting.models import Callback

    with reporting.service.connection():
        rows = list(Callback.select().where(Callback.organization == ORG, Callback.callback_id == "CB-6"))
    assert [(r.status, r.reached) for r in rows] == [("done", True)]
