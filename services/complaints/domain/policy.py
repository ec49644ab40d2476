"""Complaint policies: the 2-1-1 deadlines and friends, as data (``data/policies/*.yaml``).

Every number of RULES 2 is a field here; an organisation changes them without code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.core.event_fields import COMPLAINT_SOURCES, USER_ROLES
from shared.core.service_time import ServiceHours, add_service_days, add_service_hours

from .chain import _first_field
from ..errors import InvalidData


#: Who may say a complaint was forwarded by the manufacturer, unless the policy says otherwise.
DEFAULT_SOURCE_ROLES = (("manufacturer", ("manager", "admin", "integration")),)


@dataclass(frozen=True)
class ServiceTime:
    """A span of service time: `hours` or `minutes` inside service hours, or whole service days.

    One service day lands at the same clock time on the next working day (RULES 2).
    """

    hours: float | None = None
    days: int | None = None
    minutes: float | None = None

    def after(self, start: datetime, *, calendar, service_hours: ServiceHours) -> datetime:
        """Gives the aware datetime this span of service time after `start`."""
        if self.days is not None:
            return add_service_days(start, self.days, calendar=calendar, service_hours=service_hours)
        hours = self.hours if self.minutes is None else self.minutes / 60
        return add_service_hours(start, hours, calendar=calendar, service_hours=service_hours)

    def __str__(self) -> str:
        if self.days is not None:
            return f"{self.days} service day{'s' if self.days != 1 else ''}"
        if self.minutes is not None:
            minutes = int(self.minutes) if float(self.minutes).is_integer() else self.minutes
            return f"{minutes} service minute{'s' if minutes != 1 else ''}"
        hours = int(self.hours) if float(self.hours).is_integer() else self.hours
        return f"{hours} service hour{'s' if hours != 1 else ''}"


@dataclass(frozen=True)
class HandoverRule:
    """Tickets from `sources` are handed to an engineer within `within` of service time
    (seed 001: 热线工单15分钟内转交工程师)."""

    sources: tuple[str, ...]
    within: ServiceTime


@dataclass(frozen=True)
class ComplaintPolicy:
    """Deadlines and windows of complaint handling (RULES 2, the 2-1-1 rule).

    - first_reply: the customer's first reply, from `raised_at` (2 service hours);
    - answer: the handler's answer to the customer, from `raised_at` (1 service day);
    - investigate: a superior's investigation after an escalation (2 service hours);
    - verify: the verification callback after resolution (1 service day; 3 in the
      property and seed 000 policies);
    - flag_delay: after resolution, when the customer is flagged as a key customer;
    - service_hours: the service time of a working day (08:30-18:00);
    - repeat_window: a complaint about the same order within this many calendar days
      of an earlier one is a repeat (30 days);
    - notify_before: wall-clock time before a deadline when its reminder is due (1 hour);
    - group_segments: the customer segments whose complaints are of the group class;
    - handover: optional; complaints from some sources (the hotline) are handed to an
      engineer within a span of service time (seed 001: 15 minutes), else None;
    - repeat_followup: optional; a repeat complaint gets its special callback and rework
      within this wall-clock time of being raised (RULES 1.3, seed 002: 24 hours), else None.
    """

    name: str
    label: str
    first_reply: ServiceTime
    answer: ServiceTime
    investigate: ServiceTime
    verify: ServiceTime
    flag_delay: ServiceTime
    service_hours: ServiceHours
    repeat_window: timedelta
    notify_before: timedelta
    handover: HandoverRule | None = None
    #: Customer segments whose complaints are of the group class (集团客户); others are private.
    group_segments: frozenset = frozenset({"group", "government", "fleet", "police"})
    #: Wall-clock time within which a repeat complaint is called back and reworked (RULES 1.3).
    repeat_followup: timedelta | None = None
    #: Complaint source -> the roles that may raise a complaint of it over the API; a source not
    #: listed is open to every role. `manufacturer` goes straight to the top level (RULES 2), so
    #: not everyone may claim it.
    source_roles: tuple = DEFAULT_SOURCE_ROLES

    def may_claim_source(self, source: str, role: str) -> bool:
        """Gives whether a person of `role` may raise a complaint of `source` (`source_roles`)."""
        allowed = dict(self.source_roles).get(source)
        return allowed is None or role in allowed

    def customer_class(self, segment: str | None) -> str:
        """Gives "group" or "private": the class of a customer of `segment` (seed 004's record)."""
        return "group" if segment in self.group_segments else "private"

    @property
    def repeat_window_days(self) -> int:
        return self.repeat_window.days


class _ServiceTimeSchema(Schema):
    hours = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    minutes = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    days = fields.Integer(validate=validate.Range(min=1))

    @validates_schema
    def _one_unit(self, data, **kwargs):
        if sum(unit in data for unit in ("hours", "minutes", "days")) != 1:
            raise ValidationError("give exactly one of `hours`, `minutes` or `days`, e.g. {hours: 2}.")


class _HandoverSchema(Schema):
    sources = fields.List(fields.String(validate=validate.Length(min=1)), required=True,
                          validate=validate.Length(min=1))
    within = fields.Nested(_ServiceTimeSchema, required=True)


class _WallTimeSchema(Schema):
    hours = fields.Float(load_default=0, validate=validate.Range(min=0))
    minutes = fields.Float(load_default=0, validate=validate.Range(min=0))


class _ServiceHoursSchema(Schema):
    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "start" in data and "end" in data and data["start"] >= data["end"]:
            raise ValidationError("`end` must be later than `start`, e.g. 08:30-18:00.", "end")


class _PolicySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1))
    label = fields.String(required=True, validate=validate.Length(min=1))
    first_reply = fields.Nested(_ServiceTimeSchema, required=True)
    answer = fields.Nested(_ServiceTimeSchema, required=True)
    investigate = fields.Nested(_ServiceTimeSchema, required=True)
    verify = fields.Nested(_ServiceTimeSchema, required=True)
    flag_delay = fields.Nested(_ServiceTimeSchema, required=True)
    service_hours = fields.Nested(_ServiceHoursSchema, required=True)
    repeat_window_days = fields.Integer(required=True, validate=validate.Range(min=0))
    notify_before = fields.Nested(_WallTimeSchema, required=True)
    handover = fields.Nested(_HandoverSchema, load_default=None, allow_none=True)
    group_segments = fields.List(fields.String(validate=validate.Length(min=1)),
                                 load_default=["group", "government", "fleet", "police"])
    repeat_followup = fields.Nested(_WallTimeSchema, load_default=None, allow_none=True)
    source_roles = fields.Dict(
        keys=fields.String(validate=validate.OneOf(COMPLAINT_SOURCES)),
        values=fields.List(fields.String(validate=validate.OneOf((*USER_ROLES, "integration")))),
        load_default=None, allow_none=True)


def _normalise(data: Mapping) -> dict:
    """Gives the mapping with service hours as "HH:MM" strings, whatever YAML made of them."""
    data = dict(data or {})
    hours = data.get("service_hours")
    if isinstance(hours, Mapping):
        hours = dict(hours)
        for key in ("start", "end"):
            value = hours.get(key)
            if isinstance(value, time):
                hours[key] = value.strftime("%H:%M")
            elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
                # YAML 1.1 reads an unquoted 08:30 as the base-60 integer 510.
                hours[key] = f"{value // 60:02d}:{value % 60:02d}"
        data["service_hours"] = hours
    return data


def load_policy(data: Mapping) -> ComplaintPolicy:
    """Gives a ComplaintPolicy from a mapping (a parsed ``data/policies/*.yaml``).

    Raises:
      InvalidData: naming the first bad field (``first_reply``) and its problem.
    """
    try:
        loaded = _PolicySchema().load(_normalise(data))
    except ValidationError as exc:
        field, message = _first_field(exc.messages)
        raise InvalidData(
            f"invalid complaint policy: {message}", field=field, errors=exc.messages
        ) from None

    def span(raw: Mapping) -> ServiceTime:
        return ServiceTime(hours=raw.get("hours"), days=raw.get("days"), minutes=raw.get("minutes"))

    handover = None
    if loaded.get("handover"):
        handover = HandoverRule(sources=tuple(loaded["handover"]["sources"]), within=span(loaded["handover"]["within"]))

    notify = loaded["notify_before"]
    followup = loaded.get("repeat_followup")
    return ComplaintPolicy(
        name=loaded["name"],
        label=loaded["label"],
        first_reply=span(loaded["first_reply"]),
        answer=span(loaded["answer"]),
        investigate=span(loaded["investigate"]),
        verify=span(loaded["verify"]),
        flag_delay=span(loaded["flag_delay"]),
        service_hours=ServiceHours(loaded["service_hours"]["start"], loaded["service_hours"]["end"]),
        repeat_window=timedelta(days=loaded["repeat_window_days"]),
        notify_before=timedelta(hours=notify["hours"], minutes=notify["minutes"]),
        handover=handover,
        group_segments=frozenset(loaded["group_segments"]),
        repeat_followup=timedelta(hours=followup["hours"], minutes=followup["minutes"]) if followup else None,
        source_roles=tuple({**dict(DEFAULT_SOURCE_ROLES),
                            **{k: tuple(v) for k, v in (loaded.get("source_roles") or {}).items()}}.items()),
    )
