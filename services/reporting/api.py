"""HTTP routes of the reporting service (CONTRACT.md "reporting"): reports of the caller's organisation."""
from __future__ import annotations

import logging
from urllib.parse import quote

from dramatiq import Message
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shared.web import organization_of_request, roles_required

from . import handlers
from .domain.kpi import KpiError, ReportData, mask_phone, parse_month
from .domain.policy import report_filename
from .models import SEND_NONE, Report
from .render import render_report_pdf
from .schemas import AcceptedReportSchema, GenerateReportSchema, LanguageQuerySchema, ReportSchema, SendReportSchema
from .service import SERVICE

log = logging.getLogger(__name__)

#: Who may read and make reports.
READERS = ("manager", "admin", "supervisor", "integration")

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告).")


def _month(month: str) -> str:
    try:
        parse_month(month)
    except KpiError as exc:
        abort(422, message=str(exc), messages={"month": [str(exc)]})
    return month


def _stored(organization: str, month: str) -> Report | None:
    with SERVICE.connection():
        return Report.get_or_none(Report.organization == organization, Report.month == month)


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _masked(listing: list[dict]) -> list[dict]:
    # Customer data is confidential (RULES 1.4): phones leave the service masked.
    return [{**row, "phone": mask_phone(row.get("phone"))} for row in listing]


@blp.route("")
class Reports(MethodView):
    @blp.arguments(GenerateReportSchema)
    @blp.response(202, AcceptedReportSchema)
    @roles_required(*READERS)
    def post(self, body):
        """Make (or remake) the month's report; it replaces the earlier one and is not mailed."""
        organization = organization_of_request()
        month = _month(body["month"])
        row, _ = handlers.generate_report(SERVICE, organization, month, body["language"])
        return {"organization": organization, "month": month, "language": row.language, "status": "generated",
                "generated_at": _iso(row.generated_at)}


@blp.route("/<month>")
class MonthReport(MethodView):
    @blp.response(200, ReportSchema)
    @roles_required(*READERS)
    def get(self, month):
        """The month's figures, with the two months before as `trend` (computed now if not generated yet)."""
        organization = organization_of_request()
        _month(month)
        row = _stored(organization, month)
        if row is not None:
            data = dict(row.figures)
            delivery = {"status": row.send_status, "to": row.send_to, "sent_at": _iso(row.sent_at),
                        "attempts": row.send_attempts, "error": row.send_error}
        else:
            data = handlers.compute_report(SERVICE, organization, month, "zh-CN").as_dict()
            delivery = {"status": SEND_NONE, "to": None, "sent_at": None, "attempts": 0, "error": None}
        data["overdue"], data["unreachable"] = _masked(data["overdue"]), _masked(data["unreachable"])
        return {**data, "stored": row is not None, "delivery": delivery}


@blp.route("/<month>.pdf")
class MonthReportPdf(MethodView):
    @blp.arguments(LanguageQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "The report as PDF",
                                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    @roles_required(*READERS)
    def get(self, query, month):
        """The month's report as PDF (`?language=en` for the English edition)."""
        organization = organization_of_request()
        _month(month)
        row = _stored(organization, month)
        language = query["language"] or (row.language if row else "zh-CN")
        if row is not None and row.language == language and row.pdf:
            pdf = bytes(row.pdf)
        elif row is not None:
            pdf = render_report_pdf(ReportData.from_dict({**row.figures, "language": language}), language)
        else:
            pdf = render_report_pdf(handlers.compute_report(SERVICE, organization, month, language), language)
        filename = report_filename(month, language)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=\"report-{month}.pdf\"; filename*=UTF-8''{quote(filename)}"})


@blp.route("/<month>/send")
class SendMonthReport(MethodView):
    @blp.arguments(SendReportSchema)
    @blp.response(202, AcceptedReportSchema)
    @roles_required(*READERS)
    def post(self, body, month):
        """Mail the month's PDF to `to` (default: the organisation's managers); made first if needed."""
        organization = organization_of_request()
        _month(month)
        settings = SERVICE.settings
        to = body.get("to") or handlers.managers_of(settings, organization)
        if not to:
            abort(422, message="No recipients: send {\"to\": [...]} or list the managers in "
                               "reporting/recipients.yaml.", messages={"to": ["no recipients"]})
        row = _stored(organization, month)
        if row is None:
            row, request = handlers.generate_report(SERVICE, organization, month, "zh-CN", send_to=to)
        else:
            with SERVICE.connection(), SERVICE.unit_of_work() as uow:
                request = handlers.request_send(uow, row, to)
        _enqueue_send(organization, month, request)
        return {"organization": organization, "month": month, "language": row.language, "status": "queued",
                "generated_at": _iso(row.generated_at)}


def _enqueue_send(organization: str, month: str, request: str) -> None:
    broker = current_app.extensions["huifang_broker"]
    try:
        broker.enqueue(Message(queue_name=SERVICE.name, actor_name=handlers.SEND_ACTOR,
                               args=(organization, month, request), kwargs={}, options={}))
    except Exception as exc:  # the row says "queued"; the schedule's sweep picks it up
        log.warning("could not queue the send of report %s of %s: %s", month, organization, type(exc).__name__)


BLUEPRINTS: list = [blp]
