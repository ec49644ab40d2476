"""One marshmallow schema per event type (the `data` of its envelope, CONTRACT.md), and the
registry of every type this installation knows. The envelope itself: shared/core/events.py.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, pre_load, validate

from shared.core.access_event_types import IntegrationTokenUpdated
from shared.core.event_fields import (BUSINESS_LINES_SERVICE, COMPLAINT_CATEGORIES, COMPLAINT_SOURCES, LOGIN_PATTERN,
                                      SATISFACTION, SEGMENTS, SERVICE_KINDS, USER_ROLES, id_field, refuse_nul)
from shared.core.ticket_events import TicketConverted, TicketDispatched, TicketHandedOver, TicketRecorded


class _Data(Schema):
    class Meta:
        unknown = INCLUDE

    @pre_load
    def _no_nul(self, data, **kwargs):
        return refuse_nul(data)


class CustomerSchema(_Data):
    id = id_field()
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    segment = fields.String(load_default="ordinary", validate=validate.OneOf(SEGMENTS))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    contact_person = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    site_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    site_phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


_id = lambda: id_field()  # noqa: E731
_opt_id = lambda: id_field(required=False)  # noqa: E731
#: Free texts: the length of the column they are stored in, so an event never fails to be stored.
_text = lambda n: fields.String(load_default=None, allow_none=True, validate=validate.Length(max=n))  # noqa: E731
#: A callback task's kind (RULES 1.1, 1.2 names), as the columns keep it.
_kind = lambda: fields.String(required=True, validate=validate.Length(min=1, max=32))  # noqa: E731
_MONTH = [validate.Length(min=7, max=7), validate.Regexp(r"^\d{4}-\d{2}$")]


class DeliveryShipped(_Data):
    delivery_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    shipped_on = fields.Date(required=True)
    project = _text(300)
    product_model = _text(200)
    quantity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    contract_amount = fields.Decimal(load_default=None, allow_none=True, places=2, validate=validate.Range(min=0))
    business_line = fields.String(load_default="equipment", validate=validate.Length(min=1, max=32))
    branch = _opt_id()


class EquipmentInstalled(_Data):
    delivery_id = _id()
    installed_on = fields.Date(required=True)


class EquipmentCommissioned(_Data):
    delivery_id = _id()
    commissioned_on = fields.Date(required=True)


class DeliveryCancelled(_Data):
    delivery_id = _id()


class ServiceOrderCompleted(_Data):
    order_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    completed_at = fields.AwareDateTime(required=True, default_timezone=None)
    business_line = fields.String(required=True, validate=validate.OneOf(BUSINESS_LINES_SERVICE))
    kind = fields.String(load_default="maintenance", validate=validate.OneOf(SERVICE_KINDS))
    advisor_id = _opt_id()
    #: The branch (store, service station, property office, region) the order belongs to.
    branch = _opt_id()


class CustomerUpdated(_Data):
    customer = fields.Nested(CustomerSchema, required=True)


class ComplaintRaised(_Data):
    complaint_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    category = fields.String(load_default="other", validate=validate.OneOf(COMPLAINT_CATEGORIES))
    source = fields.String(load_default="hotline", validate=validate.OneOf(COMPLAINT_SOURCES))
    raised_at = fields.AwareDateTime(load_default=None, allow_none=True)
    order_id = _opt_id()
    delivery_id = _opt_id()
    callback_id = _opt_id()
    #: The product model complained about (recurring and batch problems are counted by it; seed 001).
    product_model = _text(200)
    #: The branch (store, service station, property office, region) it concerns.
    branch = _opt_id()
    #: The service advisor (服务顾问) of the order it concerns (recurring problems may be counted by it).
    advisor_id = _opt_id()
    #: Who took it down (a login: the agent of the callback it came from): its first taker (seed 002 首问责任制).
    recorded_by = fields.String(load_default=None, allow_none=True,
                                validate=[validate.Length(max=64), validate.Regexp(LOGIN_PATTERN.pattern)])


class _Produced(_Data):
    """Events this project emits: the fields other services rely on are checked."""


class _YesNoQuestion(_Data):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    label_zh = fields.String(required=True, validate=validate.Length(min=1, max=500))
    label_en = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CallbackScheduled(_Produced):
    callback_id = _id()
    kind = _kind()
    due_on = fields.Date(required=True)
    customer_id = _id()


class CallbackCompleted(_Produced):
    callback_id = _id()
    kind = _kind()
    due_on = fields.Date(required=True)
    customer = fields.Nested(CustomerSchema, required=True)
    key_customer = fields.Boolean(load_default=False)
    reached = fields.Boolean(required=True)
    product_satisfaction = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SATISFACTION))
    service_satisfaction = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SATISFACTION))
    complaint_id = _opt_id()
    #: Why the customer is dissatisfied, and their suggestions (the report lists both; seed 000 6.2.5, 6.3.1).
    dissatisfied_reason = _text(10000)
    suggestions = _text(10000)
    #: The questionnaire followed and every answer by question id (a yes/no question: true or false).
    questionnaire = _text(64)
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)), load_default=dict)
    #: The questionnaire's yes/no questions with their labels: the report counts their answers (seed 000 6.3.1).
    yes_no_questions = fields.List(fields.Nested(_YesNoQuestion), load_default=list)


class CallbackUnreachable(_Produced):
    callback_id = _id()
    customer_id = _id()


class CallbackRescheduled(_Produced):
    """The customer asked to be called at a time: the next attempt is at `call_at`."""

    callback_id = _id()
    customer_id = _id()
    call_at = fields.AwareDateTime(required=True)


class CallbackDeclined(_Produced):
    """The customer does not accept callbacks (谢绝回访): an opt-out the planner honours for surveys;
    a complaint's verification declined goes to the supervisor's queue (RULES 2)."""

    callback_id = _id()
    customer_id = _id()
    kind = _kind()
    complaint_id = _opt_id()
    verification = fields.Boolean(load_default=False)


class CallbackWrongNumber(_Produced):
    """The number called was wrong: the task waits for corrected contact data (a complaint's
    verification: in the supervisor's queue meanwhile, RULES 2)."""

    callback_id = _id()
    customer_id = _id()
    complaint_id = _opt_id()
    verification = fields.Boolean(load_default=False)


class CallbackReviewed(_Produced):
    """A reviewer's verdict on a callback record: pass or needs improvement."""

    callback_id = _id()
    verdict = fields.String(required=True, validate=validate.OneOf(("pass", "needs_improvement")))
    reviewer_role = fields.String(required=True, validate=validate.Length(min=1, max=32))
    comment = _text(10000)


class LeadRaised(_Produced):
    """A callback's answer wants maintenance, a retrofit or a new purchase: a lead for the ERP."""

    lead_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=32))
    callback_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    owner = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    due_on = fields.Date(required=True)
    note = _text(10000)


class LeadUpdated(_Produced):
    """A lead moved on (open -> contacted -> won or lost), whole: the latest `updated_at` wins."""

    lead_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=32))
    status = fields.String(required=True, validate=validate.OneOf(("open", "contacted", "won", "lost")))
    raised_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class ComplaintEvent(_Produced):
    complaint_id = _id()


class ComplaintClosed(ComplaintEvent):
    """Closed by a satisfied verification callback, or with a closure reason."""

    closure_reason = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(("anonymous", "written_reply", "no_objection", "not_valid",
                                                            "unreachable")))


class ComplaintAccepted(_Produced):
    """A person accepted a complaint (接单): its owner (处理人) from `accepted_at`."""

    complaint_id = _id()
    owner = fields.String(required=True, validate=validate.Length(min=1, max=64))
    accepted_at = fields.AwareDateTime(required=True)
    first_taker = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    department = _text(200)


class ComplaintHandedOver(_Produced):
    """A hotline complaint's ticket went to an engineer (转交工程师; seed 001), against its hand-over deadline."""

    complaint_id = _id()
    handed_over_at = fields.AwareDateTime(required=True)
    handover_due_at = fields.AwareDateTime(load_default=None, allow_none=True)


class ComplaintVerificationUnreachable(_Produced):
    """A resolved complaint's verification callback ran out of attempts: to the supervisor's queue."""

    complaint_id = _id()
    callback_id = _opt_id()


class ComplaintVerificationRetried(_Produced):
    """A supervisor asked for the verification callback again: the scheduler plans a new one."""

    complaint_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    verify_due_at = fields.AwareDateTime(required=True)


class ComplaintPromiseMade(_Produced):
    """A promise made to a complaint's customer: the scheduler plans a follow-up callback on its day."""

    complaint_id = _id()
    promise_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    what = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    due_at = fields.AwareDateTime(required=True)
    followup_kind = fields.String(load_default="promise_followup", validate=validate.Length(min=1, max=32))


class ComplaintPromiseEvent(_Produced):
    """A promise made to a complaint's customer kept, or broken (its moment passed unkept)."""

    complaint_id = _id()
    promise_id = _id()


class CorrectiveActionEvent(_Produced):
    """A corrective action of the register (纠正预防措施), whole: the latest `updated_at` wins."""

    action_id = _id()
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    owner = fields.String(required=True, validate=validate.Length(min=1, max=64))
    due_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("open", "in_progress", "done", "effective",
                                                                   "ineffective")))
    origin = fields.String(load_default="manual", validate=validate.OneOf(("manual", "recurring")))
    complaint_ids = fields.List(fields.String(validate=validate.Length(min=1, max=128)), load_default=list)
    callback_ids = fields.List(fields.String(validate=validate.Length(min=1, max=128)), load_default=list)
    effectiveness = _text(5000)
    updated_at = fields.AwareDateTime(required=True)


class CustomerFlagged(_Produced):
    customer_id = _id()


class ComplaintRepeated(_Produced):
    """A repeat complaint about the same repair (RULES 1.3): special callback and rework within 24 hours."""

    complaint_id = _id()
    customer = fields.Nested(CustomerSchema, required=True)
    rework_due_at = fields.AwareDateTime(required=True)


class ComplaintDeadlinesMoved(_Produced):
    """A complaint's deadlines re-planned on the published calendar (RULES 1.6): the new ones."""

    complaint_id = _id()
    moved = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)


class ReportEvent(_Produced):
    month = fields.String(required=True, validate=_MONTH)


class UserUpdated(_Produced):
    """One person of the user directory, whole (shared/users/store.py): the latest `updated_at` wins."""

    login = fields.String(required=True, validate=[validate.Length(min=1, max=64), validate.Regexp(LOGIN_PATTERN)])
    role = fields.String(required=True, validate=validate.OneOf(USER_ROLES))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    business_lines = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)
    #: The person's branch (store, service station, region); None: the whole organisation.
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128))
    #: The person's department (受投诉部门); None: none named.
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    #: shared.users.passwords.hash_password's string (scrypt$n$r$p$salt$hash); None: cannot sign in.
    password_hash = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    active = fields.Boolean(load_default=True)
    updated_at = fields.AwareDateTime(required=True)
    #: Tokens issued and page sessions started before this moment are refused (an admin revoked
    #: them: `make revoke-tokens`). None: no cutoff.
    tokens_not_before = fields.AwareDateTime(load_default=None, allow_none=True)


class UserSignedOut(_Produced):
    """One page session ended by its sign-out (shared/users/sessions.py): every service refuses it from then on."""

    login = fields.String(required=True, validate=[validate.Length(min=1, max=64), validate.Regexp(LOGIN_PATTERN)])
    #: SHA-256 (hex) of the session's id: never the id itself.
    session = fields.String(required=True,
                            validate=[validate.Length(min=64, max=64), validate.Regexp(r"^[0-9a-f]{64}$")])
    ended_at = fields.AwareDateTime(required=True)


class WebhookEndpointUpdated(_Produced):
    """One webhook endpoint of an organisation, whole (shared/webhooks/endpoints.py): the latest `updated_at` wins."""

    endpoint_id = fields.String(required=True, validate=[validate.Length(max=43), validate.Regexp(r"^ep_[a-z0-9]{8,40}$")])
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    types = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True)
    #: `whsec_` + base64; the reason this type never leaves Huifang.
    secret = fields.String(required=True, validate=[validate.Length(max=206),
                                                    validate.Regexp(r"^whsec_[A-Za-z0-9+/=]{16,200}$")])
    enabled = fields.Boolean(load_default=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))
    disabled_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    updated_at = fields.AwareDateTime(required=True)


#: Every event type this installation knows, with the schema of its data.
REGISTRY: dict[str, type[Schema]] = {
    "delivery.shipped": DeliveryShipped,
    "equipment.installed": EquipmentInstalled,
    "equipment.commissioned": EquipmentCommissioned,
    "delivery.cancelled": DeliveryCancelled,
    "service_order.completed": ServiceOrderCompleted,
    "customer.updated": CustomerUpdated,
    "complaint.raised": ComplaintRaised,
    "callback.scheduled": CallbackScheduled,
    "callback.completed": CallbackCompleted,
    "callback.unreachable": CallbackUnreachable,
    "callback.rescheduled": CallbackRescheduled,
    "callback.declined": CallbackDeclined,
    "callback.wrong_number": CallbackWrongNumber,
    "callback.reviewed": CallbackReviewed,
    "lead.raised": LeadRaised,
    "lead.updated": LeadUpdated,
    "complaint.escalated": ComplaintEvent,
    "complaint.resolved": ComplaintEvent,
    "complaint.closed": ComplaintClosed,
    "complaint.reopened": ComplaintEvent,
    "customer.flagged": CustomerFlagged,
    "customer.unflagged": CustomerFlagged,
    "complaint.repeated": ComplaintRepeated,
    "complaint.deadlines_moved": ComplaintDeadlinesMoved,
    "complaint.accepted": ComplaintAccepted,
    "complaint.handed_over": ComplaintHandedOver,
    "complaint.verification_unreachable": ComplaintVerificationUnreachable,
    "complaint.verification_retried": ComplaintVerificationRetried,
    "complaint.promise_made": ComplaintPromiseMade,
    "complaint.promise_kept": ComplaintPromiseEvent,
    "complaint.promise_broken": ComplaintPromiseEvent,
    "corrective_action.updated": CorrectiveActionEvent,
    "ticket.recorded": TicketRecorded,
    "ticket.handed_over": TicketHandedOver,
    "ticket.dispatched": TicketDispatched,
    "ticket.converted": TicketConverted,
    "report.generated": ReportEvent,
    "report.sent": ReportEvent,
    "user.updated": UserUpdated,
    "user.signed_out": UserSignedOut,
    "webhook.endpoint_updated": WebhookEndpointUpdated,
    "integration_token.updated": IntegrationTokenUpdated,
}
