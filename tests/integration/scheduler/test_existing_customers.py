"""RULES 1.4 through the real handler path: existing retail customers once a quarter, key customers monthly."""
from __future__ import annotations

from datetime import datetime, timezone

from services.scheduler import jobs
from services.scheduler.service import SERVICE


def purchase(order_id: str, customer: str, segment: str = "ordinary") -> dict:
    return {"order_id": order_id, "customer": {"id": customer, "name": f"客户{customer}", "segment": segment},
            "completed_at": "2026-11-02T11:00:00+08:00", "business_line": "retail", "kind": "purchase"}


def sweep(scheduler, now: datetime) -> dict:
    scheduler.now = now
    return SERVICE.run(jobs.plan_existing_customer_callbacks)


def periodic(scheduler) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for c in scheduler.callbacks(kind="periodic", limit=5000):
        found.setdefault(c["customer_id"], []).append(c["due_on"])
    return found


def test_rule_1_4_existing_customers_quarterly_key_customers_monthly(scheduler):
    scheduler.handle("service_order.completed", purchase("P-1", "C-ord"))
    scheduler.handle("service_order.completed", purchase("P-2", "C-vip", segment="vip"))
    # the new-customer callbacks: first within 3 working days, second 2 weeks later (2026-11-16)
    assert sweep(scheduler, datetime(2026, 11, 20, 2, tzinfo=timezone.utc)) == {}

    # a month after the last callback: the key customer only (Wednesday 2026-12-16)
    assert sweep(scheduler, datetime(2026, 12, 16, 2, tzinfo=timezone.utc)) == {"acme-electric": 1}
    assert periodic(scheduler) == {"C-vip": ["2026-12-16"]}
    # the same day again plans nothing more
    assert sweep(scheduler, datetime(2026, 12, 16, 8, tzinfo=timezone.utc)) == {}

    # a quarter after the last callback (Tuesday 2027-02-16): the ordinary customer; and the key
    # customer again, a month after their periodic callback
    assert sweep(scheduler, datetime(2027, 2, 16, 2, tzinfo=timezone.utc)) == {"acme-electric": 2}
    assert periodic(scheduler) == {"C-vip": ["2026-12-16", "2027-02-16"], "C-ord": ["2027-02-16"]}
    (task,) = scheduler.callbacks(customer_id="C-ord", kind="periodic")
    assert (task["business_line"], task["status"]) == ("retail", "open")


def test_rule_1_4_other_lines_have_no_periodic_callbacks(scheduler):
    scheduler.handle("service_order.completed", {**purchase("V-1", "C-car", segment="vip"),
                                                 "business_line": "vehicle", "kind": "maintenance"})
    assert sweep(scheduler, datetime(2027, 6, 1, 2, tzinfo=timezone.utc)) == {}


def test_one_organisations_bad_policy_file_does_not_stop_the_others(scheduler, caplog):
    import logging

    from shared.mesh.periodic import for_each_organization

    # given an organisation sorted first whose policy file cannot be read, and acme-electric's customers
    broken = "aaa-broken"
    scheduler.handle("service_order.completed", purchase("P-0", "C-x"), org=broken)
    scheduler.handle("service_order.completed", purchase("P-2", "C-vip", segment="vip"))
    policy = scheduler.settings.data_dir / broken / "scheduler" / "policies" / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("name: [not valid\n", encoding="utf-8")
    # when the periodic job runs a month later, one organisation at a time (as the worker's actor does)
    scheduler.now = datetime(2026, 12, 16, 2, tzinfo=timezone.utc)
    organizations = SERVICE.run(jobs.organizations)
    assert organizations == [broken, "acme-electric"] or organizations == sorted([broken, "acme-electric"])
    with caplog.at_level(logging.ERROR):
        done = for_each_organization(SERVICE, jobs.plan_existing_customer_callbacks, organizations)
    # then acme-electric's key customer is planned, and the broken one is logged by name
    assert done == {"acme-electric": {"acme-electric": 1}}
    assert periodic(scheduler) == {"C-vip": ["2026-12-16"]}
    assert any(f"of {broken} failed" in r.getMessage() for r in caplog.records)
