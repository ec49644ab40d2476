"""A branch manager's view (门店负责人, 站长): the one branch filter of every service.

A manager or supervisor whom the user directory gives a branch (shared/users/store.py,
`branch`) manages that branch: every list, export and read of every service, API and pages
alike, shows them that branch's records only (a callback, a delivery, a complaint of another
branch, or of none, is not theirs: a list leaves it out, a read by id is 404 as another
organisation's is), and the audit log the entries of the people of their branch. Everyone else
(no branch, or another role) sees the whole organisation.

Routes and pages ask `my_branch()` (the caller's branch, or None) and hand it to the queries
they share, or filter with `only_my_branch(query, column)`; a record read by id goes through
`check_my_branch(record_branch, what)`.
"""
from __future__ import annotations

from flask import g

from shared.core.errors import NotFound
from shared.web.pages import service
from shared.web.session import current_principal

__all__ = ["BRANCH_SCOPED_ROLES", "branch_logins", "branch_of", "caller", "check_my_branch", "my_branch",
           "only_my_branch", "person_branch"]

#: Roles whose branch in the user directory limits what they see (a branch manager: 门店负责人, 站长).
BRANCH_SCOPED_ROLES = ("manager", "supervisor")


def branch_of(who) -> str | None:
    """Gives the branch `who` (a Principal) sees alone: their branch in the user directory when
    their role is a branch manager's, else None (every branch)."""
    if who is None:
        return None
    return person_branch(who.organization, who.login, who.role)


def person_branch(organization: str, login: str | None, role: str | None) -> str | None:
    """Gives the branch the person `login` of `role` sees alone (see `branch_of`), or None."""
    if role not in BRANCH_SCOPED_ROLES or not login or organization == "*":
        return None
    with service().connection():
        return service().users.branch_of(organization, login)


def caller():
    """Gives who makes this request: the bearer token's principal (/api/) or the page's signed-in person."""
    return g.get("principal") or current_principal()


def my_branch() -> str | None:
    """Gives the branch the caller of this request sees alone, or None: every branch (read once per request)."""
    if "huifang_branch" not in g:
        g.huifang_branch = branch_of(caller())
    return g.huifang_branch


def only_my_branch(query, column):
    """Gives `query` limited to the caller's branch (`column` holds a record's branch), or as it is."""
    branch = my_branch()
    return query if branch is None else query.where(column == branch)


def check_my_branch(record_branch: str | None, what: str) -> None:
    """Gives nothing when the caller may see a record of `record_branch`.

    Raises:
      NotFound: the caller manages another branch (`what` names the record, e.g. "callback 3f6c…").
    """
    branch = my_branch()
    if branch is not None and record_branch != branch:
        raise NotFound(f"no {what} in your branch {branch!r}.")


def branch_logins(organization: str, branch: str) -> list[str]:
    """Gives the logins of the people of `branch` in the user directory (a branch manager's audit log)."""
    with service().connection():
        return [p.login for p in service().users.of_role(organization) if p.branch == branch]
