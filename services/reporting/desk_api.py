"""Routes of the callback desk's figures (issue 17): per period (a month or an ISO week), for the
organisation, per agent and per service advisor with their role's targets, and the agents' monthly
summaries with their late mark. Kept apart from api.py (the report's routes)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from shared.web.apidocs import path_parameter
from shared.core.errors import InvalidInput
from shared.web.app import organization_of_request, principal, roles_required

from . import desk, handlers
from .domain.desk import parse_period
from .domain.kpi import MONTH_PATTERN, PERIOD_PATTERN, month_bounds, parse_month
from .rules import desk_policy
from .schemas import FigureSchema
from .service import SERVICE

#: Who reads everyone's desk figures; an agent reads their own row, an advisor theirs.
LEADS = ("manager", "admin", "supervisor", "integration")

desk_blp = Blueprint("desk", __name__, url_prefix="/api/v1/desk",
                     description="The callback desk's figures per agent and per service advisor, weekly or monthly, "
                                 "and the agents' monthly summaries (issue 17).")

MONTH = path_parameter("month", "2026-10", "the summary's month, YYYY-MM", pattern=MONTH_PATTERN)


class PeriodQuery(Schema):
    period = fields.String(required=True, validate=validate.Length(min=7, max=8), metadata={
        "description": "a month (2026-11) or an ISO week (2026-W45)", "example": "2026-W45",
        "pattern": PERIOD_PATTERN})  # what parse_period takes, in the document (issue 12, finding 20)
    branch = fields.String(validate=validate.Length(min=1, max=128), metadata={
        "description": "one branch only (a branch manager always sees their own)"})


class SummaryBody(Schema):
    remark = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "the agent's words on the month"})


class PersonFiguresSchema(Schema):
    login = fields.String()
    advisor_id = fields.String()
    callbacks = fields.Integer()
    reached = fields.Integer()
    declined = fields.Integer(metadata={"description": "declined callbacks (谢绝回访), apart from the completion rate"})
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))
    targets = fields.Dict(keys=fields.String(), values=fields.Float())
    meets = fields.Dict(keys=fields.String(), values=fields.Boolean(allow_none=True))


class BranchFiguresSchema(PersonFiguresSchema):
    branch = fields.String()


class DeskFiguresSchema(Schema):
    period = fields.String()
    branch = fields.String(allow_none=True, metadata={"description": "the one branch shown, or null: all"})
    branches = fields.List(fields.Nested(BranchFiguresSchema))
    kind = fields.String(metadata={"description": "month or week"})
    first_day = fields.String()
    last_day = fields.String()
    organization = fields.Nested(PersonFiguresSchema)
    agents = fields.List(fields.Nested(PersonFiguresSchema))
    advisors = fields.List(fields.Nested(PersonFiguresSchema))


class SummarySchema(Schema):
    agent = fields.String()
    month = fields.String()
    due_on = fields.String()
    submitted_at = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "on_time, late, missing (past the due day) or not_due"})
    remark = fields.String(allow_none=True)
    figures = fields.Dict(allow_none=True)


#: Roles whose branch in the user directory limits what they see (a branch manager: 门店负责人, 站长).
BRANCH_SCOPED_ROLES = ("manager", "supervisor", "agent", "advisor")


def own_branch(policy, organization: str, login: str | None, role: str | None) -> str | None:
    """Gives the branch a person sees alone (issue 17 item 7): their branch in the user directory
    (role manager or supervisor with a branch: a branch manager), else desk.yaml's `branch_managers`
    (the older data file, kept as a fallback); None: every branch."""
    if role in BRANCH_SCOPED_ROLES and login:
        with SERVICE.connection():
            branch = SERVICE.users.branch_of(organization, login)
        if branch:
            return branch
    return policy.branch_of(login)


def scoped_branch(policy, login: str | None, asked: str | None, *, organization: str | None = None,
                  role: str | None = None) -> str | None:
    """Gives the branch a request sees: a branch manager's own (another asked: 403), else the one asked."""
    own = own_branch(policy, organization, login, role) if organization else policy.branch_of(login)
    if own is not None and asked not in (None, own):
        abort(403, message=f"You manage branch {own}; its figures are the ones you see.")
    return own or asked


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
        policy = desk_policy(SERVICE.settings, organization)
        branch = scoped_branch(policy, me.login, query.get("branch"), organization=organization, role=me.role)
        with SERVICE.connection():
            figures = desk.period_figures(organization, period, policy, branch=branch)
        return visible_figures(figures, me.role, me.login)


@desk_blp.route("/summaries/<month>", parameters=[MONTH])
class Summaries(MethodView):
    @desk_blp.response(200, SummarySchema(many=True))
    @roles_required(*LEADS, "agent")
    def get(self, month):
        """Each agent's summary of the month: submitted when, on time or late, or missing past the due day."""
        organization, me = organization_of_request(), principal()
        parse_month(month)
        policy = desk_policy(SERVICE.settings, organization)
        with SERVICE.connection():
            agents = [p.login for p in SERVICE.users.of_role(organization, "agent")]
            rows = desk.summaries(organization=organization, month=month, agents=agents, policy=policy,
                                  now=SERVICE.clock().astimezone(SERVICE.settings.tz), tz=SERVICE.settings.tz)
        return rows if me.role in LEADS else [r for r in rows if r["agent"] == me.login]

    @desk_blp.arguments(SummaryBody, example={"remark": "本月回访 42 户，2 户谢绝回访。"})
    @desk_blp.response(200, SummarySchema)
    @roles_required("agent")
    def post(self, body, month):
        """Submit the agent's own summary of the month to the service manager (seed 000 part 1: by the 3rd)."""
        organization, me = organization_of_request(), principal()
        parse_month(month)
        if month_bounds(month)[1] >= SERVICE.clock().astimezone(SERVICE.settings.tz).date():
            # the figures kept with it would be those of a month still running (seed 000 part 1: 上月)
            raise InvalidInput(f"{month} is not over yet: a summary is of a past month.", field="month")
        return SERVICE.run(handlers.submit_summary, organization=organization, month=month, agent=me.login,
                           remark=body["remark"], policy=desk_policy(SERVICE.settings, organization))


BLUEPRINTS = [desk_blp]
