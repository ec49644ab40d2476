"""The reporting policies an organisation keeps as data (data/*.yaml), validated, and the
schedule arithmetic of the monthly report (RULES 3). Pure: no database, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.core.service_time import ServiceHours

from ..errors import PolicyError
from .kpi import ANSWERS, FIGURE_NAMES, month_of, previous_months

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: Which month a scheduled run reports on.
PREVIOUS, CURRENT = "previous", "current"


def _load(schema: Schema, data, what: str) -> dict:
    try:
        return schema.load(data or {})
    except ValidationError as exc:
        field, messages = next(iter(exc.normalized_messages().items()))
        raise PolicyError(f"{what}.{field}", str(messages)) from None


class _ScheduleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    enabled = fields.Boolean(load_default=True)
    day = fields.Integer(required=True, validate=validate.Range(min=1, max=28))
    month = fields.String(load_default=PREVIOUS, validate=validate.OneOf((PREVIOUS, CURRENT)))
    at = fields.String(load_default="00:00", validate=validate.Regexp(_TIME))
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(("zh-CN", "en")))


class _ReportPolicySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    targets = fields.Dict(keys=fields.String(validate=validate.OneOf(FIGURE_NAMES)),
                          values=fields.Float(validate=validate.Range(min=0, max=1)), load_default=dict)
    key_segments = fields.List(fields.String(), load_default=list)
    key_order_kinds = fields.List(fields.String(), load_default=list)
    special_callback_kinds = fields.List(fields.String(), load_default=list)
    follow_up_kinds = fields.List(fields.String(), load_default=list)
    verification_kinds = fields.List(fields.String(), load_default=list)
    satisfaction_points = fields.Dict(keys=fields.String(validate=validate.OneOf(ANSWERS)),
                                      values=fields.Float(validate=validate.Range(min=0)), load_default=dict)
    service_hours = fields.Dict(required=True)
    listing_limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=100_000))
    pdf_listing_limit = fields.Integer(load_default=60, validate=validate.Range(min=1, max=100_000))


class _RecipientsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    managers = fields.List(fields.Email(), load_default=list)
    others = fields.List(fields.Email(), load_default=list)
    allowed_domains = fields.List(fields.String(validate=validate.Regexp(
        r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$",
        error="must be a mail domain such as acme.example")), load_default=list)


@dataclass(frozen=True)
class Schedule:
    """When the month's report is made: on `day` at `at` for the previous or current month."""

    day: int
    month: str
    at: time
    language: str
    enabled: bool = True

    @classmethod
    def from_data(cls, data) -> "Schedule":
        loaded = _load(_ScheduleSchema(), data, "schedule")
        hour, minute = map(int, loaded["at"].split(":"))
        return cls(day=loaded["day"], month=loaded["month"], at=time(hour, minute), language=loaded["language"],
                   enabled=loaded["enabled"])

    def month_due(self, now: datetime) -> str | None:
        """Gives the month whose report is due at local time `now`, or None before this month's run.

        Only the latest due month is given: a schedule never backfills older months.
        """
        if not self.enabled or (now.day, now.time()) < (self.day, self.at):
            return None
        this_month = month_of(now.date())
        return this_month if self.month == CURRENT else previous_months(this_month, 1)[0]


@dataclass(frozen=True)
class ReportPolicy:
    """Targets, key segments, service hours and listing sizes of one organisation's report.

    `listing_limit` caps each list the JSON carries; `pdf_listing_limit` the rows of each list
    the PDF prints (a management document: the rest is counted, "… and N more").
    `key_order_kinds`: orders of these kinds are key customers' (RULES 1.2, as the scheduler's
    policy says); `special_callback_kinds`: the callbacks of repeat complaints (RULES 1.3);
    `satisfaction_points`: the points of each five-point answer, for the satisfaction score
    (RULES 1.4: the mean of the answers, per dimension).
    """

    targets: dict
    key_segments: tuple[str, ...]
    service_hours: ServiceHours
    listing_limit: int
    pdf_listing_limit: int = 60
    key_order_kinds: tuple[str, ...] = ()
    special_callback_kinds: tuple[str, ...] = ()
    satisfaction_points: dict = field(default_factory=dict)
    #: Follow-up calls (RULES 3: complaint verifications, repeat-complaint special callbacks, promise and
    #: question follow-ups): counted in no survey rate; `verification_kinds` have figures of their own.
    follow_up_kinds: tuple[str, ...] = ()
    verification_kinds: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data) -> "ReportPolicy":
        loaded = _load(_ReportPolicySchema(), data, "report")
        return cls(targets=dict(loaded["targets"]), key_segments=tuple(loaded["key_segments"]),
                   service_hours=ServiceHours.from_data(loaded["service_hours"]),
                   listing_limit=loaded["listing_limit"], pdf_listing_limit=loaded["pdf_listing_limit"],
                   key_order_kinds=tuple(loaded["key_order_kinds"]),
                   special_callback_kinds=tuple(loaded["special_callback_kinds"]),
                   satisfaction_points=dict(loaded["satisfaction_points"]),
                   follow_up_kinds=tuple(loaded["follow_up_kinds"]),
                   verification_kinds=tuple(loaded["verification_kinds"]))


@dataclass(frozen=True)
class Recipients:
    """Who the organisation's report may be mailed to (data/recipients.yaml).

    `managers` get it by default; `others` and any address at one of `allowed_domains` may be
    named in a send's `to`. The report holds customer names and remarks: nobody else gets it.
    """

    managers: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data) -> "Recipients":
        loaded = _load(_RecipientsSchema(), data, "recipients")
        return cls(managers=tuple(loaded["managers"]), others=tuple(loaded["others"]),
                   allowed_domains=tuple(d.lower() for d in loaded["allowed_domains"]))

    def allows(self, address: str) -> bool:
        """Gives whether the report may go to `address` (compared without regard to case)."""
        address = address.strip().lower()
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain:
            return False
        listed = {a.strip().lower() for a in (*self.managers, *self.others)}
        return address in listed or domain in self.allowed_domains

    def refused(self, addresses) -> list[str]:
        """Gives the addresses of `addresses` the report may not go to, in their order."""
        return [a for a in addresses if not self.allows(a)]


def report_filename(month: str, language: str) -> str:
    """Gives the attachment name: 顾客满意度测量报告-2026-10.pdf (English: the English title)."""
    title = "顾客满意度测量报告" if language == "zh-CN" else "customer-satisfaction-report"
    return f"{title}-{month}.pdf"
