"""Routes of the ledger (顾客回访台帐): deliveries with their callbacks; export and import."""
from __future__ import annotations

import csv
import io
from collections import defaultdict

import peewee
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shared.privacy import mask_phone
from shared.web import organization_of_request, roles_required, total_count

from .. import handlers
from ..handlers.common import chunks
from ..ledger_file import export_cells, export_header, load_ledger_file
from ..models import CallbackTask, Customer, Delivery
from ..schemas import ExportQuery, ImportQuery, ImportResultSchema, LedgerEntrySchema, LedgerQuery
from .common import LEDGER_KEEPERS, READERS, service, shows_phones

#: Largest ledger file accepted (bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ledger_blp = Blueprint("ledger", __name__, url_prefix="/api/v1",
                       description="The ledger (顾客回访台帐): deliveries and their callbacks; export and import.")


def _ledger_query(org: str, args: dict):
    query = (Delivery.select(Delivery, Customer.name.alias("customer_name"), Customer.segment.alias("segment"))
             .join(Customer, peewee.JOIN.LEFT_OUTER,
                   on=(Customer.organization == Delivery.organization) & (Customer.customer_id == Delivery.customer_id))
             .where(Delivery.organization == org, Delivery.shipped_on.is_null(False)))
    if not args.get("include_cancelled"):
        query = query.where(Delivery.cancelled == False)  # noqa: E712
    for name in ("customer_id", "delivery_id"):
        if args.get(name):
            query = query.where(getattr(Delivery, name) == args[name])
    if args.get("shipped_from"):
        query = query.where(Delivery.shipped_on >= args["shipped_from"])
    if args.get("shipped_to"):
        query = query.where(Delivery.shipped_on <= args["shipped_to"])
    return query.order_by(Delivery.shipped_on, Delivery.delivery_id).objects()


def _ledger_entries(org: str, deliveries: list) -> list[dict]:
    """Gives ledger entries with their callbacks (one query per 500 deliveries, not per row)."""
    by_delivery = defaultdict(list)
    for chunk in chunks(d.delivery_id for d in deliveries):
        for t in (CallbackTask.select(CallbackTask.id, CallbackTask.delivery_id, CallbackTask.kind,
                                      CallbackTask.due_on, CallbackTask.nominal_on, CallbackTask.status,
                                      CallbackTask.channel, CallbackTask.record_no)
                  .where(CallbackTask.organization == org, CallbackTask.delivery_id.in_(chunk))
                  .order_by(CallbackTask.nominal_on)):
            by_delivery[t.delivery_id].append(t.__data__)
    shows = shows_phones()
    entries = []
    for d in deliveries:
        callbacks = by_delivery.get(d.delivery_id, [])
        entry = {**d.__data__, "customer_name": getattr(d, "customer_name", None), "segment": getattr(d, "segment", None),
                 "callbacks": callbacks, "record_nos": [c["record_no"] for c in callbacks if c["record_no"]]}
        if not shows:
            entry["phone"], entry["site_phone"] = mask_phone(d.phone), mask_phone(d.site_phone)
        entries.append(entry)
    return entries


@ledger_blp.route("/ledger")
class Ledger(MethodView):
    @ledger_blp.arguments(LedgerQuery, location="query")
    @ledger_blp.response(200, LedgerEntrySchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """Deliveries with their callbacks, by ship date."""
        org = organization_of_request()
        query = _ledger_query(org, args)
        total = query.count()
        deliveries = list(query.limit(args["limit"]).offset(args["offset"]))
        total_count(total)
        return _ledger_entries(org, deliveries)


def _export_rows(args: dict):
    """Gives the header and then each row of the ledger export, streamed in pages."""
    org = organization_of_request()
    yield export_header(english=args["language"] == "en")
    query = _ledger_query(org, args)
    page, offset = 2000, 0
    while True:
        deliveries = list(query.limit(page).offset(offset))
        if not deliveries:
            break
        for entry in _ledger_entries(org, deliveries):
            yield export_cells(entry)
        offset += page


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@ledger_blp.route("/ledger.csv")
class LedgerCsv(MethodView):
    @ledger_blp.arguments(ExportQuery, location="query")
    @ledger_blp.doc(responses={"200": {"description": "The ledger as CSV (UTF-8 with BOM, for Excel)",
                                       "content": {"text/csv": {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """Export the ledger as CSV, RULES 1.1 columns with Chinese headers (?language=en for English)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        for row in _export_rows(args):
            writer.writerow(["" if v is None else v for v in row])
        return _download(out.getvalue().encode("utf-8"), "text/csv", "ledger.csv")


@ledger_blp.route("/ledger.xlsx")
class LedgerXlsx(MethodView):
    @ledger_blp.arguments(ExportQuery, location="query")
    @ledger_blp.doc(responses={"200": {"description": "The ledger as an Excel workbook", "content": {XLSX: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """Export the ledger as .xlsx, RULES 1.1 columns with Chinese headers."""
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("顾客回访台帐")
        for row in _export_rows(args):
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return _download(out.getvalue(), XLSX, "ledger.xlsx")


@ledger_blp.route("/ledger/import")
class LedgerImport(MethodView):
    @ledger_blp.arguments(ImportQuery, location="query")
    @ledger_blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    @ledger_blp.response(200, ImportResultSchema)
    @roles_required(*LEDGER_KEEPERS)
    def post(self, args):
        """Import ledger rows from .csv or .xlsx: all or nothing; errors name the row and column."""
        org = organization_of_request()
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Upload the ledger as the form field 'file'.",
                  messages={"files": {"file": ["Missing data for required field."]}})
        content = upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            abort(413, message=f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it.")
        rows = load_ledger_file(upload.filename or "", content)
        if args["dry_run"]:
            ids = [r["delivery_id"] for r in rows]
            known = handlers.known_deliveries(organization=org, delivery_ids=ids)
            return {"dry_run": True, "rows": len(rows), "created": len(ids) - len(known), "updated": len(known)}
        return {"dry_run": False, **service().run(handlers.import_ledger, organization=org, rows=rows)}
