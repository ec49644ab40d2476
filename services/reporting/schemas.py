"""Marshmallow schemas of the reporting API."""
from marshmallow import Schema, fields, validate

from .labels import LANGUAGES

from .domain.kpi import FIRST_YEAR, LAST_YEAR, MONTH_PATTERN, PERIOD_PATTERN

MONTH = validate.And(
    validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="must be a month such as 2026-10"),
    validate.Regexp(r"^(19|[2-9]\d)\d\d-", error=f"must be a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12"))


class GenerateReportSchema(Schema):
    month = fields.String(required=True, validate=MONTH, metadata={"pattern": MONTH_PATTERN})
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))


class SendReportSchema(Schema):
    to = fields.List(fields.Email(), load_default=None, validate=validate.Length(min=1, max=100))


class LanguageQuerySchema(Schema):
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))


class BranchQuerySchema(Schema):
    branch = fields.String(load_default=None, validate=validate.Length(min=1, max=128), metadata={
        "description": "one branch's figures; a branch manager always gets their own", "example": "north"})


class FigureSchema(Schema):
    numerator = fields.Integer()
    denominator = fields.Integer()
    value = fields.Float(allow_none=True)


class AcceptedReportSchema(Schema):
    organization = fields.String()
    month = fields.String()
    language = fields.String()
    status = fields.String(metadata={"description": "reports: pending (or ready when made in-process); "
                                                    "send: queued"})
    generated_at = fields.String(allow_none=True)


class DeliverySchema(Schema):
    status = fields.String()
    to = fields.List(fields.String(), allow_none=True)
    sent_at = fields.String(allow_none=True)
    attempts = fields.Integer()
    error = fields.String(allow_none=True)


#: The findings block of a month, a quarter or a year (domain/summary.py).
FINDINGS_DOC = ("dissatisfied: the dissatisfied customers with their reasons (phones masked), at most the "
                "policy's listing limit, dissatisfied_total all of them; yes_no: each yes/no question of the "
                "questionnaires with its labels and counts of yes and no; complaint_sources: the complaints "
                "per source with `handover`, the share of hotline tickets handed to an engineer on time (seed 001)")


class ReportSchema(Schema):
    """The month's report (CONTRACT.md): `figures` and `trend` hold {numerator, denominator, value}."""

    organization = fields.String()
    month = fields.String()
    language = fields.String()
    generated_at = fields.String(allow_none=True)
    stored = fields.Boolean(metadata={"description": "false: no report was generated yet; the figures are those the "
                                                    "worker made for readers (`made_at`)"})
    made_at = fields.String(allow_none=True, metadata={
        "description": "when these figures were made: the stored report's generation, or the worker's making for "
                       "readers (served while fresh, HUIFANG_REPORT_FRESH_SECONDS)"})
    status = fields.String(metadata={"description": "pending (asked for, the worker is making it), ready, failed "
                                                    "or not_generated"})
    error = fields.String(allow_none=True, metadata={"description": "why the last run failed"})
    listing_totals = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 metadata={"description": "the full count of each list (the lists are capped)"})
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))
    trend = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                 values=fields.Nested(FigureSchema)))
    targets = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    complaints = fields.Dict()
    satisfaction_answers = fields.Dict()
    satisfaction_scores = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), metadata={
        "description": "客户满意度得分 per dimension: the mean points of the five-point answers (RULES 1.4)"})
    touched_rate_can_rise = fields.Boolean(metadata={
        "description": "感动率 counts the month's customers (RULES 3): true while a customer served in the month, not "
                       "touched yet, has a survey callback of that service still open (the figure can still rise)"})
    callback_quality = fields.Dict(metadata={
        "description": "回访质量合格率: {status: not_reviewed, pass_rate: null} until callback records are reviewed"})
    desk = fields.Dict(metadata={"description": "the callback desk's figures: declined_callbacks, "
                                                "counted apart from the completion rate; agents and advisors, "
                                                "each with its role's targets and whether they are met; "
                                                "the organisation's report adds leads and tickets, the hotline "
                                                "desk's consultations and service requests (seed 001), counted "
                                                "apart from every complaint figure"})
    suggestions = fields.List(fields.Dict())
    churn_reasons = fields.List(fields.Dict())
    overdue = fields.List(fields.Dict())
    unreachable = fields.List(fields.Dict())
    delivery = fields.Nested(DeliverySchema, allow_none=True)
    closures = fields.Dict(metadata={
        "description": "the month's complaints closed by each closure reason (by_reason, closed_with_reason) "
                       "and those whose verification callback found nobody (verification_unreachable, "
                       "unreachable_waiting), promises not kept in time (promises_broken, "
                       "complaints_with_broken_promises)"})
    corrective_actions = fields.Dict(metadata={
        "description": "the register of corrective actions (纠正预防措施) as of the month: listed (each "
                       "with owner, due_on, status, overdue, the complaints and callbacks behind it), total, "
                       "by_status, overdue (ids)"})
    branch = fields.String(allow_none=True, metadata={
        "description": "the one branch these figures are of (computed now, never stored), or null: "
                       "the organisation. A branch's complaints are those whose complaint.raised named it"})
    branches = fields.List(fields.String(), metadata={"description": "the branches one may ask for (`?branch=`)"})
    findings = fields.Dict(metadata={"description": FINDINGS_DOC})


class PeriodFindingsSchema(Schema):
    """A quarter's or a year's findings (seed 003: 年度、季度和月度), summed as a month's."""

    organization = fields.String()
    period = fields.String(metadata={"description": "the quarter (2026-Q4) or the year (2026)"})
    kind = fields.String(metadata={"description": "quarter or year"})
    first = fields.String(metadata={"description": "its first day, YYYY-MM-DD"})
    last = fields.String(metadata={"description": "its last day, YYYY-MM-DD"})
    months = fields.List(fields.String(), metadata={"description": "its months, oldest first"})
    findings = fields.Dict(metadata={"description": FINDINGS_DOC})
    made_at = fields.String(allow_none=True, metadata={"description": "when the worker made these figures"})


# -- the callback desk (api/desk.py) ------------------------------------------------------------

class PeriodQuery(Schema):
    period = fields.String(required=True, validate=validate.Length(min=7, max=8), metadata={
        "description": "a month (2026-11) or an ISO week (2026-W45)", "example": "2026-W45",
        "pattern": PERIOD_PATTERN})  # what parse_period takes, in the document
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
