"""What the complaints service's pages share: the blueprint, who may do what, the clock, the
countdown of a deadline in service time, names of codes.

Views are entry points like the API's routes: they read with the same query functions
(handlers.*, in the request's connection) and change state only through the same commands,
with `service().run(command, ...)`. Who may act at which level is the domain's decision
(`domain.can_act`, a refusal is 403): the pages only ask it which buttons to show.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import format_timedelta
from flask_babel import gettext as _

from shared.core.service_time import add_service_hours, service_hours_between
from shared.web.pages import page_blueprint
from shared.web.roles import EVERY_ROLE, define_action
from shared.web.session import current_principal
from shared.web.pages import is_htmx, me, now, service, settings  # noqa: F401 (used by the pages)

from ..domain import can_act
from ..domain.chain import HANDLER_ROLES
from ..rules import Rules
from . import labels

HERE = Path(__file__).resolve().parent.parent

blp = page_blueprint("complaints_pages", __name__, template_folder=str(HERE / "templates"),
                     static_folder=str(HERE / "static"), static_url_path="/static/complaints")

#: Every person reads the board and the complaints (the API's readers, people only).
READERS = EVERY_ROLE
#: Who may act on complaints at all: the roles a chain's levels can hold, and admin (any level).
#: Which of them may act on one complaint is the domain's `can_act` at its level (403 otherwise).
HANDLERS = (*HANDLER_ROLES, "admin")
REPLY = define_action("complaints.reply", *HANDLERS)
ESCALATE = define_action("complaints.escalate", *HANDLERS)
RESOLVE = define_action("complaints.resolve", *HANDLERS)
HAND_OVER = define_action("complaints.hand_over", *HANDLERS)
RECORD_CHURN = define_action("complaints.record_churn", *HANDLERS)
REWORK = define_action("complaints.rework", *HANDLERS)
#: Accept (接单), close with a reason, send an unreachable verification back. Which role may
#: close with which reason is the ownership policy's (the domain says 403 otherwise).
ACCEPT = define_action("complaints.accept", *HANDLERS)
CLOSE = define_action("complaints.close", *HANDLERS)
RETRY_VERIFICATION = define_action("complaints.retry_verification", *HANDLERS)
#: Seed 004: a compensation is proposed at the complaint's level and approved by the policy's approvers.
PROPOSE_COMPENSATION = define_action("complaints.propose_compensation", *HANDLERS)
DECIDE_COMPENSATION = define_action("complaints.decide_compensation", *HANDLERS)
#: Promised follow-ups, recorded and kept by those who may act at the level.
MAKE_PROMISE = define_action("complaints.make_promise", *HANDLERS)
KEEP_PROMISE = define_action("complaints.keep_promise", *HANDLERS)
#: The register of corrective actions; which role may open, move or check an action is
#: the ownership policy's (403 otherwise).
MANAGE_ACTIONS = define_action("complaints.manage_actions", *HANDLERS)
#: Take a complaint down (hotline or walk-in): everyone who answers customers.
RAISE = define_action("complaints.raise", *EVERY_ROLE)

#: A deadline turns amber in its last hour of service time, red once it has passed.
WARN_SERVICE_SECONDS = 3600


# service(), settings(), me(), now(), is_htmx(): the same on every service (shared/web/pages.py)



def form_errors(messages: dict, field_help: dict, prefix: str = "") -> dict[str, str]:
    """Gives {field: a sentence a person can act on} for a form's validation messages (nested
    fields as `customer.name`): the form's own help where it has one, else "Check this field."."""
    out = {}
    for name, value in messages.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(form_errors(value, field_help, key + "."))
        else:
            helper = field_help.get(key)
            out[key] = helper() if helper else _("Check this field.")
    return out


def may_act(rules: Rules, role: str, level: int) -> bool:
    """Gives whether `role` may act on a complaint at `level` (the domain's rule, not the page's)."""
    try:
        return can_act(rules.chain, role, min(level, rules.chain.top))[0]
    except IndexError:
        return False


@dataclass(frozen=True)
class Countdown:
    """A deadline as the pages show it: how much service time is left (negative: overdue by),
    how long the clock runs from now before service hours end (0: paused until `resumes_at`)."""

    name: str
    due_at: datetime
    remaining_s: int
    running_s: int
    resumes_at: datetime | None

    @property
    def state(self) -> str:
        """Gives "breached", "warning" (the last service hour) or "ok"."""
        if self.remaining_s <= 0:
            return "breached"
        return "warning" if self.remaining_s <= WARN_SERVICE_SECONDS else "ok"

    @property
    def label(self) -> str:
        return labels.name_of(labels.DEADLINES, self.name)

    @property
    def clock(self) -> str:
        """Gives the remaining service time as [-]H:MM:SS (the script ticks it on from here)."""
        seconds = abs(self.remaining_s)
        text = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        return ("−" + text) if self.remaining_s < 0 else text


@dataclass(frozen=True)
class ServiceClock:
    """Whether service time runs at a moment: for how many seconds more (0: paused), and when
    it resumes when paused."""

    moment: datetime
    running_s: int
    resumes_at: datetime | None


def service_clock(moment: datetime, rules: Rules) -> ServiceClock:
    """Gives the service clock at `moment` under `rules`' service hours and calendar."""
    hours, calendar = rules.policy.service_hours, rules.calendar
    local = moment.astimezone(settings().tz)
    if calendar.is_working_day(local.date()) and hours.start <= local.time() < hours.end:
        end = datetime.combine(local.date(), hours.end, tzinfo=local.tzinfo)
        return ServiceClock(local, int((end - local).total_seconds()), None)
    return ServiceClock(local, 0, add_service_hours(local, 0, calendar=calendar, service_hours=hours))


def countdown(name: str, due_at: datetime, clock: ServiceClock, rules: Rules) -> Countdown:
    """Gives the countdown to `due_at` on `clock`, in the service time of `rules`' policy and calendar."""
    remaining = service_hours_between(clock.moment, due_at, calendar=rules.calendar,
                                      service_hours=rules.policy.service_hours) * 3600
    return Countdown(name=name, due_at=due_at.astimezone(settings().tz), remaining_s=int(round(remaining)),
                     running_s=clock.running_s, resumes_at=clock.resumes_at)


def countdown_words() -> dict:
    """Gives the labels of the countdowns, translated once for a page."""
    return {"ok": _("left"), "warning": _("last hour"), "breached": _("overdue"),
            "paused": _("Paused outside service hours"), "warn_s": WARN_SERVICE_SECONDS}


def ago(moment: datetime, reference: datetime) -> str:
    """Gives how long ago `moment` was, in the page's language ("3 hours ago", "3小时前")."""
    return format_timedelta(moment - reference, add_direction=True, threshold=1)


@blp.context_processor
def _names():
    """Names of codes for the templates: category_name(row.category), source_name(...) ..."""
    return {
        "category_name": lambda code: labels.name_of(labels.CATEGORIES, code),
        "source_name": lambda code: labels.name_of(labels.SOURCES, code),
        "state_name": lambda code: labels.name_of(labels.STATES, code),
        "class_name": lambda code: labels.name_of(labels.CLASSES, code),
        "segment_name": lambda code: labels.name_of(labels.SEGMENTS, code),
        "deadline_name": lambda code: labels.name_of(labels.DEADLINES, code),
        "action_name": lambda code: labels.name_of(labels.ACTIONS, code),
        "closure_reason_name": lambda code: labels.name_of(labels.CLOSURE_REASONS, code),
        "compensation_state_name": lambda code: labels.name_of(labels.COMPENSATION_STATES, code),
        "action_status_name": lambda code: labels.name_of(labels.ACTION_STATUSES, code),
        "ago": ago,
        "countdown_words": countdown_words,
    }
