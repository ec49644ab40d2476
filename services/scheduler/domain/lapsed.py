"""Customers who stopped coming, pure: who counts as lapsed and when their "why not back" callback is
due. Seed 000 part 5 「回访调查流失原因」: the agents call the customers who no longer come to learn
why; the churn reasons they bring back count with the complaints' ones in the month's report.

A customer of a business line is lapsed on a day when their last service there (an order completed,
a delivery shipped or commissioned) is at least the line's number of months before it (data/lapsed.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.core.event_fields import BUSINESS_LINES_SERVICE

from ..errors import PolicyError

#: The business lines a customer may lapse from: the service lines and equipment.
LAPSE_LINES = ("equipment", *BUSINESS_LINES_SERVICE)
#: The callback kind of a "why not back" call (RULES 3 lists it among the survey callbacks).
LAPSED_KIND = "lapsed"
#: The most months a list may look back (a bad query is refused, not slow).
MAX_MONTHS = 120


@dataclass(frozen=True)
class LapsedPolicy:
    #: Months without service after which a customer of each line counts as lapsed.
    months: dict
    #: The callback is due this many working days after it is planned.
    due_in_working_days: int

    @classmethod
    def from_data(cls, data) -> "LapsedPolicy":
        try:
            loaded = _LapsedSchema().load(data or {})
        except ValidationError as exc:
            field, messages = next(iter(exc.normalized_messages().items()))
            raise PolicyError(f"lapsed.{field}: {messages}", field=f"lapsed.{field}") from None
        return cls(months=dict(loaded["months"]), due_in_working_days=loaded["due_in_working_days"])

    def months_for(self, business_line: str) -> int | None:
        """Gives the line's months without service, None when the line has none (no list)."""
        return self.months.get(business_line)


def months_before(day: date, months: int) -> date:
    """Gives the day `months` calendar months before `day` (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def lapse_key(customer_id: str, business_line: str, last_served_on: date) -> str:
    """Gives the plan key of the "why not back" callback of one lapse: a customer planned twice for the
    same last service gets one callback; once served again and lapsed again, a new one."""
    return f"{LAPSED_KIND}:{business_line}:{customer_id}:{last_served_on.isoformat()}"


class _LapsedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    months = fields.Dict(keys=fields.String(validate=validate.OneOf(LAPSE_LINES)),
                         values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_MONTHS)),
                         required=True)
    due_in_working_days = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=60))
