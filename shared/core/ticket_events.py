"""The schemas of the hotline tickets' events (seed 001 热线接听流程): a consultation (咨询服务单) or a
service request (任务单) recorded, handed to the hotline engineer, passed on to the repair coordinator,
turned into a complaint. Registered with the other types in shared/core/event_types.py; kept apart so
that module stays one screenful of types per family. Tickets are not complaints: a reader counts them
in figures of their own."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, pre_load, validate

from shared.core.event_fields import id_field, refuse_nul

#: A ticket's kinds (CONTRACT "Tickets and the seeds' tables").
TICKET_KINDS = ("consultation", "service_request")


class _TicketEvent(Schema):
    """What every ticket event carries: the ticket and its kind, so each may arrive first."""

    class Meta:
        unknown = INCLUDE

    ticket_id = id_field()
    kind = fields.String(required=True, validate=validate.OneOf(TICKET_KINDS))

    @pre_load
    def _no_nul(self, data, **kwargs):
        return refuse_nul(data)


class TicketRecorded(_TicketEvent):
    """A ticket was recorded, due with the hotline engineer by `handover_due_at`; `duplicate_of` names the
    earlier ticket of the same customer and product it may repeat (避免重复单据)."""

    recorded_at = fields.AwareDateTime(required=True)
    handover_due_at = fields.AwareDateTime(required=True)
    duplicate_of = id_field(required=False)


class TicketHandedOver(_TicketEvent):
    """A ticket went to the hotline engineer (信息协调员15分钟内转交热线工程师); a service request is then due
    with the repair coordinator by `dispatch_due_at`."""

    handed_over_at = fields.AwareDateTime(required=True)
    handover_due_at = fields.AwareDateTime(required=True)
    dispatch_due_at = fields.AwareDateTime(load_default=None, allow_none=True)


class TicketDispatched(_TicketEvent):
    """A service request was passed on to the repair coordinator (15分钟内转交维修协调员)."""

    dispatched_at = fields.AwareDateTime(required=True)
    dispatch_due_at = fields.AwareDateTime(required=True)


class TicketConverted(_TicketEvent):
    """A ticket was turned into the complaint `complaint_id` (raised apart, with its own complaint.raised)."""

    complaint_id = id_field()
    converted_at = fields.AwareDateTime(required=True)
