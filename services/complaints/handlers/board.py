"""The complaint board's read (投诉看板): per level of the chain, the most urgent complaints
on the board and how many there are.

A read, like `reading.py`: the caller's connection, no unit of work. The board holds the open
complaints and the resolved ones waiting for their verification callback (a closed complaint
leaves it). Each column is one indexed query (organization, state, level) taking its `limit`
most urgent rows; the counts are one GROUP BY. Nothing loads the other rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from peewee import Case, fn

from shared.core.db import is_postgres

from ..domain.complaint import OPEN, RESOLVED
from ..models import Complaint

#: States of a complaint on the board.
BOARD_STATES = (OPEN, RESOLVED)


#: Sorts after every real moment where SQLite has no NULL-skipping MIN (text of a naive UTC datetime).
_NEVER = "9999-12-31 23:59:59"


def pending_due_sql():
    """Gives the SQL of each deadline's due time while it is pending (else NULL): the same
    deadlines as `domain.pending_deadlines` (open: hand-over, rework, first reply, answer, a
    pending investigation; resolved: the verification callback)."""
    c = Complaint
    is_open = c.state == OPEN
    return [
        Case(None, [(is_open & c.handover_due_at.is_null(False) & c.handed_over_at.is_null(), c.handover_due_at)]),
        Case(None, [(is_open & c.rework_due_at.is_null(False) & c.reworked_at.is_null(), c.rework_due_at)]),
        Case(None, [(is_open & c.first_reply_at.is_null(), c.first_reply_due_at)]),
        Case(None, [(is_open & c.answered_at.is_null(), c.answer_due_at)]),
        Case(None, [(is_open & c.investigate_due_at.is_null(False) & c.investigated_at.is_null(),
                     c.investigate_due_at)]),
        Case(None, [(c.state == RESOLVED, c.verify_due_at)]),
    ]


def nearest_due_sql():
    """Gives the SQL of a complaint's nearest pending deadline, to order by (none: last).
    tests/integration/complaints/test_board.py holds it to the domain's `pending_deadlines`."""
    terms = pending_due_sql()
    if is_postgres(Complaint._meta.database):
        return fn.LEAST(*terms)  # skips NULLs; all NULL gives NULL, sorted last
    return fn.MIN(*[fn.COALESCE(term, _NEVER) for term in terms])


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows: states (open, resolved or both), and optionally one category,
    customer class and source."""

    states: tuple[str, ...] = BOARD_STATES
    category: str | None = None
    customer_class: str | None = None
    source: str | None = None
    #: only the supervisor's queue: verifications that found nobody
    unreachable: bool = False
    #: only one branch's complaints
    branch: str | None = None
    #: only the complaints assigned to one department (受投诉部门), or owned by one person (处理人)
    department: str | None = None
    owner: str | None = None

    def where(self, organization: str):
        c = Complaint
        condition = (c.organization == organization) & c.state.in_(list(self.states))
        if self.unreachable:
            condition &= c.unreachable_at.is_null(False)
        for column, value in ((c.category, self.category), (c.customer_class, self.customer_class),
                              (c.source, self.source), (c.branch, self.branch),
                              (c.department, self.department), (c.owner, self.owner)):
            if value:
                condition &= column == value
        return condition


@dataclass
class BoardColumn:
    """One level of the chain on the board: its rows (most urgent first) and how many in all."""

    level: int
    rows: list = field(default_factory=list)
    total: int = 0


def board_branches(organization: str) -> list[str]:
    """Gives the branches the organisation's complaints name (the board's branch filter), sorted."""
    return [branch for (branch,) in Complaint.select(Complaint.branch).distinct().where(
        (Complaint.organization == organization) & Complaint.branch.is_null(False)).order_by(Complaint.branch).tuples()]


def board_departments(organization: str) -> list[str]:
    """Gives the departments the organisation's complaints are assigned to (the board's filter), sorted."""
    return [name for (name,) in Complaint.select(Complaint.department).distinct().where(
        (Complaint.organization == organization) & Complaint.department.is_null(False))
        .order_by(Complaint.department).tuples()]


def board_owners(organization: str) -> list[str]:
    """Gives the owners (logins) of the organisation's complaints (the board's filter), sorted."""
    return [login for (login,) in Complaint.select(Complaint.owner).distinct().where(
        (Complaint.organization == organization) & Complaint.owner.is_null(False))
        .order_by(Complaint.owner).tuples()]


def board_columns(*, organization: str, levels: int, filters: BoardFilters, limit: int) -> list[BoardColumn]:
    """Gives one column per level of a chain of `levels` levels, each with at most `limit` rows,
    most urgent first (nearest deadline, then the oldest). A complaint at a level the chain
    no longer has (the organisation changed its chain) shows in the top column."""
    top = levels - 1
    where = filters.where(organization)
    counts = dict(Complaint.select(Complaint.level, fn.COUNT(Complaint.id)).where(where)
                  .group_by(Complaint.level).tuples())
    columns = []
    order = (nearest_due_sql().asc(nulls="LAST"), Complaint.raised_at, Complaint.id)
    for level in range(levels):
        at_level = Complaint.level >= level if level == top else Complaint.level == level
        total = sum(n for lv, n in counts.items() if (lv >= level if level == top else lv == level))
        rows = list(Complaint.select().where(where & at_level).order_by(*order).limit(limit)) if total else []
        columns.append(BoardColumn(level=level, rows=rows, total=total))
    return columns
