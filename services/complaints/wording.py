"""Words the complaints service stores outside any page (a corrective action's title, a mail) in the
organisation's language, Chinese first: the same words the pages use, named by the shared vocabulary
(shared/web/vocabulary.py) and read from the catalogs (shared/web/translations, then the service's
own), so a category is 产品质量 in a mail as on the board."""
from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from shared.web import vocabulary

CATALOG = Path(__file__).resolve().parent / "translations"
#: The language of stored words (the pages' first language).
STORED_LANGUAGE = "zh-CN"


#: Steps of a complaint's history (domain.complaint actions), as the pages and the mails name them.
HISTORY_STEPS = {
    "raised": _l("Raised"),
    "replied": _l("Replied to the customer"),
    "investigated": _l("Investigated"),
    "escalated": _l("Escalated"),
    "managers_notified": _l("Managers notified"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "customer_flagged": _l("Customer flagged as a key customer"),
    "handed_over": _l("Handed over to an engineer"),
    "churn_recorded": _l("Churn reason recorded"),
    "reworked": _l("Reworked"),
    "deadlines_replanned": _l("Deadlines re-planned on the published calendar"),
    "repeat_found": _l("Found to be a repeat complaint"),
    "accepted": _l("Accepted"),
    "closed_with_reason": _l("Closed with a reason"),
    "verification_unreachable": _l("Verification unreachable"),
    "verification_retried": _l("Verification tried again"),
    "compensation_proposed": _l("Compensation proposed"),
    "compensation_approved": _l("Compensation approved"),
    "compensation_rejected": _l("Compensation rejected"),
    "promise_made": _l("Promise made"),
    "promise_kept": _l("Promise kept"),
    "promise_broken": _l("Promise broken"),
}


def stored_name(names: dict, code: str) -> str:
    """Gives the Chinese name the pages show for `code` of `names` (a table of the vocabulary or of
    pages/labels.py, lazy strings of English msgids), or the code when it has none."""
    return vocabulary.name_in(STORED_LANGUAGE, names, code, str(CATALOG))


def both_names(names: dict, code: str) -> str:
    """Gives a code's name for a bilingual mail: "首次回复 / First reply" (the code when it has none)."""
    chinese, english = stored_name(names, code), vocabulary.name_in("en", names, code)
    return chinese if chinese == english else f"{chinese} / {english}"


def category_name(code: str) -> str:
    """Gives the Chinese name the pages show for a complaint category (产品质量 ...)."""
    return stored_name(vocabulary.CATEGORIES, code)
