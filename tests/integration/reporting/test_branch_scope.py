"""A branch manager (a manager or supervisor with a branch in the user directory) sees their
branch only beyond the month's figures too: the agents' monthly summaries (API and desk page)
and the audit log (shared/web/branches.py)."""
from __future__ import annotations

import re

from services.reporting.app import create_app
from shared.users.store import save_person
from shared.web.auth import Principal
from testkit.reporting import ORG
from testkit.tokens import bearer, user_token


def _people(reporting) -> None:
    """Given agents li (north) and wang (south), zhou managing north, chen the whole organisation."""
    for login, role, branch in (("li", "agent", "north"), ("wang", "agent", "south"),
                                ("zhou", "manager", "north"), ("chen", "manager", None)):
        reporting.service.run(save_person, organization=ORG, login=login, role=role, branch=branch,
                              password=f"pw-{login}")


def _client(reporting):
    return create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings,
                       "REPORTING_GENERATE_INLINE": True}).test_client()


def test_seed_000_part_1_branch_manager_reads_the_summaries_of_their_branchs_agents_only(reporting):
    _people(reporting)
    client = _client(reporting)
    url = "/api/v1/desk/summaries/2026-11"
    # given both agents submitted their November summary
    reporting.at(2026, 12, 2, 17, 0)
    for login in ("li", "wang"):
        assert client.post(url, json={"remark": "本月顺利"},
                           headers=bearer(user_token("agent", ORG, login))).status_code == 200
    # when the north branch's manager reads them, then only li's is there; chen reads both
    north = client.get(url, headers=bearer(user_token("manager", ORG, "zhou"))).get_json()
    assert [r["agent"] for r in north] == ["li"]
    everyone = client.get(url, headers=bearer(user_token("manager", ORG, "chen"))).get_json()
    assert [r["agent"] for r in everyone] == ["li", "wang"]
    # the desk page alike
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "zhou", "password": "pw-zhou", "csrf_token": token})
    html = client.get("/desk?period=2026-11").get_data(as_text=True)
    summaries = html[html.index('id="summaries"'):]
    assert '<th scope="row" translate="no">li</th>' in summaries and ">wang<" not in summaries


def test_rule_branch_manager_reads_the_audit_entries_of_their_branchs_people_only(reporting):
    _people(reporting)
    # given audit entries of a north agent and of a south agent
    for login in ("li", "wang"):
        with reporting.service.command() as uow:
            uow.audit(Principal(login=login, role="agent", organization=ORG), organization=ORG,
                      action="phones.revealed", subject=f"cb-{login}")
    client = _client(reporting)
    # when the north branch's manager reads the audit log, then only north's people's entries are there
    north = client.get("/api/v1/audit", headers=bearer(user_token("manager", ORG, "zhou")))
    assert north.status_code == 200 and [e["login"] for e in north.get_json()] == ["li"]
    assert north.headers["X-Total-Count"] == "1"
    everyone = client.get("/api/v1/audit", headers=bearer(user_token("manager", ORG, "chen"))).get_json()
    assert sorted(e["login"] for e in everyone) == ["li", "wang"]
