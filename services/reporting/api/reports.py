"""The monthly report (CONTRACT.md "reporting"): its figures, its PDF and its mail, of the caller's organisation."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.apidocs import path_parameter
from shared.core.errors import Forbidden, InvalidInput, NotFound, Unavailable
from shared.core.privacy import mask_phone
from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers, jobs
from ..domain.kpi import MONTH_PATTERN, parse_month
from ..domain.policy import report_filename
from ..domain.summary import empty_findings
from ..figures import desk, ownership, tickets
from ..figures import made as made_mod
from ..models import RUN_READY, SEND_NONE, Report, ReportRun
from ..rules import desk_policy, recipients_of
from ..schemas import (AcceptedReportSchema, BranchQuerySchema, GenerateReportSchema, LanguageQuerySchema,
                       ReportSchema, SendReportSchema)
from .common import READERS, count_send, own_branch, scoped_branch, service
from .summaries import masked

#: Who may mail the report to addresses of their choosing (`to`; within recipients.yaml).
ADDRESSERS = ("manager", "admin")

reports_blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告).")

#: A reader asked for figures the worker is still making asks again after this many seconds.
RETRY_AFTER_SECONDS = 2
#: The `202` of a month's figures or PDF the worker is making.
PENDING_DOC = {"description": "The worker is making the month's figures (or PDF): ask again after `Retry-After`.",
               "headers": {"Retry-After": {"schema": {"type": "integer"}}, "Location": {"schema": {"type": "string"}}},
               "content": {"application/json": {"schema": {"type": "object", "properties": {
                   "organization": {"type": "string"}, "month": {"type": "string"},
                   "branch": {"type": "string", "nullable": True}, "status": {"type": "string", "enum": ["pending"]},
                   "stored": {"type": "boolean"}}}}}}

#: The path parameter of a month's routes, documented with an example.
MONTH = path_parameter("month", "2026-01", "the report's month, YYYY-MM", pattern=MONTH_PATTERN)


def _stored(organization: str, month: str) -> Report | None:
    with service().connection():
        return Report.get_or_none(Report.organization == organization, Report.month == month)


def _iso(moment) -> str | None:
    """Gives a stored moment (aware) as ISO 8601 with the installation's offset, like every
    timestamp of the API."""
    if not moment:
        return None
    return moment.astimezone(service().settings.tz).isoformat()


def _no_branch_manager(organization: str, what: str) -> None:
    """Refuses (403) a branch manager something of the whole organisation."""
    me = principal()
    own = own_branch(desk_policy(service().settings, organization), organization, me.login, me.role)
    if own is not None:
        raise Forbidden(f"You manage branch {own}: {what} is the organisation's; "
                        f"GET /api/v1/reports/<month>?branch={own} gives your branch's figures.")


def _masked(listing: list[dict]) -> list[dict]:
    # Customer data is confidential (RULES 1.4): the report is a management document, read and
    # mailed on; its phones leave the service masked whoever reads it.
    return [{**row, "phone": mask_phone(row.get("phone")) or ""} for row in listing]


@reports_blp.route("")
class Reports(MethodView):
    @reports_blp.arguments(GenerateReportSchema, example={"month": "2026-01", "language": "zh-CN"})
    @reports_blp.response(202, AcceptedReportSchema)
    @roles_required(*READERS)
    def post(self, body):
        """Ask for the month's report to be made (or remade): `202` at once, `status` `pending`.

        The worker makes it; `GET /api/v1/reports/<month>` shows `status` `ready` when it is
        stored. It replaces the earlier report and is not mailed.
        """
        organization = organization_of_request()
        _no_branch_manager(organization, "the stored report")
        month = body["month"]
        run = service().run(handlers.request_generation, organization=organization, month=month,
                            language=body["language"], who=principal())
        _carry_out(organization, month, run.request)
        with service().connection():
            run = ReportRun.get(ReportRun.id == run.id)
        row = _stored(organization, month)
        return {"organization": organization, "month": month, "language": run.language, "status": run.status,
                "generated_at": _iso(row.generated_at) if row is not None and run.status == RUN_READY else None}


def _run(organization: str, month: str) -> ReportRun | None:
    with service().connection():
        return ReportRun.get_or_none(ReportRun.organization == organization, ReportRun.month == month)


def _status(run: ReportRun | None, row: Report | None) -> tuple[str, str | None]:
    """Gives (status, error) of the month's report: pending, ready, failed or not_generated."""
    if run is not None:
        return run.status, run.error
    return (RUN_READY if row is not None else "not_generated"), None


@reports_blp.route("/<month>", parameters=[MONTH])
class MonthReport(MethodView):
    @reports_blp.arguments(BranchQuerySchema, location="query")
    @reports_blp.response(200, ReportSchema)
    @reports_blp.doc(responses={"202": PENDING_DOC})
    @roles_required(*READERS)
    def get(self, query, month):
        """The month's figures, with the two months before as `trend` (made by the worker if not generated yet).

        A month with no stored report, or a branch's figures, are made by the worker,
        served while fresh (HUIFANG_REPORT_FRESH_SECONDS; `made_at` says when) and then made
        again; the first reader waits up to HUIFANG_REPORT_WAIT_SECONDS, then gets `202` with
        `Retry-After` and `status` `pending`.

        `?branch=` gives one branch's figures, computed now: callbacks and served
        customers of that branch's deliveries and orders, and the complaints that named it. A branch manager (a manager or supervisor with a branch in the user directory)
        always gets their branch's; asking for another is a 403.
        """
        organization = organization_of_request()
        parse_month(month)
        me = principal()
        policy = desk_policy(service().settings, organization)
        branch = scoped_branch(policy, me.login, query["branch"], organization=organization, role=me.role)
        with service().connection():
            branches = desk.known_branches(organization)
        if branch is not None and branch not in branches and branch != own_branch(
                policy, organization, me.login, me.role):
            # the worker makes figures only of branches that exist (each asked name would be a job and a row)
            raise NotFound(f"No branch {branch!r} in the figures of {organization}; known: "
                           f"{', '.join(branches) or 'none yet'}.", field="branch")
        # The run first: a run read as ready was committed with its report, so the report is seen.
        run = _run(organization, month) if branch is None else None
        row = _stored(organization, month) if branch is None else None
        delivery = {"status": SEND_NONE, "to": None, "sent_at": None, "attempts": 0, "error": None}
        if row is not None:
            data = dict(row.figures)
            delivery = {"status": row.send_status, "to": row.send_to, "sent_at": _iso(row.sent_at),
                        "attempts": row.send_attempts, "error": row.send_error}
            made_at = row.generated_at
        else:  # the worker computes them; here they are only read
            made = _made(organization, month, "zh-CN", branch=branch)
            if made.figures is None:
                return _pending(organization, month, branch, made)
            data, made_at = dict(made.figures), made.made_at
        data["overdue"], data["unreachable"] = _masked(data["overdue"]), _masked(data["unreachable"])
        data["findings"] = masked(data.get("findings") or empty_findings())
        if branch is None:
            data["closures"] = ownership.month_closures(organization, month)
            data["corrective_actions"] = ownership.month_corrective_actions(
                organization, month, today=service().clock().astimezone(service().settings.tz).date())
        with service().connection():
            data["desk"] = {**data.get("desk", {}), **desk.desk_figures(organization, month, branch),
                            **({"leads": desk.month_leads(organization, month),
                                "tickets": tickets.month_tickets(organization, month)} if branch is None else {})}
        if branch is not None:
            return {**data, "stored": False, "status": "not_generated", "error": None, "branch": branch,
                    "branches": [branch], "delivery": delivery, "made_at": _iso(made_at)}
        status, error = _status(run, row)
        return {**data, "stored": row is not None, "status": status, "error": error, "delivery": delivery,
                "branch": None, "branches": branches, "made_at": _iso(made_at)}


def _made(organization: str, month: str, language: str, *, branch: str | None = None,
          with_pdf: bool = False) -> made_mod.Made:
    """Gives what the worker made for this reader (asking it, and counting a heavy request, if needed)."""
    made = made_mod.for_reader(service(), organization, month, language=language, branch=branch, with_pdf=with_pdf,
                                 inline=bool(current_app.config.get("REPORTING_GENERATE_INLINE")),
                                 who=principal())
    if made.figures is None and made.error:
        raise Unavailable(f"The figures of {month} could not be made ({made.error}); asking again tries again.")
    return made


def _pending(organization: str, month: str, branch: str | None, made: made_mod.Made):
    """Answers 202: the worker is making the figures; ask again after Retry-After."""
    where = url_for("reports.MonthReport", month=month, **({"branch": branch} if branch else {}))
    response = jsonify({"organization": organization, "month": month, "branch": branch, "status": "pending",
                        "stored": False})
    response.status_code = 202
    response.headers.update({"Retry-After": str(RETRY_AFTER_SECONDS), "Location": where})
    return response


@reports_blp.route("/<month>.pdf", parameters=[MONTH])
class MonthReportPdf(MethodView):
    @reports_blp.arguments(LanguageQuerySchema, location="query")
    @reports_blp.doc(responses={"200": {"description": "The report as PDF",
                                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                        "202": PENDING_DOC})
    @roles_required(*READERS)
    def get(self, query, month):
        """The month's report as PDF (`?language=en` for the English edition); the organisation's (a
        branch manager: 403).

        The stored report's PDF at once; another edition, or a month not made yet, is rendered by
        the worker: `202` with `Retry-After` when it takes longer than HUIFANG_REPORT_WAIT_SECONDS."""
        organization = organization_of_request()
        _no_branch_manager(organization, "the report's PDF")
        parse_month(month)
        row = _stored(organization, month)
        language = query["language"] or (row.language if row is not None else "zh-CN")
        if row is not None and row.pdf and row.language == language:
            pdf = bytes(row.pdf)
        else:
            made = _made(organization, month, language, with_pdf=True)
            if made.pdf is None:
                return _pending(organization, month, None, made)
            pdf = made.pdf
        filename = report_filename(month, language)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=\"report-{month}.pdf\"; filename*=UTF-8''{quote(filename)}"})


@reports_blp.route("/<month>/send", parameters=[MONTH])
class SendMonthReport(MethodView):
    # no body at all is `{}` (the managers): the document says the body is optional
    @reports_blp.arguments(SendReportSchema, required=False, examples={
        "the managers": {"summary": "to the organisation's managers (the default)", "value": {}},
        "chosen addresses": {"summary": "to addresses a manager or admin names", "value": {
            "to": ["zhang@acme.example"]}}})
    @reports_blp.response(202, AcceptedReportSchema)
    @roles_required(*READERS)
    def post(self, body, month):
        """Mail the month's PDF to the organisation's managers (reporting/recipients.yaml); made first if needed.

        A manager or admin may name the addresses (`to`): each must be listed in
        recipients.yaml (`managers`, `others`) or be at one of its `allowed_domains` (422
        naming `to` otherwise). The report holds customer names and remarks.
        """
        organization = organization_of_request()
        _no_branch_manager(organization, "the report's mail")
        parse_month(month)
        count_send(principal(), organization)
        recipients = recipients_of(service().settings, organization, users=service().users)
        if body.get("to") is not None:
            if principal().role not in ADDRESSERS:
                raise Forbidden(f"Only {' or '.join(ADDRESSERS)} may choose whom the report is mailed to; "
                                "send {} to mail it to the managers.")
            refused = recipients.refused(body["to"])
            if refused:
                raise InvalidInput(f"Not an allowed recipient of the report: {', '.join(refused)}. List them in "
                                   "reporting/recipients.yaml (others or allowed_domains).", field="to")
            to = list(body["to"])
        else:
            to = list(recipients.managers)
        if not to:
            raise InvalidInput("No recipients: give the organisation's managers an e-mail (make user "
                               "ROLE=manager EMAIL=...) or list them in reporting/recipients.yaml.",
                               errors={"to": ["no recipients"]})
        # the command records the send in the audit log
        row, run = service().run(handlers.mail_report, organization=organization, month=month, to=to,
                                 who=principal())
        if run is not None:
            _carry_out(organization, month, run.request)
            return {"organization": organization, "month": month, "language": run.language, "status": "queued",
                    "generated_at": None}
        return {"organization": organization, "month": month, "language": row.language, "status": "queued",
                "generated_at": _iso(row.generated_at)}


def _carry_out(organization: str, month: str, run_request: str) -> None:
    """Makes the run here too, after its commit (REPORTING_GENERATE_INLINE: tests,
    single-process installs). Its job went to the broker with the commit (the app's outbox
    hook); if the broker is down it waits in the outbox for the worker's relay."""
    if current_app.config.get("REPORTING_GENERATE_INLINE"):
        jobs.run_generation(service(), organization, month, run_request)
