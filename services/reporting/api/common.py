"""What the reporting service's routes (and pages) share: who may read, the branch a person sees alone.

Routes reach the service and the settings the app serves through `service()` and `settings()`
(shared/web/pages.py), as the pages do.
"""
from __future__ import annotations

from flask_smorest import abort

from shared.web.pages import service, settings

__all__ = ["BRANCH_SCOPED_ROLES", "LEADS", "READERS", "own_branch", "scoped_branch", "service", "settings"]

#: Who may read and make reports.
READERS = ("manager", "admin", "supervisor", "integration")
#: Who reads everyone's desk figures; an agent reads their own row, an advisor theirs.
LEADS = ("manager", "admin", "supervisor", "integration")

#: Roles whose branch in the user directory limits what they see (a branch manager: 门店负责人, 站长).
BRANCH_SCOPED_ROLES = ("manager", "supervisor", "agent", "advisor")


def own_branch(policy, organization: str, login: str | None, role: str | None) -> str | None:
    """Gives the branch a person sees alone: their branch in the user directory
    (role manager or supervisor with a branch: a branch manager), else desk.yaml's `branch_managers`
    (the older data file, kept as a fallback); None: every branch."""
    if role in BRANCH_SCOPED_ROLES and login:
        with service().connection():
            branch = service().users.branch_of(organization, login)
        if branch:
            return branch
    return policy.branch_of(login)


def scoped_branch(policy, login: str | None, asked: str | None, *, organization: str | None = None,
                  role: str | None = None) -> str | None:
    """Gives the branch a request sees: a branch manager's own (another asked: 403), else the one asked."""
    own = own_branch(policy, organization, login, role) if organization else policy.branch_of(login)
    if own is not None and asked not in (None, own):
        abort(403, message=f"You manage branch {own}; its figures are the ones you see.")
    return own or asked
