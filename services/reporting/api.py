"""HTTP routes of the reporting service (CONTRACT.md "reporting"): reports of the caller's organisation."""
from __future__ import annotations

from datetime import timezone
from urllib.parse import quote

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.apidocs import path_parameter
from shared.errors import Forbidden, InvalidInput
from shared.privacy import mask_phone
from shared.audit import audit
from shared.ratelimit import check_rate
from shared.web import organization_of_request, principal, roles_required

from . import desk, desk_api, handlers, jobs, ownership_figures
from .rules import desk_policy
from .domain.kpi import MONTH_PATTERN, parse_month
from .domain.policy import report_filename
from .models import RUN_READY, SEND_NONE, Report, ReportRun
from .rules import recipients_of
from .schemas import (AcceptedReportSchema, BranchQuerySchema, GenerateReportSchema, LanguageQuerySchema,
                      ReportSchema, SendReportSchema)
from .service import SERVICE

#: Who may read and make reports.
READERS = ("manager", "admin", "supervisor", "integration")
#: Who may mail the report to addresses of their choosing (`to`; within recipients.yaml).
ADDRESSERS = ("manager", "admin")

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告).")

#: The path parameter of a month's routes, documented with an example.
MONTH = path_parameter("month", "2026-01", "the report's month, YYYY-MM", pattern=MONTH_PATTERN)


def _heavy(organization: str) -> None:
    """Counts a heavy request (figures computed or a PDF rendered) of the caller; 429 past the limit.
    Serving what the worker stored is not heavy: asking for a stored month is never refused."""
    check_rate(SERVICE, what="report.heavy", who=principal(), organization=organization,
               limit=SERVICE.settings.rate_heavy_per_minute, per_seconds=60)


def _stored(organization: str, month: str) -> Report | None:
    with SERVICE.connection():
        return Report.get_or_none(Report.organization == organization, Report.month == month)


def _iso(moment) -> str | None:
    """Gives a stored moment (naive UTC) as ISO 8601 with the installation's offset, like every
    timestamp of the API."""
    if not moment:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(SERVICE.settings.tz).isoformat()


def _no_branch_manager(organization: str, what: str) -> None:
    """Refuses (403) a branch manager something of the whole organisation (issue 17 item 7)."""
    me = principal()
    own = desk_api.own_branch(desk_policy(SERVICE.settings, organization), organization, me.login, me.role)
    if own is not None:
        raise Forbidden(f"You manage branch {own}: {what} is the organisation's; "
                        f"GET /api/v1/reports/<month>?branch={own} gives your branch's figures.")


def _masked(listing: list[dict]) -> list[dict]:
    # Customer data is confidential (RULES 1.4): the report is a management document, read and
    # mailed on; its phones leave the service masked whoever reads it.
    return [{**row, "phone": mask_phone(row.get("phone")) or ""} for row in listing]


@blp.route("")
class Reports(MethodView):
    @blp.arguments(GenerateReportSchema, example={"month": "2026-01", "language": "zh-CN"})
    @blp.response(202, AcceptedReportSchema)
    @roles_required(*READERS)
    def post(self, body):
        """Ask for the month's report to be made (or remade): `202` at once, `status` `pending`.

        The worker makes it; `GET /api/v1/reports/<month>` shows `status` `ready` when it is
        stored. It replaces the earlier report and is not mailed.
        """
        organization = organization_of_request()
        _no_branch_manager(organization, "the stored report")
        month = body["month"]
        run = SERVICE.run(handlers.request_generation, organization=organization, month=month,
                          language=body["language"])
        _carry_out(organization, month, run.request)
        with SERVICE.connection():
            run = ReportRun.get(ReportRun.id == run.id)
        row = _stored(organization, month)
        return {"organization": organization, "month": month, "language": run.language, "status": run.status,
                "generated_at": _iso(row.generated_at) if row is not None and run.status == RUN_READY else None}


def _run(organization: str, month: str) -> ReportRun | None:
    with SERVICE.connection():
        return ReportRun.get_or_none(ReportRun.organization == organization, ReportRun.month == month)


def _status(run: ReportRun | None, row: Report | None) -> tuple[str, str | None]:
    """Gives (status, error) of the month's report: pending, ready, failed or not_generated."""
    if run is not None:
        return run.status, run.error
    return (RUN_READY if row is not None else "not_generated"), None


@blp.route("/<month>", parameters=[MONTH])
class MonthReport(MethodView):
    @blp.arguments(BranchQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    @roles_required(*READERS)
    def get(self, query, month):
        """The month's figures, with the two months before as `trend` (computed now if not generated yet).

        `?branch=` gives one branch's figures (issue 17), computed now: callbacks and served
        customers of that branch's deliveries and orders, and the complaints that named it. A branch manager (a manager or supervisor with a branch in the user directory)
        always gets their branch's; asking for another is a 403.
        """
        organization = organization_of_request()
        parse_month(month)
        me = principal()
        branch = desk_api.scoped_branch(desk_policy(SERVICE.settings, organization), me.login, query["branch"],
                                        organization=organization, role=me.role)
        with SERVICE.connection():
            branches = desk.known_branches(organization)
        if branch is not None:
            _heavy(organization)
            data = jobs.compute_report(SERVICE, organization, month, "zh-CN", branch=branch).as_dict()
            data["overdue"], data["unreachable"] = _masked(data["overdue"]), _masked(data["unreachable"])
            with SERVICE.connection():
                data["desk"] = {**data.get("desk", {}), **desk.desk_figures(organization, month, branch)}
            return {**data, "stored": False, "status": "not_generated", "error": None, "branch": branch,
                    "branches": [branch], "delivery": {"status": SEND_NONE, "to": None, "sent_at": None,
                                                       "attempts": 0, "error": None}}
        # The run first: a run read as ready was committed with its report, so the report is seen.
        run = _run(organization, month)
        row = _stored(organization, month)
        if row is not None:
            data = dict(row.figures)
            delivery = {"status": row.send_status, "to": row.send_to, "sent_at": _iso(row.sent_at),
                        "attempts": row.send_attempts, "error": row.send_error}
        else:
            _heavy(organization)
            data = jobs.compute_report(SERVICE, organization, month, "zh-CN").as_dict()
            delivery = {"status": SEND_NONE, "to": None, "sent_at": None, "attempts": 0, "error": None}
        data["overdue"], data["unreachable"] = _masked(data["overdue"]), _masked(data["unreachable"])
        data["closures"] = ownership_figures.month_closures(organization, month)  # issue 18
        data["corrective_actions"] = ownership_figures.month_corrective_actions(
            organization, month, today=SERVICE.clock().astimezone(SERVICE.settings.tz).date())
        status, error = _status(run, row)
        with SERVICE.connection():
            data["desk"] = {**data.get("desk", {}), **desk.desk_figures(organization, month)}
        return {**data, "stored": row is not None, "status": status, "error": error, "delivery": delivery,
                "branch": None, "branches": branches}


@blp.route("/<month>.pdf", parameters=[MONTH])
class MonthReportPdf(MethodView):
    @blp.arguments(LanguageQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "The report as PDF",
                                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    @roles_required(*READERS)
    def get(self, query, month):
        """The month's report as PDF (`?language=en` for the English edition); the organisation's (a
        branch manager: 403)."""
        organization = organization_of_request()
        _no_branch_manager(organization, "the report's PDF")
        parse_month(month)
        row = _stored(organization, month)
        if row is None or not row.pdf or (query["language"] or row.language) != row.language:
            _heavy(organization)  # rendered now, not the stored PDF
        pdf, language = jobs.month_pdf(SERVICE, organization, month, query["language"])
        filename = report_filename(month, language)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=\"report-{month}.pdf\"; filename*=UTF-8''{quote(filename)}"})


@blp.route("/<month>/send", parameters=[MONTH])
class SendMonthReport(MethodView):
    # no body at all is `{}` (the managers): the document says the body is optional (issue 12, finding 20)
    @blp.arguments(SendReportSchema, required=False, examples={
        "the managers": {"summary": "to the organisation's managers (the default)", "value": {}},
        "chosen addresses": {"summary": "to addresses a manager or admin names", "value": {
            "to": ["zhang@acme.example"]}}})
    @blp.response(202, AcceptedReportSchema)
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
        # issue 12, finding 3: a person (or a script with their token) may not mail the report again and again
        check_rate(SERVICE, what="report.send", who=principal(), organization=organization,
                   limit=SERVICE.settings.rate_report_sends_per_hour, per_seconds=3600)
        recipients = recipients_of(SERVICE.settings, organization, users=SERVICE.users)
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
        row, run = SERVICE.run(handlers.mail_report, organization=organization, month=month, to=to)
        audit(SERVICE, principal(), organization=organization, action="report.sent", subject=month,
              detail={"recipients": len(to)})  # issue 12, finding 15
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
        jobs.run_generation(SERVICE, organization, month, run_request)


BLUEPRINTS: list = [blp, *desk_api.BLUEPRINTS]
