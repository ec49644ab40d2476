"""Routes of the callback desk's figures: per period (a month or an ISO week), for the
organisation, per agent and per service advisor with their role's targets, and the agents' monthly
summaries with their late mark. Kept apart from reports.py (the report's routes)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.apidocs import path_parameter
from shared.core.errors import InvalidInput
from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..domain.desk import parse_period
from ..domain.kpi import MONTH_PATTERN, month_bounds, parse_month
from ..figures import desk
from ..rules import desk_policy
from ..schemas import DeskFiguresSchema, PeriodQuery, SummaryBody, SummarySchema
from .common import LEADS, scoped_branch, service

desk_blp = Blueprint("desk", __name__, url_prefix="/api/v1/desk",
                     description="The callback desk's figures per agent and per service advisor, weekly or monthly, "
                                 "and the agents' monthly summaries.")

MONTH = path_parameter("month", "2026-10", "the summary's month, YYYY-MM", pattern=MONTH_PATTERN)


def visible_figures(figures: dict, role: str, login: str) -> dict:
    """Gives the figures a role may see: leads everything; an agent their own row; an advisor theirs."""
    if role in LEADS:
        return figures
    return {**figures, "agents": [r for r in figures["agents"] if role == "agent" and r["login"] == login],
            "advisors": [r for r in figures["advisors"] if role == "advisor" and r["advisor_id"] == login]}


@desk_blp.route("/figures")
class DeskFigures(MethodView):
    @desk_blp.arguments(PeriodQuery, location="query")
    @desk_blp.response(200, DeskFiguresSchema)
    @roles_required(*LEADS, "agent", "advisor")
    def get(self, query):
        """The period's callback figures (a week or a month), for the organisation, per agent and per
        advisor, each with its role's targets (data/desk.yaml) and whether they are met."""
        organization, me = organization_of_request(), principal()
        period = parse_period(query["period"])
        policy = desk_policy(service().settings, organization)
        branch = scoped_branch(policy, me.login, query.get("branch"), organization=organization, role=me.role)
        with service().connection():
            figures = desk.period_figures(organization, period, policy, branch=branch)
        return visible_figures(figures, me.role, me.login)


@desk_blp.route("/summaries/<month>", parameters=[MONTH])
class Summaries(MethodView):
    @desk_blp.response(200, SummarySchema(many=True))
    @roles_required(*LEADS, "agent")
    def get(self, month):
        """Each agent's summary of the month: submitted when, on time or late, or missing past the due day.
        A branch manager gets those of their branch's agents."""
        organization, me = organization_of_request(), principal()
        parse_month(month)
        serving = service()
        policy = desk_policy(serving.settings, organization)
        branch = scoped_branch(policy, me.login, None, organization=organization, role=me.role)
        with serving.connection():
            agents = [p.login for p in serving.users.of_role(organization, "agent") if branch in (None, p.branch)]
            rows = desk.summaries(organization=organization, month=month, agents=agents, policy=policy,
                                  now=serving.clock().astimezone(serving.settings.tz), tz=serving.settings.tz,
                                  submitted_too=branch is None)
        return rows if me.role in LEADS else [r for r in rows if r["agent"] == me.login]

    @desk_blp.arguments(SummaryBody, example={"remark": "本月回访 42 户，2 户谢绝回访。"})
    @desk_blp.response(200, SummarySchema)
    @roles_required("agent")
    def post(self, body, month):
        """Submit the agent's own summary of the month to the service manager (seed 000 part 1: by the 3rd)."""
        organization, me = organization_of_request(), principal()
        parse_month(month)
        if month_bounds(month)[1] >= service().clock().astimezone(service().settings.tz).date():
            # the figures kept with it would be those of a month still running (seed 000 part 1: 上月)
            raise InvalidInput(f"{month} is not over yet: a summary is of a past month.", field="month")
        return service().run(handlers.submit_summary, organization=organization, month=month, agent=me.login,
                             remark=body["remark"], policy=desk_policy(service().settings, organization))
