"""The planned callback (计划回访): what a policy decides, before it is stored as a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.core.calendar import WorkingCalendar


@dataclass(frozen=True)
class PlannedCallback:
    """One callback a rule asks for.

    Attributes:
      kind: the callback's name in the policy (``installation``, ``first``, ...).
      nominal_on: the rule's own date (e.g. the warranty end itself), for the ledger.
      due_on: ``nominal_on`` moved to a working day (RULES 1.6), or the batch's due day.
      overdue_on: the last day the callback is on time; overdue from the day after.
      provisional: a date involved was estimated (computed holidays or the fallback), not
        published: checked again when the official calendar publishes its year (RULES 1.6).
      calendar_source: which calendar sources decided the days from ``nominal_on`` to
        ``due_on``, strongest first, comma-separated (``shared.core.calendar.SOURCES``).
      batch_period: ``"YYYY-MM"`` when the callback waits for a monthly batch sample
        (RULES 1.3); None when it is planned outright.
    """

    kind: str
    nominal_on: date
    due_on: date
    overdue_on: date
    provisional: bool
    batch_period: str | None = None
    calendar_source: str = ""
    #: Due when the completion arrives, callable in the first call window from then
    #: (``domain.calls.immediate_call_at`` gives the moment and the day).
    immediate: bool = False

    @property
    def batched(self) -> bool:
        """Gives True when the callback waits for its monthly batch to be sampled."""
        return self.batch_period is not None


def plan_on(
    kind: str,
    nominal_on: date,
    *,
    calendar: WorkingCalendar,
    overdue_on: date | None = None,
    due_on: date | None = None,
    batch_period: str | None = None,
) -> PlannedCallback:
    """Gives a planned callback due on ``nominal_on`` rolled forward to a working day.

    ``overdue_on`` defaults to the due date and is never before it.
    """
    due = calendar.roll_forward(nominal_on) if due_on is None else due_on
    overdue = due if overdue_on is None else max(overdue_on, due)
    provisional = calendar.is_provisional(nominal_on) or calendar.is_provisional(due)
    first, last = min(nominal_on, due), max(nominal_on, due)
    return PlannedCallback(
        kind=kind,
        nominal_on=nominal_on,
        due_on=due,
        overdue_on=overdue,
        provisional=provisional,
        batch_period=batch_period,
        calendar_source=",".join(calendar.sources(first, last)),
    )
