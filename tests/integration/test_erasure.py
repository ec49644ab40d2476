"""Erasing a customer (PIPL right to erasure; RULES 1.4, customer data is confidential):
`make erase-customer` leaves their name, phones and their delivery's project (often a site
address) in no column of any table of any service, in no event kept (event log, outbox, webhook
deliveries) and in no mail file; every count and figure stays. The search runs over every table
the databases hold (introspected, not listed), so a table added later is searched too."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from ops.people import erase_everywhere
from services.complaints.notify import send_notifications
from services.reporting.jobs import compute_report, generate_report
from services.reporting.notify import send_report
from services.scheduler.handlers.imports import queue_ledger_import
from services.scheduler.handlers.leads import update_lead
from services.scheduler.handlers.outcomes import correct_contact
from services.scheduler.handlers.reviews import record_review
from services.scheduler.handlers.supervision import ask_question, switch_to_onsite
from shared.mesh.retention import FEATURES_WITHOUT_CUSTOMER_TEXT, erase_customer
from shared.users.store import save_person
from testkit.erasure import ORG, installation  # noqa: F401  (the fixture of these tests)
from testkit.tokens import bearer, user_token

NAME, PHONE, NEW_PHONE = "周晓梅", "13600009999", "13600008888"
CONTACT, SITE_CONTACT, SITE_PHONE = "吴建国", "郑海燕", "13700007777"
PROJECT = "滨江花园三号楼配电房"


def shipped(delivery_id: str, customer: dict, project: str) -> dict:
    return {"delivery_id": delivery_id, "shipped_on": "2026-01-31", "contract_amount": "120000.00",
            "project": project, "product_model": "KYN28-12", "quantity": 4, "customer": customer}


def a_customer_everywhere(installation) -> dict:
    """Gives the callbacks of customer C-9 after their words reached every place a service keeps text:
    deliveries, contact corrections, a callback's free answers, a complaint and its mail, leads,
    reviews, open questions, a callback change, a checked ledger file, a report mailed, webhook
    deliveries, the event logs and outboxes."""
    scheduler, reporting = installation["scheduler"], installation["reporting"]
    for service in installation.services.values():
        with service.connection():
            service.webhooks.Endpoint.create(endpoint_id=f"wh-{service.name}", organization=ORG,
                                             url="https://erp.example/hooks", types='["*"]', secret="s" * 32,
                                             updated_at=installation.clock())
        for login, role in (("zhao", "supervisor"), ("chen", "manager"), ("li", "agent")):
            service.run(save_person, organization=ORG, login=login, role=role, email=f"{login}@acme.example")
    installation.post("delivery.shipped", shipped("D-9", {
        "id": "C-9", "name": NAME, "segment": "ordinary", "phone": PHONE, "contact_person": CONTACT,
        "site_contact": SITE_CONTACT, "site_phone": SITE_PHONE}, PROJECT))
    installation.post("delivery.shipped", shipped("D-8", {"id": "C-8", "name": "钱先生", "segment": "ordinary",
                                                          "phone": "13911112222"}, "钱塘工业园"))
    for delivery in ("D-9", "D-8"):
        installation.post("equipment.commissioned", {"delivery_id": delivery, "commissioned_on": "2026-03-15"})
    installation.clock.set(datetime(2028, 3, 15, 2, 0, tzinfo=timezone.utc))  # Wednesday 10:00 in Shanghai
    client = scheduler_client(installation)
    callbacks = {}
    words = {"D-9": (f"{NAME}说{PROJECT}的柜子漏电", f"请到{PROJECT}找{CONTACT}"),
             "D-8": ("钱先生说钱塘工业园的柜子漏电", "请到钱塘工业园找钱先生")}
    for delivery, (reason, suggestions) in words.items():
        listed = client.get("/api/v1/callbacks", query_string={"delivery_id": delivery,
                                                                 "kind": "post_warranty_24m"},
                            headers=bearer(user_token("manager", ORG, "chen"))).get_json()
        callbacks[delivery] = listed[0]["id"]
        answered = client.post(f"/api/v1/callbacks/{callbacks[delivery]}/outcome", headers=bearer(
            user_token("agent", ORG, "li")), json={
            "reached": True, "product_satisfaction": "dissatisfied", "service_satisfaction": "satisfied",
            "dissatisfied_reason": reason, "suggestions": suggestions,
            "answers": {"purchase_wanted": True, "maintenance_or_retrofit_wanted": False}})
        assert answered.status_code == 200, answered.get_json()
    installation.spread()
    nine = callbacks["D-9"]
    scheduler.run(record_review, organization=ORG, callback_id=nine, role="supervisor", reviewer="zhao",
                  verdict="needs_improvement", comment=f"没有核对{NAME}的新号码{NEW_PHONE}")
    lead = client.get("/api/v1/leads", headers=bearer(user_token("manager", ORG, "chen"))).get_json()
    for row in lead:
        if row["callback_id"] == nine:
            scheduler.run(update_lead, organization=ORG, lead_id=row["id"], actor="chen", role="manager",
                          status="contacted", note=f"{NAME}要在{PROJECT}加两台柜")
    scheduler.run(ask_question, organization=ORG, callback_id=nine, question=f"{NAME}问{PROJECT}的备件何时到",
                  owner="chen", answer_due_at=installation.clock() + timedelta(days=2), asked_by="li")
    with scheduler.connection():
        other = next(t for t in scheduler_open_callbacks(scheduler, "C-9") if t != nine)
    scheduler.run(switch_to_onsite, organization=ORG, callback_id=other, reason=f"{NAME}电话打不通，去{PROJECT}",
                  actor="zhao")
    scheduler.run(queue_ledger_import, organization=ORG, login="li", filename="台帐.csv", dry_run=True, content=(
        f"发货单号,顾客编号,顾客名称,发货时间\nD-9,C-9,{NAME},2026-01-31\nD-8,C-8,钱先生,2026-01-31\n").encode())
    installation.spread()
    assert send_notifications(installation["complaints"]) > 0  # the mail about the complaint, in var/outbox
    row, request = generate_report(reporting, ORG, "2028-03", "zh-CN", send_to=["boss@acme.example"],
                                   send_request="r-1")
    assert send_report(reporting, ORG, "2028-03", request) == "sent"
    # the customer's phone corrected since: the report and its mail still have the old one
    scheduler.run(correct_contact, organization=ORG, customer_id="C-9", correction={"phone": NEW_PHONE},
                  login="li", callback_id=None)
    installation.spread()
    return callbacks


def scheduler_client(installation):
    from services.scheduler.app import create_app

    return create_app({"TESTING": True, "HUIFANG_SETTINGS": installation.settings}).test_client()


def scheduler_open_callbacks(scheduler, customer_id: str) -> list[str]:
    Task = next(m for m in scheduler.models if m.__name__ == "CallbackTask")
    return [t.id for t in Task.select().where(Task.customer_id == customer_id, Task.status == "open")]


def test_rule_1_4_erasing_a_customer_leaves_their_name_phones_and_project_in_no_table_and_no_mail_file(
        installation):
    # given customer C-9's name, phones and project in every place the services keep text
    a_customer_everywhere(installation)
    needles = (NAME, PHONE, NEW_PHONE, CONTACT, SITE_CONTACT, SITE_PHONE, PROJECT)
    before = installation.search(needles)
    assert {hit[1] for hit in before if len(hit) == 4} >= {
        "customer", "delivery", "contact_correction", "callback_task", "callback_review", "lead", "open_question",
        "callback_change", "ledger_import", "complaint", "complaint_notification", "webhook_delivery", "outbox",
        "event_log", "report"}, before
    assert [hit for hit in before if len(hit) == 2], "mail files name the customer"
    counts = installation.counts()
    figures = compute_report(installation["reporting"], ORG, "2028-03", "zh-CN").as_dict()["figures"]
    # when the customer is erased in every service
    erase_everywhere(installation.services.values(), organization=ORG, customer_id="C-9")
    # then none of it is left anywhere: no column of any table, no mail file
    left = installation.search(needles)
    assert left == [], "\n".join(map(str, left))
    # and every row is still there (the erasure's own audit entries added), every figure as before
    after = installation.counts()
    audit = {key for key in counts if key[1] == "audit_log"}
    assert {k: v for k, v in after.items() if k not in audit and k[1] != "made_figures"} == {
        k: v for k, v in counts.items() if k not in audit and k[1] != "made_figures"}
    assert all(after[key] == counts[key] + 1 for key in audit)
    assert compute_report(installation["reporting"], ORG, "2028-03", "zh-CN").as_dict()["figures"] == figures
    # nobody else is touched
    assert {hit[3] for hit in installation.search(["钱先生", "钱塘工业园"]) if len(hit) == 4} == {"钱先生", "钱塘工业园"}


def test_rule_1_4_every_table_of_every_service_is_erased_or_said_to_hold_no_customer_text(installation):
    # given every table the three databases hold (the features' and each service's, new ones too)
    for service in installation.services.values():
        with service.connection() as database:
            tables = set(database.get_tables())
        # when a customer is erased
        done = service.run(erase_customer, organization=ORG, customer_id="C-404")
        # then each table was erased, or the service says why it holds no customer's text
        said = set(FEATURES_WITHOUT_CUSTOMER_TEXT) | set(service.without_customer_text)
        assert tables - set(done) - said == set(), (service.name, "a table with no eraser: erase it (customer_tables, "
                                                    "customer_erasers) or say why it holds no customer text")
        assert said & set(done) == set(), service.name
