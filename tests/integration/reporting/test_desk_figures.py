"""The callback desk in the report: a declined callback (谢绝回访) counts apart from the completion rate."""
from __future__ import annotations

from testkit.reporting import completed, customer, order_completed, scheduled
from testkit.tokens import bearer, user_token
from testkit.worked_examples import week_of_november


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
    from services.reporting.figures.desk import desk_figures
    with reporting.service.connection():
        assert desk_figures("acme-electric", "2026-11") == {"declined_callbacks": 1}
    # and a cancellation announced later (the scheduler cancels nothing declined) leaves it declined
    reporting.feed("callback.scheduled", scheduled("K-3", "C", "2026-11-02", status="cancelled"))
    with reporting.service.connection():
        assert desk_figures("acme-electric", "2026-11") == {"declined_callbacks": 1}


def test_seed_004_weekly_figures_per_agent_and_per_advisor_with_targets_of_the_role(reporting):
    from services.reporting.figures.desk import period_figures
    from services.reporting.domain.desk import parse_period
    from services.reporting.rules import desk_policy

    week_of_november(reporting)
    policy = desk_policy(reporting.settings, "acme-electric")
    with reporting.service.connection():
        week = period_figures("acme-electric", parse_period("2026-W45"), policy)
        month = period_figures("acme-electric", parse_period("2026-11"), policy)
    # the week: four callbacks, two reached
    assert (week["first_day"], week["last_day"]) == ("2026-11-02", "2026-11-08")
    assert week["organization"]["figures"]["callback_completion_rate"] == {"numerator": 2, "denominator": 4,
                                                                            "value": 0.5}
    agents = {row["login"]: row for row in week["agents"]}
    assert set(agents) == {"li", "wang", "zhao"}
    assert (agents["li"]["callbacks"], agents["li"]["reached"]) == (2, 1)
    assert (agents["wang"]["callbacks"], agents["wang"]["reached"]) == (1, 0)  # assigned, not called yet
    assert agents["li"]["targets"] == {"callback_completion_rate": 1.0, "service_satisfaction_rate": 0.9}
    assert agents["li"]["meets"] == {"callback_completion_rate": False, "service_satisfaction_rate": True}
    advisors = {row["advisor_id"]: row for row in week["advisors"]}
    # zhou's order: the advisor comes from the order when the outcome did not say it
    assert (advisors["zhang"]["callbacks"], advisors["zhou"]["callbacks"], advisors[""]["callbacks"]) == (2, 1, 1)
    assert advisors["zhou"]["figures"]["service_satisfaction_rate"]["value"] == 0.0
    assert advisors["zhou"]["meets"]["service_satisfaction_rate"] is False
    # the month holds the next week's callback too
    assert month["organization"]["callbacks"] == 5


def test_seed_000_part_1_monthly_summary_due_by_the_3rd_with_a_late_mark(reporting):
    from shared.users.store import save_person
    from services.reporting.app import create_app

    for login in ("li", "wang", "sun"):
        reporting.service.run(save_person, organization="acme-electric", login=login, role="agent")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    url = "/api/v1/desk/summaries/2026-11"
    # li submits on the 2nd of December, wang on the 5th; sun never
    reporting.at(2026, 12, 2, 17, 0)
    assert client.post(url, json={"remark": "本月顺利"}, headers=bearer(user_token("agent", "acme-electric", "li"))
                       ).get_json()["state"] == "on_time"
    reporting.at(2026, 12, 5, 9, 0)
    late = client.post(url, json={}, headers=bearer(user_token("agent", "acme-electric", "wang")))
    assert late.status_code == 200 and late.get_json()["state"] == "late"
    rows = {r["agent"]: r for r in client.get(url, headers=bearer(user_token("manager", "acme-electric"))).get_json()}
    assert {a: r["state"] for a, r in rows.items()} == {"li": "on_time", "wang": "late", "sun": "missing"}
    assert rows["li"]["due_on"] == "2026-12-03" and rows["li"]["remark"] == "本月顺利"
    # an agent sees only their own; a manager may not submit one
    mine = client.get(url, headers=bearer(user_token("agent", "acme-electric", "li"))).get_json()
    assert [r["agent"] for r in mine] == ["li"]
    assert client.post(url, json={}, headers=bearer(user_token("manager", "acme-electric"))).status_code == 403
    # a month still running (or ahead) has no summary yet: its figures are not final
    for running in ("2026-12", "2027-01"):
        early = client.post(f"/api/v1/desk/summaries/{running}", json={},
                            headers=bearer(user_token("agent", "acme-electric", "li")))
        assert early.status_code == 422 and "month" in early.get_json()["errors"], early.get_json()


def test_seed_003_s7_figures_per_agent_an_agent_sees_only_their_own(reporting):
    from services.reporting.app import create_app

    week_of_november(reporting)
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    as_li = client.get("/api/v1/desk/figures?period=2026-W45",
                       headers=bearer(user_token("agent", "acme-electric", "li"))).get_json()
    assert [r["login"] for r in as_li["agents"]] == ["li"] and as_li["advisors"] == []
    as_manager = client.get("/api/v1/desk/figures?period=2026-W45",
                            headers=bearer(user_token("manager", "acme-electric"))).get_json()
    assert len(as_manager["agents"]) == 3
    bad = client.get("/api/v1/desk/figures?period=2026-W60", headers=bearer(user_token("manager", "acme-electric")))
    assert bad.status_code == 422 and "period" in bad.get_json()["errors"]


def test_seed_004_desk_page_shows_a_weeks_figures_per_agent_and_advisor_and_the_summaries(reporting):
    import re

    from shared.users.store import save_person
    from services.reporting.app import create_app

    week_of_november(reporting)
    reporting.service.run(save_person, organization="acme-electric", login="chen", role="manager", password="pw-chen")
    reporting.service.run(save_person, organization="acme-electric", login="li", role="agent")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "chen", "password": "pw-chen", "csrf_token": token})
    reporting.at(2026, 11, 4, 9, 0)  # the day after October's summaries were due
    page = client.get("/desk?period=2026-W45")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "不是有效的统计期" not in html
    agents = html[html.index('id="per-agent-table"'):html.index('id="per-advisor"')]
    assert "li" in agents and "wang" in agents and "未达标" in agents
    advisors = html[html.index('id="per-advisor-table"'):]
    assert "zhang" in advisors and "zhou" in advisors
    # a week's page lists the summaries of the month before (October, due 11-03): li's is missing
    summaries = html[html.index('id="summaries"'):]
    assert "li" in summaries and "未交" in summaries
    # a bad period shows this week, saying so
    assert "不是有效的统计期" in client.get("/desk?period=nonsense").get_data(as_text=True)


def test_rules_1_4_callback_quality_pass_rate_from_the_reviewers_verdicts(reporting):
    # given no review yet: the report says not reviewed
    assert reporting.report("2026-11").callback_quality["status"] == "not_reviewed"
    # when a supervisor passes two records of November and finds one needing improvement (then a
    # second verdict of the same role on the same record replaces the first)
    for callback_id, verdict in (("K-1", "pass"), ("K-2", "pass"), ("K-3", "pass"), ("K-3", "needs_improvement")):
        reporting.feed("callback.reviewed", {"callback_id": callback_id, "verdict": verdict, "reviewer": "zhao",
                                             "reviewer_role": "supervisor", "due_on": "2026-11-02", "agent": "li"})
    # and a manager's spot check of an October record
    reporting.feed("callback.reviewed", {"callback_id": "K-9", "verdict": "needs_improvement",
                                         "reviewer_role": "manager", "due_on": "2026-10-20"})
    # then November's callback quality pass rate is 2/3
    assert reporting.report("2026-11").callback_quality == {"status": "reviewed", "pass_rate": 0.6667,
                                                            "numerator": 2, "denominator": 3}


def test_rules_1_4_the_newest_verdict_of_a_role_is_kept_whatever_order_they_arrive_in(reporting):
    # given a supervisor's two verdicts on one record, delivered newest first (two workers, a retry)
    base = {"callback_id": "K-1", "reviewer": "zhao", "reviewer_role": "supervisor", "due_on": "2026-11-02"}
    reporting.feed("callback.reviewed", {**base, "verdict": "pass", "reviewed_at": "2026-11-05T10:00:00+08:00"})
    reporting.feed("callback.reviewed", {**base, "verdict": "needs_improvement",
                                         "reviewed_at": "2026-11-04T10:00:00+08:00"})
    # then the newer pass is kept
    assert reporting.report("2026-11").callback_quality["numerator"] == 1


def test_rules_1_4_a_record_reviewed_by_two_roles_counts_once_by_the_most_senior(reporting):
    # given a record passed by the supervisor (rank 0) and found needing improvement by the manager (rank 1),
    # the manager's verdict arriving first, and a second record only the supervisor passed
    reporting.feed("callback.reviewed", {"callback_id": "K-1", "verdict": "needs_improvement", "reviewer": "chen",
                                         "reviewer_role": "manager", "seniority": 1, "due_on": "2026-11-02",
                                         "reviewed_at": "2026-11-20T10:00:00+08:00"})
    for callback_id in ("K-1", "K-2"):
        reporting.feed("callback.reviewed", {"callback_id": callback_id, "verdict": "pass", "reviewer": "zhao",
                                             "reviewer_role": "supervisor", "seniority": 0, "due_on": "2026-11-02",
                                             "reviewed_at": "2026-11-06T10:00:00+08:00"})
    # then two records count, K-1 by the manager's verdict: 1 of 2 passed
    assert reporting.report("2026-11").callback_quality == {"status": "reviewed", "pass_rate": 0.5,
                                                            "numerator": 1, "denominator": 2}


def test_figures_per_branch_and_a_branch_manager_sees_their_branch(reporting, tmp_path):
    import yaml

    from services.reporting.app import create_app

    reporting.feed("callback.scheduled", scheduled("K-1", "A", "2026-11-02", branch="north"))
    reporting.feed("callback.scheduled", scheduled("K-2", "B", "2026-11-03", branch="south"))
    reporting.feed("callback.completed", completed("K-1", customer("A"), "2026-11-02", product="satisfied",
                                                   service="satisfied", agent="li", branch="north"))
    own = reporting.settings.data_dir / "acme-electric" / "reporting" / "desk.yaml"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(yaml.safe_dump({"branch_managers": {"zhou": "north"}}), encoding="utf-8")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    url = "/api/v1/desk/figures?period=2026-W45"
    everyone = client.get(url, headers=bearer(user_token("manager", "acme-electric", "chen"))).get_json()
    branches = {b["branch"]: (b["callbacks"], b["reached"]) for b in everyone["branches"]}
    assert branches == {"north": (1, 1), "south": (1, 0)} and everyone["branch"] is None
    assert client.get(url + "&branch=south", headers=bearer(user_token("manager", "acme-electric", "chen"))
                      ).get_json()["organization"]["callbacks"] == 1
    # the north branch's manager sees north only, and may not ask for another
    zhou = client.get(url, headers=bearer(user_token("manager", "acme-electric", "zhou"))).get_json()
    assert zhou["branch"] == "north" and [b["branch"] for b in zhou["branches"]] == ["north"]
    assert zhou["organization"]["figures"]["callback_completion_rate"]["value"] == 1.0
    assert client.get(url + "&branch=south", headers=bearer(user_token("manager", "acme-electric", "zhou"))
                      ).status_code == 403


def test_rules_3_every_monthly_figure_per_branch_a_branch_manager_from_the_directory_sees_theirs(reporting):
    """GET /api/v1/reports/<month>?branch= gives every figure of the month for one
    branch; a manager with a branch in the user directory (role + branch) sees only that one."""
    from shared.users.store import save_person
    from services.reporting.app import create_app

    a, b = customer("A"), customer("B")
    reporting.feed("service_order.completed", {**order_completed("O-N", a, "2026-11-02T10:00:00+08:00"),
                                               "branch": "north"})
    reporting.feed("service_order.completed", {**order_completed("O-S", b, "2026-11-03T10:00:00+08:00"),
                                               "branch": "south"})
    reporting.feed("callback.scheduled", scheduled("K-1", "A", "2026-11-04", branch="north", order_id="O-N"))
    reporting.feed("callback.scheduled", scheduled("K-2", "B", "2026-11-05", branch="south", order_id="O-S"))
    reporting.feed("callback.completed", completed("K-1", a, "2026-11-04", product="satisfied", service="satisfied",
                                                   branch="north", order_id="O-N"))
    reporting.service.run(save_person, organization="acme-electric", login="zhou", role="manager", branch="north")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True}).test_client()
    chen, zhou = (bearer(user_token("manager", "acme-electric", who)) for who in ("chen", "zhou"))
    whole = client.get("/api/v1/reports/2026-11", headers=chen).get_json()
    assert whole["branch"] is None and whole["branches"] == ["north", "south"]
    assert whole["figures"]["callback_completion_rate"]["numerator"] == 1
    assert whole["figures"]["callback_completion_rate"]["denominator"] == 2
    south = client.get("/api/v1/reports/2026-11?branch=south", headers=chen).get_json()
    assert south["branch"] == "south" and south["stored"] is False
    # a branch nobody has: 404 naming the field, nothing asked of the worker
    unknown = client.get("/api/v1/reports/2026-11?branch=nowhere", headers=chen)
    assert unknown.status_code == 404 and "branch" in unknown.get_json()["errors"]
    assert (south["figures"]["callback_completion_rate"]["numerator"],
            south["figures"]["callback_completion_rate"]["denominator"]) == (0, 1)
    north = client.get("/api/v1/reports/2026-11", headers=zhou).get_json()  # no ?branch=: still theirs
    assert north["branch"] == "north" and north["branches"] == ["north"]
    rate = north["figures"]["callback_completion_rate"]
    assert (rate["numerator"], rate["denominator"]) == (1, 1)
    # served days too: each branch's ordinary orders, and whether a callback reached their customer
    coverage = {name: (r["figures"]["ordinary_order_coverage_rate"]["numerator"],
                       r["figures"]["ordinary_order_coverage_rate"]["denominator"])
                for name, r in (("whole", whole), ("north", north), ("south", south))}
    assert coverage == {"whole": (1, 2), "north": (1, 1), "south": (0, 1)}
    assert client.get("/api/v1/reports/2026-11?branch=south", headers=zhou).status_code == 403
    assert client.get("/api/v1/reports/2026-11.pdf", headers=zhou).status_code == 403
    assert client.get("/api/v1/desk/figures?period=2026-11&branch=south", headers=zhou).status_code == 403
