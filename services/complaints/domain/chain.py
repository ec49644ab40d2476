"""Escalation chains (投诉处理的职能层次): who holds which level, and who may act.

A chain is data (``data/chains/*.yaml``): an ordered list of levels, lowest first. A
complaint moves up one level at a time (RULES 2).

Who may act on a complaint at level L:
- a role that holds level L or a higher level of the chain (CONTRACT: "by a user whose
  role holds the complaint's current level or a higher one");
- ``admin`` at any level: administrators must be able to unblock a complaint whose
  handler is away;
- never ``integration``: the API token posts events and reads, it does not handle
  complaints (automatic steps run as the system, without a role check);
- never a role the chain does not list (for example ``supervisor`` in the default
  three-level chain).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.core.event_fields import COMPLAINT_SOURCES

from ..errors import InvalidData

#: Roles that can hold a level of a chain (CONTRACT.md "Users and roles").
HANDLER_ROLES = ("agent", "advisor", "supervisor", "manager")
#: Where a complaint starts at the top level when the chain does not say: forwarded by the
#: manufacturer (seed 004: 由长安汽车转来的客户投诉必须由经销商总经理安排进行处理).
STRAIGHT_TO_TOP_SOURCES = ("manufacturer",)
#: Roles that act at any level.
ROLES_ACTING_AT_ANY_LEVEL = frozenset({"admin"})


@dataclass(frozen=True)
class Level:
    """One level of a chain: the role holding it, its label and what it does there."""

    index: int
    role: str
    label: str
    duty: str = ""
    #: False: the level passes the complaint on and cannot resolve it (seed 000: the agent hands the
    #: day's complaints to the station manager, who approves and forwards; the service manager handles).
    resolves: bool = True


@dataclass(frozen=True)
class Chain:
    """An escalation chain, lowest level first; `verifier_role` makes the verification call;
    complaints from `straight_to_top_sources` start at the top level."""

    name: str
    label: str
    levels: tuple[Level, ...]
    verifier_role: str = "agent"
    straight_to_top_sources: tuple[str, ...] = STRAIGHT_TO_TOP_SOURCES

    @property
    def top(self) -> int:
        """Gives the index of the top level."""
        return len(self.levels) - 1

    def level(self, index: int) -> Level:
        """Gives the level at `index`; IndexError when the chain has no such level."""
        if not 0 <= index < len(self.levels):
            raise IndexError(f"chain {self.name!r} has no level {index}")
        return self.levels[index]

    def role_at(self, index: int) -> str:
        return self.level(index).role

    def resolves_at(self, index: int) -> bool:
        """Gives whether a complaint may be resolved at level `index` (the chain's data says)."""
        return self.level(index).resolves


class _LevelSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(HANDLER_ROLES))
    label = fields.String(required=True, validate=validate.Length(min=1))
    duty = fields.String(load_default="")
    resolves = fields.Boolean(load_default=True)


class _ChainSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1))
    label = fields.String(required=True, validate=validate.Length(min=1))
    verifier_role = fields.String(load_default="agent", validate=validate.OneOf(HANDLER_ROLES))
    levels = fields.List(
        fields.Nested(_LevelSchema), required=True, validate=validate.Length(min=1)
    )
    straight_to_top_sources = fields.List(fields.String(validate=validate.OneOf(COMPLAINT_SOURCES)),
                                          load_default=list(STRAIGHT_TO_TOP_SOURCES))

    @validates_schema
    def _top_resolves(self, data, **kwargs):
        levels = data.get("levels") or ()
        if levels and not levels[-1]["resolves"]:
            raise ValidationError("the top level must resolve: nobody above it can.",
                                  field_name=f"levels.{len(levels) - 1}.resolves")

    @validates_schema
    def _roles_unique(self, data, **kwargs):
        seen = set()
        for i, level in enumerate(data.get("levels") or ()):
            if level["role"] in seen:
                raise ValidationError(
                    f"role {level['role']!r} holds two levels; each role holds at most one.",
                    field_name=f"levels.{i}.role",
                )
            seen.add(level["role"])


def _first_field(errors: dict, prefix: str = "") -> tuple[str, str]:
    """Gives the first bad field of a marshmallow error dict, dotted, and its first message."""
    for key, value in errors.items():
        name = f"{prefix}{key}" if key != "_schema" else prefix.rstrip(".") or "_schema"
        if isinstance(value, dict):
            return _first_field(value, f"{name}.")
        if isinstance(value, list) and value:
            return name, str(value[0])
        return name, str(value)
    return prefix.rstrip(".") or "_schema", "invalid"


def load_chain(data: Mapping) -> Chain:
    """Gives a Chain from a mapping (a parsed ``data/chains/*.yaml``).

    Raises:
      InvalidData: naming the first bad field (``levels.1.role``) and its problem; every
        problem is in `errors`.
    """
    try:
        loaded = _ChainSchema().load(dict(data or {}))
    except ValidationError as exc:
        field, message = _first_field(exc.messages)
        raise InvalidData(
            f"invalid escalation chain: {message}", field=field, errors=exc.messages
        ) from None
    levels = tuple(
        Level(index=i, role=lv["role"], label=lv["label"], duty=lv["duty"], resolves=lv["resolves"])
        for i, lv in enumerate(loaded["levels"])
    )
    return Chain(
        name=loaded["name"],
        label=loaded["label"],
        levels=levels,
        verifier_role=loaded["verifier_role"],
        straight_to_top_sources=tuple(loaded["straight_to_top_sources"]),
    )


def level_for_role(chain: Chain, role: str) -> int | None:
    """Gives the index of the level `role` holds in `chain`, or None if it holds none."""
    for level in chain.levels:
        if level.role == role:
            return level.index
    return None


def can_act(chain: Chain, role: str, level: int) -> tuple[bool, str]:
    """Gives (allowed, reason): may `role` act on a complaint at `level` of `chain`?

    The reason is a sentence for the user (shown in the 403 problem+json when refused).
    """
    if role in ROLES_ACTING_AT_ANY_LEVEL:
        return True, f"the {role} role may act at any level."
    if role == "integration":
        return False, (
            "the integration token posts events and reads data; "
            "complaints are handled by a user whose role holds a level of the chain."
        )
    target = chain.level(level)
    held = level_for_role(chain, role)
    if held is None:
        roles = ", ".join(f"{lv.role} ({lv.label})" for lv in chain.levels)
        return False, (
            f"the {role} role holds no level of the {chain.name!r} chain; "
            f"ask one of: {roles}."
        )
    if held < level:
        return False, (
            f"this complaint is at level {level} ({target.role}, {target.label}); "
            f"your role {role} holds level {held}, so ask a {target.role} or someone higher."
        )
    return True, f"the {role} role holds level {held}, at or above level {level}."
