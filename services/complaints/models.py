"""Tables of the complaints service: complaints (客户投诉处理追踪表), their history, mail to send.
The wake-ups (delayed messages) for their deadlines go through the service's outbox
(`uow.send`, table `outbox_message`).

Datetimes are stored as naive UTC (`UTCDateTimeField`) and come back aware in UTC; callers
turn them into the installation's time zone (`settings.tz`) before any service-time
arithmetic, because service hours are read on the local wall clock.
"""
from __future__ import annotations

import json

import peewee

from shared.core.db import Migrations, add_missing_columns, is_postgres
from shared.core.fields import UTCDateTimeField
from shared.mesh.outbox import add_messages, message_model

from .domain.complaint import Complaint as DomainComplaint
from services.complaints.domain.corrective import CorrectiveAction
from services.complaints.domain.promises import Promise

database = peewee.DatabaseProxy()


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
    #: Hotline tickets (seed 001): handed to an engineer by this moment; when; to whom.
    handover_due_at = UTCDateTimeField(null=True)
    handed_over_at = UTCDateTimeField(null=True)
    handed_over_to = peewee.CharField(max_length=200, null=True)
    handled_breaches = JSONListField(default=tuple)
    #: A repeat complaint (RULES 1.3): special callback and rework by `rework_due_at` (wall clock).
    rework_due_at = UTCDateTimeField(null=True)
    reworked_at = UTCDateTimeField(null=True)
    #: The special remark (特别备注) the customer's mark carries after the resolution (seed 000).
    special_remark = peewee.TextField(null=True)
    #: Names of the pending deadlines computed over a provisional day (RULES 1.6), re-planned once published.
    provisional_deadlines = JSONListField(default=tuple)
    #: Reminder keys already queued, so each deadline's reminder goes out once.
    reminders_sent = JSONListField(default=tuple)
    #: When the sweep must look at this complaint next (deadline, reminder or flag); NULL: never.
    next_sweep_at = UTCDateTimeField(null=True)
    #: Ownership: department, owner (處理人) and when accepted (接單時間), first taker (首问责任人).
    department = peewee.CharField(max_length=200, null=True)
    owner = peewee.CharField(max_length=64, null=True)
    accepted_at = UTCDateTimeField(null=True)
    first_taker = peewee.CharField(max_length=64, null=True)
    first_taken_at = UTCDateTimeField(null=True)
    #: Why it closed when not by a satisfied verification callback (domain.ownership.CLOSURE_REASONS).
    closure_reason = peewee.CharField(max_length=30, null=True)
    #: When its verification callback ran out of attempts: in the supervisor's queue until closed or retried.
    unreachable_at = UTCDateTimeField(null=True)
    #: A compensation offered (seed 004): proposed, approved or rejected; what; how much (CNY); decided by.
    compensation_state = peewee.CharField(max_length=10, null=True)
    compensation_offer = peewee.TextField(null=True)
    compensation_amount = peewee.CharField(max_length=20, null=True)
    compensation_decided_by = peewee.CharField(max_length=64, null=True)
    #: The product model complained about (recurring problems are counted by it).
    product_model = peewee.CharField(max_length=200, null=True)
    #: The branch (store, service station, region) it concerns, e.g. the callback's.
    branch = peewee.CharField(max_length=128, null=True)
    #: The service advisor (服务顾问) of the order it concerns (recurring problems may be counted by it).
    advisor_id = peewee.CharField(max_length=128, null=True)
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
            # the complaint board: each level's open and resolved complaints, and their counts
            (("organization", "state", "level"), False),
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
            handover_due_at=local(self.handover_due_at), handed_over_at=local(self.handed_over_at),
            handed_over_to=self.handed_over_to, churn_reason=self.churn_reason,
            handled_breaches=tuple(self.handled_breaches), rework_due_at=local(self.rework_due_at),
            reworked_at=local(self.reworked_at), special_remark=self.special_remark,
            provisional_deadlines=tuple(self.provisional_deadlines), department=self.department, owner=self.owner,
            accepted_at=local(self.accepted_at), first_taker=self.first_taker,
            first_taken_at=local(self.first_taken_at), closure_reason=self.closure_reason,
            unreachable_at=local(self.unreachable_at), compensation_state=self.compensation_state,
            compensation_offer=self.compensation_offer, compensation_amount=self.compensation_amount,
            compensation_decided_by=self.compensation_decided_by,
        )

    @classmethod
    def compare_and_set_many(cls, rows: list[dict]) -> set[int]:
        """Gives the ids of the complaints updated, each only if its `version` is still the one
        read (compare-and-set); `rows` are dicts of `id`, `expected_version` and the same
        columns to set. One statement per CAS_PAGE rows (UPDATE ... FROM (VALUES ...)
        RETURNING id, on SQLite >= 3.35 and PostgreSQL alike): a per-row count without a
        round trip per row.
        """
        if not rows:
            return set()
        database = cls._meta.database
        names = [name for name in rows[0] if name not in ("id", "expected_version")]
        fields_ = [cls._meta.fields[name] for name in names]
        postgres = is_postgres(database)
        param = database.param
        if postgres:
            types = database.obj._field_types
            casts = ["::" + types[f.field_type] for f in fields_]
            row_sql = "(" + ", ".join([f"{param}::integer", f"{param}::integer"]
                                      + [param + cast for cast in casts]) + ")"
        else:
            row_sql = "(" + ", ".join([param] * (len(fields_) + 2)) + ")"
        assignments = ", ".join(f'"{f.column_name}" = v.column{i + 3}' for i, f in enumerate(fields_))
        table = cls._meta.table_name
        updated: set[int] = set()
        for start in range(0, len(rows), CAS_PAGE):
            page = rows[start:start + CAS_PAGE]
            params: list = []
            for row in page:
                params.append(row["id"])
                params.append(row["expected_version"])
                params.extend(f.db_value(row[name]) for f, name in zip(fields_, names))
            sql = (f'UPDATE "{table}" SET {assignments} FROM (VALUES {", ".join([row_sql] * len(page))}) AS v '
                   f'WHERE "{table}"."id" = v.column1 AND "{table}"."version" = v.column2 RETURNING "{table}"."id"')
            updated.update(row[0] for row in database.execute_sql(sql, params).fetchall())
        return updated


#: Rows per statement of `Complaint.compare_and_set_many` (SQLite allows 32766 parameters).
CAS_PAGE = 500

#: Complaint columns a domain transition may change (copied back by `domain_changes`).
DOMAIN_COLUMNS = (
    "state", "level", "repeat", "first_reply_at", "answered_at", "investigate_due_at", "investigated_at",
    "resolved_at", "resolved_by", "resolved_level", "root_cause", "corrective_action", "verify_due_at",
    "flag_due_at", "customer_flagged_at", "closed_at", "handover_due_at", "handed_over_at", "handed_over_to",
    "churn_reason", "handled_breaches", "rework_due_at", "reworked_at", "special_remark",
    # computed from raised_at once; moved only by a re-planning on the published calendar (RULES 1.6)
    "first_reply_due_at", "answer_due_at",
    # ownership and closure
    "department", "owner", "accepted_at", "first_taker", "first_taken_at", "closure_reason", "unreachable_at",
    "compensation_state", "compensation_offer", "compensation_amount", "compensation_decided_by",
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
        """Gives the rows of a complaint's history entries (domain `HistoryEntry`), for a bulk insert."""
        return [{"complaint": complaint_pk, "at": e.at, "actor": e.actor, "action": e.action,
                 "from_level": e.from_level, "to_level": e.to_level, "reason": e.reason} for e in entries]


class Notification(BaseModel):
    """A mail to the holders of a role, written with the state change that calls for it and
    sent by the worker after commit (never inside the transaction). `key` makes it once.

    A worker leases a mail (`claimed_at`) before sending it and marks it `sent_at` only after
    the send succeeded; a lease that expires without that mark (the worker died between the
    claim and the send) is taken again: at least once, never lost."""

    organization = peewee.CharField(max_length=64)
    key = peewee.CharField(max_length=300, unique=True)
    complaint_id = peewee.CharField(max_length=128)
    kind = peewee.CharField(max_length=30)  # assigned, reminder, deadline_missed, step
    role = peewee.CharField(max_length=20)
    #: A mail to one person (the first taker, the assigned owner) instead of the holders of `role`.
    login = peewee.CharField(max_length=64, null=True)
    subject = peewee.CharField(max_length=300)
    body = peewee.TextField()
    created_at = UTCDateTimeField()
    sent_at = UTCDateTimeField(null=True, index=True)
    #: When a worker took the mail to send it (its lease); NULL: nobody holds it.
    claimed_at = UTCDateTimeField(null=True)
    recipients = peewee.TextField(null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(null=True)

    class Meta:
        table_name = "complaint_notification"


class ComplaintPromise(BaseModel):
    """A promise made to the customer of a complaint: what, to whom, by when; kept or broken."""

    organization = peewee.CharField(max_length=64)
    promise_id = peewee.CharField(max_length=128)
    complaint = peewee.ForeignKeyField(Complaint, backref="promises", on_delete="CASCADE")
    what = peewee.TextField()
    to_whom = peewee.CharField(max_length=200)
    due_at = UTCDateTimeField()
    made_by = peewee.CharField(max_length=64)
    made_at = UTCDateTimeField()
    reminded_at = UTCDateTimeField(null=True)
    kept_at = UTCDateTimeField(null=True)
    broken_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "complaint_promise"
        indexes = ((("organization", "promise_id"), True), (("kept_at", "due_at"), False))

    def to_domain(self, tz):
        """Gives the domain Promise, in `tz`."""
        def local(value):
            return value.astimezone(tz) if value is not None else None

        return Promise(id=self.promise_id, what=self.what, to_whom=self.to_whom, due_at=local(self.due_at),
                       made_by=self.made_by, made_at=local(self.made_at), kept_at=local(self.kept_at),
                       broken_at=local(self.broken_at), reminded_at=local(self.reminded_at))


class CorrectiveActionRow(BaseModel):
    """One corrective action of the register (纠正预防措施)."""

    organization = peewee.CharField(max_length=64)
    action_id = peewee.CharField(max_length=128)
    title = peewee.CharField(max_length=500)
    owner = peewee.CharField(max_length=64)
    due_on = peewee.DateField()
    status = peewee.CharField(max_length=12, default="open")
    origin = peewee.CharField(max_length=10, default="manual")
    complaint_ids = JSONListField(default=tuple)
    callback_ids = JSONListField(default=tuple)
    effectiveness = peewee.TextField(null=True)
    checked_at = UTCDateTimeField(null=True)
    checked_by = peewee.CharField(max_length=64, null=True)
    #: product model | category of a recurring problem; one action not yet checked per key.
    recurrence_key = peewee.CharField(max_length=250, null=True)
    created_by = peewee.CharField(max_length=64)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "corrective_action"
        indexes = ((("organization", "action_id"), True), (("organization", "recurrence_key"), False))

    def to_domain(self, tz):
        return CorrectiveAction(
            id=self.action_id, title=self.title, owner=self.owner, due_on=self.due_on, status=self.status,
            origin=self.origin, complaint_ids=tuple(self.complaint_ids), callback_ids=tuple(self.callback_ids),
            effectiveness=self.effectiveness, checked_at=self.checked_at.astimezone(tz) if self.checked_at else None,
            checked_by=self.checked_by, recurrence_key=self.recurrence_key)


class CorrectiveDecision(BaseModel):
    """A decision on a corrective action taken at a meeting (seed 000 part 1 「质量信息沟通会议…评审…提出
    改进措施」): the meeting's date, what was decided, who decided it, who recorded it and when."""

    organization = peewee.CharField(max_length=64)
    action_id = peewee.CharField(max_length=128)
    meeting_on = peewee.DateField()
    decision = peewee.TextField()
    decided_by = peewee.CharField(max_length=500)
    recorded_by = peewee.CharField(max_length=64)
    recorded_at = UTCDateTimeField()

    class Meta:
        table_name = "corrective_decision"
        indexes = ((("organization", "action_id", "meeting_on"), False),)


class Ticket(BaseModel):
    """A hotline ticket that is not a complaint (seed 001): a consultation (咨询服务单) or a service
    request (任务单), with its two deadlines (to the hotline engineer, to the repair coordinator)."""

    organization = peewee.CharField(max_length=64)
    ticket_id = peewee.CharField(max_length=128)
    kind = peewee.CharField(max_length=20)
    customer_id = peewee.CharField(max_length=128)
    customer_name = peewee.CharField(max_length=200)
    customer_segment = peewee.CharField(max_length=20, default="ordinary")
    customer_phone = peewee.CharField(max_length=40, null=True)
    product_model = peewee.CharField(max_length=200, null=True)
    purchased_on = peewee.DateField(null=True)
    fault = peewee.TextField()
    warranty = peewee.CharField(max_length=20)
    service_level = peewee.CharField(max_length=20)
    service_mode = peewee.CharField(max_length=20)
    recorded_by = peewee.CharField(max_length=64)
    recorded_at = UTCDateTimeField()
    handover_due_at = UTCDateTimeField()
    handed_over_at = UTCDateTimeField(null=True)
    handed_over_to = peewee.CharField(max_length=200, null=True)
    dispatch_due_at = UTCDateTimeField(null=True)
    dispatched_at = UTCDateTimeField(null=True)
    dispatched_to = peewee.CharField(max_length=200, null=True)
    #: The earlier ticket of the same customer and product within the policy's window (重复单据?).
    duplicate_of = peewee.CharField(max_length=128, null=True)
    #: The complaint it was turned into.
    complaint_id = peewee.CharField(max_length=128, null=True)
    #: Deadlines missed and acted upon (name@due), each once.
    breaches = JSONListField(default=tuple)
    next_sweep_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "ticket"
        indexes = ((("organization", "ticket_id"), True), (("organization", "customer_id", "recorded_at"), False),
                   (("next_sweep_at",), False))


def _migrate_2(migrator, database, migrate) -> None:
    """Adds the hotline handover deadline (seed 001) columns (2.0.0; its wake-up table, created by
    `ensure_schema` then, is dropped by migration 4)."""
    columns = {c.name for c in database.get_columns(Complaint._meta.table_name)}
    steps = [migrator.add_column(Complaint._meta.table_name, name, field) for name, field in (
        ("handover_due_at", UTCDateTimeField(null=True)), ("handed_over_at", UTCDateTimeField(null=True)),
        ("handed_over_to", peewee.CharField(max_length=200, null=True))) if name not in columns]
    if steps:
        migrate(*steps)


def _migrate_3(migrator, database, migrate) -> None:
    """Adds the mail lease (`claimed_at`, 2.1.0). A mail claimed by the version before (its
    `sent_at` set before the send) counts as sent: whether it went out is not known any more."""
    table = Notification._meta.table_name
    if "claimed_at" not in {c.name for c in database.get_columns(table)}:
        migrate(migrator.add_column(table, "claimed_at", UTCDateTimeField(null=True)))


#: The table of wake-ups 2.0.0 and 2.1.0 relayed themselves (now the outbox's `outbox_message`).
_OLD_WAKEUP_TABLE = "complaint_wakeup"
#: Queue and actor of a complaint's wake-up (actors.py `complaint_deadline`).
WAKEUP_QUEUE, WAKEUP_ACTOR = "complaints", "complaint_deadline"


def _migrate_4(migrator, database, migrate) -> None:
    """Moves the wake-ups not sent yet into the outbox (`outbox_message`, created by
    `ensure_schema`), then drops `complaint_wakeup` (2.2.0: wake-ups go through the outbox)."""
    if not database.table_exists(_OLD_WAKEUP_TABLE):
        return
    class OldWakeup(peewee.Model):
        organization = peewee.CharField(max_length=64)
        complaint_id = peewee.CharField(max_length=128)
        wake_at = UTCDateTimeField()
        sent_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = _OLD_WAKEUP_TABLE

    OldWakeup._meta.set_database(database)
    pending = OldWakeup.select().where(OldWakeup.sent_at.is_null()).order_by(OldWakeup.wake_at)
    add_messages(message_model(database), [
        {"queue_name": WAKEUP_QUEUE, "actor_name": WAKEUP_ACTOR, "args": (w.organization, w.complaint_id),
         "eta": w.wake_at} for w in pending])
    database.drop_tables([OldWakeup])


def _migrate_5(migrator, database, migrate) -> None:
    """Adds (2.3.0) the rework deadline of a repeat complaint, the special remark of the
    customer's mark, and the names of deadlines computed over provisional days."""
    add_missing_columns(migrator, database, migrate, {Complaint: {
        "rework_due_at": UTCDateTimeField(null=True), "reworked_at": UTCDateTimeField(null=True),
        "special_remark": peewee.TextField(null=True), "provisional_deadlines": JSONListField(default=tuple)}})


def _migrate_20(migrator, database, migrate) -> None:
    """Adds (2.4.0) a complaint's ownership (department, owner, accepted_at, first taker),
    its closure reason and unreachable verification, and mail to one person (`login`)."""
    add_missing_columns(migrator, database, migrate, {
        Complaint: {"department": peewee.CharField(max_length=200, null=True),
                    "owner": peewee.CharField(max_length=64, null=True), "accepted_at": UTCDateTimeField(null=True),
                    "first_taker": peewee.CharField(max_length=64, null=True),
                    "first_taken_at": UTCDateTimeField(null=True),
                    "closure_reason": peewee.CharField(max_length=30, null=True),
                    "unreachable_at": UTCDateTimeField(null=True)},
        Notification: {"login": peewee.CharField(max_length=64, null=True)}})


def _migrate_22(migrator, database, migrate) -> None:
    """2.6.0: promised follow-ups, table `complaint_promise` (created by ensure_schema)."""


def _migrate_23(migrator, database, migrate) -> None:
    """2.7.0: a complaint's product model; the register `corrective_action` (created by
    ensure_schema)."""
    add_missing_columns(migrator, database, migrate, {
        Complaint: {"product_model": peewee.CharField(max_length=200, null=True)}})


def _migrate_21(migrator, database, migrate) -> None:
    """Adds (2.5.0) a complaint's compensation and its approval."""
    add_missing_columns(migrator, database, migrate, {Complaint: {
        "compensation_state": peewee.CharField(max_length=10, null=True),
        "compensation_offer": peewee.TextField(null=True),
        "compensation_amount": peewee.CharField(max_length=20, null=True),
        "compensation_decided_by": peewee.CharField(max_length=64, null=True)}})


def _migrate_70(migrator, database, migrate) -> None:
    """2.8.0: a complaint's branch (from complaint.raised, e.g. the callback's branch)."""
    add_missing_columns(migrator, database, migrate, {
        Complaint: {"branch": peewee.CharField(max_length=128, null=True)}})


def _migrate_tickets(migrator, database, migrate) -> None:
    """2.11.0: hotline tickets that are not complaints (seed 001), table `ticket` (created by ensure_schema)."""


def _migrate_corrective_follow_through(migrator, database, migrate) -> None:
    """2.13.0: a complaint's service advisor (recurring problems counted by it); `corrective_decision`
    (the decisions on an action) is created by ensure_schema."""
    add_missing_columns(migrator, database, migrate, {
        Complaint: {"advisor_id": peewee.CharField(max_length=128, null=True)}})


#: This service's migration steps, by the manifest version that introduced each (the outbox's,
#: the directory's, the webhooks' and the audit log's are their features', composed by the
#: Service). `numbered`: what a database recorded each as before steps were keyed by version.
MIGRATIONS = Migrations("complaints", {
    "2.0.0": _migrate_2, "2.1.0": _migrate_3, "2.2.0": _migrate_4, "2.3.0": _migrate_5, "2.4.0": _migrate_20,
    "2.5.0": _migrate_21, "2.6.0": _migrate_22, "2.7.0": _migrate_23, "2.8.0": _migrate_70,
    "2.11.0": _migrate_tickets, "2.13.0": _migrate_corrective_follow_through,
}, numbered={2: "2.0.0", 3: "2.1.0", 4: "2.2.0", 5: "2.3.0", 20: "2.4.0", 21: "2.5.0", 22: "2.6.0", 23: "2.7.0",
             70: "2.8.0"})
MODELS: list = [Complaint, ComplaintHistory, Notification, ComplaintPromise, CorrectiveActionRow, Ticket,
                CorrectiveDecision]
