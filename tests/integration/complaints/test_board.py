"""The complaint board's read (handlers/board.py): a column per level, most urgent first.

Its SQL order must be the domain's: the nearest of `pending_deadlines`, on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.complaints.domain import pending_deadlines
from services.complaints.handlers.board import BoardFilters, board_columns
from services.complaints.service import SERVICE
from testkit.complaints import ORG, at

NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _urgency(row, settings):
    pending = pending_deadlines(row.to_domain(settings.tz))
    return (pending[0][1] if pending else NEVER, row.raised_at, row.id)


def test_the_board_orders_each_level_by_the_domains_nearest_pending_deadline(api, clock, settings):
    # given complaints in every shape the deadlines take: fresh, first reply done, answered,
    # escalated (investigation pending), resolved (verification due), raised days apart
    shapes = [("A", at(2026, 11, 20, 17, 0)), ("B", at(2026, 11, 16, 9, 0)), ("C", at(2026, 11, 19, 11, 0)),
              ("D", at(2026, 11, 18, 15, 0)), ("E", at(2026, 11, 20, 9, 0)), ("F", at(2026, 11, 17, 10, 0)),
              ("G", at(2026, 11, 20, 16, 0))]
    for complaint_id, raised_at in shapes:
        assert api.raise_(complaint_id=complaint_id, raised_at=raised_at.isoformat()).status_code == 201
    clock.set(at(2026, 11, 20, 17, 30))
    assert api.post("B", "reply", {"message": "已联系"}, role="agent").status_code == 200
    assert api.post("C", "reply", {"message": "已联系", "answer": True}, role="agent").status_code == 200
    assert api.post("D", "escalate", {"reason": "超出权限"}, role="agent").status_code == 200
    assert api.post("F", "reply", {"message": "已联系"}, role="agent").status_code == 200
    assert api.post("F", "escalate", {"reason": "超出权限"}, role="agent").status_code == 200
    assert api.post("E", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent").status_code == 200
    assert api.post("G", "escalate", {"reason": "超出权限"}, role="agent").status_code == 200
    assert api.post("G", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="advisor").status_code == 200

    # when the board reads its three columns
    with SERVICE.connection():
        columns = board_columns(organization=ORG, levels=3, filters=BoardFilters(), limit=50)
        every = [row for column in columns for row in column.rows]

    # then each column holds its level's complaints, in the domain's order of urgency
    assert [c.total for c in columns] == [4, 3, 0]
    for column in columns:
        assert [r.complaint_id for r in column.rows] == \
            [r.complaint_id for r in sorted(column.rows, key=lambda r: _urgency(r, settings))]
    assert {r.complaint_id for r in every} == set("ABCDEFG")


def test_the_board_filters_and_caps_each_column_and_counts_all(api, clock):
    for n in range(5):
        api.raise_(complaint_id=f"W-{n}", source="walk_in", category="price")
    api.raise_(complaint_id="H-1", source="hotline", category="attitude")
    with SERVICE.connection():
        capped = board_columns(organization=ORG, levels=3, filters=BoardFilters(), limit=2)
        walk_ins = board_columns(organization=ORG, levels=3, filters=BoardFilters(source="walk_in"), limit=50)
        attitude = board_columns(organization=ORG, levels=3, filters=BoardFilters(category="attitude"), limit=50)
        other_org = board_columns(organization="other-org", levels=3, filters=BoardFilters(), limit=50)
    assert capped[0].total == 6 and len(capped[0].rows) == 2
    assert walk_ins[0].total == 5 and attitude[0].total == 1 and attitude[0].rows[0].complaint_id == "H-1"
    assert sum(c.total for c in other_org) == 0
