"""A quarter's and a year's findings (seed 003: 客户服务部……制定年度、季度和月度电话回访计划), beside the month's
report: GET /api/v1/reports/2026-Q4, GET /api/v1/reports/2026.

The same findings as a month's report (the dissatisfied customers and their reasons, the yes/no
answers counted, complaints by source with the hand-over on-time share), summed over the period's
days. The worker makes them (figures/made.py), the web only reads; they are the organisation's.
"""
from __future__ import annotations

from flask import current_app, jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.routing import BaseConverter

from shared.core.errors import Forbidden, Unavailable
from shared.core.privacy import mask_phone
from shared.web.api import organization_of_request, principal, roles_required
from shared.web.apidocs import path_parameter

from ..domain.summary import SUMMARY_PATTERN, parse_summary_period
from ..figures import made as made_mod
from ..rules import desk_policy
from ..schemas import PeriodFindingsSchema
from .common import READERS, own_branch, service

#: Seconds after which a reader of findings the worker is still making asks again.
RETRY_AFTER_SECONDS = 2


class SummaryPeriodConverter(BaseConverter):
    """A quarter (2026-Q4) or a year (2026) in a path: tried before the month's `<month>` (weight)."""

    regex = r"\d{4}(?:-Q[1-4])?"
    weight = 50


summaries_blp = Blueprint("report_summaries", __name__, url_prefix="/api/v1/reports",
                          description="A quarter's and a year's findings, summed as a month's (seed 003).")
# before the route below is added to the app's map (deferred functions run in the order recorded)
summaries_blp.record_once(lambda state: state.app.url_map.converters.setdefault("summary", SummaryPeriodConverter))

PERIOD = path_parameter("period", "2026-Q4", "a quarter (YYYY-Qn) or a year (YYYY)", pattern=SUMMARY_PATTERN)


def masked(findings: dict) -> dict:
    """Gives the findings with the dissatisfied customers' phones masked (RULES 1.4, as the report's lists)."""
    return {**findings, "dissatisfied": [{**row, "phone": mask_phone(row.get("phone")) or ""}
                                         for row in findings.get("dissatisfied", [])]}


@summaries_blp.route("/<summary:period>", parameters=[PERIOD])
class PeriodFindings(MethodView):
    @summaries_blp.response(200, PeriodFindingsSchema)
    @summaries_blp.doc(responses={"202": {"description": "The worker is making the findings: ask again after "
                                                         "`Retry-After`."}})
    @roles_required(*READERS)
    def get(self, period):
        """A quarter's or a year's findings: the dissatisfied customers and their reasons, the yes/no
        questions' answers counted, complaints by source with the hand-over on-time share.

        Made by the worker and served while fresh (HUIFANG_REPORT_FRESH_SECONDS); the first reader waits up
        to HUIFANG_REPORT_WAIT_SECONDS, then gets `202` with `Retry-After`. The organisation's (a branch
        manager: 403).
        """
        organization = organization_of_request()
        parse_summary_period(period)
        me = principal()
        own = own_branch(desk_policy(service().settings, organization), organization, me.login, me.role)
        if own is not None:
            raise Forbidden(f"You manage branch {own}: the findings of {period} are the organisation's.")
        made = made_mod.for_reader(service(), organization, period, language="zh-CN",
                                   inline=bool(current_app.config.get("REPORTING_GENERATE_INLINE")), who=me)
        if made.figures is None and made.error:
            raise Unavailable(f"The findings of {period} could not be made ({made.error}); asking again tries again.")
        if made.figures is None:
            response = jsonify({"organization": organization, "period": period, "status": "pending"})
            response.status_code = 202
            response.headers.update({"Retry-After": str(RETRY_AFTER_SECONDS),
                                     "Location": url_for("report_summaries.PeriodFindings", period=period)})
            return response
        data = dict(made.figures)
        data["findings"] = masked(data.get("findings") or {})
        return {**data, "made_at": made.made_at.astimezone(service().settings.tz).isoformat()
                if made.made_at else None}
