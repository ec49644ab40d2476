"""The event catalogue's words: one sentence and one example of each event type (`TYPES`), what a
reader needs besides the schemas (shared/core/event_types.py), and who publishes and receives each.

The same examples are the request examples of `POST /api/v1/events` (shared/web/apidocs.py);
docs/EVENTS.md is written from them and the schemas by shared/core/catalogue_doc.py, and
tests/unit/test_docs.py fails when a type has no example or an example is not valid.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.core.event_types import REGISTRY
from shared.core.events import CONSUMED_TYPES, INTERNAL_TYPES, OWN_SOURCE_PREFIX
from shared.core.manifest import load_manifests

_CUSTOMER = {"id": "C-1001", "name": "华东电力", "segment": "vip", "phone": "13800000001",
             "contact_person": "刘工", "site_contact": "周工", "site_phone": "13900000002"}
_DRIVER = {"id": "C-2002", "name": "王先生", "segment": "ordinary", "phone": "13700000003"}
_CALLBACK_ID = "3f6c2a9e-8b1d-5c4e-9a7f-2d1e0b6c4a18"


@dataclass(frozen=True)
class TypeDoc:
    """What the catalogue says of one event type besides its schema."""

    #: One sentence: what happened, and what Huifang does with it.
    summary: str
    #: The `data` of an example envelope (valid against the type's schema).
    example: dict


#: Every event type of shared/core/event_types.py REGISTRY: one sentence and an example of its data.
TYPES: dict[str, TypeDoc] = {
    "delivery.shipped": TypeDoc(
        "Equipment left the factory (发货). The scheduler plans the equipment callbacks of the delivery "
        "(RULES 1.1) and adds it to the ledger (台帐).",
        {"delivery_id": "D-2026-0001", "customer": _CUSTOMER, "shipped_on": "2026-01-31",
         "project": "华东电力 110kV 变电站改造", "product_model": "KYN28-12", "quantity": 4,
         "contract_amount": "3200000.00", "business_line": "equipment"}),
    "equipment.installed": TypeDoc(
        "The delivered equipment was installed on site; the installation callback follows it.",
        {"delivery_id": "D-2026-0001", "installed_on": "2026-02-10"}),
    "equipment.commissioned": TypeDoc(
        "The equipment was commissioned (投运): the warranty starts, and with it the warranty callbacks.",
        {"delivery_id": "D-2026-0001", "commissioned_on": "2026-02-20"}),
    "delivery.cancelled": TypeDoc(
        "The delivery was cancelled: its open callbacks are cancelled.",
        {"delivery_id": "D-2026-0001"}),
    "service_order.completed": TypeDoc(
        "A service order (maintenance, repair, ...) was completed: the callbacks after service (RULES 1.2) "
        "are planned by the organisation's policy (key customers always, others sampled).",
        {"order_id": "SO-2026-0042", "customer": _DRIVER, "completed_at": "2026-01-31T16:30:00+08:00",
         "business_line": "vehicle", "kind": "repair", "advisor_id": "zhao"}),
    "customer.updated": TypeDoc(
        "A customer's name, segment or contacts changed in the ERP; every service keeps the newest.",
        {"customer": {**_DRIVER, "segment": "fleet", "contact_person": "王先生"}}),
    "complaint.raised": TypeDoc(
        "A complaint (客户投诉) was raised: from outside (hotline, web, walk-in ...) or by the scheduler after "
        "a dissatisfied callback. The complaints service routes it with the 2-1-1 deadlines. Ids starting with "
        "`CMP-` or `callback-` are Huifang's own: from outside they are refused (`data.complaint_id`).",
        {"complaint_id": "HL-2026-0007", "customer": _DRIVER,
         "description": "维修后空调仍不制冷，客户要求再次检查。", "category": "service_quality", "source": "hotline",
         "raised_at": "2026-02-02T09:15:00+08:00", "order_id": "SO-2026-0042"}),
    "callback.scheduled": TypeDoc(
        "The scheduler planned (or moved) a callback task.",
        {"callback_id": _CALLBACK_ID, "kind": "first", "due_on": "2026-02-03", "customer_id": "C-2002"}),
    "callback.completed": TypeDoc(
        "An agent reached the customer and recorded the answers of a callback: every answer by question id, "
        "and the questionnaire's yes/no questions with their labels (the report counts their answers).",
        {"callback_id": _CALLBACK_ID, "kind": "first", "due_on": "2026-02-03", "customer": _DRIVER,
         "key_customer": False, "reached": True, "product_satisfaction": "satisfied",
         "service_satisfaction": "very_satisfied", "complaint_id": None, "dissatisfied_reason": None,
         "suggestions": "希望增加夜间服务电话。", "questionnaire": "equipment_installation",
         "answers": {"product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied",
                     "transport_damage": False},
         "yes_no_questions": [{"id": "transport_damage", "label_zh": "产品外包装和运输过程是否损伤",
                               "label_en": "Was the packing or the product damaged in transport"}]}),
    "callback.unreachable": TypeDoc(
        "The customer could not be reached in the attempts the policy allows.",
        {"callback_id": _CALLBACK_ID, "customer_id": "C-2002"}),
    "callback.rescheduled": TypeDoc(
        "The customer asked to be called at a time: the next attempt is planned then, inside the call windows.",
        {"callback_id": _CALLBACK_ID, "customer_id": "C-2002", "kind": "first", "due_on": "2026-11-02",
         "call_at": "2026-11-03T14:00:00+08:00", "asked_at": "2026-11-03T13:00:00+08:00", "agent": "li"}),
    "callback.declined": TypeDoc(
        "The customer does not accept callbacks (谢绝回访): no survey callback is planned for them from then on, "
        "and the callback counts apart from the completion rate; the follow-ups of a complaint they raised are "
        "still made, and a declined verification (`verification`, `complaint_id`) puts the complaint in the "
        "supervisor's queue.",
        {"callback_id": _CALLBACK_ID, "customer_id": "C-2002", "kind": "first", "due_on": "2026-11-02",
         "agent": "li", "cancelled_callbacks": 1}),
    "callback.wrong_number": TypeDoc(
        "The number called was wrong: the callback waits for corrected contact data (a `customer.updated` "
        "with another phone or contact person opens it again); a complaint's verification (`verification`, "
        "`complaint_id`) puts the complaint in the supervisor's queue meanwhile.",
        {"callback_id": _CALLBACK_ID, "customer_id": "C-2002", "kind": "first", "agent": "li",
         "corrected": False}),
    "callback.reviewed": TypeDoc(
        "A reviewer (the service supervisor weekly, the manager monthly, by policy) gave a callback record "
        "the verdict pass (抽查合格) or needs improvement (有待改进): the report's callback quality pass rate "
        "counts them.",
        {"callback_id": _CALLBACK_ID, "record_no": "202611-0001", "kind": "first", "due_on": "2026-11-02",
         "customer_id": "C-2002", "agent": "li", "reviewer": "zhao", "reviewer_role": "supervisor",
         "period": "2026-W45", "verdict": "needs_improvement", "comment": "未核实客户联系方式。",
         "reviewed_at": "2026-11-06T16:00:00+08:00"}),
    "lead.raised": TypeDoc(
        "A callback's answer wants maintenance, a retrofit or a new purchase (寻求新的商务机会): a lead with its "
        "owner and due date, for the ERP to take (data/leads.yaml says which answers).",
        {"lead_id": "9b2f6a1c-3d4e-5f60-8a7b-1c2d3e4f5a6b", "kind": "maintenance_or_retrofit",
         "question": "maintenance_or_retrofit_wanted", "owner": "chen", "owner_role": "manager",
         "due_on": "2028-03-22", "callback_id": _CALLBACK_ID, "record_no": "202803-0004", "customer": _CUSTOMER,
         "delivery_id": "D-2026-0042", "order_id": None, "note": "希望改造为智能柜",
         "raised_at": "2028-03-15T10:20:00+08:00"}),
    "lead.updated": TypeDoc(
        "A lead moved on: its owner contacted the customer, or it ended won or lost (with a note). The "
        "month's report counts the leads raised and won; the latest `updated_at` wins.",
        {"lead_id": "9b2f6a1c-3d4e-5f60-8a7b-1c2d3e4f5a6b", "kind": "maintenance_or_retrofit", "status": "won",
         "owner": "chen", "due_on": "2028-03-22", "callback_id": _CALLBACK_ID, "customer_id": "C-2002",
         "raised_at": "2028-03-15T10:20:00+08:00", "updated_by": "chen", "note": "签订改造合同",
         "updated_at": "2028-03-20T15:00:00+08:00", "closed_at": "2028-03-20T15:00:00+08:00"}),
    "complaint.escalated": TypeDoc(
        "A complaint moved one level up its chain (by hand, or because a deadline passed).",
        {"complaint_id": "CMP-2026-0007"}),
    "complaint.resolved": TypeDoc(
        "A complaint was resolved at its level; the scheduler plans the verification callback.",
        {"complaint_id": "CMP-2026-0007"}),
    "complaint.closed": TypeDoc(
        "The verification callback found the customer satisfied: the complaint is closed; or a person the "
        "policy allows closed it with a `closure_reason` (anonymous, written_reply, no_objection, not_valid, "
        "unreachable) and a comment.",
        {"complaint_id": "CMP-2026-0007"}),
    "complaint.reopened": TypeDoc(
        "The verification callback found the customer still dissatisfied: the complaint is open again.",
        {"complaint_id": "CMP-2026-0007"}),
    "customer.flagged": TypeDoc(
        "The day after a complaint was resolved, the customer gets the special mark (特殊标记) with its remark: "
        "from now on a key customer for callbacks.",
        {"customer_id": "C-2002"}),
    "customer.unflagged": TypeDoc(
        "A manager lifted a customer's special mark: their next orders are sampled like an ordinary "
        "customer's again.",
        {"customer_id": "C-2002"}),
    "complaint.repeated": TypeDoc(
        "A repeat complaint about the same repair (RULES 1.3): a special callback and rework within 24 hours.",
        {"complaint_id": "CMP-2026-0008", "customer": _DRIVER, "rework_due_at": "2026-02-03T09:15:00+08:00"}),
    "complaint.deadlines_moved": TypeDoc(
        "A complaint's deadlines were planned again on the published calendar (RULES 1.6): the names of "
        "the deadlines that moved.",
        {"complaint_id": "CMP-2026-0007", "moved": ["verify_due_at"]}),
    "complaint.accepted": TypeDoc(
        "A person accepted a complaint (接单): its owner (处理人) from `accepted_at`; the first person who took it "
        "(首问责任人, `first_taker`) stays accountable until it closes.",
        {"complaint_id": "CMP-2026-0007", "owner": "zhao", "accepted_at": "2026-02-02T09:40:00+08:00",
         "first_taker": "li", "department": "售后服务部"}),
    "complaint.handed_over": TypeDoc(
        "A hotline complaint's ticket went to an engineer (转交工程师, seed 001): `handed_over_at` against "
        "`handover_due_at`; the report counts the hand-overs made on time.",
        {"complaint_id": "CMP-2026-0007", "handed_over_at": "2026-02-02T09:10:00+08:00",
         "handover_due_at": "2026-02-02T09:15:00+08:00"}),
    "ticket.recorded": TypeDoc(
        "A hotline ticket that is not a complaint (seed 001): a consultation (咨询服务单) or a service request "
        "(任务单), due with the hotline engineer by `handover_due_at`; `duplicate_of` names an earlier ticket of "
        "the same customer and product. The report counts tickets apart, never as complaints.",
        {"ticket_id": "TK-3F6C2A9E8B1D", "kind": "service_request", "recorded_at": "2026-11-20T17:00:00+08:00",
         "handover_due_at": "2026-11-20T17:15:00+08:00", "duplicate_of": None}),
    "ticket.handed_over": TypeDoc(
        "A ticket went to the hotline engineer (信息协调员15分钟内转交热线工程师): `handed_over_at` against "
        "`handover_due_at`; a service request is then due with the repair coordinator by `dispatch_due_at`.",
        {"ticket_id": "TK-3F6C2A9E8B1D", "kind": "service_request", "handed_over_at": "2026-11-20T17:10:00+08:00",
         "handover_due_at": "2026-11-20T17:15:00+08:00", "dispatch_due_at": "2026-11-20T17:25:00+08:00"}),
    "ticket.dispatched": TypeDoc(
        "A service request was passed on to the repair coordinator (转交维修协调员): `dispatched_at` against "
        "`dispatch_due_at`; the report counts those passed on in time.",
        {"ticket_id": "TK-3F6C2A9E8B1D", "kind": "service_request", "dispatched_at": "2026-11-20T17:20:00+08:00",
         "dispatch_due_at": "2026-11-20T17:25:00+08:00"}),
    "ticket.converted": TypeDoc(
        "A ticket was turned into a complaint (its own complaint.raised follows); the report counts the "
        "tickets converted, the complaint counts among the complaints.",
        {"ticket_id": "TK-3F6C2A9E8B1D", "kind": "consultation", "complaint_id": "CMP-9A1B2C3D4E5F",
         "converted_at": "2026-11-20T17:30:00+08:00"}),
    "complaint.verification_unreachable": TypeDoc(
        "The verification callback of a resolved complaint found nobody after every attempt: the complaint "
        "waits in the supervisor's queue, to be closed with a reason or tried again.",
        {"complaint_id": "CMP-2026-0007", "callback_id": _CALLBACK_ID}),
    "complaint.verification_retried": TypeDoc(
        "A supervisor asked for the verification callback of a complaint again; the scheduler plans a new one "
        "due by `verify_due_at`.",
        {"complaint_id": "CMP-2026-0007", "customer": _DRIVER, "verify_due_at": "2026-02-04T09:40:00+08:00"}),
    "complaint.promise_made": TypeDoc(
        "A promise was made to a complaint's customer (what, to whom, by when): the scheduler plans a follow-up "
        "callback of `followup_kind` on its day; its maker is reminded before it.",
        {"complaint_id": "CMP-2026-0007", "promise_id": "P-3F6C2A9E8B1D", "customer": _DRIVER,
         "what": "周五前上门更换压缩机", "to_whom": "王先生", "due_at": "2026-02-06T17:00:00+08:00", "made_by": "zhao",
         "followup_kind": "promise_followup"}),
    "complaint.promise_kept": TypeDoc(
        "A promise made to a complaint's customer was kept (`late` when after its moment).",
        {"complaint_id": "CMP-2026-0007", "promise_id": "P-3F6C2A9E8B1D", "kept_at": "2026-02-06T15:00:00+08:00",
         "late": False}),
    "complaint.promise_broken": TypeDoc(
        "A promise made to a complaint's customer was not kept by its moment: a broken promise (board, report).",
        {"complaint_id": "CMP-2026-0007", "promise_id": "P-3F6C2A9E8B1D", "due_at": "2026-02-06T17:00:00+08:00"}),
    "corrective_action.updated": TypeDoc(
        "A corrective action of the register (纠正预防措施) was opened or changed, whole: owner, due date, status, "
        "the check that it worked, the complaints and callbacks behind it; `origin` recurring when a recurring "
        "problem crossed the policy's threshold. The latest `updated_at` wins.",
        {"action_id": "CA-2026-7F3A", "title": "空调压缩机接头批量漏氟：更换供应商并复检库存", "owner": "zhang",
         "due_on": "2026-02-20", "status": "open", "origin": "recurring", "complaint_ids": ["CMP-2026-0007"],
         "callback_ids": [], "effectiveness": None, "updated_at": "2026-02-06T09:00:00+08:00"}),
    "report.generated": TypeDoc(
        "The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告) was made.",
        {"month": "2026-01"}),
    "report.sent": TypeDoc(
        "The monthly report was mailed to its recipients.",
        {"month": "2026-01"}),
    "user.updated": TypeDoc(
        "A person of the user directory was created or changed (`make user`); every service keeps the newest "
        "`updated_at`.",
        {"login": "li", "role": "agent", "name": "李娜", "email": "li@acme.example", "phone": None,
         "business_lines": ["vehicle", "retail"], "branch": "north-station", "password_hash": None, "active": True,
         "updated_at": "2026-01-31T02:00:00+00:00"}),
    "integration_token.updated": TypeDoc(
        "An organisation's integration token was issued or revoked (`make integration-token`, "
        "`make revoke-integration-token`): every service refuses a revoked one from then on.",
        {"token_id": "it_3f9a0c7d5e1b2a48", "label": "ERP", "issued_at": "2026-01-31T02:00:00+00:00",
         "revoked_at": None}),
    "user.signed_out": TypeDoc(
        "A person signed out of the pages: every service refuses that page session from then on (its id's "
        "SHA-256 only).",
        {"login": "li", "session": "9f2c6a0b5d1e4f3a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
         "ended_at": "2026-01-31T10:00:00+00:00"}),
    "webhook.endpoint_updated": TypeDoc(
        "An organisation's webhook endpoint was added or changed (`/api/v1/webhooks`, or disabled after failing); "
        "every service keeps the newest `updated_at` and sends the events it produces to it (docs/WEBHOOKS.md).",
        {"endpoint_id": "ep_4f1c2b9a7d3e5f60a1b2", "url": "https://erp.acme.example/huifang/webhooks",
         "types": ["callback.completed", "complaint.*"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
         "enabled": True, "description": "ERP", "disabled_reason": None,
         "updated_at": "2026-01-31T02:00:00+00:00"}),
}

#: The source of the example envelopes, by who sends the type.
_EXAMPLE_SOURCES = {"outside": "erp://acme-electric"}


def example_envelope(event_type: str) -> dict:
    """Gives an example envelope of `event_type` (valid: shared.core.events.validate_envelope accepts it)."""
    source = _EXAMPLE_SOURCES["outside"] if event_type in CONSUMED_TYPES else (
        OWN_SOURCE_PREFIX + (publishers(event_type) or ["scheduler"])[0])
    return {"specversion": "1.0", "id": "erp-000123" if event_type in CONSUMED_TYPES else
            "9d2f7c1e-4b3a-4e8f-a6d5-0c1b2a3d4e5f",
            "type": event_type, "source": source, "time": "2026-01-31T10:00:00+08:00",
            "organization": "acme-electric", "data": TYPES[event_type].example}


def publishers(event_type: str) -> list[str]:
    """Gives the services that publish `event_type` (their manifests' `publishes`)."""
    return [name for name, m in load_manifests().items() if event_type in m["publishes"]]


def subscribers(event_type: str) -> list[str]:
    """Gives the services that receive `event_type` (their manifests' `subscribes`)."""
    return [name for name, m in load_manifests().items() if event_type in m["subscribes"]]


def postable_types() -> list[str]:
    """Gives the types `POST /api/v1/events` accepts: every known type but the internal ones."""
    return [t for t in REGISTRY if t not in INTERNAL_TYPES]
