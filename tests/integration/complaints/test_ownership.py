"""Complaint ownership through the API: a named owner and the first taker (seed 002 首问责任制, seed 004 處理人/接單時間),
closure reasons (seed 002), unreachable verifications."""
from __future__ import annotations

from services.complaints import handlers, notify
from services.complaints.service import SERVICE
from shared.users.store import save_person
from testkit.complaints import ORG, at


def test_seed_002_first_contact_accountability_first_taker_told_of_every_step_clocks_unchanged(
        api, clock, mailer, people):
    # given agent chen takes a product-quality complaint down on the hotline
    response = api.client.post("/api/v1/complaints", json={
        "customer": {"id": "C-1", "name": "华东电力"}, "description": "空调不制冷",
        "category": "product_quality", "source": "hotline", "raised_at": "2026-11-20T17:00:00+08:00"},
        headers=api.headers("agent", login="chen"))
    body = response.get_json()
    cid = body["id"]  # people get a server-made id
    # seed 000 part 5 传递至相关部门: the policy assigns the category to its department
    assert (body["department"], body["first_taker"], body["owner"]) == ("质量管理部", "chen", None)
    due = (body["first_reply_due_at"], body["answer_due_at"])
    # when advisor li accepts it (接单), escalates it, and the manager resolves it
    clock.set(at(2026, 11, 23, 9, 0))
    accepted = api.post_as(cid, "accept", {}, "advisor", "li").get_json()
    assert (accepted["owner"], accepted["accepted_at"]) == ("li", "2026-11-23T09:00:00+08:00")
    assert accepted["first_taker"] == "chen"  # the first taker stays accountable
    assert (accepted["first_reply_due_at"], accepted["answer_due_at"]) == due  # 2-1-1 clocks unchanged
    (event,) = api.events("complaint.accepted")
    assert event["data"]["owner"] == "li" and event["data"]["first_taker"] == "chen"
    api.post_as(cid, "escalate", {"reason": "客户要求赔偿"}, "advisor", "li")
    api.post_as(cid, "resolve", {"root_cause": "接头漏氟", "corrective_action": "更换接头"}, "manager", "zhao")
    # then chen is told of each step by someone else, by mail to chen alone
    notify.send_notifications(SERVICE)
    to_chen = [m for m in mailer.sent if m["To"] == "chen@acme.example"]
    # each step by its name (上报 / Escalated ...), never its code
    steps = sorted(m["Subject"].rsplit(" / ", 1)[-1].lower() for m in to_chen)
    assert steps == ["accepted", "escalated", "resolved"]
    assert api.history(cid, "accepted")[0].actor == "li"


def test_review_a_first_taker_who_left_is_not_mailed_the_customers_complaint(api, clock, mailer, people):
    """Review: a mail to one person went to a deactivated one too (the directory's row
    was read active or not), with the customer's name and what they said."""
    response = api.client.post("/api/v1/complaints", json={
        "customer": {"id": "C-1", "name": "华东电力"}, "description": "空调不制冷",
        "category": "product_quality", "source": "hotline", "raised_at": "2026-11-20T17:00:00+08:00"},
        headers=api.headers("agent", login="chen"))
    cid = response.get_json()["id"]
    SERVICE.run(save_person, organization=ORG, login="chen", active=False)  # chen left the company
    clock.set(at(2026, 11, 23, 9, 0))
    assert api.post_as(cid, "accept", {}, "advisor", "li").status_code == 200
    notify.send_notifications(SERVICE)
    assert [m["Subject"] for m in mailer.sent if m["To"] == "chen@acme.example"] == []


def test_seed_002_the_first_to_accept_a_system_raised_complaint_is_its_first_taker(api, clock, people):
    # given a complaint that came in by an event (no person took it down)
    SERVICE.run(handlers.raise_complaint, organization=ORG, data={
        "complaint_id": "K-2", "customer": {"id": "C-1", "name": "x"}, "description": "d", "category": "price",
        "source": "callback"})
    assert api.get("K-2").get_json()["first_taker"] is None
    # when the agent accepts it, then the advisor takes it over
    api.post_as("K-2", "accept", {}, "agent", "chen")
    body = api.post_as("K-2", "accept", {}, "advisor", "li").get_json()
    # then the agent stays the first taker, the advisor is the owner
    assert (body["owner"], body["first_taker"], body["department"]) == ("li", "chen", "销售部")
    # and accepting what is yours already is a 409
    assert api.post_as("K-2", "accept", {}, "advisor", "li").status_code == 409


def test_seed_002_closure_reasons_each_allowed_to_the_roles_the_policy_names_with_a_comment(api, clock, people):
    api.raise_()
    # an agent may not close as not valid (the policy: manager, admin); a comment is required
    refused = api.post_as("K-1", "close", {"reason": "not_valid", "comment": "重复投诉"}, "agent", "chen")
    assert refused.status_code == 403 and "manager" in refused.get_json()["detail"]
    assert api.post_as("K-1", "close", {"reason": "not_valid", "comment": ""}, "manager", "zhao").status_code == 422
    assert api.post_as("K-1", "close", {"reason": "bogus", "comment": "x"}, "manager", "zhao").status_code == 422
    # the advisor closes an anonymous complaint (匿名投诉无需回访)
    body = api.post_as("K-1", "close", {"reason": "anonymous", "comment": "匿名来电，无法回访"}, "advisor", "li").get_json()
    assert (body["state"], body["closure_reason"]) == ("closed", "anonymous")
    last = body["history"][-1]
    assert (last["action"], last["actor"], last["reason"]) == ("closed_with_reason", "li", "anonymous: 匿名来电，无法回访")
    (closed,) = api.events("complaint.closed")
    assert closed["data"]["closure_reason"] == "anonymous" and closed["data"]["closure_comment"] == "匿名来电，无法回访"
    # closing it again is a 409
    assert api.post_as("K-1", "close", {"reason": "anonymous", "comment": "x"}, "advisor", "li").status_code == 409


def _unreachable(complaint_id: str, callback_id: str = "CB-9") -> dict:
    return ({
        "specversion": "1.0", "id": f"unreachable-{callback_id}", "type": "callback.unreachable",
        "source": "huifang://scheduler", "time": "2026-11-26T10:00:00+08:00", "organization": ORG,
        "data": {"callback_id": callback_id, "customer_id": "C-1", "kind": "verification", "attempts": 3,
                 "complaint_id": complaint_id}})


def test_unreachable_verification_goes_to_the_supervisors_queue_to_close_or_retry(
        api, clock, mailer, people):
    # given a resolved complaint whose verification callback found nobody after three attempts
    api.raise_()
    api.post("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent")
    SERVICE.handle(_unreachable("K-1"))
    body = api.get("K-1").get_json()
    assert body["state"] == "resolved" and body["unreachable_at"] == "2026-11-26T10:00:00+08:00"
    assert body["history"][-1]["action"] == "verification_unreachable"
    assert "after 3 attempts" in body["history"][-1]["reason"]
    (event,) = api.events("complaint.verification_unreachable")
    assert event["data"]["callback_id"] == "CB-9"
    notify.send_notifications(SERVICE)
    assert any(m["To"] == "sun@acme.example" and "unreachable" in m["Subject"] for m in mailer.sent)
    # the same event again changes nothing (inbox), and the agent may not retry it
    SERVICE.handle(_unreachable("K-1"))
    assert len(api.history("K-1", "verification_unreachable")) == 1
    assert api.post_as("K-1", "retry-verification", {}, "agent", "chen").status_code == 403
    # when the supervisor tries again, the scheduler is asked for a new verification
    clock.set(at(2026, 11, 26, 11, 0))
    body = api.post_as("K-1", "retry-verification", {"comment": "下周再联系"}, "supervisor", "sun").get_json()
    assert body["unreachable_at"] is None and body["verify_due_at"] == "2026-11-27T11:00:00+08:00"
    (retried,) = api.events("complaint.verification_retried")
    assert retried["data"]["customer"]["id"] == "C-1"
    # and when it is unreachable again, the supervisor closes it with the reason
    SERVICE.handle(_unreachable("K-1", "CB-10"))
    body = api.post_as("K-1", "close", {"reason": "unreachable", "comment": "三次回访均无人接听"}, "supervisor",
                 "sun").get_json()
    assert (body["state"], body["closure_reason"]) == ("closed", "unreachable")


def test_seed_004_media_and_consumer_association_complaints_start_at_the_top_level(api):
    for n, source in enumerate(("consumer_association", "media", "manufacturer")):
        body = api.raise_(complaint_id=f"K-T{n}", source=source).get_json()
        assert (body["level"], body["level_role"]) == (2, "manager"), source
    assert api.raise_(complaint_id="K-T9", source="hotline").get_json()["level"] == 0


def test_seed_004_a_compensation_needs_the_policys_approval_before_it_is_promised(api, clock, people):
    api.raise_()
    body = api.post_as("K-1", "compensation", {"offer": "免费更换压缩机", "amount": "1200.00"}, "agent", "chen").get_json()
    assert (body["compensation_state"], body["compensation_amount"]) == ("proposed", "1200.00")
    assert api.post_as("K-1", "compensation", {"offer": "x", "amount": "-5"}, "agent", "chen").status_code == 422
    # not promised yet: the complaint cannot be resolved, and an advisor may not approve
    resolve = api.post_as("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, "agent", "chen")
    assert resolve.status_code == 409 and "approval" in resolve.get_json()["detail"]
    assert api.post_as("K-1", "compensation/decision", {"approve": True}, "advisor", "li").status_code == 403
    # the manager approves: the approval is in the history, and the complaint may be resolved
    body = api.post_as("K-1", "compensation/decision", {"approve": True, "note": "大区已同意"}, "manager",
                 "zhao").get_json()
    assert (body["compensation_state"], body["compensation_decided_by"]) == ("approved", "zhao")
    last = body["history"][-1]
    assert (last["action"], last["actor"], last["reason"]) == ("compensation_approved", "zhao", "大区已同意")
    assert api.post_as("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, "agent",
                 "chen").status_code == 200


def test_seed_004_a_promise_is_a_deadline_with_a_reminder_a_followup_callback_and_broken_when_missed(
        api, clock, mailer, people):
    from services.complaints import handlers as complaint_handlers

    api.raise_()
    clock.set(at(2026, 11, 23, 9, 0))
    # given the advisor promises the customer a visit by Wednesday 17:00 (在对客户承诺的时间内)
    body = api.post_as("K-1", "promises", {"what": "周三前上门复查", "to_whom": "王先生",
                                           "due_at": "2026-11-25T17:00:00+08:00"}, "advisor", "li").get_json()
    (promise,) = body["promises"]
    assert (promise["state"], promise["made_by"], body["promise_broken"]) == ("pending", "li", False)
    (made,) = api.events("complaint.promise_made")
    assert made["data"]["customer"]["id"] == "C-1" and made["data"]["followup_kind"] == "promise_followup"
    assert api.post_as("K-1", "promises", {"what": "x", "to_whom": "y", "due_at": "2026-11-20T17:00:00+08:00"},
                 "advisor", "li").status_code == 422  # a moment already past
    # when the reminder span comes (2 hours before), the maker is reminded once
    clock.set(at(2026, 11, 25, 15, 30))
    assert SERVICE.run(complaint_handlers.sweep_promises) == {"reminded": 1, "broken": 0}
    assert SERVICE.run(complaint_handlers.sweep_promises) == {"reminded": 0, "broken": 0}
    # and when its moment passes unkept, it is broken: in the history, as an event, on the complaint
    clock.set(at(2026, 11, 25, 17, 1))
    assert SERVICE.run(complaint_handlers.sweep_promises) == {"reminded": 0, "broken": 1}
    body = api.get("K-1").get_json()
    assert body["promise_broken"] is True and body["promises"][0]["state"] == "broken"
    assert body["history"][-1]["action"] == "promise_broken"
    assert len(api.events("complaint.promise_broken")) == 1
    notify.send_notifications(SERVICE)
    assert sorted(m["Subject"].split(" / ")[1].split(" ")[1] for m in mailer.sent
                  if m["To"] == "li@acme.example" and "promise" in m["Subject"]) == ["broken", "due"]
    # kept late after all: recorded, the broken mark stays in the history
    body = api.post_as("K-1", f"promises/{promise['id']}/kept", {"note": "已上门"}, "advisor", "li").get_json()
    assert body["promises"][0]["kept_at"] is not None and body["history"][-1]["reason"] == "周三前上门复查 (late): 已上门"


def _action(api, body, role="manager", login="zhao"):
    return api.client.post("/api/v1/corrective-actions", json=body, headers=api.headers(role, login=login))


def test_seed_000_part_5_corrective_actions_register_owner_due_status_check_linked_and_overdue(api, clock, people):
    api.raise_()
    # an agent may not open one (the policy: supervisor, manager, admin)
    assert _action(api, {"title": "x", "owner": "li", "due_on": "2026-12-01"}, "agent", "chen").status_code == 403
    assert _action(api, {"title": "x", "owner": "li", "due_on": "2026-11-01"}).status_code == 422  # past due
    assert _action(api, {"title": "x", "owner": "li", "due_on": "2026-12-01",
                         "complaint_ids": ["K-404"]}).status_code == 404
    created = _action(api, {"title": "接待培训", "owner": "li", "due_on": "2026-11-25", "complaint_ids": ["K-1"],
                            "callback_ids": ["CB-1"]})
    action = created.get_json()
    assert created.status_code == 201 and (action["status"], action["overdue"]) == ("open", False)
    (event,) = api.events("corrective_action.updated")
    assert event["data"]["complaint_ids"] == ["K-1"] and event["data"]["owner"] == "li"
    # overdue after its due date while not done
    clock.set(at(2026, 11, 26, 9, 0))
    listed = api.client.get("/api/v1/corrective-actions", headers=api.headers("agent")).get_json()
    assert [(a["id"], a["overdue"]) for a in listed] == [(action["id"], True)]
    # its owner (an advisor) marks it done; only the policy's roles check that it worked (跟踪验证)
    path = f"/api/v1/corrective-actions/{action['id']}"
    done = api.client.post(f"{path}/status", json={"status": "done"}, headers=api.headers("advisor", login="li"))
    assert done.get_json()["status"] == "done" and done.get_json()["overdue"] is False
    assert api.client.post(f"{path}/check", json={"effective": True, "finding": "x"},
                           headers=api.headers("advisor", login="li")).status_code == 403
    checked = api.client.post(f"{path}/check", json={"effective": True, "finding": "一个月无同类投诉"},
                              headers=api.headers("supervisor", login="sun")).get_json()
    assert (checked["status"], checked["checked_by"], checked["effectiveness"]) == ("effective", "sun", "一个月无同类投诉")


def test_seed_002_recurring_problems_by_product_model_and_category_open_a_corrective_action(
        api, clock, mailer, people):
    # given the policy's threshold of 3 complaints of one model and category within 30 days
    for n, day in enumerate((2, 10, 20)):
        clock.set(at(2026, 11, day, 10, 0))
        api.raise_(complaint_id=f"R-{n}", product_model="KFR-35GW", category="product_quality",
                   raised_at=f"2026-11-{day:02d}T10:00:00+08:00")
        if n < 2:
            assert api.events("corrective_action.updated") == []
    # then the third opens a recurring corrective action linking the three, and the managers are told
    (event,) = api.events("corrective_action.updated")
    assert event["data"]["origin"] == "recurring" and event["data"]["complaint_ids"] == ["R-0", "R-1", "R-2"]
    assert event["data"]["owner"] == "manager" and event["data"]["due_on"] == "2026-12-04"
    notify.send_notifications(SERVICE)
    assert any(m["To"] == "zhao@acme.example" and "KFR-35GW" in m["Subject"] for m in mailer.sent)
    # a fourth joins it; another model or a complaint outside the window does not count
    api.raise_(complaint_id="R-3", product_model="KFR-35GW", category="product_quality",
               raised_at="2026-11-21T10:00:00+08:00")
    assert api.events("corrective_action.updated")[-1]["data"]["complaint_ids"] == ["R-0", "R-1", "R-2", "R-3"]
    api.raise_(complaint_id="O-1", product_model="KFR-26GW", category="product_quality",
               raised_at="2026-11-21T10:00:00+08:00")
    assert len(api.client.get("/api/v1/corrective-actions", headers=api.headers("agent")).get_json()) == 1


def test_seed_000_part_5_a_complaint_lists_only_the_corrective_actions_that_name_it(api, clock, people):
    from services.complaints.handlers.corrective import actions_of_complaint
    api.raise_()
    api.raise_(complaint_id="K-10")
    mine = _action(api, {"title": "接待培训", "owner": "li", "due_on": "2026-12-01", "complaint_ids": ["K-1"]})
    other = _action(api, {"title": "备件库存", "owner": "li", "due_on": "2026-12-02", "complaint_ids": ["K-10"]})
    assert mine.status_code == other.status_code == 201
    with SERVICE.connection():
        # the register is narrowed in SQL (a LIKE on the id list): K-10's action does not name K-1
        assert [r.action_id for r in actions_of_complaint(organization=ORG, complaint_id="K-1")] == \
            [mine.get_json()["id"]]
        assert [r.action_id for r in actions_of_complaint(organization=ORG, complaint_id="K-10")] == \
            [other.get_json()["id"]]
