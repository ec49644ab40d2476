"""Reads of complaints shared by the commands, the jobs and the routes."""
from __future__ import annotations

from shared.core.db import first

from ..errors import NotFound
from ..models import Complaint, ComplaintHistory


def get_by_id_or_raise(*, organization: str, complaint_id: str, for_update: bool = False) -> Complaint:
    """Gives the complaint row of one organisation.

    Raises:
      NotFound: no such complaint in this organisation (other organisations' are invisible).
    """
    row = first(Complaint.select().where(Complaint.organization == organization,
                                         Complaint.complaint_id == complaint_id), lock=for_update)
    if row is None:
        raise NotFound(f"no complaint {complaint_id!r} in organisation {organization!r}.")
    return row


def history_of(rows: list[Complaint]) -> dict[int, list[ComplaintHistory]]:
    """Gives each complaint's history rows, oldest first, in one query."""
    out: dict[int, list[ComplaintHistory]] = {row.id: [] for row in rows}
    if not rows:
        return out
    query = ComplaintHistory.select().where(ComplaintHistory.complaint.in_(list(out))).order_by(ComplaintHistory.id)
    for entry in query:
        out[entry.complaint_id].append(entry)
    return out
