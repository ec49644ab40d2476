"""RULES 1.4: customer phone numbers are shown only to the roles that need them (shared.core.privacy)."""
from __future__ import annotations

from testkit.tokens import API_TOKEN, bearer

CUSTOMER = {"id": "C-1", "name": "华东电力", "phone": "13812345678", "site_contact": "周工",
            "site_phone": "13987654321"}


def test_rule_1_4_advisor_sees_masked_phones_in_every_complaint_view(api):
    # given a complaint raised by an advisor: even the answer to the raise is masked
    created = api.raise_(role="advisor", customer=CUSTOMER)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["customer"]["phone"] == "138****5678"
    complaint_id = created.get_json()["id"]
    # then one complaint, the list and an action's answer all show masked numbers
    one = api.get(complaint_id, role="advisor").get_json()["customer"]
    assert (one["phone"], one["site_phone"]) == ("138****5678", "139****4321")
    listed = api.client.get("/api/v1/complaints", headers=api.headers("advisor")).get_json()
    assert [c["customer"]["phone"] for c in listed] == ["138****5678"]
    assert listed[0]["customer"]["site_phone"] == "139****4321"
    acted = api.post(complaint_id, "churn", {"reason": "转投竞品"}, role="advisor").get_json()
    assert acted["customer"]["phone"] == "138****5678"
    # the rest of the customer is shown as it is
    assert (one["name"], one["site_contact"]) == ("华东电力", "周工")


def test_rule_1_4_agents_managers_and_integration_see_whole_phones(api):
    api.raise_(customer=CUSTOMER)
    for role in ("agent", "supervisor", "manager", "admin"):
        customer = api.get("K-1", role=role).get_json()["customer"]
        assert (customer["phone"], customer["site_phone"]) == ("13812345678", "13987654321"), role
    response = api.client.get("/api/v1/complaints/K-1?organization=acme-electric", headers=bearer(API_TOKEN))
    assert response.get_json()["customer"]["phone"] == "13812345678"


def test_rule_1_4_events_between_services_carry_the_whole_phone(api):
    # the services that call customers need the number: masking is for people, not the contract
    api.raise_(role="advisor", customer=CUSTOMER)
    (raised,) = api.events("complaint.raised")
    assert raised["data"]["customer"]["phone"] == "13812345678"
