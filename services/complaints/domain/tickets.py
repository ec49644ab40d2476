"""Hotline tickets that are not complaints (seed 001, 热线接听流程): a consultation (咨询服务单) and a
service request (任务单), their deadlines and their duplicates. Pure: no Flask, Dramatiq, peewee.

The hotline agent (话务代表) records the customer, the product, the purchase date, the fault and the
warranty status; the service level follows the customer (大客户、农户、紧急服务) and the service mode the
warranty policy (上门、送修、寄修、有偿服务、电话应答). The information coordinator hands the ticket to the
hotline engineer within 15 minutes (信息协调员15分钟内转交热线工程师); a service request then goes on to
the repair coordinator within a second 15 minutes (服务信息由信息协调员15分钟内转交维修协调员). A ticket of
the same customer and product within the policy's window may be a duplicate (避免重复单据). Every number
is a field of the ticket policy (data/tickets.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Mapping

from marshmallow import Schema, ValidationError, fields, validate

from shared.core.event_fields import SEGMENTS, USER_ROLES
from shared.core.service_time import ServiceHours

from ..errors import InvalidData, InvalidTransition
from .chain import _first_field
from .policy import ServiceTime, _ServiceHoursSchema, _ServiceTimeSchema, _normalise

#: The kinds of ticket: a consultation (咨询服务单) and a service request (任务单).
CONSULTATION, SERVICE_REQUEST = "consultation", "service_request"
KINDS = (CONSULTATION, SERVICE_REQUEST)
#: Warranty status (保修状态) as the agent records it.
WARRANTY = ("in_warranty", "out_of_warranty", "unknown")
#: Service levels (服务级别, seed 001: 大客户、农户、紧急服务) and service modes (服务方式).
SERVICE_LEVELS = ("key_account", "farmer", "emergency", "ordinary")
SERVICE_MODES = ("onsite", "carry_in", "mail_in", "paid", "phone")
#: A ticket's deadlines: handed to the hotline engineer, then (a service request) to the repair coordinator.
HANDOVER, DISPATCH = "handover", "dispatch"


@dataclass(frozen=True)
class TicketPolicy:
    """The ticket rules of an organisation (data/tickets.yaml)."""

    handover: ServiceTime
    dispatch: ServiceTime
    service_hours: ServiceHours
    duplicate_window: timedelta
    #: customer segment -> service level (a segment not listed: `default_level`)
    levels_by_segment: Mapping[str, str]
    default_level: str
    #: (kind, warranty status) -> service mode; consultation answered on the phone
    modes: Mapping[str, Mapping[str, str]]
    #: whose mail says a ticket's deadline was missed
    escalate_to: str

    def service_level(self, segment: str | None) -> str:
        """Gives the service level of a customer of `segment`."""
        return self.levels_by_segment.get(segment or "ordinary", self.default_level)

    def service_mode(self, kind: str, warranty: str) -> str:
        """Gives the service mode the warranty policy gives a ticket of `kind` and `warranty` status."""
        return self.modes[kind].get(warranty) or self.modes[kind]["unknown"]


@dataclass(frozen=True)
class Ticket:
    """One ticket as the domain sees it."""

    id: str
    kind: str
    customer_id: str
    product_model: str | None
    recorded_at: datetime
    handover_due_at: datetime
    handed_over_at: datetime | None = None
    dispatch_due_at: datetime | None = None
    dispatched_at: datetime | None = None
    complaint_id: str | None = None
    breaches: tuple[str, ...] = ()


class _ModesSchema(Schema):
    in_warranty = fields.String(required=True, validate=validate.OneOf(SERVICE_MODES))
    out_of_warranty = fields.String(required=True, validate=validate.OneOf(SERVICE_MODES))
    unknown = fields.String(required=True, validate=validate.OneOf(SERVICE_MODES))


class _TicketPolicySchema(Schema):
    handover = fields.Nested(_ServiceTimeSchema, required=True)
    dispatch = fields.Nested(_ServiceTimeSchema, required=True)
    service_hours = fields.Nested(_ServiceHoursSchema, required=True)
    duplicate_window_days = fields.Integer(required=True, validate=validate.Range(min=0))
    levels_by_segment = fields.Dict(keys=fields.String(validate=validate.OneOf(SEGMENTS)),
                                    values=fields.String(validate=validate.OneOf(SERVICE_LEVELS)), load_default=dict)
    default_level = fields.String(load_default="ordinary", validate=validate.OneOf(SERVICE_LEVELS))
    modes = fields.Dict(keys=fields.String(validate=validate.OneOf(KINDS)), values=fields.Nested(_ModesSchema),
                        required=True, validate=validate.Length(min=len(KINDS)))
    escalate_to = fields.String(load_default="supervisor", validate=validate.OneOf(USER_ROLES))


def _span(raw: Mapping) -> ServiceTime:
    return ServiceTime(hours=raw.get("hours"), days=raw.get("days"), minutes=raw.get("minutes"))


def load_ticket_policy(data: Mapping) -> TicketPolicy:
    """Gives the TicketPolicy of a parsed data/tickets.yaml.

    Raises:
      InvalidData: naming the first bad field and its problem.
    """
    try:
        loaded = _TicketPolicySchema().load(_normalise(data))
    except ValidationError as exc:
        field, message = _first_field(exc.messages)
        raise InvalidData(f"invalid ticket policy: {message}", field=field, errors=exc.messages) from None
    return TicketPolicy(
        handover=_span(loaded["handover"]), dispatch=_span(loaded["dispatch"]),
        service_hours=ServiceHours(loaded["service_hours"]["start"], loaded["service_hours"]["end"]),
        duplicate_window=timedelta(days=loaded["duplicate_window_days"]),
        levels_by_segment=dict(loaded["levels_by_segment"]), default_level=loaded["default_level"],
        modes={kind: dict(modes) for kind, modes in loaded["modes"].items()}, escalate_to=loaded["escalate_to"])


def handover_due(recorded_at: datetime, *, policy: TicketPolicy, calendar) -> datetime:
    """Gives when a ticket recorded at `recorded_at` must be with the hotline engineer (service time)."""
    return policy.handover.after(recorded_at, calendar=calendar, service_hours=policy.service_hours)


def duplicate_of(*, customer_id: str, product_model: str | None, recorded_at: datetime,
                 earlier: list[tuple[str, str, str | None, datetime]], policy: TicketPolicy) -> str | None:
    """Gives the id of the latest earlier ticket (id, customer, product, recorded at) of the same customer
    and product within the policy's window, or None: the new one may be its duplicate (重复单据)."""
    since = recorded_at - policy.duplicate_window
    same = [(at, tid) for tid, customer, product, at in earlier
            if customer == customer_id and (product or "") == (product_model or "") and since <= at <= recorded_at]
    return max(same)[1] if same else None


def hand_over(ticket: Ticket, *, at: datetime, policy: TicketPolicy, calendar) -> Ticket:
    """Gives the ticket handed to the hotline engineer at `at`; a service request is then due with the
    repair coordinator `policy.dispatch` of service time later.

    Raises:
      InvalidTransition: handed over already.
    """
    if ticket.handed_over_at is not None:
        raise InvalidTransition(f"ticket {ticket.id} was handed over already.")
    due = (policy.dispatch.after(at, calendar=calendar, service_hours=policy.service_hours)
           if ticket.kind == SERVICE_REQUEST else None)
    return replace(ticket, handed_over_at=at, dispatch_due_at=due)


def dispatch(ticket: Ticket, *, at: datetime) -> Ticket:
    """Gives the service request passed on to the repair coordinator at `at`.

    Raises:
      InvalidTransition: not a service request, not handed over yet, or passed on already.
    """
    if ticket.kind != SERVICE_REQUEST:
        raise InvalidTransition(f"ticket {ticket.id} is a consultation: nothing goes to the repair coordinator.")
    if ticket.handed_over_at is None:
        raise InvalidTransition(f"ticket {ticket.id} goes to the hotline engineer first.")
    if ticket.dispatched_at is not None:
        raise InvalidTransition(f"ticket {ticket.id} was passed on already.")
    return replace(ticket, dispatched_at=at)


def pending(ticket: Ticket) -> list[tuple[str, datetime]]:
    """Gives (deadline, due at) of the ticket's deadlines not met yet."""
    out = []
    if ticket.handed_over_at is None:
        out.append((HANDOVER, ticket.handover_due_at))
    elif ticket.dispatch_due_at is not None and ticket.dispatched_at is None:
        out.append((DISPATCH, ticket.dispatch_due_at))
    return out


def missed(ticket: Ticket, now: datetime) -> list[tuple[str, datetime]]:
    """Gives the deadlines passed at `now`, unmet and not yet acted upon (each is acted upon once)."""
    return [(name, due) for name, due in pending(ticket)
            if due <= now and f"{name}@{due.isoformat()}" not in ticket.breaches]


def next_sweep_at(ticket: Ticket) -> datetime | None:
    """Gives when a sweep must look at the ticket next (its next deadline not yet acted upon), or None."""
    moments = [due for name, due in pending(ticket) if f"{name}@{due.isoformat()}" not in ticket.breaches]
    return min(moments) if moments else None


def check_convertible(ticket: Ticket) -> None:
    """Refuses to turn a ticket into a complaint twice.

    Raises:
      InvalidTransition: it is a complaint already.
    """
    if ticket.complaint_id:
        raise InvalidTransition(f"ticket {ticket.id} was turned into complaint {ticket.complaint_id} already.")


def purchase_date_ok(purchased_on: date | None, today: date) -> bool:
    """Gives whether a purchase date is possible (not in the future)."""
    return purchased_on is None or purchased_on <= today
