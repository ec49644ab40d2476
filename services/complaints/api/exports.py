"""The complaints of a period as a file (客户投诉处理追踪表, seed 004 "客户投诉受理": the customer's
details, the complaint, its category, the handler who signed for it and when, RULES 2's tracking
fields): `GET /api/v1/complaints/export.xlsx` (`.csv` alike) and the board's download button
(pages/board.py), through the one export mechanism (shared/web/export.py)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import fields, validate

from shared.core.schemas import TableExportArgs
from shared.web import export, vocabulary
from shared.web.api import organization_of_request, principal, roles_required
from shared.web.branches import my_branch, only_my_branch

from .. import handlers
from ..models import Complaint
from ..rules import rules_for
from .common import READERS, service, settings

#: The complaints service's catalog (its labels outside a page's request).
CATALOG = str(Path(__file__).resolve().parents[1] / "translations")
#: The title of the table (seed 004 《客户投诉处理追踪表》).
TITLE = _l("Complaint tracking record")
#: The columns of the table, in the order of the seed's form: the customer, the complaint, who took
#: it and when, who handled it, how long it took, why it happened, what was done, churn.
TRACKING_COLUMNS = (
    _l("Complaint number"), _l("Raised at"), _l("Customer"), _l("Contact phone"), _l("Customer class"),
    _l("Source"), _l("Category"), _l("Details"), _l("State"), _l("Current level"), _l("Handler"),
    _l("Taken at"), _l("Resolved by"), _l("Resolved at"), _l("Hours taken"), _l("Root cause"),
    _l("Corrective action"), _l("Churn reason"), _l("Closed at"),
)
#: Complaints read per statement.
CHUNK = 500

exports_blp = Blueprint("complaint_exports", __name__, url_prefix="/api/v1/complaints",
                        description="The complaints of a period (客户投诉处理追踪表) as .xlsx or .csv.")


class TrackingExportArgs(TableExportArgs):
    state = fields.String(validate=validate.OneOf(vocabulary.COMPLAINT_STATE_CODES))
    category = fields.String(validate=validate.OneOf(tuple(vocabulary.CATEGORIES)))
    customer_class = fields.String(validate=validate.OneOf(tuple(vocabulary.CUSTOMER_CLASSES)))
    source = fields.String(validate=validate.OneOf(tuple(vocabulary.SOURCES)))
    department = fields.String(validate=validate.Length(min=1, max=128))
    owner = fields.String(validate=validate.Length(min=1, max=128))


def _query(organization: str, first, last, filters: dict):
    tz = settings().tz
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
    # a complaint belongs to the day it was raised (RULES 3); a branch manager's are their branch's
    query = only_my_branch(Complaint.select().where(Complaint.organization == organization,
                                                    Complaint.raised_at >= start, Complaint.raised_at < end),
                           Complaint.branch)
    for name, value in filters.items():
        if value:
            query = query.where(getattr(Complaint, name) == value)
    return query.order_by(Complaint.raised_at, Complaint.id)


def tracking_sheet(*, organization: str, first, last, filters: dict, role: str, language: str,
                   branch: str | None = None) -> export.Sheet:
    """Gives the complaints raised from `first` to `last` that `filters` ({column: value}) keep as the
    table 客户投诉处理追踪表, labels in `language`, phones as `role` may see them (RULES 1.4)."""
    tz = settings().tz
    chains: dict = {}

    def name(table, code):
        return vocabulary.name_in(language, table, code, CATALOG)

    def local(moment):
        return moment.astimezone(tz).replace(tzinfo=None) if moment is not None else None

    def level_of(row):  # the role of the level, in the complaint's own chain
        if row.chain_name not in chains:
            chains[row.chain_name] = rules_for(settings(), organization=organization, chain_name=row.chain_name,
                                               policy_name=row.policy_name).chain
        try:
            return name(vocabulary.ROLES, chains[row.chain_name].level(row.level).role)
        except IndexError:
            return row.level

    def cells(row: Complaint) -> list:
        taken = None
        if row.resolved_at is not None:
            taken = round((row.resolved_at - row.raised_at).total_seconds() / 3600, 1)
        return [row.complaint_id, local(row.raised_at), row.customer_name,
                handlers.customer_of(row, role=role)["phone"], name(vocabulary.CUSTOMER_CLASSES, row.customer_class),
                name(vocabulary.SOURCES, row.source), name(vocabulary.CATEGORIES, row.category), row.description,
                name(vocabulary.COMPLAINT_STATES, row.state), level_of(row), row.first_taker,
                local(row.first_taken_at), row.resolved_by, local(row.resolved_at), taken, row.root_cause,
                row.corrective_action, row.churn_reason, local(row.closed_at)]

    def rows():
        offset = 0
        while True:
            chunk = list(_query(organization, first, last, filters).limit(CHUNK).offset(offset))
            if not chunk:
                return
            yield from (cells(row) for row in chunk)
            offset += len(chunk)

    title = export.words_in(language, [TITLE], CATALOG)[0]
    notes = export.notes_in(language, first.isoformat(), last.isoformat(), branch)
    return export.Sheet(name=title, title=title, notes=notes, header=export.words_in(language, TRACKING_COLUMNS, CATALOG),
                        rows=rows())


def _download(args: dict, fmt: str):
    org = organization_of_request()
    first, last = export.period_of(args.get("from_on"), args.get("to_on"),
                                   service().clock().astimezone(settings().tz).date())
    filters = {name: args.get(name) for name in ("state", "category", "customer_class", "source", "department",
                                                 "owner")}
    with service().connection():
        sheet = tracking_sheet(organization=org, first=first, last=last, filters=filters, role=principal().role,
                               language=args["language"], branch=my_branch())
        return export.download(sheet, fmt, f"complaints-{first.isoformat()}-{last.isoformat()}")


@exports_blp.route("/export.xlsx")
class TrackingXlsx(MethodView):
    @exports_blp.arguments(TrackingExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The complaint tracking record (客户投诉处理追踪表) as .xlsx",
                                        "content": {export.XLSX: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """The complaints raised from `from` to `to` (default: this month), with the board's filters, as
        .xlsx: the title 客户投诉处理追踪表, the period, the header, one row per complaint."""
        return _download(args, "xlsx")


@exports_blp.route("/export.csv")
class TrackingCsv(MethodView):
    @exports_blp.arguments(TrackingExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The complaint tracking record as CSV (UTF-8 with BOM)",
                                        "content": {export.CSV: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """The complaints of the period as CSV, laid out as the .xlsx."""
        return _download(args, "csv")
