"""The codes and field checks the event contract shares: the codes a field may take (segments,
sources, roles ...), the patterns of ids and organisation slugs, and the NUL refusal every text
field of an event gets (shared/core/event_types.py, shared/core/events.py).
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

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


def refuse_nul(data):
    """Gives `data` back; raises ValidationError by field when a string in it holds NUL."""
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
