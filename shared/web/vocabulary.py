"""The names people read for the codes of the contract, once for every service: callback kinds and
statuses, channels, business lines, segments, answers, complaint states, categories and sources,
closure reasons, deadlines, corrective actions, roles.

Codes stay codes in the database, the events and the API (CONTRACT.md); pages, the PDF and the mail
show these names. Each name is an English msgid, translated lazily (Flask-Babel in a request; the
Chinese comes from shared/web/translations, the words of the seeds). A word that means two things in
Chinese carries a context (`lazy_pgettext`): a callback that is "Open" is 待回访, a complaint 处理中.

`name_of` names a code on a page; `name_in` names it outside a request (the PDF, a mail, a stored
title), in a language given by the caller. A service keeps in its own labels module only the codes
no other service shows (its import states, its history steps ...), never a family defined here.
"""
from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from shared.core.event_fields import BUSINESS_LINES_SERVICE, SATISFACTION, SERVICE_KINDS, USER_ROLES
from shared.core.event_fields import COMPLAINT_CATEGORIES as CATEGORY_CODES
from shared.core.event_fields import COMPLAINT_SOURCES as SOURCE_CODES
from shared.core.event_fields import SEGMENTS as SEGMENT_CODES

#: The shared catalog (the service's own catalog, when it has one, is loaded after it).
CATALOG = Path(__file__).resolve().parent / "translations"
#: The catalogs' Chinese locale (the pages' zh_CN, the PDF's zh-CN).
CHINESE = "zh_Hans_CN"

#: Equipment callback kinds (RULES 1.1), in the order of a delivery's life.
EQUIPMENT_KINDS = ("installation", "trial_run", "warranty_6m", "warranty_end", "post_warranty_24m",
                   "post_warranty_36m")
#: Callback kinds of service orders (RULES 1.2) and of a resolved complaint.
SERVICE_CALLBACK_KINDS = ("first", "second", "verification")
#: The statuses of a callback task in CONTRACT.md; the scheduler adds declined and wrong_number.
CALLBACK_STATUS_CODES = ("open", "done", "unreachable", "cancelled")
#: How a callback was made (CONTRACT.md: callback tasks and `callback.completed`).
CHANNEL_CODES = ("phone", "onsite", "sms", "email", "wechat", "qr")
#: A survey link's states (CONTRACT.md "Survey links").
LINK_STATUS_CODES = ("queued", "sent", "opened", "answered", "expired", "failed")
#: A complaint's states (CONTRACT.md).
COMPLAINT_STATE_CODES = ("open", "resolved", "closed")
#: Ways to end a complaint besides a satisfied callback (seed 002: 匿名, 书面答复, 没有提出异议).
CLOSURE_REASON_CODES = ("anonymous", "written_reply", "no_objection", "not_valid", "unreachable")
#: The deadlines of a complaint: the 2-1-1 ones (seed 004) and those around them.
DEADLINE_CODES = ("handover", "rework", "first_reply", "answer", "investigate", "verify")
#: A corrective or preventive action's states (seed 000: 纠正预防措施).
ACTION_STATUS_CODES = ("open", "in_progress", "done", "effective", "ineffective")

#: Callback kinds: equipment (RULES 1.1), service orders (RULES 1.2, named after the order's kind),
#: periodic (RULES 1.4), the special callback of a repeat complaint, a complaint's verification.
CALLBACK_KINDS = {
    "installation": _l("Installation"),
    "trial_run": _l("Trial run"),
    "warranty_6m": _l("Warranty, 6 months"),
    "warranty_end": _l("Warranty end"),
    "post_warranty_24m": _l("Post-warranty, 24 months"),
    "post_warranty_36m": _l("Post-warranty, 36 months"),
    "first": _l("First callback"),
    "second": _l("Second callback"),
    "verification": _l("Complaint verification"),
    "periodic": _l("Periodic callback"),
    "repeat_special": _l("Special callback"),
    "maintenance": _l("Maintenance"),
    "repair": _l("Routine repair"),
    "major_repair": _l("Major repair"),
    "accident": _l("Accident repair"),
    "emergency_repair": _l("Emergency repair"),
    "contractor_repair": _l("Contractor repair"),
    "special_service": _l("Special service"),
    "help_request": _l("Help request"),
    "first_aid": _l("First aid"),
    "community_event": _l("Community event"),
    "purchase": _l("Purchase"),
    # follow-up calls (RULES 3: not surveys): a promise to a complaint's customer, a customer's question
    "promise_followup": _l("Promise follow-up"),
    "question_followup": _l("Answer to the customer's question"),
    # a survey (RULES 3): why a customer not served for months has not come back (seed 000 part 5)
    "lapsed": _l("Lapsed customer callback"),
}
#: Service order kinds (CONTRACT.md `service_order.completed` kind), named like their callbacks.
ORDER_KINDS = {code: CALLBACK_KINDS[code] for code in SERVICE_KINDS}
CALLBACK_STATUSES = {
    "open": lazy_pgettext("callback status", "Open"),
    "done": _l("Done"),
    "unreachable": _l("Unreachable"),
    "cancelled": _l("Cancelled"),
    "declined": _l("Declined callbacks"),
    # the task waits until the contact data is corrected (on its page, or by the ERP)
    "wrong_number": _l("Waiting for a correct number"),
}
CHANNELS = {
    "phone": lazy_pgettext("channel", "Phone"),
    "onsite": _l("On site"),
    "sms": _l("SMS"),
    "email": _l("E-mail"),
    "wechat": _l("WeChat"),
    "qr": _l("QR code"),
}
LINK_STATUSES = {
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "opened": _l("Opened"),
    "answered": _l("Answered"),
    "expired": _l("Expired"),
    "failed": _l("Failed"),
}
BUSINESS_LINES = {
    "equipment": _l("Equipment"),
    "vehicle": _l("Vehicle service"),
    "property": _l("Property"),
    "retail": _l("Retail"),
}
SEGMENTS = {
    "vip": _l("VIP"),
    "group": _l("Group company"),
    "government": _l("Government fleet"),
    "fleet": _l("Company fleet"),
    "police": _l("Judicial and police"),
    "ordinary": _l("Ordinary"),
}
#: The customer class of a complaint record (客户类别): group or private.
CUSTOMER_CLASSES = {
    "group": _l("Group customer"),
    "private": _l("Private customer"),
}
#: The five-point scale (RULES 3), best first.
ANSWERS = {
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "neutral": _l("Neutral"),
    "dissatisfied": _l("Dissatisfied"),
    "very_dissatisfied": _l("Very dissatisfied"),
}
COMPLAINT_STATES = {
    "open": _l("Open"),
    "resolved": _l("Resolved, awaiting verification"),
    "closed": _l("Closed"),
}
#: Complaint categories (RULES 2: 投诉类别).
CATEGORIES = {
    "product_quality": _l("Product quality"),
    "service_quality": _l("Service quality"),
    "attitude": _l("Attitude"),
    "price": _l("Price"),
    "waiting_time": _l("Waiting time"),
    "other": _l("Other"),
}
#: Where a complaint came from (CONTRACT complaint.raised `source`).
SOURCES = {
    "callback": _l("Callback"),
    "hotline": _l("Hotline"),
    "manufacturer": _l("Manufacturer"),
    "walk_in": _l("Walk-in"),
    "web": _l("Web"),
    "consumer_association": _l("Consumer association"),
    "media": _l("Media"),
}
CLOSURE_REASONS = {
    "anonymous": _l("Anonymous complaint"),
    "written_reply": _l("Answered in writing"),
    "no_objection": _l("No objection"),
    "not_valid": _l("Not a valid complaint"),
    "unreachable": _l("Verification unreachable"),
}
#: The 2-1-1 deadlines (seed 004: 2 小时内回复, 1 天内答复, 1 天内回访) and those around them.
DEADLINES = {
    "handover": _l("Hand-over to an engineer"),
    "rework": _l("Rework of a repeat complaint"),
    "first_reply": _l("First reply"),
    "answer": _l("Handler's answer"),
    "investigate": _l("Investigation by the superior"),
    "verify": _l("Verification callback"),
}
ACTION_STATUSES = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done, to be checked"),
    "effective": _l("Effective"),
    "ineffective": _l("Not effective"),
}
#: Hotline tickets that are not complaints (seed 001 热线接听流程; CONTRACT "Tickets"): their kinds, the
#: warranty status, the service level (根据客户情况决定服务级别) and mode (根据服务政策决定服务方式).
TICKET_KIND_CODES = ("consultation", "service_request")
WARRANTY_CODES = ("in_warranty", "out_of_warranty", "unknown")
SERVICE_LEVEL_CODES = ("key_account", "farmer", "emergency", "ordinary")
SERVICE_MODE_CODES = ("onsite", "carry_in", "mail_in", "paid", "phone")
TICKET_KINDS = {"consultation": _l("Consultation"), "service_request": _l("Service request")}
WARRANTY = {"in_warranty": _l("In warranty"), "out_of_warranty": _l("Out of warranty"),
            "unknown": lazy_pgettext("warranty", "Not known")}
SERVICE_LEVELS = {"key_account": _l("Key account"), "farmer": _l("Farmer"), "emergency": _l("Emergency service"),
                  "ordinary": lazy_pgettext("service level", "Ordinary")}
SERVICE_MODES = {"onsite": _l("On-site service"), "carry_in": _l("Carry-in repair"), "mail_in": _l("Mail-in repair"),
                 "paid": _l("Paid service"), "phone": _l("Answered by phone")}
#: Role names (the seeds' terms: 回访员, 服务顾问, 接待主管, 服务经理).
ROLES = {
    "agent": _l("Callback agent"),
    "advisor": _l("Service advisor"),
    "supervisor": _l("Reception supervisor"),
    "manager": _l("Service manager"),
    "admin": _l("Administrator"),
    "integration": _l("System integration"),
}

#: Each family of codes the contract names: (the contract's codes, their names). A test checks that
#: every code has a name, and the name a Chinese translation.
FAMILIES = {
    "callback kinds": ((*EQUIPMENT_KINDS, *SERVICE_CALLBACK_KINDS, *SERVICE_KINDS), CALLBACK_KINDS),
    "order kinds": (SERVICE_KINDS, ORDER_KINDS),
    "callback statuses": (CALLBACK_STATUS_CODES, CALLBACK_STATUSES),
    "channels": (CHANNEL_CODES, CHANNELS),
    "link statuses": (LINK_STATUS_CODES, LINK_STATUSES),
    "business lines": (("equipment", *BUSINESS_LINES_SERVICE), BUSINESS_LINES),
    "segments": (SEGMENT_CODES, SEGMENTS),
    "answers": (SATISFACTION, ANSWERS),
    "complaint states": (COMPLAINT_STATE_CODES, COMPLAINT_STATES),
    "complaint categories": (CATEGORY_CODES, CATEGORIES),
    "complaint sources": (SOURCE_CODES, SOURCES),
    "closure reasons": (CLOSURE_REASON_CODES, CLOSURE_REASONS),
    "deadlines": (DEADLINE_CODES, DEADLINES),
    "corrective action statuses": (ACTION_STATUS_CODES, ACTION_STATUSES),
    "roles": ((*USER_ROLES, "integration"), ROLES),
    "ticket kinds": (TICKET_KIND_CODES, TICKET_KINDS),
    "warranty statuses": (WARRANTY_CODES, WARRANTY),
    "service levels": (SERVICE_LEVEL_CODES, SERVICE_LEVELS),
    "service modes": (SERVICE_MODE_CODES, SERVICE_MODES),
}


def name_of(table: dict, code) -> str:
    """Gives the name of `code` in `table` in the page's language, else the code itself."""
    if code is None:
        return ""
    return str(table.get(code, code))


def msgid_of(label) -> tuple[str | None, str]:
    """Gives the (context, msgid) of a name of these tables (a lazy string of Flask-Babel)."""
    args = getattr(label, "_args", None)
    if not args:
        return None, str(label)
    return (args[0], args[1]) if len(args) == 2 else (None, args[0])


@functools.lru_cache(maxsize=8)
def translations(language: str, *own: str) -> NullTranslations:
    """Gives the words of `language` ("zh-CN", "zh_CN", "en" ...) outside a request: the shared
    catalog, then each folder of `own` (a service's catalog), the later winning, as on the pages."""
    if not language.lower().startswith("zh"):
        return NullTranslations()  # English is the msgids themselves
    words = Translations.load(str(CATALOG), [CHINESE])
    for folder in own:
        words.merge(Translations.load(folder, [CHINESE]))
    return words


def name_in(language: str, table: dict, code, *own: str) -> str:
    """Gives the name of `code` in `table` in `language` outside a request (the PDF, a mail, a
    stored title), else the code itself; `own` are the service's catalog folders."""
    if code is None:
        return ""
    label = table.get(code)
    if label is None:
        return str(code)
    context, msgid = msgid_of(label)
    words = translations(language, *own)
    return words.pgettext(context, msgid) if context else words.gettext(msgid)
