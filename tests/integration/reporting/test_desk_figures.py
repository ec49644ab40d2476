"""Issue 17 in the report: a declined callback (谢绝回访) counts apart from the completion rate."""
from __future__ import annotations

from .conftest import completed, customer, scheduled


def test_seed_002_declined_callback_counts_apart_from_the_completion_rate(reporting):
    # given three callbacks due in November: one reached, one open, one the customer declined
    a, b, c = customer("A"), customer("B"), customer("C")
    for callback_id, cust in (("K-1", a), ("K-2", b), ("K-3", c)):
        reporting.feed("callback.scheduled", scheduled(callback_id, cust["id"], "2026-11-02"))
    reporting.feed("callback.completed", completed("K-1", a, "2026-11-02", product="satisfied", service="satisfied"))
    # when the third customer declines callbacks
    reporting.feed("callback.declined", {"callback_id": "K-3", "customer_id": "C", "kind": "first",
                                         "due_on": "2026-11-02"})
    # then the completion rate is 1/2 (the declined one is out of it), and it is counted apart
    assert reporting.figures("2026-11")["callback_completion_rate"] == (1, 2)
    from services.reporting.desk import desk_figures
    with reporting.service.connection():
        assert desk_figures("acme-electric", "2026-11") == {"declined_callbacks": 1}
    # and a cancellation announced later (the scheduler cancels nothing declined) leaves it declined
    reporting.feed("callback.scheduled", scheduled("K-3", "C", "2026-11-02", status="cancelled"))
    with reporting.service.connection():
        assert desk_figures("acme-electric", "2026-11") == {"declined_callbacks": 1}
