"""Event handlers of the complaints service: effects, repeats, verification, idempotency."""
from __future__ import annotations

from services.complaints import models
from services.complaints.service import SERVICE
from testkit.complaints import ORG, handle, raised, resolved, verification
from testkit.events import envelope


def test_complaint_raised_creates_one_complaint_and_the_same_event_twice_has_one_effect(api):
    event = raised()
    assert handle(event) == "handled"
    assert handle(event) == "duplicate"
    # the same complaint in another envelope (another id) is still one complaint
    assert handle(raised()) == "handled"
    assert api.count() == 1 and len(api.history("K-1")) == 1
    body = api.get("K-1").get_json()
    assert body["source"] == "callback" and body["customer_class"] == "group"
    assert body["first_reply_due_at"] == "2026-11-23T09:30:00+08:00"


def test_complaint_raised_without_raised_at_uses_the_event_time(api):
    handle(raised(raised_at=None))
    assert api.get("K-1").get_json()["raised_at"] == "2026-01-31T10:00:00+08:00"


def test_rule_2_manufacturer_complaint_starts_at_the_top_level(api):
    handle(raised(source="manufacturer"))
    body = api.get("K-1").get_json()
    assert body["level"] == 2 and body["level_role"] == "manager"


def test_rule_1_3_same_order_within_30_days_is_a_repeat_complaint(api):
    handle(raised("K-1", order_id="SO-1", raised_at="2026-11-01T10:00:00+08:00"))
    handle(raised("K-2", order_id="SO-1", raised_at="2026-11-20T10:00:00+08:00"))
    handle(raised("K-3", order_id="SO-1", raised_at="2027-01-20T10:00:00+08:00"))
    handle(raised("K-4", order_id="SO-2", raised_at="2026-11-21T10:00:00+08:00"))
    assert [api.get(k).get_json()["repeat"] for k in ("K-1", "K-2", "K-3", "K-4")] == [False, True, False, False]


def test_rule_2_satisfied_verification_closes_and_is_idempotent(api, clock):
    resolved(api, clock)
    event = verification()
    assert handle(event) == "handled"
    assert handle(event) == "duplicate"
    assert handle(verification()) == "handled"  # a second verification event: nothing left to decide
    body = api.get("K-1").get_json()
    assert body["state"] == "closed" and body["closed_at"]
    assert len(api.history("K-1", "closed")) == 1
    (closed,) = api.events("complaint.closed")
    assert closed["data"]["complaint_id"] == "K-1"


def test_rule_2_dissatisfied_verification_reopens_at_the_level_that_resolved_it(api, clock):
    resolved(api, clock)
    event = verification(service="dissatisfied", dissatisfied_reason="问题未解决")
    assert handle(event) == "handled"
    assert handle(event) == "duplicate"
    body = api.get("K-1").get_json()
    assert body["state"] == "open" and body["level"] == 1 and body["level_role"] == "advisor"
    assert body["investigate_due_at"] is not None and body["verify_due_at"] is None
    (entry,) = api.history("K-1", "reopened")
    assert "问题未解决" in entry.reason and entry.to_level == 1
    (reopened,) = api.events("complaint.reopened")
    assert reopened["data"]["level"] == 1
    # a stray second verification of the reopened complaint changes nothing
    handle(verification())
    assert api.get("K-1").get_json()["state"] == "open"


def test_verification_not_reached_or_without_complaint_changes_nothing(api, clock):
    resolved(api, clock)
    handle(verification(reached=False, product_satisfaction=None, service_satisfaction=None))
    handle(verification(complaint_id=None))
    handle(verification(complaint_id="K-unknown"))
    assert api.get("K-1").get_json()["state"] == "resolved"
    assert api.events("complaint.closed") == [] and api.events("complaint.reopened") == []


def test_customer_updated_keeps_contact_data_and_is_idempotent(api):
    handle(raised())
    update = envelope("customer.updated", {"customer": {"id": "C-1", "name": "华东电力集团", "phone": "021-9999",
                                                        "contact_person": "周工"}})
    handle(update)
    handle(update)
    customer = api.get("K-1").get_json()["customer"]
    assert (customer["name"], customer["phone"], customer["contact_person"]) == ("华东电力集团", "021-9999", "周工")
    with SERVICE.connection():
        assert SERVICE.Inbox.select().where(SERVICE.Inbox.event_id == update["id"]).count() == 1
        assert models.Complaint.get().organization == ORG
