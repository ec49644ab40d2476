"""Routes of the ledger (顾客回访台帐): deliveries with their callbacks; export and import."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shared.web.apidocs import path_parameter
from shared.web.api import organization_of_request, principal, roles_required, total_count
from shared.web.branches import my_branch

from .. import handlers
from ..ledger_file import XLSX, export_table, limits_of, load_ledger_file, unpacked_size, write_csv, write_xlsx
from ..schemas import (ExportQuery, ImportQuery, ImportResultSchema, ImportStatusSchema, LedgerEntrySchema,
                       LedgerQuery)
from .common import LEDGER_KEEPERS, READERS, record_phones_read, service, shows_phones

#: Largest ledger file accepted (bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024
#: The path parameter of one import's progress.
IMPORT_ID = path_parameter("import_id", "3f6c2a9e-8b1d-4c4e-9a7f-2d1e0b6c4a18", "the import's id (import_id)")

ledger_blp = Blueprint("ledger", __name__, url_prefix="/api/v1",
                       description="The ledger (顾客回访台帐): deliveries and their callbacks; export and import.")


def _filters(args: dict) -> handlers.LedgerFilter:
    """Gives the ledger filter of the query, limited to the caller's branch when they manage one."""
    return handlers.LedgerFilter(branch=my_branch(), **{name: args[name] for name in (
        "customer_id", "delivery_id", "shipped_from", "shipped_to", "include_cancelled") if args.get(name)})


@ledger_blp.route("/ledger")
class Ledger(MethodView):
    @ledger_blp.arguments(LedgerQuery, location="query")
    @ledger_blp.response(200, LedgerEntrySchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """Deliveries with their callbacks, by ship date."""
        entries, total = handlers.ledger_page(organization=organization_of_request(), filters=_filters(args),
                                              show_phones=shows_phones(), limit=args["limit"],
                                              offset=args["offset"])
        total_count(total)
        record_phones_read("ledger", len(entries))
        return entries


def _export_table(args: dict):
    """Gives the header and then each row of the ledger export, read in pages (the export's command
    records one with full phone numbers in the audit log, as the ledger page's)."""
    with service().command() as uow:
        entries = handlers.export_ledger(uow=uow, who=principal(), organization=organization_of_request(),
                                         filters=_filters(args), show_phones=shows_phones(),
                                         subject=request.path.rsplit("/", 1)[-1],
                                         detail={k: str(v) for k, v in args.items() if v})
    return export_table(entries, english=args["language"] == "en")


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
        return _download(write_csv(_export_table(args)), "text/csv", "ledger.csv")


@ledger_blp.route("/ledger.xlsx")
class LedgerXlsx(MethodView):
    @ledger_blp.arguments(ExportQuery, location="query")
    @ledger_blp.doc(responses={"200": {"description": "The ledger as an Excel workbook", "content": {XLSX: {}}}})
    @roles_required(*READERS)
    def get(self, args):
        """Export the ledger as .xlsx, RULES 1.1 columns with Chinese headers."""
        return _download(write_xlsx(_export_table(args)), XLSX, "ledger.xlsx")


@ledger_blp.route("/ledger/import")
class LedgerImport(MethodView):
    @ledger_blp.arguments(ImportQuery, location="query")
    @ledger_blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    @ledger_blp.response(200, ImportResultSchema)
    @ledger_blp.alt_response(202, schema=ImportResultSchema, description=(
        "A large file (HUIFANG_IMPORT_BACKGROUND_BYTES) is checked and imported by the worker: "
        "`status` is where its progress is read."))
    @roles_required(*LEDGER_KEEPERS)
    def post(self, args):
        """Import ledger rows from .csv or .xlsx: all or nothing; errors name the row and column.

        For example (`?dry_run=1` checks the file and stores nothing):
        `curl -X POST 'http://127.0.0.1:8101/api/v1/ledger/import?dry_run=1'
        -H "Authorization: Bearer $TOKEN" -F file=@ledger.xlsx`

        A file is read up to HUIFANG_IMPORT_MAX_ROWS rows, HUIFANG_IMPORT_MAX_COLUMNS columns and
        HUIFANG_IMPORT_MAX_UNPACKED_BYTES once unpacked; the first 100 problems are listed (`more`
        counts the rest). A file unpacking to more than HUIFANG_IMPORT_BACKGROUND_BYTES is queued:
        `202` with `import_id` and `status` (GET it for the progress).
        """
        org = organization_of_request()
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Upload the ledger as the form field 'file'.",
                  messages={"files": {"file": ["Missing data for required field."]}})
        content = upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            abort(413, message=f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it.")
        settings = service().settings
        filename = upload.filename or ""
        if unpacked_size(filename, content) > settings.import_background_bytes:
            # the web process never reads a large file; the worker does, with a time limit
            with service().command() as uow:
                row = handlers.queue_ledger_import(uow=uow, organization=org, login=principal().login,
                                                   filename=filename, content=content, dry_run=args["dry_run"])
                if not args["dry_run"]:
                    uow.audit(principal(), organization=org, action="ledger.imported", subject=row.id,
                              detail={"queued": True})
            return {"dry_run": row.dry_run, "import_id": row.id, "state": row.state,
                    "status": f"/api/v1/ledger/imports/{row.id}"}, 202
        rows = load_ledger_file(filename, content, limits=limits_of(settings))
        if args["dry_run"]:
            ids = [r["delivery_id"] for r in rows]
            known = handlers.known_deliveries(organization=org, delivery_ids=ids)
            return {"dry_run": True, "rows": len(rows), "created": len(ids) - len(known), "updated": len(known)}
        with service().command() as uow:
            done = handlers.import_ledger(uow=uow, organization=org, rows=rows)
            uow.audit(principal(), organization=org, action="ledger.imported", subject=filename[:200] or "-",
                      detail=done)
        return {"dry_run": False, **done}


@ledger_blp.route("/ledger/imports/<import_id>", parameters=[IMPORT_ID])
class LedgerImportStatus(MethodView):
    @ledger_blp.response(200, ImportStatusSchema)
    @roles_required(*LEDGER_KEEPERS)
    def get(self, import_id):
        """The progress of a ledger import run by the worker: its state, rows processed, what it refused."""
        return handlers.get_import_or_raise(organization=organization_of_request(), import_id=import_id)
