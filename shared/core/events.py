"""The CloudEvents 1.0 envelope (CONTRACT.md) and its validation; the schema of each type's
data is in shared/core/event_types.py.

`validate_envelope(raw)` checks a raw envelope (as it came off HTTP or the queue) and gives
the normalised raw dict back (still JSON: that is what the outbox stores and the broker
carries). `load_event(raw)` gives an `Event` with typed data for a handler.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from marshmallow import INCLUDE, Schema, ValidationError, fields, pre_load, validate

from shared.core.errors import InvalidEvent
from shared.core.event_fields import ORG_PATTERN, refuse_nul
from shared.core.event_types import REGISTRY

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
INTERNAL_TYPES = frozenset({"user.updated", "user.signed_out", "webhook.endpoint_updated", "integration_token.updated"})


class EnvelopeSchema(Schema):
    class Meta:
        unknown = INCLUDE  # CloudEvents extension attributes are kept

    @pre_load
    def _no_nul(self, data, **kwargs):
        if isinstance(data, dict):
            refuse_nul({k: v for k, v in data.items() if k != "data"})  # data: its type's schema says
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
