"""A complaint's branch, from complaint.raised, shown in the API and filtered on the board
(`/?branch=`); and for complaints raised from callbacks: the
product model the scheduler puts on them counts in the recurring problems (seed 001 重大问题(含批量))."""
from __future__ import annotations

import re

from services.complaints.service import SERVICE
from shared.users.store import save_person
from testkit.complaints import ORG
from testkit.complaints import handle, raised


def _signed_in(api, login="chen", role="manager"):
    SERVICE.run(save_person, organization=ORG, login=login, role=role, password=f"pw-{login}")
    client = api.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": login, "password": f"pw-{login}", "csrf_token": token})
    return client


def test_a_complaints_branch_is_kept_shown_and_filtered_on_the_board(api):
    # given complaints raised from callbacks of the north and south branches, and one without a branch
    assert handle(raised("K-1", branch="north")) == "handled"
    assert handle(raised("K-2", branch="south")) == "handled"
    assert handle(raised("K-3")) == "handled"
    # then the API shows each one's branch
    assert [api.get(k).get_json()["branch"] for k in ("K-1", "K-2", "K-3")] == ["north", "south", None]
    # and the board offers the branches and shows only the chosen one's complaints
    client = _signed_in(api)
    board = client.get("/").get_data(as_text=True)
    assert 'id="f-branch"' in board and '<option value="north"' in board and '<option value="south"' in board
    assert all(f'data-complaint="{k}"' in board for k in ("K-1", "K-2", "K-3"))
    north = client.get("/?branch=north").get_data(as_text=True)
    assert 'data-complaint="K-1"' in north
    assert 'data-complaint="K-2"' not in north and 'data-complaint="K-3"' not in north
    assert '<option value="north" translate="no" selected>' in north
    # a branch nobody names filters nothing out (the filter takes only branches the board offers)
    unknown = client.get("/?branch=nowhere").get_data(as_text=True)
    assert all(f'data-complaint="{k}"' in unknown for k in ("K-1", "K-2", "K-3"))


def test_seed_001_complaints_raised_from_callbacks_with_a_product_model_count_as_a_recurring_problem(api):
    # given the policy's threshold of 3 complaints of one model and category within 30 days, raised
    # by the scheduler from dissatisfied callbacks (source callback), each naming the delivery's model
    for n in range(3):
        event = raised(f"callback-CB-{n}", product_model="KYN28-12", category="product_quality", branch="north",
                       raised_at=f"2026-11-{18 + n}T10:00:00+08:00")
        handle({**event, "source": "huifang://scheduler"})  # the scheduler's own
    # then a recurring corrective action links them
    (event,) = api.events("corrective_action.updated")
    assert event["data"]["origin"] == "recurring"
    assert event["data"]["complaint_ids"] == ["callback-CB-0", "callback-CB-1", "callback-CB-2"]
