"""Names people read on the reporting pages (figures, statuses, codes), per language: Chinese
from the service's catalog, English the msgids. The words are those of the report itself
(labels.py: 回访完成率, 满意率, 感动率, 回头率 ...), so the page and the PDF say the same."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: The report's figures (domain.kpi.FIGURE_NAMES), as the report names them.
FIGURES = {
    "callback_completion_rate": _l("Callback completion rate"),
    "key_callback_completion_rate": _l("Completion, key customers"),
    "ordinary_callback_completion_rate": _l("Completion, ordinary customers"),
    "product_satisfaction_rate": _l("Product satisfaction rate"),
    "service_satisfaction_rate": _l("Service satisfaction rate"),
    "touched_rate": _l("Touched rate"),
    "return_rate": _l("Return rate"),
    "ordinary_order_coverage_rate": _l("Order coverage, ordinary customers"),
    "over_time_limit_rate": _l("Calls over the time guide"),
    "outside_call_window_rate": _l("Recorded outside the call windows"),
    "first_reply_on_time": _l("First reply on time"),
    "answer_on_time": _l("Handler's answer on time"),
    "verify_on_time": _l("Verification callback on time"),
    "rework_on_time": _l("Rework on time"),
}
#: What each figure counts: (numerator, denominator).
FIGURE_PARTS = {
    "callback_completion_rate": (_l("reached"), _l("callbacks of the month")),
    "key_callback_completion_rate": (_l("reached"), _l("key customers' callbacks")),
    "ordinary_callback_completion_rate": (_l("reached"), _l("ordinary customers' callbacks")),
    "product_satisfaction_rate": (_l("satisfied"), _l("answers on product quality")),
    "service_satisfaction_rate": (_l("satisfied"), _l("answers on service quality")),
    "touched_rate": (_l("all answers very satisfied"), _l("customers served")),
    "return_rate": (_l("served before"), _l("customers served")),
    "ordinary_order_coverage_rate": (_l("called back"), _l("ordinary customers' orders")),
    "over_time_limit_rate": (_l("over the guide"), _l("timed calls")),
    "outside_call_window_rate": (_l("outside the windows"), _l("recorded calls")),
    "first_reply_on_time": (_l("on time"), _l("first replies due")),
    "answer_on_time": (_l("on time"), _l("answers due")),
    "verify_on_time": (_l("on time"), _l("verifications due")),
    "rework_on_time": (_l("on time"), _l("reworks due")),
}
#: A month's report as the report room shows it.
STATUSES = {
    "not_made": _l("Not made"),
    "making": _l("Being made"),
    "ready": _l("Ready"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}
ANSWERS = {
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "neutral": _l("Neutral"),
    "dissatisfied": _l("Dissatisfied"),
    "very_dissatisfied": _l("Very dissatisfied"),
}
CALLBACK_STATUSES = {
    "open": _l("Open"),
    "done": _l("Done"),
    "unreachable": _l("Unreachable"),
    "cancelled": _l("Cancelled"),
}
KINDS = {
    "installation": _l("Installation"),
    "trial_run": _l("Trial run"),
    "warranty_6m": _l("Warranty, 6 months"),
    "warranty_end": _l("Warranty end"),
    "post_warranty_24m": _l("Post-warranty, 24 months"),
    "post_warranty_36m": _l("Post-warranty, 36 months"),
    "first": _l("First callback"),
    "second": _l("Second callback"),
    "verification": _l("Complaint verification"),
}
CATEGORIES = {
    "product_quality": _l("Product quality"),
    "service_quality": _l("Service quality"),
    "attitude": _l("Attitude"),
    "price": _l("Price"),
    "waiting_time": _l("Waiting time"),
    "other": _l("Other"),
}
CLASSES = {
    "group": _l("Group customer"),
    "private": _l("Private customer"),
    "vip": _l("VIP"),
    "government": _l("Government fleet"),
    "fleet": _l("Company fleet"),
    "police": _l("Judicial and police"),
    "ordinary": _l("Ordinary"),
}
DEADLINES = {
    "first_reply": _l("First reply"),
    "answer": _l("Handler's answer"),
    "verify": _l("Verification callback"),
    "rework": _l("Rework of a repeat complaint"),
}
LISTINGS = {
    "suggestions": _l("Suggestions and needs"),
    "churn_reasons": _l("Churn reasons"),
    "overdue": _l("Overdue callbacks"),
    "unreachable": _l("Unreachable customers"),
}
#: Ways a complaint ended besides a satisfied callback (issue 18, seed 002), as the complaints pages name them.
CLOSURE_REASONS = {
    "anonymous": _l("Anonymous complaint"),
    "written_reply": _l("Answered in writing"),
    "no_objection": _l("No objection"),
    "not_valid": _l("Not a valid complaint"),
    "unreachable": _l("Verification unreachable"),
}
#: A corrective action's states (issue 18), as the complaints pages name them.
ACTION_STATUSES = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done, to be checked"),
    "effective": _l("Effective"),
    "ineffective": _l("Not effective"),
}
#: The report's editions: (code of the report, name shown), each in its own language.
EDITIONS = (("zh-CN", "中文"), ("en", "English"))


def name_of(table: dict, code) -> str:
    """Gives the name of `code` in `table` in the page's language, else the code itself."""
    if code is None:
        return ""
    return str(table.get(code, code))
