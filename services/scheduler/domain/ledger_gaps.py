"""Missing ledger data, pure: deliveries whose installation or commissioning date
has not come past the usual time. Their trial-run, warranty and post-warranty callbacks can never be
planned until it comes (RULES 1.1), so the ledger keepers get a weekly list; seed 000 part 5: the
documents of shipped products are passed on every Friday (每周五负责将发货产品的资料及时传递至服务中心).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..errors import PolicyError

INSTALLATION, COMMISSIONING = "installed_on", "commissioned_on"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class LedgerWatch:
    """How long after shipment a date usually comes, and when the weekly list is mailed to whom."""

    installation_within_days: int
    commissioning_within_days: int
    weekday: int
    at: time
    recipient_roles: tuple[str, ...]

    @classmethod
    def from_data(cls, data) -> "LedgerWatch":
        try:
            loaded = _WatchSchema().load(data or {})
        except ValidationError as exc:
            field, messages = next(iter(exc.normalized_messages().items()))
            raise PolicyError(f"ledger_watch.{field}: {messages}", field=f"ledger_watch.{field}") from None
        return cls(installation_within_days=loaded["installation_within_days"],
                   commissioning_within_days=loaded["commissioning_within_days"],
                   weekday=WEEKDAYS.index(loaded["mail"]["weekday"]), at=loaded["mail"]["at"],
                   recipient_roles=tuple(loaded["mail"]["roles"]))


def missing_dates(*, shipped_on: date | None, installed_on: date | None, commissioned_on: date | None,
                  today: date, watch: LedgerWatch) -> list[tuple[str, date]]:
    """Gives (the missing date's field, the day it was expected by) of a delivery, past that day only."""
    if shipped_on is None:
        return []
    missing = []
    if installed_on is None and commissioned_on is None:
        expected = shipped_on + timedelta(days=watch.installation_within_days)
        if today > expected:
            missing.append((INSTALLATION, expected))
    if commissioned_on is None:
        expected = shipped_on + timedelta(days=watch.commissioning_within_days)
        if today > expected:
            missing.append((COMMISSIONING, expected))
    return missing


def mail_week(now: datetime, watch: LedgerWatch) -> str | None:
    """Gives the ISO week (``YYYY-Www``) whose list is due at local time ``now``, or None before the
    week's mail day and time."""
    if (now.weekday(), now.time()) < (watch.weekday, watch.at):
        return None
    year, week, _ = now.date().isocalendar()
    return f"{year:04d}-W{week:02d}"


class _MailSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    weekday = fields.String(load_default="friday", validate=validate.OneOf(WEEKDAYS))
    at = fields.Time(load_default=time(9, 0))
    roles = fields.List(fields.String(validate=validate.OneOf(("agent", "supervisor", "manager", "admin"))),
                        load_default=lambda: ["supervisor"])


class _WatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    installation_within_days = fields.Integer(load_default=30, strict=True, validate=validate.Range(min=1, max=3650))
    commissioning_within_days = fields.Integer(load_default=60, strict=True, validate=validate.Range(min=1, max=3650))
    mail = fields.Nested(_MailSchema, load_default=lambda: {})
