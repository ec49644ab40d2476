"""HTTP routes of the scheduler: callbacks, outcomes, policy preview, the ledger, agents' lists.

Views only translate: query or body -> a handler command or a query scoped to the caller's
organisation -> a schema. One unit of work per request that writes.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

import peewee
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shared.privacy import SEES_PHONES, mask_phone
from shared.web import organization_of_request, principal, roles_required, total_count

from . import handlers
from .domain.calls import in_call_window, next_call_at
from .domain.equipment import channel_for, plan_equipment_callbacks, warranty_end_on
from .domain.errors import SchedulerDomainError
from .domain.service import is_batched, is_key_customer, plan_service_callbacks, sample_rate_for
from .models import OPEN, CallbackTask, Customer, Delivery
from .schemas import (
    LEDGER_COLUMNS, AgentCallbackQuery, AgentCallbackSchema, CallbackDetailSchema, CallbackQuery, CallbackSchema,
    ExportQuery, QuestionnaireSchema,
    ImportQuery, ImportResultSchema, LedgerEntrySchema, LedgerQuery, OutcomeSchema, PreviewQuery, PreviewSchema,
    load_ledger_rows,
)

#: Everyone who works with callbacks may read them.
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
#: Who makes callbacks and records their outcome.
CALLERS = ("agent", "supervisor", "manager", "admin")
#: Who keeps the ledger (seed 000 5.1.1: the service centre's agents build it).
LEDGER_KEEPERS = ("agent", "supervisor", "manager", "admin", "integration")
#: Who may read another agent's task list.
TEAM_LEADS = ("supervisor", "manager", "admin")
#: Largest ledger file accepted (bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _service():
    return current_app.extensions["huifang_service"]


def _settings():
    return current_app.config["HUIFANG_SETTINGS"]


def _contacts(organization: str, customer_ids) -> dict[str, dict]:
    """Gives each customer's contact details, phones masked for roles that need not see them."""
    ids = sorted({c for c in customer_ids if c})
    shows = principal().role in SEES_PHONES
    found = {}
    for start in range(0, len(ids), handlers.CHUNK):
        for c in Customer.select().where(Customer.organization == organization,
                                         Customer.customer_id.in_(ids[start:start + handlers.CHUNK])):
            found[c.customer_id] = {
                "name": c.name, "segment": c.segment, "flagged_key": c.flagged_key,
                "phone": c.phone if shows else mask_phone(c.phone), "contact_person": c.contact_person,
                "site_contact": c.site_contact,
                "site_phone": c.site_phone if shows else mask_phone(c.site_phone),
            }
    return found


def _with_customers(organization: str, tasks: list[CallbackTask]) -> list[dict]:
    contacts = _contacts(organization, [t.customer_id for t in tasks])
    return [{**t.__data__, "customer": contacts.get(t.customer_id)} for t in tasks]


# --- callbacks ------------------------------------------------------------------------------

callbacks_blp = Blueprint("callbacks", __name__, url_prefix="/api/v1/callbacks",
                          description="Callback tasks (回访任务) and their outcomes.")


@callbacks_blp.route("")
class Callbacks(MethodView):
    @callbacks_blp.arguments(CallbackQuery, location="query")
    @callbacks_blp.response(200, CallbackSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """List callback tasks, by due date."""
        org = organization_of_request()
        query = CallbackTask.select().where(CallbackTask.organization == org)
        for name in ("customer_id", "delivery_id", "order_id", "complaint_id", "status", "kind"):
            if args.get(name) is not None:
                query = query.where(getattr(CallbackTask, name) == args[name])
        if args.get("due_from"):
            query = query.where(CallbackTask.due_on >= args["due_from"])
        if args.get("due_to"):
            query = query.where(CallbackTask.due_on <= args["due_to"])
        total = query.count()
        tasks = list(query.order_by(CallbackTask.due_on, CallbackTask.id).limit(args["limit"]).offset(args["offset"]))
        total_count(total)
        return _with_customers(org, tasks)


def _task_and_questionnaire(callback_id: str):
    org = organization_of_request()
    try:
        task = handlers.get_callback_or_raise(organization=org, callback_id=callback_id)
    except handlers.CallbackNotFound as exc:
        abort(404, message=str(exc))
    rules = handlers.rules_for(_settings(), org)
    questionnaire = handlers.questionnaire_of(organization=org, task=task, settings=_settings(), rules=rules)
    return org, task, questionnaire


@callbacks_blp.route("/<callback_id>")
class CallbackItem(MethodView):
    @callbacks_blp.response(200, CallbackDetailSchema)
    @roles_required(*READERS)
    def get(self, callback_id):
        """One callback task, with the questionnaire (回访模板) to ask, questions in order."""
        org, task, questionnaire = _task_and_questionnaire(callback_id)
        return {**_with_customers(org, [task])[0], "questionnaire": questionnaire}


@callbacks_blp.route("/<callback_id>/questionnaire")
class CallbackQuestionnaire(MethodView):
    @callbacks_blp.response(200, QuestionnaireSchema)
    @roles_required(*READERS)
    def get(self, callback_id):
        """The questionnaire a callback follows (RULES 1.2: by customer type and order kind), questions in order."""
        return _task_and_questionnaire(callback_id)[2]


@callbacks_blp.route("/<callback_id>/outcome")
class CallbackOutcome(MethodView):
    @callbacks_blp.arguments(OutcomeSchema)
    @callbacks_blp.response(200, CallbackSchema)
    @callbacks_blp.alt_response(404, description="No such callback in your organisation")
    @callbacks_blp.alt_response(409, description="The callback is no longer open")
    @callbacks_blp.alt_response(422, description="An answer does not fit the callback's questionnaire")
    @roles_required(*CALLERS)
    def post(self, outcome, callback_id):
        """Record one call: reached or not, the answers, the reason for a dissatisfied answer."""
        org = organization_of_request()
        service = _service()
        try:
            with service.unit_of_work() as uow:
                task = handlers.record_outcome(organization=org, callback_id=callback_id, outcome=outcome, uow=uow)
        except handlers.CallbackNotFound as exc:
            abort(404, message=str(exc))
        except handlers.CallbackClosed as exc:
            abort(409, message=str(exc))
        except handlers.OutcomeInvalid as exc:
            abort(422, message=str(exc), messages={"json": exc.errors})
        return _with_customers(org, [task])[0]


# --- agents ---------------------------------------------------------------------------------

agents_blp = Blueprint("agents", __name__, url_prefix="/api/v1/agents", description="Agents' (回访员) task lists.")


@agents_blp.route("/<login>/callbacks")
class AgentCallbacks(MethodView):
    @agents_blp.arguments(AgentCallbackQuery, location="query")
    @agents_blp.response(200, AgentCallbackSchema(many=True))
    @roles_required("agent", *TEAM_LEADS)
    def get(self, args, login):
        """An agent's open tasks by due date (a retry counts from its next attempt), each with when to call.

        `next_call_at` is the next moment inside a call window on a working day (RULES 1.2),
        not before the task is due; `?callable_now=1` keeps the tasks due today or earlier,
        and gives none while now is outside the call windows.
        """
        me = principal()
        if me.role == "agent" and me.login != login:
            abort(403, message=f"You are {me.login}: an agent sees only their own list.")
        org = organization_of_request()
        settings = _settings()
        rules = handlers.rules_for(settings, org)
        now = _service().clock().astimezone(settings.tz)
        when = peewee.fn.COALESCE(CallbackTask.next_attempt_on, CallbackTask.due_on)
        query = CallbackTask.select().where(CallbackTask.organization == org, CallbackTask.status == OPEN,
                                            CallbackTask.assigned_to == login)
        if args.get("due_to"):
            query = query.where(when <= args["due_to"])
        if args["callable_now"]:
            if not in_call_window(now, rules.policy.call_windows, rules.calendar):
                total_count(0)
                return []
            query = query.where(when <= now.date())
        total = query.count()
        tasks = list(query.order_by(when, CallbackTask.id).limit(args["limit"]).offset(args["offset"]))
        total_count(total)
        listed = _with_customers(org, tasks)
        for row, task in zip(listed, tasks):
            row["next_call_at"] = next_call_at(now, rules.policy.call_windows, rules.calendar,
                                               not_before=task.next_attempt_on or task.due_on, tz=settings.tz)
        return listed


# --- policy preview -------------------------------------------------------------------------

policies_blp = Blueprint("policies", __name__, url_prefix="/api/v1/policies",
                         description="What the organisation's callback policy (回访策略) would plan.")


@policies_blp.route("/preview")
class PolicyPreview(MethodView):
    @policies_blp.arguments(PreviewQuery, location="query")
    @policies_blp.response(200, PreviewSchema)
    @roles_required(*READERS)
    def get(self, args):
        """The callbacks a sample delivery or order would get; nothing is stored."""
        rules = handlers.rules_for(_settings(), organization_of_request())
        policy, calendar = rules.policy, rules.calendar
        key = is_key_customer(args["segment"], args.get("kind") if "business_line" in args else None,
                              args["flagged"], policy)
        try:
            if "shipped_on" in args:
                planned = plan_equipment_callbacks(shipped_on=args["shipped_on"], installed_on=args.get("installed_on"),
                                                   commissioned_on=args.get("commissioned_on"), policy=policy,
                                                   calendar=calendar)
                channel = channel_for(args["contract_amount"], policy)
                return {"policy": policy.sampling_key, "key_customer": key, "sample_rate": None, "batched": False,
                        "warranty_end_on": warranty_end_on(shipped_on=args["shipped_on"],
                                                           commissioned_on=args.get("commissioned_on"), policy=policy),
                        "callbacks": [{**p.__dict__, "channel": channel} for p in planned]}
            line, kind = args["business_line"], args["kind"]
            planned = plan_service_callbacks(business_line=line, kind=kind, completed_on=args["completed_on"], key=key,
                                             policy=policy, calendar=calendar)
            return {"policy": policy.sampling_key, "key_customer": key,
                    "sample_rate": sample_rate_for(business_line=line, kind=kind, key=key, policy=policy),
                    "batched": is_batched(business_line=line, kind=kind, policy=policy), "warranty_end_on": None,
                    "callbacks": [{**p.__dict__, "channel": "phone"} for p in planned]}
        except SchedulerDomainError as exc:
            abort(422, message=str(exc), messages={"query": {exc.field or "query": [str(exc)]}})


# --- the ledger -----------------------------------------------------------------------------

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
    ids = [d.delivery_id for d in deliveries]
    for start in range(0, len(ids), handlers.CHUNK):
        for t in (CallbackTask.select(CallbackTask.id, CallbackTask.delivery_id, CallbackTask.kind,
                                      CallbackTask.due_on, CallbackTask.nominal_on, CallbackTask.status,
                                      CallbackTask.channel, CallbackTask.record_no)
                  .where(CallbackTask.organization == org,
                         CallbackTask.delivery_id.in_(ids[start:start + handlers.CHUNK]))
                  .order_by(CallbackTask.nominal_on)):
            by_delivery[t.delivery_id].append(t.__data__)
    shows = principal().role in SEES_PHONES
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


#: What a spreadsheet reads as the start of a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    """Gives user text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _export_rows(args: dict):
    """Gives the header and then each row of the ledger export, streamed in pages."""
    org = organization_of_request()
    english = args["language"] == "en"
    yield [en if english else zh for _, zh, en, _ in LEDGER_COLUMNS]
    query = _ledger_query(org, args)
    page, offset = 2000, 0
    while True:
        deliveries = list(query.limit(page).offset(offset))
        if not deliveries:
            break
        for entry in _ledger_entries(org, deliveries):
            cells = []
            for name, *_ in LEDGER_COLUMNS:
                value = entry.get(name)
                if name == "record_nos":
                    value = "; ".join(value)
                elif isinstance(value, date):
                    value = value.isoformat()
                elif value is not None and name == "contract_amount":
                    value = f"{value:.2f}"
                elif isinstance(value, str):
                    value = _inert(value)
                cells.append(value)
            yield cells
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def read_table(filename: str, content: bytes) -> tuple[list, object]:
    """Gives (header, rows) of an uploaded .csv or .xlsx file.

    Raises:
      ValueError: the file is neither, or cannot be read; the message says why.
    """
    name = filename.lower()
    if name.endswith(".csv"):
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        return (rows[0] if rows else []), rows[1:]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValueError(f"cannot read the workbook: {exc}") from None
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = list(next(rows, ()) or ())
        return header, rows
    raise ValueError("upload a .csv or .xlsx file")


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
        try:
            header, rows = read_table(upload.filename or "", content)
        except ValueError as exc:
            abort(422, message=str(exc), messages={"files": {"file": [str(exc)]}})
        loaded, errors = load_ledger_rows(header, rows)
        if errors:
            abort(422, message=f"{len(errors)} problems in the file; nothing was imported.",
                  messages={"file": errors})
        if args["dry_run"]:
            with _service().connection():
                ids = [r["delivery_id"] for r in loaded]
                known = set()
                for start in range(0, len(ids), handlers.CHUNK):
                    known.update(d for (d,) in Delivery.select(Delivery.delivery_id).where(
                        Delivery.organization == org, Delivery.delivery_id.in_(ids[start:start + handlers.CHUNK]))
                        .tuples())
            return {"dry_run": True, "rows": len(loaded), "created": len(ids) - len(known), "updated": len(known)}
        with _service().unit_of_work() as uow:
            result = handlers.import_ledger(organization=org, rows=loaded, uow=uow)
        return {"dry_run": False, **result}


BLUEPRINTS = [callbacks_blp, agents_blp, policies_blp, ledger_blp]
