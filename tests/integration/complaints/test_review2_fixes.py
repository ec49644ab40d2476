"""Complaint ownership after review: erasing a customer covers its data (promises, history texts, mail),
a recurring problem's corrective action and mail are in Chinese, commands respect the complaint's state,
mail logs say whom and how many, never the addresses. The promise steps on the page are tested in
tests/unit/test_complaints_pages.py."""
from __future__ import annotations

import logging

from services.complaints import notify
from services.complaints.service import SERVICE
from testkit.complaints import ORG, at


def test_seed_004_closing_while_a_compensation_awaits_approval_is_409_decide_it_first(
        api, clock, people):
    api.raise_()
    assert api.post_as("K-1", "compensation", {"offer": "免费更换压缩机"}, "agent", "chen").status_code == 200
    # when a manager closes it while the compensation waits (请示同意): refused, saying what to do
    refused = api.post_as("K-1", "close", {"reason": "not_valid", "comment": "重复投诉"}, "manager", "zhao")
    assert refused.status_code == 409
    assert "compensation" in refused.get_json()["detail"] and "first" in refused.get_json()["detail"]
    assert api.get("K-1").get_json()["state"] == "open"
    # once decided, it may be closed; a decision on the closed complaint is then a 409
    assert api.post_as("K-1", "compensation/decision", {"approve": False, "note": "不符合政策"}, "manager",
                 "zhao").status_code == 200
    assert api.post_as("K-1", "close", {"reason": "not_valid", "comment": "重复投诉"}, "manager",
                 "zhao").status_code == 200


def test_a_closed_complaints_compensation_is_not_decided_nor_its_promise_kept(api, clock, people):
    from services.complaints.models import Complaint

    api.raise_()
    clock.set(at(2026, 11, 23, 9, 0))
    promise = api.post_as("K-1", "promises", {"what": "周三前上门复查", "to_whom": "王先生",
                                              "due_at": "2026-11-25T17:00:00+08:00"}, "advisor", "li").get_json()
    promise_id = promise["promises"][0]["id"]
    assert api.post_as("K-1", "compensation", {"offer": "免费更换压缩机"}, "agent", "chen").status_code == 200
    # a complaint closed with a compensation still waiting (as branches before this fix could leave it)
    with SERVICE.connection():
        Complaint.update(state="closed", closed_at=at(2026, 11, 23, 10, 0)).where(
            Complaint.complaint_id == "K-1").execute()
    decided = api.post_as("K-1", "compensation/decision", {"approve": True}, "manager", "zhao")
    assert decided.status_code == 409 and "closed" in decided.get_json()["detail"]
    kept = api.post_as("K-1", f"promises/{promise_id}/kept", {"note": "已上门"}, "advisor", "li")
    assert kept.status_code == 409 and "closed" in kept.get_json()["detail"]
    body = api.get("K-1").get_json()
    assert body["compensation_state"] == "proposed" and body["promises"][0]["kept_at"] is None


def test_sent_mail_is_logged_with_whom_and_how_many_never_the_addresses(
        api, clock, mailer, people, caplog):
    api.client.post("/api/v1/complaints", json={
        "customer": {"id": "C-1", "name": "华东电力"}, "description": "空调不制冷",
        "category": "product_quality", "source": "hotline", "raised_at": "2026-11-20T17:00:00+08:00"},
        headers=api.headers("agent", login="chen"))
    clock.set(at(2026, 11, 23, 9, 0))
    with caplog.at_level(logging.INFO, logger="services.complaints.notify"):
        assert notify.send_notifications(SERVICE) > 0
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail ")]
    assert sent and mailer.sent
    assert not any("@acme.example" in line for line in sent), sent
    assert all("recipient(s)" in line for line in sent)


def test_seed_002_a_recurring_problems_corrective_action_and_mail_are_in_chinese(
        api, clock, mailer, people):
    """Seed 002 「对重复出现的不合格项」: the title and the managers' mail name the category as the pages do
    (产品质量), in Chinese; not "3 complaints (product_quality) within 30 days"."""
    for n, day in enumerate((2, 10, 20)):
        clock.set(at(2026, 11, day, 10, 0))
        api.raise_(complaint_id=f"R-{n}", product_model="KFR-35GW", category="product_quality",
                   raised_at=f"2026-11-{day:02d}T10:00:00+08:00")
    (action,) = api.client.get("/api/v1/corrective-actions", headers=api.headers("agent")).get_json()
    title = action["title"]
    assert "产品质量" in title and "KFR-35GW" in title and "30 天内 3 起" in title
    assert "product_quality" not in title and "complaints" not in title and "within" not in title
    notify.send_notifications(SERVICE)
    (mail,) = [m for m in mailer.sent if m["To"] == "zhao@acme.example" and "KFR-35GW" in m["Subject"]]
    text = mail["Subject"] + mail.get_body(("plain",)).get_content()
    assert "产品质量" in text and "纠正预防措施" in text and "R-0、R-1、R-2" in text
    assert "product_quality" not in text and "recurring problem" not in text and "Corrective action" not in text


def test_pipl_erasing_a_customer_blanks_their_promises_history_texts_and_mail(
        api, clock, mailer, people):
    """Erasing a customer (PIPL) with the ownership data: the promise made to the customer, the
    compensation offered, the history steps people typed and the mail about their complaints carried their
    words after `make erase-customer`."""
    import json

    from services.complaints.models import Complaint, ComplaintHistory, ComplaintPromise, Notification
    from shared.mesh.retention import ERASED, erase_customer

    raised = api.client.post("/api/v1/complaints", json={
        "customer": {"id": "C-1", "name": "李女士", "phone": "13712345678"}, "description": "空调漏水",
        "category": "product_quality", "source": "hotline", "raised_at": "2026-11-20T17:00:00+08:00"},
        headers=api.headers("agent", login="chen"))
    cid = raised.get_json()["id"]
    api.raise_(complaint_id="K-2", customer={"id": "C-2", "name": "王先生"})
    clock.set(at(2026, 11, 23, 9, 0))
    assert api.post_as(cid, "escalate", {"reason": "李女士要求投诉到消协"}, "advisor", "li").status_code == 200
    assert notify.send_notifications(SERVICE) > 0  # a mail to chen (the first taker) sent ...
    assert api.post_as(cid, "promises", {"what": "周三前给李女士回电", "to_whom": "李女士本人",
                                         "due_at": "2026-11-25T17:00:00+08:00"}, "manager", "zhao").status_code == 200
    assert api.post_as(cid, "compensation", {"offer": "赔偿李女士500元"}, "manager", "zhao").status_code == 200
    assert api.post_as(cid, "compensation/decision", {"approve": False, "note": "李女士已接受维修"}, "manager",
                 "zhao").status_code == 200
    assert api.post_as("K-2", "promises", {"what": "周四前上门", "to_whom": "王先生",
                                           "due_at": "2026-11-26T17:00:00+08:00"}, "advisor", "li").status_code == 200
    with SERVICE.connection():  # ... and more queued, not sent yet
        queued = Notification.select().where(Notification.complaint_id == cid, Notification.sent_at.is_null()).count()
    assert queued > 0
    # when customer C-1 asks to be erased
    done = SERVICE.run(erase_customer, organization=ORG, customer_id="C-1")
    assert done["complaint"] == 1 and done["complaint_promise"] == 1
    assert done["complaint_history"] >= 4 and done["complaint_notification"] > queued
    # then none of their words is left in the promises, the history, the mail or the events
    with SERVICE.connection():
        row = Complaint.get(Complaint.complaint_id == cid)
        texts = [row.compensation_offer or ""]
        texts += [f"{p.what} {p.to_whom}" for p in ComplaintPromise.select().where(ComplaintPromise.complaint == row)]
        history = list(ComplaintHistory.select().where(ComplaintHistory.complaint == row))
        texts += [h.reason for h in history]
        mails = list(Notification.select().where(Notification.complaint_id == cid))
        texts += [f"{m.subject} {m.body}" for m in mails]
        kept = [p.to_whom for p in ComplaintPromise.select().join(Complaint).where(Complaint.complaint_id == "K-2")]
    assert "李女士" not in " ".join(texts) and "13712345678" not in " ".join(texts)
    left = [e for e in api.events() if "李女士" in json.dumps(e, ensure_ascii=False)]
    assert left == [], left
    assert {m.subject for m in mails} == {ERASED}
    # the steps' facts stay (who, when, what kind), and the service's own wording of them
    assert [h.action for h in history][:2] == ["raised", "escalated"] and history[0].reason == "raised via hotline"
    assert (row.state, row.compensation_state, row.level) == ("open", "rejected", 1)
    # nobody else is touched, and a queued mail whose text is gone is not sent
    assert kept == ["王先生"]
    mailer.sent.clear()
    notify.send_notifications(SERVICE)
    assert not [m for m in mailer.sent if m["Subject"] == ERASED]
    assert api.get(cid, role="manager").status_code == 200
