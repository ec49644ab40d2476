"""`GET /api/v1/audit` on every service: an organisation's audit entries (shared/audit/store.py)."""
from __future__ import annotations

import json

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.audit.store import ACTIONS, READERS
from shared.core.schemas import PageArgs, Timestamp
from shared.web.api import organization_of_request, roles_required, total_count
from shared.web.branches import branch_logins, my_branch


class AuditQuerySchema(PageArgs):
    action = fields.String(validate=validate.OneOf(ACTIONS))
    login = fields.String(validate=validate.Length(min=1, max=128))


class AuditEntrySchema(Schema):
    at = Timestamp()
    login = fields.String()
    role = fields.String()
    action = fields.String(metadata={"enum": list(ACTIONS)})
    subject = fields.String()
    detail = fields.Method("_detail")

    def _detail(self, row):
        return json.loads(row.detail) if row.detail else None


def audit_blueprint(service) -> Blueprint:
    """Gives `GET /api/v1/audit`: the organisation's audit entries of this service, newest first."""
    blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                    description="The audit log (审计日志): who recorded outcomes, imported, posted events, sent "
                                "reports, revealed or exported phone numbers.")

    @blp.route("")
    class AuditLog(MethodView):
        @blp.arguments(AuditQuerySchema, location="query")
        @blp.response(200, AuditEntrySchema(many=True))
        @roles_required(*READERS)
        def get(self, args):
            """The organisation's audit entries recorded by this service, newest first (filter by action, login).
            A branch manager reads those of the people of their branch (the user directory's `branch`)."""
            Entry = service.audit
            organization = organization_of_request()
            query = Entry.select().where(Entry.organization == organization)
            branch = my_branch()
            if branch is not None:
                query = query.where(Entry.login.in_(branch_logins(organization, branch)))
            if args.get("action"):
                query = query.where(Entry.action == args["action"])
            if args.get("login"):
                query = query.where(Entry.login == args["login"])
            total_count(query.count())
            return list(query.order_by(Entry.at.desc(), Entry.id.desc()).limit(args["limit"]).offset(args["offset"]))

    return blp
