"""What the reporting service's routes (and pages) share: who may read, the branch a person sees alone.

Routes reach the service and the settings the app serves through `service()` and `settings()`
(shared/web/pages.py), as the pages do.
"""
from __future__ import annotations

from flask_smorest import abort

from shared.mesh.ratelimit import check_rate
from shared.web.branches import BRANCH_SCOPED_ROLES, person_branch
from shared.web.pages import service, settings

__all__ = ["BRANCH_SCOPED_ROLES", "LEADS", "READERS", "count_send", "own_branch", "scoped_branch", "service",
           "settings"]

#: Who may read and make reports.
READERS = ("manager", "admin", "supervisor", "integration")
#: Who reads everyone's desk figures; an agent reads their own row, an advisor theirs.
LEADS = ("manager", "admin", "supervisor", "integration")

def own_branch(policy, organization: str, login: str | None, role: str | None) -> str | None:
    """Gives the branch a person sees alone: their branch in the user directory (shared/web/branches.py:
    a manager or supervisor with a branch, a branch manager), else desk.yaml's `branch_managers`
    (the older data file, kept as a fallback); None: every branch."""
    return person_branch(organization, login, role) or policy.branch_of(login)


def count_send(who, organization: str) -> None:
    """Counts one attempt of `who` to mail the month's report, the API's or the report room's, before
    anything else is checked; 429 past HUIFANG_RATE_REPORT_SENDS_PER_HOUR (a person, or a script with
    their token, may not mail the report again and again)."""
    check_rate(service(), what="report.send", who=who, organization=organization,
               limit=service().settings.rate_report_sends_per_hour, per_seconds=3600)


def scoped_branch(policy, login: str | None, asked: str | None, *, organization: str | None = None,
                  role: str | None = None) -> str | None:
    """Gives the branch a request sees: a branch manager's own (another asked: 403), else the one asked."""
    own = own_branch(policy, organization, login, role) if organization else policy.branch_of(login)
    if own is not None and asked not in (None, own):
        abort(403, message=f"You manage branch {own}; its figures are the ones you see.")
    return own or asked
