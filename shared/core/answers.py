"""How every service reads a callback's answers on CONTRACT.md's five-step satisfaction scale.

"neutral" is neither satisfied nor dissatisfied.
"""
from __future__ import annotations

#: Answers that count as satisfied (a verification callback closes its complaint; KPIs count them).
SATISFIED_ANSWERS = frozenset({"very_satisfied", "satisfied"})
#: Answers that need their reason and raise a complaint the same day (RULES 1.2).
DISSATISFIED_ANSWERS = frozenset({"dissatisfied", "very_dissatisfied"})
