"""A branch manager (a manager or supervisor with a branch in the user directory) sees their
branch only, in every list, export and read of the scheduler, API and pages alike
(shared/web/branches.py); a manager without a branch sees the whole organisation."""
from __future__ import annotations

import re

from services.scheduler.service import SERVICE
from shared.users.store import save_person
from testkit.scheduler import ORG, order

NORTH_PHONE, SOUTH_PHONE = "13811110001", "13922220002"


def _two_branches(scheduler) -> tuple[dict, dict]:
    """Given an order of the north branch and one of the south, each with its customer's phone, and
    zhou managing north (the directory), chen managing the whole organisation: gives their first callbacks."""
    for order_id, customer, branch, phone in (("O-N", "C-N", "north", NORTH_PHONE), ("O-S", "C-S", "south", SOUTH_PHONE)):
        data = order(order_id, customer=customer, completed_at="2026-10-26T15:00:00+08:00")
        data["customer"]["phone"] = phone
        scheduler.handle("service_order.completed", {**data, "branch": branch})
    SERVICE.run(save_person, organization=ORG, login="zhou", role="manager", branch="north", password="pw-zhou")
    SERVICE.run(save_person, organization=ORG, login="chen", role="manager", password="pw-chen")
    return (scheduler.callbacks(order_id="O-N", kind="first")[0], scheduler.callbacks(order_id="O-S", kind="first")[0])


def _signed_in(scheduler, login: str):
    client = scheduler.client
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": login, "password": f"pw-{login}", "csrf_token": token})
    return client


def test_rule_branch_manager_callbacks_api_lists_and_reads_only_their_branch(scheduler):
    north, south = _two_branches(scheduler)
    # when the north branch's manager lists the callbacks
    listed = scheduler.get("/api/v1/callbacks", role="manager", login="zhou")
    # then only north's are there, and south's is not found, read or acted upon
    assert listed.status_code == 200 and {c["order_id"] for c in listed.get_json()} == {"O-N"}
    assert listed.headers["X-Total-Count"] == str(len(listed.get_json()))
    assert scheduler.get(f"/api/v1/callbacks/{north['id']}", role="manager", login="zhou").status_code == 200
    assert scheduler.get(f"/api/v1/callbacks/{south['id']}", role="manager", login="zhou").status_code == 404
    assert scheduler.get(f"/api/v1/callbacks/{south['id']}/questionnaire", role="manager",
                         login="zhou").status_code == 404
    refused = scheduler.post(f"/api/v1/callbacks/{south['id']}/outcome", role="manager", login="zhou",
                             json={"reached": False})
    assert refused.status_code == 404
    # an agent's list read by the branch manager holds their branch's tasks only
    agent = north["assigned_to"] or south["assigned_to"]
    if agent:
        mine = scheduler.get(f"/api/v1/agents/{agent}/callbacks", role="manager", login="zhou").get_json()
        assert south["id"] not in {c["id"] for c in mine}
    # and a manager without a branch sees both
    everyone = scheduler.get("/api/v1/callbacks", role="manager", login="chen").get_json()
    assert {c["id"] for c in everyone} >= {north["id"], south["id"]}


def test_rule_1_1_branch_manager_ledger_and_its_export_hold_only_their_branch(scheduler):
    # given deliveries of the north and the south branch
    for delivery_id, branch, phone in (("D-N", "north", NORTH_PHONE), ("D-S", "south", SOUTH_PHONE)):
        scheduler.handle("delivery.shipped", {"delivery_id": delivery_id, "shipped_on": "2026-10-20", "branch": branch,
                                              "customer": {"id": f"C-{branch}", "name": "华东电力", "phone": phone}})
    SERVICE.run(save_person, organization=ORG, login="zhou", role="manager", branch="north", password="pw-zhou")
    # when the north branch's manager reads the ledger and exports it (full phones for a manager)
    ledger = scheduler.get("/api/v1/ledger", role="manager", login="zhou").get_json()
    export = scheduler.get("/api/v1/ledger.csv", role="manager", login="zhou").get_data().decode("utf-8-sig")
    # then only north's delivery is there, and south's phone leaves in no file
    assert [e["delivery_id"] for e in ledger] == ["D-N"]
    assert "D-N" in export and "D-S" not in export and SOUTH_PHONE not in export
    # the ledger page and its export alike
    client = _signed_in(scheduler, "zhou")
    page = client.get("/ledger").get_data(as_text=True)
    assert "D-N" in page and "D-S" not in page
    exported = client.get("/ledger/export?format=csv").get_data().decode("utf-8-sig")
    assert "D-N" in exported and "D-S" not in exported and SOUTH_PHONE not in exported


def test_rule_branch_manager_workbench_and_callback_page_show_only_their_branch(scheduler):
    north, south = _two_branches(scheduler)
    # when the north branch's manager opens the workbench (every task up to today)
    client = _signed_in(scheduler, "zhou")
    bench = client.get("/?all=1").get_data(as_text=True)
    # then north's callback is listed and south's is not; south's page is not found
    assert north["id"] in bench and south["id"] not in bench
    assert client.get(f"/callbacks/{north['id']}").status_code == 200
    assert client.get(f"/callbacks/{south['id']}").status_code == 404
    # while the manager of the whole organisation sees both
    whole = _signed_in(scheduler, "chen").get("/?all=1").get_data(as_text=True)
    assert north["id"] in whole and south["id"] in whole
