"""An organisation's complaint rules: its chain, policy, calendar and who gets its mail.

Each is read through `shared.core.orgdata.load_org_rules` (the organisation's own file under
var/data/<organization>/complaints/, else the packaged default in data/), parsed and
validated once per version of the file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields

from shared.core.calendar import WorkingCalendar
from shared.core.errors import HuifangError
from shared.core.orgdata import load_org_rules, working_calendar

from .domain.chain import Chain, load_chain
from .errors import InvalidData
from .domain.ownership import OwnershipPolicy, load_ownership
from .domain.policy import ComplaintPolicy, load_policy
from .domain.tickets import TicketPolicy, load_ticket_policy

log = logging.getLogger(__name__)

SERVICE_NAME = "complaints"


@dataclass(frozen=True)
class Rules:
    """The chain, policy and calendar a complaint of one organisation is handled by."""

    chain: Chain
    policy: ComplaintPolicy
    calendar: WorkingCalendar


def _rules_file(settings, organization: str, relative: str, parse):
    return load_org_rules(settings, service=SERVICE_NAME, relative=relative, organization=organization, parse=parse)


def _named(settings, organization: str, kind: str, wanted: str | None, parse):
    """Gives the organisation's default chain or policy (`kind`), or the one named `wanted`
    while its file is still there."""
    value = _rules_file(settings, organization, f"{kind}/default.yaml", parse)
    if wanted and value.name != wanted:
        try:
            value = _rules_file(settings, organization, f"{kind}/{wanted}.yaml", parse)
        except HuifangError:
            log.warning("%s %r of organisation %s is gone; using its default %r", kind, wanted, organization,
                        value.name)
    return value


def rules_for(settings, *, organization: str, chain_name: str | None = None,
              policy_name: str | None = None) -> Rules:
    """Gives the organisation's rules; a complaint keeps the chain and policy it started with
    (`chain_name`, `policy_name`) when the organisation has switched its default since.

    Raises:
      InvalidData: a data file is invalid (naming the field).
    """
    return Rules(chain=_named(settings, organization, "chains", chain_name, load_chain),
                 policy=_named(settings, organization, "policies", policy_name, load_policy),
                 calendar=working_calendar(settings, service=SERVICE_NAME, organization=organization))


def ownership_for(settings, *, organization: str) -> OwnershipPolicy:
    """Gives the organisation's ownership policy (data/ownership.yaml): assignment by category,
    first-taker notices, and who may close a complaint with which reason.

    Raises:
      InvalidData: the file is invalid (naming the field).
    """
    return _rules_file(settings, organization, "ownership.yaml", load_ownership)


def tickets_for(settings, *, organization: str) -> TicketPolicy:
    """Gives the organisation's ticket policy (data/tickets.yaml: seed 001's hotline tickets).

    Raises:
      InvalidData: the file is invalid (naming the field).
    """
    return _rules_file(settings, organization, "tickets.yaml", load_ticket_policy)


class _UserSchema(Schema):
    login = fields.String(required=True)
    role = fields.String(required=True)
    email = fields.Email(required=True)


class _UsersSchema(Schema):
    users = fields.List(fields.Nested(_UserSchema), load_default=list)


def _load_users(raw) -> list[dict]:
    try:
        return _UsersSchema().load(raw or {})["users"]
    except ValidationError as exc:
        raise InvalidData(f"invalid users file: {exc.messages}", field="users", errors=exc.messages) from None


def recipients_for(settings, *, organization: str, role: str, users) -> list[str]:
    """Gives the e-mail addresses of the organisation's people holding `role`: the user
    directory (`users`, shared/users/store.py: a person is entered once), with those an organisation
    still lists in data/users.yaml added. The one place that says who gets complaint mail.

    Raises:
      InvalidData: the users file is invalid.
    """
    listed = _rules_file(settings, organization, "users.yaml", _load_users)
    emails = [*users.emails_of_role(organization, role), *(u["email"] for u in listed if u["role"] == role)]
    return list(dict.fromkeys(emails))
