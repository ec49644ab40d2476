"""Callback policy (回访策略): every offset, rate and tier of RULES 1 as data.

The defaults live in ``services/scheduler/data/policies/default.yaml``; an organisation
changes them without code. These frozen dataclasses are what
:func:`services.scheduler.domain.policy_schema.load_policy` gives for a validated policy
dict; nothing here holds a rule's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Mapping

from shared.core.answers import DISSATISFIED_ANSWERS

__all__ = [
    "ANCHOR_COMMISSIONING",
    "ANCHOR_WARRANTY_END",
    "UNITS",
    "BatchPolicy",
    "BusinessLinePolicy",
    "CallWindow",
    "CallbackRule",
    "EquipmentMilestone",
    "EquipmentPolicy",
    "KeyCustomerPolicy",
    "OrderKindPolicy",
    "PeriodicRule",
    "Policy",
    "QuestionnaireSelection",
    "RaisedComplaintPolicy",
    "RepeatComplaintPolicy",
    "RetryPolicy",
    "Tier",
    "TierSet",
]

#: Equipment milestones count from the commissioning date (送电) ...
ANCHOR_COMMISSIONING = "commissioning"
#: ... or from the warranty end date.
ANCHOR_WARRANTY_END = "warranty_end"

#: Units a callback offset may be given in.
UNITS = ("days", "working_days", "months")


@dataclass(frozen=True)
class KeyCustomerPolicy:
    """Who is a key customer (重点客户), called back every time."""

    segments: frozenset[str]
    order_kinds: frozenset[str]
    sample_rate: float


@dataclass(frozen=True)
class EquipmentMilestone:
    """A callback that waits for commissioning: ``months`` after its ``anchor``."""

    kind: str
    anchor: str
    months: int


@dataclass(frozen=True)
class EquipmentPolicy:
    """RULES 1.1: equipment deliveries."""

    installation_days_after_shipment: int
    warranty_months_after_commissioning: int
    warranty_months_after_shipment: int
    overdue_months_after_due: int
    onsite_threshold_cny: Decimal
    milestones: tuple[EquipmentMilestone, ...]


@dataclass(frozen=True)
class CallbackRule:
    """One callback after a service: due ``offset`` ``unit`` after completion.

    ``overdue_after`` (same unit, from completion) is the last day it is on time;
    None means it is overdue after its due date.
    """

    kind: str
    offset: int
    unit: str
    overdue_after: int | None
    #: Called back at once (seed 002: 抢修工程结束后立即进行): due when the completion arrives,
    #: callable in the first call window from that moment (``offset`` is 0).
    immediate: bool = False


@dataclass(frozen=True)
class OrderKindPolicy:
    """How one kind of order is called back; None fields fall back to the business line."""

    callbacks: tuple[CallbackRule, ...] | None
    sample_rate: float | None
    batched: bool


@dataclass(frozen=True)
class PeriodicRule:
    """RULES 1.4: existing customers are called every ``every_months``, key ones every ``key_every_months``.

    Counted from the customer's last callback of the line (or last order, if never called).
    """

    kind: str
    every_months: int
    key_every_months: int


@dataclass(frozen=True)
class BusinessLinePolicy:
    """RULES 1.2-1.4: callbacks and sampling of one business line."""

    ordinary_sample_rate: float
    callbacks: tuple[CallbackRule, ...]
    order_kinds: Mapping[str, OrderKindPolicy]
    #: Periodic callbacks of existing customers (RULES 1.4), or None.
    existing_customers: PeriodicRule | None = None


@dataclass(frozen=True)
class Tier:
    """Up to ``up_to`` orders (None: any number), sample ``rate`` or a fixed ``count``."""

    up_to: int | None
    rate: float | None
    count: int | None


@dataclass(frozen=True)
class TierSet:
    """Volume tiers of a monthly batch, and the share of callbacks to make on site."""

    tiers: tuple[Tier, ...]
    onsite_share: float | None


@dataclass(frozen=True)
class BatchPolicy:
    """RULES 1.3: monthly batches due on ``day_of_month``, sampled by ``tier_set``."""

    day_of_month: int
    tier_set: str


@dataclass(frozen=True)
class RetryPolicy:
    """Unreachable customers: at most ``max_attempts`` calls, one per working day.

    ``appointment_within_days``: how far ahead a customer may ask to be called
    (`rescheduled`; the seeds leave it open). ``declined_cancels_open``: a customer who declines
    callbacks also has their other open callbacks cancelled (else only new ones are not planned).
    """

    max_attempts: int
    appointment_within_days: int = 92
    declined_cancels_open: bool = True


@dataclass(frozen=True)
class CallWindow:
    """A span of the day when customers may be called (not their rest time)."""

    start: time
    end: time


@dataclass(frozen=True)
class QuestionnaireSelection:
    """Which questionnaire (回访模板) a callback follows: the first table that names it wins.

    Tables are looked up in this order: callback kind, business line, order kind,
    customer segment; none matching gives ``default``.
    """

    by_callback_kind: Mapping[str, str]
    by_business_line: Mapping[str, str]
    by_order_kind: Mapping[str, str]
    by_segment: Mapping[str, str]
    default: str

    @property
    def names(self) -> frozenset[str]:
        """Gives every questionnaire name the selection can give."""
        tables = (self.by_callback_kind, self.by_business_line, self.by_order_kind, self.by_segment)
        return frozenset(name for table in tables for name in table.values()) | {self.default}


@dataclass(frozen=True)
class RaisedComplaintPolicy:
    """RULES 1.2: the complaint a dissatisfied answer raises the same day.

    Its category is that of the first question in ``categories`` answered dissatisfied,
    else ``default_category`` (a dissatisfied answer to another question).
    """

    #: ``(question id, complaint category)`` pairs, in the order they are looked at.
    categories: tuple[tuple[str, str], ...]
    default_category: str

    def category_for(self, answers: Mapping[str, object]) -> str:
        """Gives the category of the complaint raised by a callback with these ``answers``."""
        for question, category in self.categories:
            if answers.get(question) in DISSATISFIED_ANSWERS:
                return category
        return self.default_category


@dataclass(frozen=True)
class RepeatComplaintPolicy:
    """RULES 1.3: a repeat complaint about the same repair gets a special callback (特殊回访) of
    ``kind``, due the day of the complaint's rework deadline (within 24 hours, wall clock)."""

    kind: str


#: With no ``repeat_complaint`` section the special callback is called ``repeat_special``.
DEFAULT_REPEAT_COMPLAINT = RepeatComplaintPolicy("repeat_special")

#: With no ``questionnaires`` section a policy asks every callback the ordinary questionnaire.
DEFAULT_SELECTION = QuestionnaireSelection({}, {}, {}, {}, "ordinary")


@dataclass(frozen=True)
class Policy:
    """A whole callback policy, as loaded from a data file."""

    name: str
    version: int
    key_customers: KeyCustomerPolicy
    equipment: EquipmentPolicy
    business_lines: Mapping[str, BusinessLinePolicy]
    batch: BatchPolicy
    tier_sets: Mapping[str, TierSet]
    retry: RetryPolicy
    call_windows: tuple[CallWindow, ...]
    #: The callback confirming a resolved complaint (RULES 2, 2-1-1), from resolution.
    verification: CallbackRule
    #: The complaint a dissatisfied callback raises (RULES 1.2).
    raised_complaints: RaisedComplaintPolicy
    #: Which questionnaire each callback follows (RULES 1.2).
    questionnaires: QuestionnaireSelection = DEFAULT_SELECTION
    #: The special callback of a repeat complaint (RULES 1.3).
    repeat_complaint: RepeatComplaintPolicy = DEFAULT_REPEAT_COMPLAINT
    #: How long a call should take at most, in seconds, unless the customer complains (RULES 1.2:
    #: 3 minutes); the callback page's timer warns past it. None: no guide.
    call_length_guide_s: int | None = None

    @property
    def sampling_key(self) -> str:
        """Gives the policy's part of a sample hash: changes only with name or version."""
        return f"{self.name}@{self.version}"

    @property
    def batch_tiers(self) -> TierSet:
        """Gives the tier set the batch policy picks."""
        return self.tier_sets[self.batch.tier_set]
