"""Request schemas every service's API uses."""
from marshmallow import EXCLUDE, Schema, fields, validate

#: The longest page a list route gives.
MAX_PAGE = 5000


class QueryArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # ?organization= (integration) and cache-busters are not a route's business


class PageArgs(QueryArgs):
    """`limit` and `offset` of a list route; the full size is in `X-Total-Count`."""

    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
