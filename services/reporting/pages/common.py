"""What the reporting service's pages share: the blueprint, who may do what, the clock, the
month's status as the report room shows it, and names of codes.

Views are entry points like the API's routes: they read with the same functions (figures/,
jobs.compute_report, jobs.month_pdf) and change state only through the same commands
(handlers.request_generation, handlers.mail_report) with `service().run`.
"""
from __future__ import annotations

from pathlib import Path

from flask import abort
from flask_babel import format_decimal, get_locale

from shared.web.pages import page_blueprint
from shared.web.roles import define_action
from shared.web.session import current_principal
from shared.web.pages import is_htmx, me, now, service, settings  # noqa: F401 (used by the pages)

from ..api.common import own_branch
from ..domain.kpi import month_of
from ..figures.rows import ROW_FIGURES
from ..labels import LANGUAGES
from ..rules import desk_policy
from . import labels

HERE = Path(__file__).resolve().parent.parent

blp = page_blueprint("reporting_pages", __name__, template_folder=str(HERE / "templates"),
                     static_folder=str(HERE / "static"), static_url_path="/static/reporting")

#: Who reads the reports: the roles of the reports API (docs/API.md "The API at a glance"), people only.
READERS = ("supervisor", "manager", "admin")
#: Make or remake a month's report (POST /api/v1/reports).
MAKE = define_action("reporting.make", *READERS)
#: Mail the month's report to the organisation's recipients (POST /api/v1/reports/<month>/send).
SEND = define_action("reporting.send", *READERS)


# service(), settings(), me(), now(), is_htmx(): the same on every service (shared/web/pages.py)


def my_branch() -> str | None:
    """Gives the branch the signed-in person sees alone (a branch manager, by the
    user directory or desk.yaml), or None: the whole organisation."""
    who = me()
    return own_branch(desk_policy(settings(), who.organization), who.organization, who.login, who.role)


def no_branch_manager() -> None:
    """Refuses (403) a branch manager a page or command of the whole organisation."""
    if my_branch() is not None:
        abort(403)


def edition() -> str:
    """Gives the report edition of the page's language ("zh-CN" or "en"): charts and codes in it."""
    locale = get_locale()
    code = "zh-CN" if locale is None or locale.language == "zh" else "en"
    return code if code in LANGUAGES else LANGUAGES[0]


def percent(value: float | None) -> str:
    """Gives a ratio as a percentage in the page's language (0.375 -> 37.5%), None as a dash."""
    if value is None:
        return "—"
    return format_decimal(value * 100, format="#,##0.#") + "%"


@blp.context_processor
def _names():
    return {
        "figure_name": lambda code: labels.name_of(labels.FIGURES, code),
        "status_name": lambda code: labels.name_of(labels.STATUSES, code),
        "answer_name": lambda code: labels.name_of(labels.ANSWERS, code),
        "callback_status_name": lambda code: labels.name_of(labels.CALLBACK_STATUSES, code),
        "kind_name": lambda code: labels.name_of(labels.KINDS, code),
        "category_name": lambda code: labels.name_of(labels.CATEGORIES, code),
        "class_name": lambda code: labels.name_of(labels.CLASSES, code),
        "deadline_name": lambda code: labels.name_of(labels.DEADLINES, code),
        "listing_name": lambda code: labels.name_of(labels.LISTINGS, code),
        "closure_reason_name": lambda code: labels.name_of(labels.CLOSURE_REASONS, code),
        "action_status_name": lambda code: labels.name_of(labels.ACTION_STATUSES, code),
        "percent": percent,
        "this_month_code": lambda: month_of(now().date()),
        "row_figures": ROW_FIGURES,
        "editions": labels.EDITIONS,
        "scheduler_url": settings().public_url("scheduler"),
        "complaints_url": settings().public_url("complaints"),
    }
