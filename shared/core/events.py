"""The CloudEvents 1.0 envelope (CONTRACT.md) and one marshmallow schema per event type.

`validate_envelope(raw)` checks a raw envelope (as it came off HTTP or the queue) and gives
the normalised raw dict back (still JSON: that is what the outbox stores and the broker
carries). `load_event(raw)` gives an `Event` with typed data for a handler.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from marshmallow import INCLUDE, Schema, ValidationError, fields, pre_load, validate

from shared.core.errors import InvalidEvent

SEGMENTS = ("vip", "group", "government", "fleet", "police", "ordinary")
BUSINESS_LINES_SERVICE = ("vehicle", "property", "retail")
SERVICE_KINDS = (
    "maintenance", "repair", "major_repair", "accident", "emergency_repair", "contractor_repair",
    "special_service", "help_request", "first_aid", "community_event", "purchase",
)
#: Where a complaint comes from; the consumer association (消费者协会) and the media (媒体) are sources
#: of their own (seed 004): the chains start them at the top level, like the manufacturer's.
COMPLAINT_SOURCES = ("callback", "hotline", "manufacturer", "walk_in", "web", "consumer_association", "media")
COMPLAINT_CATEGORIES = ("product_quality", "service_quality", "attitude", "price", "waiting_time", "other")
SATISFACTION = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
#: Organisation ids: short slugs, so they are safe in file names and queue keys.
ORG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: Sign-in names of people (the user directory, shared/users/store.py).
LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
#: The roles a person of the directory can hold (CONTRACT.md "Users and roles").
USER_ROLES = ("agent", "advisor", "supervisor", "manager", "admin")


#: Ids other systems give (complaint, order, delivery, customer, callback ids): letters, digits and
#: `_ . : @ + -`, at most 128 characters. No CR/LF (a mail header), no `/` (a path), no blanks
#: (an id ends up in mail headers, paths and logs).
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$")
ID_ERROR = "must be 1 to 128 letters, digits or _ . : @ + - (starting with a letter or digit)"
#: The characters no text of Huifang may hold: PostgreSQL refuses NUL in text.
NUL = "\x00"


class WholeRegexp(validate.Regexp):
    """A `validate.Regexp` the whole value must match (`$` alone lets a final newline through)."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def id_validators() -> list:
    """Gives the validators of an id field (ID_PATTERN, at most 128 characters)."""
    return [validate.Length(min=1, max=128), WholeRegexp(ID_PATTERN, error=ID_ERROR)]


def id_field(*, required: bool = True, **kwargs) -> fields.String:
    """Gives an id field: required, or optional (None when absent)."""
    if required:
        return fields.String(required=True, validate=id_validators(), **kwargs)
    return fields.String(load_default=None, allow_none=True, validate=id_validators(), **kwargs)


def nul_errors(data, prefix: str = "") -> dict:
    """Gives {field: [message]} for each string (also in lists and nested objects) holding NUL."""
    found = {}
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        where = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, str) and NUL in value:
            found[where] = ["must not contain the NUL character (\\u0000)"]
        elif isinstance(value, (dict, list)):
            found.update(nul_errors(value, where))
    return found


def _refuse_nul(data):
    if isinstance(data, dict):
        errors = nul_errors(data)
        if errors:
            nested: dict = {}
            for where, messages in errors.items():
                head, *rest = where.split(".", 1)
                nested.setdefault(head, {})
                if rest:
                    nested[head] = {**nested[head], rest[0]: messages} if isinstance(nested[head], dict) else messages
                else:
                    nested[head] = messages
            raise ValidationError(nested)
    return data


class _Data(Schema):
    class Meta:
        unknown = INCLUDE

    @pre_load
    def _no_nul(self, data, **kwargs):
        return _refuse_nul(data)


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


class _Produced(_Data):
    """Events this project emits: the fields other services rely on are checked."""


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


class CallbackUnreachable(_Produced):
    callback_id = _id()
    customer_id = _id()


class CallbackRescheduled(_Produced):
    """The customer asked to be called at a time: the next attempt is at `call_at`."""

    callback_id = _id()
    customer_id = _id()
    call_at = fields.AwareDateTime(required=True)


class CallbackDeclined(_Produced):
    """The customer does not accept callbacks (谢绝回访): an opt-out the planner honours."""

    callback_id = _id()
    customer_id = _id()
    kind = _kind()


class CallbackWrongNumber(_Produced):
    """The number called was wrong: the task waits for corrected contact data."""

    callback_id = _id()
    customer_id = _id()


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
    #: shared.users.passwords.hash_password's string (scrypt$n$r$p$salt$hash); None: cannot sign in.
    password_hash = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    active = fields.Boolean(load_default=True)
    updated_at = fields.AwareDateTime(required=True)
    #: Tokens issued and page sessions started before this moment are refused (an admin revoked
    #: them: `make revoke-tokens`). None: no cutoff.
    tokens_not_before = fields.AwareDateTime(load_default=None, allow_none=True)


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
    "complaint.escalated": ComplaintEvent,
    "complaint.resolved": ComplaintEvent,
    "complaint.closed": ComplaintClosed,
    "complaint.reopened": ComplaintEvent,
    "customer.flagged": CustomerFlagged,
    "customer.unflagged": CustomerFlagged,
    "complaint.repeated": ComplaintRepeated,
    "complaint.deadlines_moved": ComplaintDeadlinesMoved,
    "complaint.accepted": ComplaintAccepted,
    "complaint.verification_unreachable": ComplaintVerificationUnreachable,
    "complaint.verification_retried": ComplaintVerificationRetried,
    "complaint.promise_made": ComplaintPromiseMade,
    "complaint.promise_kept": ComplaintPromiseEvent,
    "complaint.promise_broken": ComplaintPromiseEvent,
    "corrective_action.updated": CorrectiveActionEvent,
    "report.generated": ReportEvent,
    "report.sent": ReportEvent,
    "user.updated": UserUpdated,
    "webhook.endpoint_updated": WebhookEndpointUpdated,
}

_SCHEMAS = {name: cls() for name, cls in REGISTRY.items()}

#: The types other systems send in (CONTRACT.md "Types consumed"); the rest only Huifang emits.
CONSUMED_TYPES = frozenset({
    "delivery.shipped", "equipment.installed", "equipment.commissioned", "delivery.cancelled",
    "service_order.completed", "customer.updated", "complaint.raised",
})
#: Sources of the events the services emit themselves.
OWN_SOURCE_PREFIX = "huifang://"
#: Prefixes of the complaint ids Huifang makes itself: `CMP-` for a complaint a
#: person raises (the server makes the id), `callback-` for one a dissatisfied callback raises. An id
#: another system chooses never starts with one of them (any case), so nobody outside can take the
#: id of a complaint Huifang is about to raise and have the real one dropped as a duplicate.
OWN_COMPLAINT_ID_PREFIXES = ("cmp-", "callback-")


def own_complaint_id(complaint_id) -> bool:
    """Gives whether `complaint_id` is of the kind only Huifang makes (OWN_COMPLAINT_ID_PREFIXES)."""
    return isinstance(complaint_id, str) and complaint_id.lower().startswith(OWN_COMPLAINT_ID_PREFIXES)


#: How far ahead of the server's clock a person's `raised_at` may be (two clocks never agree).
RAISED_AT_CLOCK_SKEW = timedelta(minutes=5)


def raised_at_in_window(moment: datetime, *, now: datetime, window_minutes: int) -> bool:
    """Gives whether a person may date a complaint `moment`: within the last `window_minutes`
    (HUIFANG_RAISED_AT_WINDOW_MINUTES) of `now`, or a clock's skew after it."""
    return now - timedelta(minutes=window_minutes) <= moment <= now + RAISED_AT_CLOCK_SKEW


def _outside_checks(envelope_type, source, data: dict) -> dict:
    """Gives {field: [message]} for data an event from outside Huifang may not carry."""
    if envelope_type == "complaint.raised" and not str(source).startswith(OWN_SOURCE_PREFIX) \
            and own_complaint_id(data.get("complaint_id")):
        return {"data.complaint_id": [
            "ids starting with CMP- or callback- are made by Huifang; choose an id of your own system "
            "(e.g. ERP-000123)."]}
    return {}
#: Types that stay between Huifang's own services: never posted from outside (not even with
#: the integration token), never delivered to an organisation's webhooks (they carry
#: password hashes and webhook secrets).
INTERNAL_TYPES = frozenset({"user.updated", "webhook.endpoint_updated"})


class EnvelopeSchema(Schema):
    class Meta:
        unknown = INCLUDE  # CloudEvents extension attributes are kept

    @pre_load
    def _no_nul(self, data, **kwargs):
        if isinstance(data, dict):
            _refuse_nul({k: v for k, v in data.items() if k != "data"})  # data: its type's schema says
        return data

    specversion = fields.String(required=True, validate=validate.Equal("1.0"))
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(sorted(REGISTRY)))
    source = fields.String(required=True, validate=validate.Length(min=1, max=500))
    time = fields.AwareDateTime(load_default=None, allow_none=True)
    organization = fields.String(load_default="default", validate=validate.Regexp(
        ORG_PATTERN, error="must be a lower-case slug (letters, digits, '-', '_', '.')"))
    data = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


def _flatten(errors, prefix: str = "") -> dict:
    flat = {}
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _load(raw) -> tuple[dict, dict, dict]:
    """Gives (normalised raw envelope, loaded envelope, loaded data) in one validation pass."""
    if not isinstance(raw, dict):
        raise InvalidEvent({"_envelope": ["must be a JSON object"]}, "Malformed envelope")
    errors: dict = {}
    loaded: dict = {}
    try:
        loaded = _ENVELOPE.load(raw)
    except ValidationError as exc:
        errors.update(_flatten(exc.messages) if isinstance(exc.messages, dict) else {"_envelope": exc.messages})
        loaded = exc.valid_data if isinstance(exc.valid_data, dict) else {}
    data = {}
    # a `type` that is no string (a list, an object) is not hashable: no schema, an error by field
    type_ = raw.get("type") if isinstance(raw.get("type"), str) else None
    schema = _SCHEMAS.get(type_)
    if schema is not None and isinstance(raw.get("data"), dict):
        try:
            data = schema.load(raw["data"])
        except ValidationError as exc:
            errors.update(_flatten(exc.messages, "data"))
    if not errors:
        errors.update(_outside_checks(raw.get("type"), raw.get("source"), data))
    if errors:
        title = "Unknown event type" if "type" in errors and type_ not in REGISTRY else "Invalid event"
        raise InvalidEvent(errors, title)
    envelope = dict(raw)
    envelope["organization"] = loaded["organization"]
    return envelope, loaded, data


def validate_envelope(raw) -> dict:
    """Gives the envelope as a JSON dict with defaults filled in.

    Raises:
      InvalidEvent: naming each bad field (`data.customer.id`, `type`, ...).
    """
    return _load(raw)[0]


@dataclass(frozen=True)
class Event:
    """A validated event with typed data, as handlers see it."""

    id: str
    type: str
    source: str
    organization: str
    time: datetime | None
    data: dict
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_envelope(cls, envelope: dict) -> "Event":
        """Gives the typed event of an envelope Huifang validated where it entered the mesh.

        The envelope is not checked again; its data is only converted to Python types
        (dates, decimals) by the type's schema.
        """
        moment = envelope.get("time")
        return cls(id=envelope["id"], type=envelope["type"], source=envelope["source"],
                   organization=envelope["organization"],
                   time=datetime.fromisoformat(moment) if isinstance(moment, str) else moment,
                   data=_SCHEMAS[envelope["type"]].load(envelope["data"]), raw=envelope)


def load_event(raw) -> Event:
    """Gives a typed `Event`; raises InvalidEvent like `validate_envelope`."""
    envelope, loaded, data = _load(raw)
    return Event(id=envelope["id"], type=envelope["type"], source=envelope["source"],
                 organization=envelope["organization"], time=loaded.get("time"), data=data, raw=envelope)


def make_envelope(*, type: str, data: dict, organization: str, source: str, id: str | None = None,
                  time: datetime | None = None) -> dict:
    """Gives a new envelope for an event this project emits (data must be JSON-ready)."""
    return {
        "specversion": "1.0",
        "id": id or str(uuid.uuid4()),
        "type": type,
        "source": source,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "organization": organization,
        "data": data,
    }
