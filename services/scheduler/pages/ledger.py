"""The ledger (台帐, `/ledger`): deliveries with their callbacks, filtered, sorted, a page at a time;
its export (the API's export code) and the import of a file, checked by a dry run first.

An import never holds the page: the file is stored with an import row and the worker checks
(and imports) it (handlers.queue_ledger_import, jobs.run_ledger_import); the page polls a
status fragment with htmx until it has finished.
"""
from __future__ import annotations

import re
from datetime import date
from math import ceil

from flask import Response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from shared.web.pages import page_number
from shared.web.branches import my_branch
from shared.web.roles import may, page_roles
from shared.core.privacy import SEES_PHONES

from .. import handlers
from ..api.ledger import MAX_IMPORT_BYTES
from ..errors import LedgerFileInvalid
from ..ledger_file import LEDGER_COLUMNS, XLSX, export_table, write_csv, write_xlsx
from ..models import IMPORT_FINISHED, STATUSES
from . import labels
from .common import IMPORT_LEDGER, PAGE_READERS, Shown, blp, is_htmx, me, now, service

#: Deliveries on one page of the ledger.
PAGE_SIZE = 50
#: Problems of an import listed on the page (the rest are counted).
SHOWN_PROBLEMS = 200
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])\Z")
_ROW_FIELD = re.compile(r"rows\.([0-9]+)(?:\.(\w+))?\Z")
#: The Chinese header of each column of a ledger file (an import names what the file lacks by it).
_FILE_HEADERS = {name: zh for name, zh, _en, _imported in LEDGER_COLUMNS}


def _filters(args) -> tuple[handlers.LedgerFilter, dict]:
    """Gives the ledger filter of the query string, and the query arguments that keep it."""
    kept = {}
    for name in ("customer", "project"):
        value = (args.get(name) or "").strip()[:100]
        if value:
            kept[name] = value
    if _MONTH.match(args.get("month") or ""):
        kept["month"] = args["month"]
    if args.get("status") in STATUSES:
        kept["status"] = args["status"]
    for name in ("overdue", "cancelled"):
        if args.get(name) == "1":
            kept[name] = "1"
    filters = handlers.LedgerFilter(customer=kept.get("customer"), project=kept.get("project"),
                                    month=kept.get("month"), status=kept.get("status"),
                                    overdue="overdue" in kept, include_cancelled="cancelled" in kept,
                                    branch=my_branch())
    return filters, kept


@blp.get("/ledger")
@page_roles(*PAGE_READERS)
def ledger():
    """The ledger: a filterable, sortable list of deliveries and their callbacks; export; import."""
    who = me()
    today = now().date()
    filters, kept = _filters(request.args)
    sort = request.args.get("sort") if request.args.get("sort") in handlers.LEDGER_SORTS else "shipped_on"
    descending = request.args.get("dir") == "desc"
    page = page_number()
    entries, total = handlers.ledger_page(organization=who.organization, filters=filters, show_phones=False,
                                          today=today, sort=sort, descending=descending, limit=PAGE_SIZE,
                                          offset=(page - 1) * PAGE_SIZE)
    rows = _rows(entries, today)
    job = None
    if request.args.get("import") and may("scheduler.import_ledger"):
        job = _job_view(handlers.get_import_or_raise(organization=who.organization,
                                                     import_id=request.args["import"]))
    return render_template(
        "scheduler/ledger.html", page_title=_("Ledger"), rows=rows, total=total, page=page,
        pages=max(1, ceil(total / PAGE_SIZE)), sort=sort, descending=descending, kept=kept,
        pager_args={**kept, "sort": sort, **({"dir": "desc"} if descending else {})}, statuses=labels.STATUSES,
        job=job, max_mb=MAX_IMPORT_BYTES // (1024 * 1024), today=today)


@blp.get("/ledger/export")
@page_roles(*PAGE_READERS)
def ledger_export():
    """What the ledger's filters keep, as .xlsx or .csv (the API's export: RULES 1.1 columns)."""
    who = me()
    filters, kept = _filters(request.args)
    # the export's command records one with full phone numbers in the audit log, as the API's
    with service().command() as uow:
        entries = handlers.export_ledger(uow=uow, who=who, organization=who.organization, filters=filters,
                                         show_phones=who.role in SEES_PHONES, today=now().date(),
                                         subject="ledger/export",
                                         detail={**kept, "format": "csv" if request.args.get("format") == "csv"
                                                 else "xlsx"})
    table = export_table(entries, english=get_locale().language == "en")  # headers in the page's language
    stamp = now().date().isoformat()
    if request.args.get("format") == "csv":
        body, mimetype, name = write_csv(table), "text/csv", f"ledger-{stamp}.csv"
    else:
        body, mimetype, name = write_xlsx(table), XLSX, f"ledger-{stamp}.xlsx"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.post("/ledger/imports")
@IMPORT_LEDGER
def ledger_import():
    """Stores an uploaded ledger file and queues its dry run (or its import): the page follows it."""
    who = me()
    upload = request.files.get("file")
    dry_run = request.form.get("mode") != "import"
    if upload is None or not upload.filename:
        return _upload_refused(_("Choose a .csv or .xlsx file first."))
    content = upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return _upload_refused(_("The file is larger than %(mb)s MB; split it.", mb=MAX_IMPORT_BYTES // 2 ** 20))
    try:
        with service().command() as uow:
            job = handlers.queue_ledger_import(uow=uow, organization=who.organization, login=who.login,
                                               filename=upload.filename, content=content, dry_run=dry_run)
            if not dry_run:
                uow.audit(who, organization=who.organization, action="ledger.imported", subject=job.id,
                          detail={"queued": True})
    except LedgerFileInvalid as exc:
        return _upload_refused(labels.message_of(exc.message))
    return redirect(url_for(".ledger", **{"import": job.id}) + "#import", code=303)


def _upload_refused(message: str):
    who = me()
    today = now().date()
    entries, total = handlers.ledger_page(organization=who.organization, filters=handlers.LedgerFilter(branch=my_branch()),
                                          show_phones=False, today=today, limit=PAGE_SIZE)
    return render_template("scheduler/ledger.html", page_title=_("Ledger"), rows=_rows(entries, today), total=total,
                           page=1,
                           pages=max(1, ceil(total / PAGE_SIZE)), sort="shipped_on", descending=False, kept={},
                           pager_args={}, statuses=labels.STATUSES, job=None, upload_error=message,
                           max_mb=MAX_IMPORT_BYTES // (1024 * 1024), today=today), 422


@blp.get("/ledger/imports/<import_id>")
@IMPORT_LEDGER
def ledger_import_status(import_id):
    """The status of an import (htmx polls it while the worker runs it)."""
    job = _job_view(handlers.get_import_or_raise(organization=me().organization, import_id=import_id))
    if not is_htmx():
        return redirect(url_for(".ledger", **{"import": import_id}) + "#import", code=303)
    return render_template("scheduler/_import.html", job=job)


@blp.post("/ledger/imports/<import_id>/run")
@IMPORT_LEDGER
def ledger_import_run(import_id):
    """Imports for real a file whose dry run found nothing to refuse."""
    who = me()
    with service().command() as uow:
        handlers.run_checked_import(uow=uow, organization=who.organization, import_id=import_id)
        uow.audit(who, organization=who.organization, action="ledger.imported", subject=import_id,
                  detail={"queued": True})
    return redirect(url_for(".ledger", **{"import": import_id}) + "#import", code=303)


def _rows(entries: list[dict], today: date) -> list[dict]:
    """Gives the ledger's rows as the list shows them (labels, dates and amounts worked out here,
    once each: cheaper than in the template, row by row)."""
    shown = Shown()
    overdue = _("Overdue")
    callback_url = url_for(".callback", callback_id="-")[:-1]
    rows = []
    for e in entries:
        chips = []
        for c in e["callbacks"]:
            late = c["status"] in ("open", "wrong_number") and c["overdue_on"] < today
            label = shown.name(labels.KINDS, c["kind"])
            state = shown.name(labels.STATUSES, c["status"])  # 待更正号码 says why it is late
            state = (f"{overdue} · {state}" if c["status"] != "open" else overdue) if late else state
            title = f"{label} · {shown.day(c['due_on'])} · {state}" + (f" · {c['record_no']}" if c["record_no"] else "")
            chips.append({"href": callback_url + c["id"], "css": "late" if late else c["status"], "title": title,
                          "label": label, "late": late})
        product = e["product_model"] or ""
        if e["quantity"]:
            product = f"{product} × {e['quantity']}"
        rows.append({"delivery_id": e["delivery_id"], "cancelled": e["cancelled"],
                     "customer": e["customer_name"] or e["customer_id"] or "", "project": e["project"] or "",
                     "product": product, "amount": shown.number(e["contract_amount"]),
                     "shipped": shown.day(e["shipped_on"]), "commissioned": shown.day(e["commissioned_on"]),
                     "chips": chips, "late": any(c["late"] for c in chips), "contact": e["contact_person"] or "",
                     "phone": e["phone"] or ""})
    return rows


def _job_view(row) -> dict:
    """Gives what the import's status fragment shows: state, progress, problems by row and column."""
    problems = []
    for key, messages in (row.errors or {}).items():
        match = _ROW_FIELD.match(key)
        if match:
            number, field = int(match.group(1)), match.group(2)
        else:
            number, field = None, key.split(".", 1)[1] if key.startswith("header.") else key
        for message in messages if isinstance(messages, list) else [messages]:
            text = str(message)
            problems.append({"row": number, "field": field, "column": labels.name_of(labels.LEDGER_FIELDS, field),
                             "header": _FILE_HEADERS.get(field) if key.startswith("header.") else None,
                             "message": labels.message_of(text)})
    problems.sort(key=lambda p: (p["row"] is not None, p["row"] or 0, p["field"] or ""))
    finished = row.state in IMPORT_FINISHED
    return {"id": row.id, "state": row.state, "state_name": labels.name_of(labels.IMPORT_STATES, row.state),
            "filename": row.filename, "dry_run": row.dry_run, "rows": row.rows, "processed": row.processed,
            "created": row.created, "updated": row.updated, "finished": finished,
            "problems": problems[:SHOWN_PROBLEMS], "more": max(0, len(problems) - SHOWN_PROBLEMS),
            "percent": int(100 * row.processed / row.rows) if row.rows else (100 if finished else 0),
            "can_run": row.dry_run and row.state == "checked", "created_at": row.created_at}
