"""What the scheduler's pages share: the blueprint, who may do what, the clock, names of codes.

Views are entry points like the API's routes: they read with the same query functions
(handlers.*, in the request's connection) and change state only through the same commands,
with `service().run(command, ...)`. Nothing here decides a business rule.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from flask_babel import format_date, format_datetime, format_decimal

from shared.web.pages import page_blueprint
from shared.web.roles import EVERY_ROLE, define_action
from shared.web.session import current_principal
from shared.web.pages import is_htmx, me, now, service, settings  # noqa: F401 (used by the pages)
from shared.core.privacy import SEES_PHONES

from ..api.common import CALLERS, LEDGER_KEEPERS, READERS
from . import labels
from services.scheduler.rules import review_policy

HERE = Path(__file__).resolve().parent.parent

blp = page_blueprint("scheduler_pages", __name__, template_folder=str(HERE / "templates"),
                     static_folder=str(HERE / "static"), static_url_path="/static/scheduler")


def people(roles) -> tuple[str, ...]:
    """Gives the roles a person can hold among `roles` (not the integration token)."""
    return tuple(r for r in roles if r in EVERY_ROLE)


#: Every person who works with callbacks reads the pages (the API's READERS).
PAGE_READERS = people(READERS)
#: Record a call's outcome: the roles of POST /api/v1/callbacks/<id>/outcome.
RECORD_OUTCOME = define_action("scheduler.record_outcome", *people(CALLERS))
#: See a customer's full phone numbers, each look recorded (RULES 1.4).
REVEAL_PHONES = define_action("scheduler.reveal_phones", *people(SEES_PHONES))
#: Import a ledger file: the roles of POST /api/v1/ledger/import.
IMPORT_LEDGER = define_action("scheduler.import_ledger", *people(LEDGER_KEEPERS))
#: Review callback records: the roles of POST /api/v1/reviews/<id>.
REVIEWER_ROLES = ("supervisor", "manager", "admin")
REVIEW_RECORDS = define_action("scheduler.review", *REVIEWER_ROLES)


# service(), settings(), me(), now(), is_htmx(): the same on every service (shared/web/pages.py)


def when(moment: datetime | None, today: date) -> str:
    """Gives a moment as the lists show it: the clock time today, else the date and time."""
    if moment is None:
        return ""
    local = moment.astimezone(settings().tz)
    if local.date() == today:
        return format_datetime(local, "HH:mm")
    return f"{format_date(local.date(), 'medium')} {format_datetime(local, 'HH:mm')}"


class Shown:
    """Codes, dates and numbers as a page shows them, each worked out once per page: a list
    repeats the same few (gettext and Babel's formats cost more than the rest of a row)."""

    def __init__(self):
        self._memo: dict = {}

    def _once(self, key, make):
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = make()
        return value

    def name(self, table: dict, code) -> str:
        return "" if code is None else self._once((id(table), code), lambda: labels.name_of(table, code))

    def day(self, value) -> str:
        return "" if value is None else self._once(("day", value), lambda: format_date(value, "medium"))

    def number(self, value) -> str:
        return "" if value is None else self._once(("number", value), lambda: format_decimal(value))


@blp.context_processor
def _names():
    """Names of codes for the templates (kind_name(task.kind), status_name(...) ...) and `day(d)`,
    a date as the lists show it; each looked up once per page (a list repeats them)."""
    memo: dict = {}

    def named(table):
        def name(code):
            key = (id(table), code)
            if key not in memo:
                memo[key] = labels.name_of(table, code)
            return memo[key]
        return name

    def day(value):
        if value is None:
            return ""
        key = ("day", value)
        if key not in memo:
            memo[key] = format_date(value, "medium")
        return memo[key]

    base = settings().public_url("complaints")

    def reviews_records() -> bool:
        """Whether the signed-in person's role reviews callback records in their organisation's
        review.yaml (the Reviews link is shown only then)."""
        return is_reviewer(current_principal())

    return {
        "reviews_records": reviews_records,
        "kind_name": named(labels.KINDS), "line_name": named(labels.LINES), "status_name": named(labels.STATUSES),
        "channel_name": named(labels.CHANNELS), "segment_name": named(labels.SEGMENTS),
        "answer_name": named(labels.ANSWERS), "field_name": named(labels.LEDGER_FIELDS), "day": day,
        "complaint_url": lambda complaint_id: f"{base}/complaints/{quote(complaint_id, safe='')}",
    }


def is_reviewer(principal) -> bool:
    """Gives whether `principal`'s role is a reviewer of its organisation's review policy."""
    if principal is None or principal.role not in REVIEWER_ROLES:
        return False
    return principal.role in review_policy(settings(), principal.organization).reviewers
