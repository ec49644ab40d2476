"""Request schemas every service's API uses, and the field of every timestamp it gives."""
import re
from datetime import datetime, timezone

from flask import current_app, has_app_context
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

#: The longest page a list route gives.
MAX_PAGE = 5000
#: The largest `offset` a list route takes (far past any list; well inside a 64-bit integer).
MAX_OFFSET = 10**9


class QueryArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # ?organization= (integration) and cache-busters are not a route's business


class PageArgs(QueryArgs):
    """`limit` and `offset` of a list route; the full size is in `X-Total-Count`."""

    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=MAX_PAGE))
    # bounded: a 64-bit overflow in the database was a 500
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class TableExportArgs(QueryArgs):
    """The query of a seed's table downloaded as a file (shared/web/export.py): the period `from` to
    `to` (days, both inclusive; left out: the current month; `to` before `from`: an empty table),
    the language of its titles and labels."""

    from_on = fields.Date(data_key="from", metadata={"description": "the first day, YYYY-MM-DD"})
    to_on = fields.Date(data_key="to", metadata={"description": "the last day, YYYY-MM-DD"})
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))


#: Text holding something besides blanks (a route that strips its text refuses "  " or "\\v"): the
#: document's `pattern` for it. The blanks are exactly Python's `str.isspace()` ones, spelt out, as
#: the regex engines of a fuzzer and a validator disagree on `\\s`.
NOT_BLANK = ("[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def not_blank(value: str) -> None:
    """Refuses text of blanks only: the validator of a field documented with `pattern: NOT_BLANK`."""
    if re.search(NOT_BLANK, value) is None:
        raise ValidationError("must not be blank.")


class StrictBoolean(fields.Boolean):
    """A boolean of a JSON body: `true` or `false`, nothing else. marshmallow's Boolean also takes
    0, 1, "yes", "on" ... where the document says `boolean` (a schema-violating
    body was accepted). Query strings keep fields.Boolean (their values are text)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):  # `1 in {True}` holds in Python: test the type itself
            raise self.make_error("invalid", input=value)
        return value


class Timestamp(fields.DateTime):
    """A moment an API gives: ISO 8601 with the offset of the installation's time zone
    (HUIFANG_TIMEZONE, +08:00 for Asia/Shanghai), the one rule of every timestamp of
    Huifang's APIs (docs/API.md "The API at a glance"). A naive value is UTC, as the databases keep
    moments."""

    def _serialize(self, value, attr, obj, **kwargs):
        if not isinstance(value, datetime):
            return value  # None, or a moment already written out
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value.astimezone(_installation_tz()), attr, obj, **kwargs)


def _installation_tz():
    if has_app_context() and current_app.config.get("HUIFANG_SETTINGS") is not None:
        return current_app.config["HUIFANG_SETTINGS"].tz
    return timezone.utc  # outside a service's app there is no installation to speak for
