"""A branch manager (a manager or supervisor with a branch in the user directory) sees their
branch's complaints only, on the board, in the API's list and reads, and acts only on those
(shared/web/branches.py); a manager without a branch sees the whole organisation."""
from __future__ import annotations

import re
from pathlib import Path

import services.complaints
from services.complaints.service import SERVICE
from shared.users.store import save_person
from testkit.complaints import ORG, handle, raised
from testkit.tokens import bearer, user_token


def _given_two_branches():
    """Given complaints of the north and the south branch, zhou managing north, chen the organisation."""
    assert handle(raised("K-N", branch="north")) == "handled"
    assert handle(raised("K-S", branch="south")) == "handled"
    SERVICE.run(save_person, organization=ORG, login="zhou", role="manager", branch="north", password="pw-zhou")
    SERVICE.run(save_person, organization=ORG, login="chen", role="manager", password="pw-chen")


def _signed_in(api, login: str):
    client = api.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": login, "password": f"pw-{login}", "csrf_token": token})
    return client


def test_rule_branch_manager_complaints_api_lists_reads_and_acts_only_on_their_branch(api):
    _given_two_branches()
    zhou, chen = bearer(user_token("manager", ORG, "zhou")), bearer(user_token("manager", ORG, "chen"))
    # when the north branch's manager lists, reads and acts
    listed = api.client.get("/api/v1/complaints", headers=zhou)
    # then only north's complaint is theirs
    assert [c["id"] for c in listed.get_json()] == ["K-N"] and listed.headers["X-Total-Count"] == "1"
    assert api.client.get("/api/v1/complaints/K-N", headers=zhou).status_code == 200
    assert api.client.get("/api/v1/complaints/K-S", headers=zhou).status_code == 404
    escalated = api.client.post("/api/v1/complaints/K-S/escalate", json={"reason": "越级"}, headers=zhou)
    assert escalated.status_code == 404 and api.history("K-S", "escalated") == []
    # while the manager of the whole organisation sees both
    assert {c["id"] for c in api.client.get("/api/v1/complaints", headers=chen).get_json()} == {"K-N", "K-S"}


def test_rule_branch_manager_complaint_board_and_pages_show_only_their_branch(api):
    _given_two_branches()
    # when the north branch's manager opens the board, asking for south's too
    client = _signed_in(api, "zhou")
    board = client.get("/").get_data(as_text=True)
    asked_south = client.get("/?branch=south").get_data(as_text=True)
    # then only north's card is there, south offered nowhere, and south's page is not found
    assert 'data-complaint="K-N"' in board and 'data-complaint="K-S"' not in board
    assert '<option value="south"' not in board and 'data-complaint="K-S"' not in asked_south
    assert client.get("/complaints/K-N").status_code == 200
    assert client.get("/complaints/K-S").status_code == 404
    # while the manager of the whole organisation sees both cards
    whole = _signed_in(api, "chen").get("/").get_data(as_text=True)
    assert 'data-complaint="K-N"' in whole and 'data-complaint="K-S"' in whole


def test_rule_2_complaint_form_keeps_the_policys_source_roles_as_the_api_does(api, settings):
    # given an organisation whose policy lets only advisors raise hotline complaints
    policy = settings.data_dir / ORG / "complaints" / "policies" / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    packaged = (Path(services.complaints.__file__).parent / "data" / "policies" / "default.yaml").read_text(
        encoding="utf-8")
    policy.write_text(packaged.replace("source_roles:", "source_roles:\n  hotline: [advisor]", 1), encoding="utf-8")
    SERVICE.run(save_person, organization=ORG, login="li", role="agent", password="pw-li")
    # the API refuses an agent's hotline complaint
    assert api.raise_(role="agent", source="hotline").status_code == 403
    # when the agent opens the form and posts a hotline complaint anyway
    client = _signed_in(api, "li")
    form = client.get("/complaints/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    posted = client.post("/complaints/new", data={
        "csrf_token": token, "source": "hotline", "customer_id": "C-1", "customer_name": "华东电力",
        "segment": "ordinary", "description": "空调不制冷", "category": "product_quality"})
    # then the form does not offer hotline, the post is refused, and nothing is raised
    assert 'value="hotline"' not in form and 'value="walk_in"' in form
    assert posted.status_code == 403 and api.count() == 0
