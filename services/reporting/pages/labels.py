"""Names people read on the reporting pages (figures, statuses, codes), per language: Chinese
from the catalogs, English the msgids. The contract's codes are named by the shared vocabulary
(shared/web/vocabulary.py), like the PDF's; the figures in the words of the report itself
(labels.py: 回访完成率, 满意率, 感动率, 回头率 ...), so the page and the PDF say the same."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shared.web import vocabulary

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
    "verification_on_time_rate": _l("Verifications reached on time"),
    "verification_satisfied_rate": _l("Satisfied with complaint handling"),
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
    "verification_on_time_rate": (_l("reached on time"), _l("verifications of the month")),
    "verification_satisfied_rate": (_l("satisfied"), _l("answers on the handling")),
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
# The contract's families are the shared vocabulary's (shared/web/vocabulary.py).
ANSWERS = vocabulary.ANSWERS
CALLBACK_STATUSES = vocabulary.CALLBACK_STATUSES
KINDS = vocabulary.CALLBACK_KINDS
CATEGORIES = vocabulary.CATEGORIES
#: A complaint's customer class as reporting stores it: the customer's segment (or a record's class).
CLASSES = {**vocabulary.CUSTOMER_CLASSES, **vocabulary.SEGMENTS}
DEADLINES = vocabulary.DEADLINES
LISTINGS = {
    "suggestions": _l("Suggestions and needs"),
    "churn_reasons": _l("Churn reasons"),
    "overdue": _l("Overdue callbacks"),
    "unreachable": _l("Unreachable customers"),
}
CLOSURE_REASONS = vocabulary.CLOSURE_REASONS
ACTION_STATUSES = vocabulary.ACTION_STATUSES
#: The report's editions: (code of the report, name shown), each in its own language.
EDITIONS = (("zh-CN", "中文"), ("en", "English"))


name_of = vocabulary.name_of
