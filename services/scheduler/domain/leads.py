"""Leads from callbacks, pure: which answers raise a lead, of which kind, for whom,
due when. Seed 000 part 5 「获取顾客潜在的需求」「寻求新的商务机会」 (maintenance, retrofit after the
warranty); seed 003 「了解客户未来的购买需求和计划」 (a new purchase)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..errors import PolicyError

#: The kinds of lead an answer can raise.
LEAD_KINDS = ("maintenance", "retrofit", "maintenance_or_retrofit", "purchase")


@dataclass(frozen=True)
class LeadRule:
    """A yes to `question` raises a lead of `kind`."""

    question: str
    kind: str


@dataclass(frozen=True)
class LeadPolicy:
    rules: tuple[LeadRule, ...]
    #: Who follows the lead up: a login, else the first person (by login) of the role.
    owner_login: str | None
    owner_role: str
    due_in_working_days: int

    @classmethod
    def from_data(cls, data) -> "LeadPolicy":
        try:
            loaded = _LeadsSchema().load(data or {})
        except ValidationError as exc:
            field, messages = next(iter(exc.normalized_messages().items()))
            raise PolicyError(f"leads.{field}: {messages}", field=f"leads.{field}") from None
        return cls(rules=tuple(LeadRule(**r) for r in loaded["raise_on"]), owner_login=loaded["owner"].get("login"),
                   owner_role=loaded["owner"]["role"], due_in_working_days=loaded["due_in_working_days"])


def leads_wanted(answers: Mapping[str, object] | None, policy: LeadPolicy) -> list[LeadRule]:
    """Gives the lead rules a reached call's answers trigger (a yes, `True`, to their question), each kind once."""
    wanted, kinds = [], set()
    for rule in policy.rules:
        if (answers or {}).get(rule.question) is True and rule.kind not in kinds:
            wanted.append(rule)
            kinds.add(rule.kind)
    return wanted


class _RuleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    question = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    kind = fields.String(required=True, validate=validate.OneOf(LEAD_KINDS))


class _OwnerSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    login = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    role = fields.String(load_default="manager", validate=validate.OneOf(("agent", "advisor", "supervisor",
                                                                          "manager", "admin")))


class _LeadsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    raise_on = fields.List(fields.Nested(_RuleSchema), required=True)
    owner = fields.Nested(_OwnerSchema, load_default=lambda: {"role": "manager"})
    due_in_working_days = fields.Integer(load_default=5, strict=True, validate=validate.Range(min=0, max=60))


#: A lead's states, and where each may go: open -> contacted -> won or lost (open may end at once).
OPEN, CONTACTED, WON, LOST = "open", "contacted", "won", "lost"
LEAD_STATES = (OPEN, CONTACTED, WON, LOST)
NEXT_STATES = {OPEN: (CONTACTED, WON, LOST), CONTACTED: (WON, LOST), WON: (), LOST: ()}
#: States a lead still waits in: its owner is reminded once it is past its due date.
WAITING = (OPEN, CONTACTED)


def may_move(current: str, to: str) -> bool:
    """Gives whether a lead in `current` may move to `to` (won and lost are ends)."""
    return to in NEXT_STATES.get(current, ())


def is_overdue(status: str, due_on, today) -> bool:
    """Gives whether a lead still waiting (open or contacted) is past its due date."""
    return status in WAITING and today > due_on
