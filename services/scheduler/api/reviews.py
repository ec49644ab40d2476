"""Routes of the review of callback records: a reviewer role's queue for a period,
and a verdict on a record."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from shared.core.event_fields import WholeRegexp
from shared.core.schemas import Timestamp
from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..domain.review import VERDICTS
from .common import CALLBACK_ID, service, settings

#: Who reviews callback records (data/review.yaml says which of them, how often, how many).
REVIEWERS = ("supervisor", "manager", "admin")

reviews_blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews",
                        description="Review of callback records (审核回访记录): queues per reviewer role and period, "
                                    "verdicts pass (抽查合格) / needs improvement (有待改进).")


#: A week (2026-W45) or a month (2026-11), also spelt 2026-W5 or 2026-011 (the same queue): the
#: document says what the route takes.
PERIOD_PATTERN = r"^[0-9]{4}-(W(0?[1-9]|[1-4][0-9]|5[0-3])|0?(0[1-9]|1[0-2]))$"
PERIOD_ERROR = "a week such as 2026-W45 or a month such as 2026-11"


class QueueQuery(Schema):
    period = fields.String(required=True, validate=WholeRegexp(PERIOD_PATTERN, error=PERIOD_ERROR), metadata={
        "description": "the role's period: a week (2026-W45) or a month (2026-11), as the organisation's "
                       "review.yaml says the role reviews", "example": "2026-W45"})
    role = fields.String(validate=validate.OneOf(REVIEWERS), metadata={
        "description": "the reviewer role's queue (default: the caller's; the integration token must say)"})


class VerdictBody(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))


class ReviewSchema(Schema):
    callback_id = fields.String()
    reviewer_role = fields.String()
    period = fields.String()
    reviewer = fields.String()
    verdict = fields.String()
    comment = fields.String(allow_none=True)
    agent = fields.String(allow_none=True)
    reviewed_at = Timestamp()


class QueueRowSchema(Schema):
    callback_id = fields.String()
    record_no = fields.String(allow_none=True)
    kind = fields.String()
    customer_id = fields.String()
    agent = fields.String(allow_none=True, metadata={"description": "who made the call"})
    completed_at = Timestamp()
    review = fields.Nested(ReviewSchema, allow_none=True)
    again = fields.Boolean(metadata={"description": "checked again: the agent had a verdict of needs improvement"})


def _row(entry: dict) -> dict:
    task = entry["task"]
    return {"callback_id": task.id, "record_no": task.record_no, "kind": task.kind, "customer_id": task.customer_id,
            "agent": task.completed_by, "completed_at": task.completed_at, "review": entry["review"],
            "again": entry.get("again", False)}


@reviews_blp.route("")
class ReviewQueue(MethodView):
    @reviews_blp.arguments(QueueQuery, location="query")
    @reviews_blp.response(200, QueueRowSchema(many=True))
    @roles_required(*REVIEWERS, "integration")
    def get(self, query):
        """A reviewer role's queue for a period: the records it checks (a share of each agent's, by
        policy, the same every time), each with its verdict once given."""
        me = principal()
        role = query.get("role") or me.role
        if role != me.role and me.role not in ("admin", "integration"):
            abort(403, message=f"You review as {me.role}; only an admin reads another role's queue.")
        if role not in REVIEWERS:
            abort(422, message="Say which reviewer role's queue to read.", errors={"role": ["required"]})
        with service().connection():
            rows = handlers.review_queue(settings=settings(), organization=organization_of_request(), role=role,
                                         period=query["period"])
        return [_row(r) for r in rows]


@reviews_blp.route("/<callback_id>", parameters=[CALLBACK_ID])
class Verdict(MethodView):
    @reviews_blp.arguments(VerdictBody, examples={
        "pass": {"summary": "抽查合格", "value": {"verdict": "pass"}},
        "needs improvement": {"summary": "有待改进, with the reason", "value": {
            "verdict": "needs_improvement", "comment": "未核实客户联系方式。"}}})
    @reviews_blp.response(200, ReviewSchema)
    @roles_required(*REVIEWERS)
    def post(self, body, callback_id):
        """Give a callback record the reviewer's verdict (as their role), with a comment; again replaces it."""
        me = principal()
        return service().run(handlers.record_review, organization=organization_of_request(), callback_id=callback_id,
                             role=me.role, reviewer=me.login, verdict=body["verdict"], comment=body["comment"])
