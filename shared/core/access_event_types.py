"""The schemas of the internal events about who may call the API: an organisation's integration
tokens, issued and revoked (shared/users/integration_tokens.py). shared/core/event_types.py's
REGISTRY lists them with every other type."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, pre_load, validate

from shared.core.event_fields import refuse_nul

#: An integration token's id, as its claim `i` and the `integration_token` table keep it.
TOKEN_ID_PATTERN = r"^it_[0-9a-f]{16}$"


class IntegrationTokenUpdated(Schema):
    """One integration token of an organisation, issued or revoked: every service refuses a revoked
    one from then on (a revocation is final; its `revoked_at` is kept whatever order events arrive in)."""

    class Meta:
        unknown = INCLUDE

    @pre_load
    def _no_nul(self, data, **kwargs):
        return refuse_nul(data)

    token_id = fields.String(required=True, validate=[validate.Length(max=19), validate.Regexp(TOKEN_ID_PATTERN)])
    #: What it is for (the ERP's name), as the operator gave it.
    label = fields.String(load_default="", validate=validate.Length(max=200))
    issued_at = fields.AwareDateTime(required=True)
    #: When it was revoked (None: in use).
    revoked_at = fields.AwareDateTime(load_default=None, allow_none=True)
