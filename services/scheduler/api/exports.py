"""The callback records of a period as a file (回访记录表: seed 002 4.3, seed 000 6.2.3-6.2.4): the
route `GET /api/v1/callbacks/export.xlsx` (`.csv` alike) and the table the workbench's download
button gives too (pages/workbench.py), through the one export mechanism (shared/web/export.py)."""
from __future__ import annotations

from pathlib import Path

from flask import request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import fields, validate

from shared.core.schemas import TableExportArgs
from shared.web import export, vocabulary
from shared.web.api import organization_of_request, principal, roles_required
from shared.web.branches import my_branch

from .. import handlers
from ..models import STATUSES
from .common import READERS, service, shows_phones

#: The scheduler's catalog (its labels outside a page's request).
CATALOG = str(Path(__file__).resolve().parents[1] / "translations")
#: The title of the table (the seeds' 《回访记录表》).
TITLE = _l("Callback records")
#: The columns of the table: (the record's field, its label).
RECORD_COLUMNS = (
    ("record_no", _l("Record number")),
    ("due_on", _l("Due on")),
    ("completed_at", _l("Called at")),
    ("kind", _l("Kind")),
    ("business_line", _l("Business line")),
    ("customer", _l("Customer")),
    ("phone", _l("Customer's phone")),
    ("order", _l("Order or delivery")),
    ("channel", _l("Channel")),
    ("agent", _l("Agent")),
    ("status", _l("Status")),
    ("reached", _l("Reached")),
    ("product_satisfaction", _l("Product quality")),
    ("service_satisfaction", _l("Service quality")),
    ("dissatisfied_reason", _l("Reason for dissatisfaction")),
    ("suggestions", _l("Suggestions and needs")),
    ("duration_s", _l("Duration (s)")),
)

#: A callback's "reached" cell.
YES, NO = _l("Yes"), _l("No")

exports_blp = Blueprint("callback_exports", __name__, url_prefix="/api/v1/callbacks",
                        description="The callback records of a period (回访记录表) as .xlsx or .csv.")


class RecordExportArgs(TableExportArgs):
    business_line = fields.String(validate=validate.OneOf(tuple(vocabulary.BUSINESS_LINES)))
    kind = fields.String(validate=validate.Length(min=1, max=40))
    status = fields.String(validate=validate.OneOf(STATUSES))
    agent = fields.String(validate=validate.Length(min=1, max=128))
    customer_id = fields.String(validate=validate.Length(min=1, max=64))


def records_sheet(*, organization: str, filters: handlers.RecordFilter, role: str, language: str) -> export.Sheet:
    """Gives the records of `filters` as the table 回访记录表, labels in `language`, phones as
    `role` may see them (RULES 1.4)."""
    yes, no = export.words_in(language, [YES, NO], CATALOG)

    def name(table, code):
        return vocabulary.name_in(language, table, code, CATALOG)

    def cells(record: dict) -> list:
        customer = record["customer"]
        reached = record["reached"]
        return [record["record_no"], record["due_on"], _local(record["completed_at"]),
                name(vocabulary.CALLBACK_KINDS, record["kind"]), name(vocabulary.BUSINESS_LINES, record["business_line"]),
                customer.get("name") or record["customer_id"], customer.get("phone"),
                record["order_id"] or record["delivery_id"] or record["complaint_id"],
                name(vocabulary.CHANNELS, record["channel"]), record["agent"],
                name(vocabulary.CALLBACK_STATUSES, record["status"]),
                None if reached is None else (yes if reached else no),
                name(vocabulary.ANSWERS, record["product_satisfaction"]),
                name(vocabulary.ANSWERS, record["service_satisfaction"]),
                record["dissatisfied_reason"], record["suggestions"], record["duration_s"]]

    rows = (cells(r) for r in handlers.callback_records(organization=organization, filters=filters, role=role))
    notes = export.notes_in(language, filters.first.isoformat(), filters.last.isoformat(), filters.branch)
    title = export.words_in(language, [TITLE], CATALOG)[0]
    return export.Sheet(name=title, title=title, notes=notes,
                        header=export.words_in(language, [label for _, label in RECORD_COLUMNS], CATALOG), rows=rows)


def _local(moment):
    return moment.astimezone(service().settings.tz).replace(tzinfo=None) if moment is not None else None


def _download(args: dict, fmt: str):
    """Gives the records the query keeps as a file of `fmt`; an export with full phone numbers is
    recorded in the audit log."""
    org, me = organization_of_request(), principal()
    first, last = export.period_of(args.get("from_on"), args.get("to_on"),
                                   service().clock().astimezone(service().settings.tz).date())
    filters = handlers.RecordFilter(first=first, last=last, branch=my_branch(),
                                    **{k: args.get(k) for k in ("business_line", "kind", "status", "agent",
                                                                "customer_id")})
    if shows_phones():
        with service().command() as uow:
            uow.audit(me, organization=org, action="phones.exported", subject=request.path.rsplit("/", 1)[-1],
                      detail={k: str(v) for k, v in args.items() if v})
    with service().connection():
        sheet = records_sheet(organization=org, filters=filters, role=me.role, language=args["language"])
        return export.download(sheet, fmt, f"callback-records-{first.isoformat()}-{last.isoformat()}")


@exports_blp.route("/export.xlsx")
class RecordsXlsx(MethodView):
    @exports_blp.arguments(RecordExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The callback records (回访记录表) as an .xlsx workbook",
                                        "content": {export.XLSX: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """The callback records due from `from` to `to` (default: this month), with the list's filters,
        as .xlsx: the title 回访记录表, the period, the header, one row per callback."""
        return _download(args, "xlsx")


@exports_blp.route("/export.csv")
class RecordsCsv(MethodView):
    @exports_blp.arguments(RecordExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The callback records (回访记录表) as CSV (UTF-8 with BOM)",
                                        "content": {export.CSV: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """The callback records of the period as CSV, laid out as the .xlsx."""
        return _download(args, "csv")
