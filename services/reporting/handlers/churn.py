"""Churn reasons (流失原因) a callback brings back: a lapsed customer's "why not back" callback asks why
they have not come back (seed 000 part 5: 回访调查流失原因); the month's report lists them with the
complaints' churn reasons (RULES 3)."""
from __future__ import annotations

from ..models import Callback

#: The answer of a questionnaire that holds the churn reason (the scheduler's lapsed.yaml asks it).
CHURN_ANSWER = "churn_reason"


def keep_churn_reason(callback: Callback, data: dict) -> None:
    """Keeps the churn reason a reached callback's answers give; an event without it leaves what was kept."""
    reason = (data.get("answers") or {}).get(CHURN_ANSWER)
    if isinstance(reason, str) and reason.strip():
        callback.churn_reason = reason.strip()[:2000]
