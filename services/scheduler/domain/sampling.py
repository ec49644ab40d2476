"""RULES 1.5: reproducible sampling (抽样回访).

Who is called is decided by a stable hash of the policy, the order and the period, so
processing the same events again never changes the sample, and the sampled share of a
period never drops below the policy's rate.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from fractions import Fraction
from typing import Hashable, Iterable, Sequence

from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.policy import Tier, TierSet

__all__ = [
    "decide_sample",
    "onsite_count",
    "required_count",
    "sample_score",
    "sampling_period",
    "target_count",
    "top_up",
]

#: A score keeps 53 bits of the digest: exactly what a float holds, so it is < 1.
_SCORE_BITS = 53


def sampling_period(day: date) -> str:
    """Gives the sampling period (calendar month) of ``day`` as ``"YYYY-MM"``."""
    return f"{day.year:04d}-{day.month:02d}"


def sample_score(policy_key: str, order_id: str | int, period: str) -> float:
    """Gives the order's sampling score in [0, 1), the same on every run and machine.

    Lower scores are picked first; an order is in a rate-``r`` sample when its score < r.
    """
    text = "\x1f".join((str(policy_key), str(order_id), str(period)))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _SCORE_BITS)) / (1 << _SCORE_BITS)


def required_count(rate: float, total: int) -> int:
    """Gives the fewest picks out of ``total`` that keep the share at ``rate`` or above."""
    # Fraction(str(...)) so that 0.1 * 10 is exactly 1, not 1.0000000000000000555.
    return math.ceil(Fraction(str(rate)) * total)


def decide_sample(*, score: float, rate: float, selected_so_far: int, total_so_far: int) -> bool:
    """Gives True when an order arriving now is sampled.

    Picked when its ``score`` is under ``rate``, or when leaving it out would drop the
    period's share (counting this order) below ``rate``. Feed the decisions back in
    arrival order: ``selected_so_far``/``total_so_far`` count earlier orders of the period.

    Raises:
      SchedulerDomainError: when the counts are impossible.
    """
    if not 0 <= selected_so_far <= total_so_far:
        raise SchedulerDomainError(
            f"selected_so_far {selected_so_far} must be between 0 and total_so_far {total_so_far}",
            field="selected_so_far",
        )
    if score < rate:
        return True
    return selected_so_far < required_count(rate, total_so_far + 1)


def target_count(n: int, tiers: TierSet | Sequence[Tier]) -> int:
    """Gives how many of a batch of ``n`` orders to call back, by the volume tiers.

    The first tier whose ``up_to`` holds ``n`` applies; a rate is rounded up, a fixed
    count is capped at ``n``.
    """
    if n < 0:
        raise SchedulerDomainError(f"a batch cannot hold {n} orders", field="n")
    for tier in tiers.tiers if isinstance(tiers, TierSet) else tiers:
        if tier.up_to is None or n <= tier.up_to:
            if tier.count is not None:
                return min(tier.count, n)
            return min(required_count(tier.rate, n), n)
    raise SchedulerDomainError(f"no tier holds {n} orders", field="tiers")


def onsite_count(selected: int, tier_set: TierSet) -> int:
    """Gives how many of ``selected`` callbacks must be on site (0 when the set asks none)."""
    if tier_set.onsite_share is None:
        return 0
    return required_count(tier_set.onsite_share, selected)


def top_up(
    candidates: Iterable[tuple[Hashable, float, bool]], target_count: int
) -> list[Hashable]:
    """Gives the order ids to add so that ``target_count`` are selected, best first.

    ``candidates`` are ``(order_id, score, selected)``; the lowest scores are added
    first (ties by order id). Already selected orders stay selected: nothing is removed,
    and nothing is added when the target is already met.
    """
    rows = list(candidates)
    missing = target_count - sum(1 for _, _, selected in rows if selected)
    if missing <= 0:
        return []
    unselected = sorted(
        ((score, str(order_id), order_id) for order_id, score, selected in rows if not selected),
        key=lambda row: (row[0], row[1]),
    )
    return [order_id for _, _, order_id in unselected[:missing]]
