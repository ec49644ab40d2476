"""Tables of the complaints service: complaints (客户投诉处理追踪表), their history, mail to send.

Datetimes are stored as naive UTC (`UTCDateTimeField`) and come back aware in UTC; callers
turn them into the installation's time zone (`settings.tz`) before any service-time
arithmetic, because service hours are read on the local wall clock.
"""
from __future__ import annotations

import json

import peewee

from shared.fields import UTCDateTimeField

from .domain.complaint import Complaint as DomainComplaint
from .domain.complaint import HistoryEntry

database = peewee.DatabaseProxy()

#: Customer segments (CONTRACT `customer.segment`) recorded as a group customer (团体客户);
#: the others are private customers (私人客户) on the complaint record.
GROUP_SEGMENTS = frozenset({"group", "government", "fleet", "police"})


class JSONListField(peewee.TextField):
    """A list of strings kept as JSON text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value):
        return json.dumps(list(value or ()), ensure_ascii=False)

    def python_value(self, value):
        return tuple(json.loads(value)) if value else ()


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Complaint(BaseModel):
    """One complaint of one organisation; `complaint_id` is its public id."""

    organization = peewee.CharField(max_length=64)
    complaint_id = peewee.CharField(max_length=128)
    customer_id = peewee.CharField(max_length=128)
    customer_name = peewee.CharField(max_length=200)
    customer_segment = peewee.CharField(max_length=20, default="ordinary")
    customer_class = peewee.CharField(max_length=10, default="private")  # group or private
    customer_phone = peewee.CharField(max_length=40, null=True)
    contact_person = peewee.CharField(max_length=200, null=True)
    site_contact = peewee.CharField(max_length=200, null=True)
    site_phone = peewee.CharField(max_length=40, null=True)
    description = peewee.TextField()
    category = peewee.CharField(max_length=30, default="other")
    source = peewee.CharField(max_length=20)
    order_id = peewee.CharField(max_length=128, null=True)
    delivery_id = peewee.CharField(max_length=128, null=True)
    callback_id = peewee.CharField(max_length=128, null=True)
    state = peewee.CharField(max_length=10)
    level = peewee.IntegerField()
    chain_name = peewee.CharField(max_length=64)
    policy_name = peewee.CharField(max_length=64)
    repeat = peewee.BooleanField(default=False)
    raised_at = UTCDateTimeField()
    first_reply_due_at = UTCDateTimeField()
    answer_due_at = UTCDateTimeField()
    first_reply_at = UTCDateTimeField(null=True)
    answered_at = UTCDateTimeField(null=True)
    investigate_due_at = UTCDateTimeField(null=True)
    investigated_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True)
    resolved_by = peewee.CharField(max_length=128, null=True)
    resolved_level = peewee.IntegerField(null=True)
    root_cause = peewee.TextField(null=True)
    corrective_action = peewee.TextField(null=True)
    verify_due_at = UTCDateTimeField(null=True)
    flag_due_at = UTCDateTimeField(null=True)
    customer_flagged_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    churn_reason = peewee.TextField(null=True)
    handled_breaches = JSONListField(default=tuple)
    #: Reminder keys already queued, so each deadline's reminder goes out once.
    reminders_sent = JSONListField(default=tuple)
    #: When the sweep must look at this complaint next (deadline, reminder or flag); NULL: never.
    next_sweep_at = UTCDateTimeField(null=True)
    #: Bumped by every write: a write that finds another version lost a race (compare-and-set).
    version = peewee.IntegerField(default=1)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "complaint"
        indexes = (
            (("organization", "complaint_id"), True),
            (("next_sweep_at",), False),
            (("organization", "state", "next_sweep_at"), False),
            (("organization", "customer_id"), False),
            (("organization", "order_id", "raised_at"), False),
        )

    def to_domain(self, tz) -> DomainComplaint:
        """Gives the domain Complaint (without history: no transition reads it), in `tz`."""

        def local(value):
            return value.astimezone(tz) if value is not None else None

        return DomainComplaint(
            id=self.complaint_id, customer_id=self.customer_id, source=self.source, state=self.state,
            level=self.level, raised_at=local(self.raised_at), first_reply_due_at=local(self.first_reply_due_at),
            answer_due_at=local(self.answer_due_at), order_id=self.order_id, repeat=self.repeat,
            first_reply_at=local(self.first_reply_at), answered_at=local(self.answered_at),
            investigate_due_at=local(self.investigate_due_at), investigated_at=local(self.investigated_at),
            resolved_at=local(self.resolved_at), resolved_by=self.resolved_by, resolved_level=self.resolved_level,
            root_cause=self.root_cause, corrective_action=self.corrective_action,
            verify_due_at=local(self.verify_due_at), flag_due_at=local(self.flag_due_at),
            customer_flagged_at=local(self.customer_flagged_at), closed_at=local(self.closed_at),
            handled_breaches=tuple(self.handled_breaches),
        )


#: Complaint columns a domain transition may change (copied back by `domain_changes`).
DOMAIN_COLUMNS = (
    "state", "level", "repeat", "first_reply_at", "answered_at", "investigate_due_at", "investigated_at",
    "resolved_at", "resolved_by", "resolved_level", "root_cause", "corrective_action", "verify_due_at",
    "flag_due_at", "customer_flagged_at", "closed_at", "handled_breaches",
)


def domain_changes(complaint: DomainComplaint) -> dict:
    """Gives the column values of a domain Complaint, for an UPDATE or INSERT."""
    return {name: getattr(complaint, name) for name in DOMAIN_COLUMNS}


class ComplaintHistory(BaseModel):
    """One recorded step of a complaint: who, when, from which level to which, and why."""

    complaint = peewee.ForeignKeyField(Complaint, backref="history", on_delete="CASCADE")
    at = UTCDateTimeField()
    actor = peewee.CharField(max_length=128)
    action = peewee.CharField(max_length=30)
    from_level = peewee.IntegerField(null=True)
    to_level = peewee.IntegerField(null=True)
    reason = peewee.TextField(default="")

    class Meta:
        table_name = "complaint_history"
        indexes = ((("complaint", "id"), False),)

    @classmethod
    def rows_for(cls, complaint_pk: int, entries) -> list[dict]:
        return [{"complaint": complaint_pk, "at": e.at, "actor": e.actor, "action": e.action,
                 "from_level": e.from_level, "to_level": e.to_level, "reason": e.reason} for e in entries]

    def to_entry(self, tz) -> HistoryEntry:
        return HistoryEntry(at=self.at.astimezone(tz), actor=self.actor, action=self.action,
                            from_level=self.from_level, to_level=self.to_level, reason=self.reason)


class Notification(BaseModel):
    """A mail to the holders of a role, written with the state change that calls for it and
    sent by the worker after commit (never inside the transaction). `key` makes it once."""

    organization = peewee.CharField(max_length=64)
    key = peewee.CharField(max_length=300, unique=True)
    complaint_id = peewee.CharField(max_length=128)
    kind = peewee.CharField(max_length=30)  # assigned, reminder, deadline_missed
    role = peewee.CharField(max_length=20)
    subject = peewee.CharField(max_length=300)
    body = peewee.TextField()
    created_at = UTCDateTimeField()
    sent_at = UTCDateTimeField(null=True, index=True)
    recipients = peewee.TextField(null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(null=True)

    class Meta:
        table_name = "complaint_notification"


MODELS: list = [Complaint, ComplaintHistory, Notification]
MIGRATIONS: dict = {}
