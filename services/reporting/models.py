"""Tables of the reporting service: a read model built only from events, and the reports.

Every row carries its `organization`; every index the service queries by starts with it.
The read model (customer, callback, delivery, service_served, complaint) can be thrown away
and rebuilt from `event_log` (`python -m services.reporting.cli rebuild`); `report` and
`scheduled_report` are this service's own state and survive a rebuild.

Datetimes are stored as naive UTC (`UTCDateTimeField`), so that SQL compares them the same on
SQLite and PostgreSQL, and come back aware in UTC; dates (`due_on`, `served_on`, `raised_on`) are calendar dates in the
organisation's time zone, which is what month membership (RULES 3) is decided on.
"""
from __future__ import annotations

from datetime import datetime, timezone

import peewee

from shared.core.db import Migrations, add_missing_columns, is_postgres
from shared.core.fields import ID, ORG, JSONField, UTCDateTimeField
from shared.mesh.outbox import add_messages, message_model

database = peewee.DatabaseProxy()

#: Callback task states (CONTRACT.md).
OPEN, DONE, UNREACHABLE, CANCELLED = "open", "done", "unreachable", "cancelled"
#: The customer declined callbacks: counted apart from the completion rate.
DECLINED = "declined"

#: Where a served day comes from (RULES 3: order completed, delivery shipped or commissioned).
SERVED_ORDER, SERVED_SHIPPED, SERVED_COMMISSIONED = "order", "shipped", "commissioned"

#: States of a report run asked for by POST /api/v1/reports (made by the worker).
RUN_PENDING, RUN_READY, RUN_FAILED = "pending", "ready", "failed"

#: Sending states of a report. `sending`: a worker claimed the send (`claimed_at`) and is
#: talking to the mail server; nobody else sends it until the claim's lease expires.
SEND_NONE, SEND_QUEUED, SEND_SENDING, SEND_SENT, SEND_FAILED = "not_sent", "queued", "sending", "sent", "failed"

#: The worker's jobs, sent through the outbox (`uow.send`, on the service's own queue): mail a
#: report (POST .../send or the schedule), make a report (POST /api/v1/reports). Declared in actors.py.
SEND_ACTOR = "reporting_send_report"
GENERATE_ACTOR = "reporting_generate_report"
#: The figures (and PDF) of a month with no stored report, or of one branch, for
#: a reader who asked (GET /api/v1/reports/<month>, .pdf, the month page): made by the worker, never
#: in the web request.
MAKE_FIGURES_ACTOR = "reporting_make_figures"


class BaseModel(peewee.Model):
    class Meta:
        database = database


class EventLog(BaseModel):
    """Every envelope this service received, raw, in arrival order: the source of rebuilds."""

    source = peewee.CharField(max_length=500)
    event_id = peewee.CharField(max_length=200)
    type = peewee.CharField(max_length=100)
    organization = peewee.CharField(**ORG)
    envelope = peewee.TextField()
    received_at = UTCDateTimeField()

    class Meta:
        table_name = "event_log"
        # per organisation, like the inbox: one organisation's ids never shadow another's
        indexes = ((("organization", "source", "event_id"), True),)


class Customer(BaseModel):
    """A customer (顾客) as the events describe them."""

    organization = peewee.CharField(**ORG)
    customer_id = peewee.CharField(**ID)
    name = peewee.CharField(max_length=200, null=True)
    phone = peewee.CharField(max_length=40, null=True)
    #: Customer class (客户类别): the segment of CONTRACT.md (vip, group, ..., ordinary).
    segment = peewee.CharField(max_length=32, null=True)
    #: Flagged after a complaint (特殊标记): a key customer from then on.
    flagged = peewee.BooleanField(default=False)

    class Meta:
        table_name = "customer"
        indexes = ((("organization", "customer_id"), True),)


class Callback(BaseModel):
    """One callback task (回访) and, once recorded, its outcome."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    kind = peewee.CharField(max_length=64, null=True)
    due_on = peewee.DateField(null=True)
    #: The day after which the callback is overdue, when the scheduler says so.
    overdue_on = peewee.DateField(null=True)
    status = peewee.CharField(max_length=16, default=OPEN)
    customer_id = peewee.CharField(**ID, null=True)
    delivery_id = peewee.CharField(**ID, null=True)
    order_id = peewee.CharField(**ID, null=True)
    key_customer = peewee.BooleanField(null=True)
    reached = peewee.BooleanField(null=True)
    product_satisfaction = peewee.CharField(max_length=32, null=True)
    service_satisfaction = peewee.CharField(max_length=32, null=True)
    suggestions = peewee.TextField(null=True)
    dissatisfied_reason = peewee.TextField(null=True)
    complaint_id = peewee.CharField(**ID, null=True)
    recorded_at = UTCDateTimeField(null=True)
    #: The day (the organisation's) the customer was first reached: a verification on time (RULES 3).
    reached_on = peewee.DateField(null=True)
    #: RULES 1.2: the call took longer than the policy's guide and raised no complaint (null: not said).
    over_time_limit = peewee.BooleanField(null=True)
    #: The outcome was recorded outside the call windows (null: not said).
    outside_call_window = peewee.BooleanField(null=True)
    #: Who made the last call (the agent's login), and the service advisor of the order.
    agent = peewee.CharField(max_length=128, null=True)
    advisor_id = peewee.CharField(**ID, null=True)
    #: The branch of the delivery or order.
    branch = peewee.CharField(**ID, null=True)
    #: The answers to the questionnaire's yes/no questions, {question id: true | false} (seed 000 6.3.1).
    yes_no_answers = JSONField(null=True)
    #: Why a lapsed customer has not come back (流失原因), from a "why not back" callback's answers
    #: (seed 000 part 5): listed with the complaints' churn reasons.
    churn_reason = peewee.TextField(null=True)

    class Meta:
        table_name = "callback"
        indexes = (
            (("organization", "callback_id"), True),
            (("organization", "due_on"), False),
            (("organization", "customer_id", "due_on"), False),
            (("organization", "delivery_id"), False),
            # an order's callbacks (RULES 3: ordinary customers' orders called back)
            (("organization", "order_id"), False),
        )


class Delivery(BaseModel):
    """A delivery, so that `equipment.commissioned` (no customer in it) finds its customer."""

    organization = peewee.CharField(**ORG)
    delivery_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID, null=True)
    shipped_on = peewee.DateField(null=True)
    commissioned_on = peewee.DateField(null=True)

    class Meta:
        table_name = "delivery"
        indexes = ((("organization", "delivery_id"), True),)


class ServedDay(BaseModel):
    """A day a customer was served (RULES 3): one row per order or delivery milestone."""

    organization = peewee.CharField(**ORG)
    source_kind = peewee.CharField(max_length=16)
    source_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID)
    served_on = peewee.DateField()
    #: An order's customer was key when the order was completed (RULES 1.2; null for deliveries).
    key_customer = peewee.BooleanField(null=True)
    #: The service advisor (服务顾问) of an order, for the figures per advisor.
    advisor_id = peewee.CharField(**ID, null=True)
    #: The branch of the order or delivery (the report per branch).
    branch = peewee.CharField(**ID, null=True)

    class Meta:
        table_name = "served_day"
        indexes = (
            (("organization", "source_kind", "source_id"), True),
            (("organization", "served_on", "customer_id"), False),
            (("organization", "customer_id", "served_on"), False),
        )


class Complaint(BaseModel):
    """A complaint (客户投诉处理追踪表), as far as the report needs it."""

    organization = peewee.CharField(**ORG)
    complaint_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID, null=True)
    category = peewee.CharField(max_length=32, null=True)
    #: The customer's segment when the complaint was raised (客户类别).
    customer_class = peewee.CharField(max_length=32, null=True)
    raised_at = UTCDateTimeField(null=True)
    raised_on = peewee.DateField(null=True)
    state = peewee.CharField(max_length=16, default="open")
    level = peewee.IntegerField(null=True)
    resolved_level = peewee.IntegerField(null=True)
    resolved_level_role = peewee.CharField(max_length=32, null=True)
    resolved_at = UTCDateTimeField(null=True)
    service_hours_to_resolve = peewee.FloatField(null=True)
    first_reply_due_at = UTCDateTimeField(null=True)
    first_reply_at = UTCDateTimeField(null=True)
    answer_due_at = UTCDateTimeField(null=True)
    answered_at = UTCDateTimeField(null=True)
    verify_due_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    reopened_count = peewee.IntegerField(default=0)
    churn_reason = peewee.TextField(null=True)
    #: When the verification callback first reached the customer (the last "1" of 2-1-1).
    verified_at = UTCDateTimeField(null=True)
    #: A repeat complaint (RULES 1.3) and its rework deadline.
    repeat = peewee.BooleanField(default=False)
    rework_due_at = UTCDateTimeField(null=True)
    reworked_at = UTCDateTimeField(null=True)
    #: Why it closed when not by a satisfied verification callback; when its verification
    #: callback last found nobody after every attempt.
    closure_reason = peewee.CharField(max_length=30, null=True)
    verification_unreachable_at = UTCDateTimeField(null=True)
    #: Promises made to the customer and not kept in time.
    promises_broken = peewee.IntegerField(default=0)
    #: The branch (store, service station, region) the complaint concerns.
    branch = peewee.CharField(**ID, null=True)
    #: Where it came from (COMPLAINT_SOURCES: callback, hotline ...) and a hotline ticket's hand-over
    #: to an engineer, due and done (seed 001 信息协调员15分钟内转交).
    source = peewee.CharField(max_length=32, null=True)
    handover_due_at = UTCDateTimeField(null=True)
    handed_over_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "complaint"
        indexes = ((("organization", "complaint_id"), True), (("organization", "raised_on"), False))


class Report(BaseModel):
    """The month's report of one organisation: its figures, its PDF and its delivery."""

    organization = peewee.CharField(**ORG)
    month = peewee.CharField(max_length=7)
    language = peewee.CharField(max_length=8)
    #: `ReportData.as_dict()` as it was when generated.
    figures = JSONField()
    generated_at = UTCDateTimeField()
    pdf = peewee.BlobField(null=True)
    send_status = peewee.CharField(max_length=16, default=SEND_NONE)
    #: The send asked for last; a retried delivery of an older request does nothing.
    send_request = peewee.CharField(max_length=64, null=True)
    send_requested_at = UTCDateTimeField(null=True)
    send_to = JSONField(null=True)
    send_attempts = peewee.IntegerField(default=0)
    send_error = peewee.TextField(null=True)
    sent_at = UTCDateTimeField(null=True)
    sent_request = peewee.CharField(max_length=64, null=True)
    #: When a worker claimed `send_request` (status `sending`): its lease starts here.
    claimed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "report"
        indexes = ((("organization", "month"), True),)


class MadeFigures(BaseModel):
    """A month's figures as the read model stood when the worker made them:
    of a month with no stored report, or of one branch (`branch`; "" is the whole organisation),
    in one language, with the PDF when a reader asked for it. The web serves them while fresh
    (HUIFANG_REPORT_FRESH_SECONDS) and asks the worker again after; nothing here is mailed or
    counted as the month's report. A newer request replaces `request`, so a late message does nothing."""

    organization = peewee.CharField(**ORG)
    month = peewee.CharField(max_length=7)
    branch = peewee.CharField(**ID, default="")
    language = peewee.CharField(max_length=8)
    request = peewee.CharField(max_length=64)
    status = peewee.CharField(max_length=16, default=RUN_PENDING)
    with_pdf = peewee.BooleanField(default=False)
    requested_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)
    error = peewee.TextField(null=True)
    #: `ReportData.as_dict()` of the last run that finished (kept while a newer one is pending).
    figures = JSONField(null=True)
    pdf = peewee.BlobField(null=True)
    made_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "made_figures"
        indexes = ((("organization", "month", "branch", "language"), True),)


class ScheduledReport(BaseModel):
    """One row per (organisation, month) the schedule fired for: the once-only claim."""

    organization = peewee.CharField(**ORG)
    month = peewee.CharField(max_length=7)
    claimed_at = UTCDateTimeField()

    class Meta:
        table_name = "scheduled_report"
        indexes = ((("organization", "month"), True),)


class ReportRun(BaseModel):
    """The latest request to make a month's report (POST /api/v1/reports): pending until the
    worker has made and stored it. A newer request replaces the older one's `request` id, so a
    late delivery of the older message does nothing."""

    organization = peewee.CharField(**ORG)
    month = peewee.CharField(max_length=7)
    language = peewee.CharField(max_length=8)
    request = peewee.CharField(max_length=64)
    status = peewee.CharField(max_length=16, default=RUN_PENDING)
    requested_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)
    error = peewee.TextField(null=True)
    #: POST .../send for a month with no report: mail the report, once made, to `send_to`
    #: under this send request id (the worker makes it, then queues the send).
    send_request = peewee.CharField(max_length=64, null=True)
    send_to = JSONField(null=True)

    class Meta:
        table_name = "report_run"
        indexes = ((("organization", "month"), True),)


class CallbackVerdict(BaseModel):
    """A reviewer's verdict on a callback record (`callback.reviewed`): pass or needs
    improvement, one per callback and reviewer role (the newest by `reviewed_at` wins, whatever
    order the events arrive in); the month's callback quality pass rate (回访质量合格率, RULES 1.4)
    counts each record once, by the callback's due month: the verdict of the most senior role
    that reviewed it (`seniority`: the role's place in the scheduler's review.yaml)."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    reviewer_role = peewee.CharField(max_length=32)
    verdict = peewee.CharField(max_length=24)
    due_on = peewee.DateField(null=True)
    agent = peewee.CharField(max_length=128, null=True)
    #: When the verdict was given; None for verdicts kept before 1.8.0.
    reviewed_at = UTCDateTimeField(null=True)
    #: The reviewer role's rank (review.yaml's order, most senior last); None: unknown, lowest.
    seniority = peewee.IntegerField(null=True)

    class Meta:
        table_name = "callback_verdict"
        indexes = ((("organization", "callback_id", "reviewer_role"), True),
                   (("organization", "due_on"), False))


class AgentSummary(BaseModel):
    """An agent's monthly summary of their callbacks, handed to the service manager (seed 000 part 1:
    回访员每月月初3日前将上月回访情况上报服务经理): when it was submitted, with the figures as they were
    and the agent's remark. Not part of the read model: a rebuild keeps it."""

    organization = peewee.CharField(**ORG)
    month = peewee.CharField(max_length=7)
    agent = peewee.CharField(max_length=128)
    submitted_at = UTCDateTimeField()
    figures = JSONField()
    remark = peewee.TextField(null=True)

    class Meta:
        table_name = "agent_summary"
        indexes = ((("organization", "month", "agent"), True),)


class CorrectiveAction(BaseModel):
    """A corrective action of the complaints service's register (纠正预防措施), as the report lists it."""

    organization = peewee.CharField(**ORG)
    action_id = peewee.CharField(**ID)
    title = peewee.CharField(max_length=500)
    owner = peewee.CharField(max_length=200)
    due_on = peewee.DateField()
    status = peewee.CharField(max_length=12)
    origin = peewee.CharField(max_length=10, default="manual")
    complaint_ids = peewee.TextField(default="[]")
    callback_ids = peewee.TextField(default="[]")
    effectiveness = peewee.TextField(null=True)
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "corrective_action"
        indexes = ((("organization", "action_id"), True),)


class LeadRecord(BaseModel):
    """A lead a callback raised (lead.raised) and how it ended (lead.updated): the month's report counts
    the leads raised and won."""

    organization = peewee.CharField(**ORG)
    lead_id = peewee.CharField(**ID)
    kind = peewee.CharField(max_length=32, null=True)
    status = peewee.CharField(max_length=16, default="open")
    #: The day it was raised and the day it was won (the installation's time zone).
    raised_on = peewee.DateField(null=True)
    won_on = peewee.DateField(null=True)
    updated_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "lead"
        indexes = ((("organization", "lead_id"), True), (("organization", "raised_on"), False),
                   (("organization", "won_on"), False))


def _leads(migrator, database, migrate) -> None:
    """1.16.0: the leads callbacks raised and how they ended, table `lead` (created by `ensure_schema`)."""


class QuestionLabel(BaseModel):
    """The labels of a yes/no question of the questionnaires, as the latest callback.completed gave
    them: the report names the questions whose answers it counts (seed 000 6.3.1)."""

    organization = peewee.CharField(**ORG)
    question_id = peewee.CharField(max_length=64)
    label_zh = peewee.CharField(max_length=500)
    label_en = peewee.CharField(max_length=500)

    class Meta:
        table_name = "question_label"
        indexes = ((("organization", "question_id"), True),)


def _answers_and_sources(migrator, database, migrate) -> None:
    """1.23.0: a callback's yes/no answers, a complaint's source and hand-over (table `question_label`
    is created by `ensure_schema`); rows stored before have none until `make rebuild-reporting`."""
    add_missing_columns(migrator, database, migrate, {
        Callback: {"yes_no_answers": JSONField(null=True)},
        Complaint: {"source": peewee.CharField(max_length=32, null=True),
                    "handover_due_at": UTCDateTimeField(null=True), "handed_over_at": UTCDateTimeField(null=True)}})


class DeskTicket(BaseModel):
    """A hotline ticket that is not a complaint (seed 001: 咨询服务单, 任务单), as the ticket events gave it:
    the month's desk figures count them apart, never among the complaints (CONTRACT "Tickets")."""

    organization = peewee.CharField(**ORG)
    ticket_id = peewee.CharField(**ID)
    kind = peewee.CharField(max_length=20)
    #: The day it was recorded (the installation's time zone): the month it counts in.
    recorded_on = peewee.DateField(null=True)
    handover_due_at = UTCDateTimeField(null=True)
    handed_over_at = UTCDateTimeField(null=True)
    dispatch_due_at = UTCDateTimeField(null=True)
    dispatched_at = UTCDateTimeField(null=True)
    duplicate_of = peewee.CharField(**ID, null=True)
    complaint_id = peewee.CharField(**ID, null=True)

    class Meta:
        table_name = "desk_ticket"
        indexes = ((("organization", "ticket_id"), True), (("organization", "recorded_on"), False))


def _desk_tickets(migrator, database, migrate) -> None:
    """1.14.0: the hotline tickets that are not complaints (seed 001), table `desk_ticket`."""
    database.create_tables([DeskTicket], safe=True)


#: The tables a rebuild empties and refills from the event log.
READ_MODEL = [Customer, Callback, Delivery, ServedDay, Complaint, CallbackVerdict, CorrectiveAction, LeadRecord,
              QuestionLabel, DeskTicket]
MODELS: list = [EventLog, *READ_MODEL, Report, ScheduledReport, ReportRun, AgentSummary, MadeFigures]


def _add_report_run(migrator, database, run_migrations) -> None:
    # 1.1.0: POST /api/v1/reports answers 202 at once; the worker makes the report.
    database.create_tables([ReportRun], safe=True)


def _add_send_claim(migrator, database, migrate) -> None:
    # 1.2.0: the send claim (`report.claimed_at`), a send asked for before the report exists
    # (`report_run.send_request`, `send_to`); 1.2.0's `report_job` table, created by
    # ensure_schema then, is dropped by migration 4.
    add_missing_columns(migrator, database, migrate, {
        Report: {"claimed_at": peewee.DateTimeField(null=True)},
        ReportRun: {"send_request": peewee.CharField(max_length=64, null=True), "send_to": JSONField(null=True)}})


#: The job table 1.2.0 relayed itself (now the outbox's `outbox_message`), and its kinds' actors.
_OLD_JOB_TABLE = "report_job"
_OLD_JOB_ACTORS = {"send": SEND_ACTOR, "generate": GENERATE_ACTOR}


def _jobs_through_outbox(migrator, database, migrate) -> None:
    # 1.3.0: the worker's jobs go through the outbox (`outbox_message`, created by ensure_schema):
    # the jobs not sent yet move there, then `report_job` is dropped.
    if not database.table_exists(_OLD_JOB_TABLE):
        return
    class OldJob(peewee.Model):
        organization = peewee.CharField(**ORG)
        month = peewee.CharField(max_length=7)
        kind = peewee.CharField(max_length=16)
        request = peewee.CharField(max_length=64)
        sent_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = _OLD_JOB_TABLE

    OldJob._meta.set_database(database)
    pending = OldJob.select().where(OldJob.sent_at.is_null()).order_by(OldJob.id)
    add_messages(message_model(database), [
        {"queue_name": "reporting", "actor_name": _OLD_JOB_ACTORS[job.kind],
         "args": (job.organization, job.month, job.request)} for job in pending if job.kind in _OLD_JOB_ACTORS])
    database.drop_tables([OldJob])


def _rules_fidelity_columns(migrator, database, migrate) -> None:
    # 1.4.0: a callback's call-length and call-window flags, an order's key class as it was, a
    # complaint's verification time, repeat and rework deadline. Callbacks kept from before keep
    # the class they were stored with; `make rebuild-reporting` freezes each as it was planned.
    add_missing_columns(migrator, database, migrate, {
        Callback: {"over_time_limit": peewee.BooleanField(null=True),
                   "outside_call_window": peewee.BooleanField(null=True)},
        ServedDay: {"key_customer": peewee.BooleanField(null=True)},
        Complaint: {"verified_at": peewee.DateTimeField(null=True), "repeat": peewee.BooleanField(default=False),
                    "rework_due_at": peewee.DateTimeField(null=True), "reworked_at": peewee.DateTimeField(null=True)}})


def _event_log_per_organization(migrator, database, migrate) -> None:
    """1.5.0: the event log is unique per organisation, source and id (created by ensure_schema);
    the index on (source, id) alone let one organisation's event hide another's from a rebuild."""
    database.execute_sql('DROP INDEX IF EXISTS "eventlog_source_event_id"')
    database.execute_sql('DROP INDEX IF EXISTS "eventlog_organization"')


def _desk_columns(migrator, database, migrate) -> None:
    """1.6.0: a callback's agent and the advisor of its order (`agent_summary` is
    created by ensure_schema); callbacks stored before have neither until `make rebuild-reporting`."""
    add_missing_columns(migrator, database, migrate, {
        Callback: {"agent": peewee.CharField(max_length=128, null=True),
                   "advisor_id": peewee.CharField(**ID, null=True), "branch": peewee.CharField(**ID, null=True)},
        ServedDay: {"advisor_id": peewee.CharField(**ID, null=True)}})


def _closure_columns(migrator, database, migrate) -> None:
    """1.7.0: a complaint's closure reason, its unreachable verification and broken promises (the
    corrective actions' table is created by ensure_schema)."""
    add_missing_columns(migrator, database, migrate, {
        Complaint: {"closure_reason": peewee.CharField(max_length=30, null=True),
                    "verification_unreachable_at": peewee.DateTimeField(null=True),
                    "promises_broken": peewee.IntegerField(default=0)}})


def _branches(migrator, database, migrate) -> None:
    """1.7.0: the branch of a served day (the monthly report per branch) and of a
    person of the directory; days stored before have none until `make rebuild-reporting`."""
    add_missing_columns(migrator, database, migrate, {ServedDay: {"branch": peewee.CharField(**ID, null=True)}})


def _closure_columns_and_branches(migrator, database, migrate) -> None:
    """1.7.0: both of its steps (the directory's branch is the users feature's step 1.2.0)."""
    _closure_columns(migrator, database, migrate)
    _branches(migrator, database, migrate)


def _complaint_branch(migrator, database, migrate) -> None:
    """1.8.0: a complaint's branch, from complaint.raised; complaints stored before have
    none until `make rebuild-reporting`."""
    add_missing_columns(migrator, database, migrate, {Complaint: {"branch": peewee.CharField(**ID, null=True)}})


def _verdict_order_columns(migrator, database, migrate) -> None:
    """1.11.0: when a verdict was given and its role's rank, so the
    newest verdict of a role is kept and a record counts once, by its most senior reviewer.
    Verdicts kept before have neither until `make rebuild-reporting` replays their events."""
    add_missing_columns(migrator, database, migrate, {
        CallbackVerdict: {"reviewed_at": peewee.DateTimeField(null=True),
                          "seniority": peewee.IntegerField(null=True)}})


def _made_figures(migrator, database, migrate) -> None:
    """1.12.0: the figures and PDFs the worker makes for readers (`made_figures`)."""
    database.create_tables([MadeFigures], safe=True)


def _aware_moments(migrator, database, migrate) -> None:
    """1.13.0: every datetime column is a `UTCDateTimeField` (read back aware), whose stored form
    is naive UTC, as every column but one already held: an agent's summary's `submitted_at` was
    written from an aware moment. SQLite kept it as text with its offset: it becomes naive UTC.
    PostgreSQL turned it into the session's time zone (TimeZone, the server's unless set) when
    storing it in the column (timestamp without time zone, the column type of `UTCDateTimeField`
    too): it is read back in that zone and turned into UTC."""
    if is_postgres(database):
        database.execute_sql("""UPDATE "agent_summary" SET "submitted_at" = ("submitted_at" AT TIME ZONE """
                             """current_setting('TimeZone')) AT TIME ZONE 'UTC'""")
        return
    for row_id, stored in database.execute_sql('SELECT "id", "submitted_at" FROM "agent_summary"').fetchall():
        moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            database.execute_sql('UPDATE "agent_summary" SET "submitted_at" = ? WHERE "id" = ?',
                                 (moment.astimezone(timezone.utc).replace(tzinfo=None), row_id))


def _reached_on(migrator, database, migrate) -> None:
    """1.15.0: the day a callback first reached its customer (`callback.reached_on`): whether a
    complaint's verification reached the customer on time (RULES 3's follow-up figures)."""
    add_missing_columns(migrator, database, migrate, {Callback: {"reached_on": peewee.DateField(null=True)}})


def _lapsed_churn_reason(migrator, database, migrate) -> None:
    """1.24.0: the churn reason a lapsed customer's "why not back" callback brought back
    (`callback.churn_reason`, seed 000 part 5); rows stored before have none until `make rebuild-reporting`."""
    add_missing_columns(migrator, database, migrate, {Callback: {"churn_reason": peewee.TextField(null=True)}})


#: This service's migration steps, by the manifest version that introduced each (the outbox's,
#: the directory's, the webhooks' and the audit log's are their features', composed by the
#: Service). `numbered`: what a database recorded each as before steps were keyed by version.
MIGRATIONS = Migrations("reporting", {
    "1.1.0": _add_report_run, "1.2.0": _add_send_claim, "1.3.0": _jobs_through_outbox,
    "1.4.0": _rules_fidelity_columns, "1.5.0": _event_log_per_organization, "1.6.0": _desk_columns,
    "1.7.0": _closure_columns_and_branches, "1.8.0": _complaint_branch, "1.11.0": _verdict_order_columns,
    "1.12.0": _made_figures, "1.13.0": _aware_moments, "1.14.0": _desk_tickets, "1.15.0": _reached_on,
    "1.16.0": _leads,
    "1.23.0": _answers_and_sources,
    "1.24.0": _lapsed_churn_reason,
}, numbered={2: "1.1.0", 3: "1.2.0", 4: "1.3.0", 5: "1.4.0", 6: "1.5.0", 10: "1.6.0", 20: "1.7.0", 60: "1.7.0",
             70: "1.8.0", 80: "1.11.0", 90: "1.12.0"})
