"""Who may say what about a complaint they raise: pure checks of a raise.

A person (any role but the integration token) gets an id the server makes, may date the
complaint only a little before now, and may claim a source only when the policy's
`source_roles` lets their role (a complaint forwarded by the manufacturer starts at the top
level, RULES 2). The integration token speaks for other systems: it names its own ids, but
never one of the kinds Huifang makes (`shared.core.events.OWN_COMPLAINT_ID_PREFIXES`).
"""
from __future__ import annotations

from datetime import datetime

from shared.core.events import own_complaint_id, raised_at_in_window

from ..errors import Forbidden, InvalidInput
from .policy import ComplaintPolicy

#: The integration token: the one caller that speaks for other systems.
INTEGRATION = "integration"


def check_raise(*, role: str, data: dict, now: datetime, window_minutes: int, policy: ComplaintPolicy) -> None:
    """Gives nothing when a caller of `role` may raise a complaint with `data` (its loaded body).

    Raises:
      InvalidInput: the integration token chose an id of the kinds Huifang makes.
      Forbidden: a person chose `complaint_id`, or dated `raised_at` before the last `window_minutes`
        (or ahead of now), or claimed a `source` the policy does not let `role` claim: each is
        allowed to another caller, so it is the role that may not (403, naming the field, like
        `source`; a 422 would tell a schema-valid body was wrong).
    """
    complaint_id = data.get("complaint_id")
    if role == INTEGRATION:
        if own_complaint_id(complaint_id):
            raise InvalidInput("complaint ids starting with CMP- or callback- are made by Huifang; choose an id "
                               "of your own system (e.g. ERP-000123).", field="complaint_id")
        return
    if complaint_id is not None:
        raise Forbidden("complaint_id is made by the server for a complaint a person raises; leave it out "
                           "(the answer's `id` gives it).", field="complaint_id")
    raised_at = data.get("raised_at")
    if raised_at is not None and not raised_at_in_window(raised_at, now=now, window_minutes=window_minutes):
        raise Forbidden(f"raised_at must lie within the last {window_minutes} minutes (leave it out for now); "
                           "an older complaint is entered by the integration of the system that took it.",
                           field="raised_at")
    source = data.get("source")
    if source and not policy.may_claim_source(source, role):
        allowed = ", ".join(dict(policy.source_roles)[source])
        raise Forbidden(f"only {allowed} may raise a complaint with source {source!r}; "
                        "choose the source it came in by (hotline, walk_in, web).", field="source")
