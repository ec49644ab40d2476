"""Tables of the scheduler: customers, the ledger (台帐), service orders, callback tasks, samples.

Every row carries its `organization`; every index the service queries by starts with it.
"""
from __future__ import annotations

import peewee

from shared.core.db import Migrations, add_missing_columns
from shared.core.fields import ID, ORG, JSONField, UTCDateTimeField

database = peewee.DatabaseProxy()

#: Callback task states (CONTRACT.md).
OPEN, DONE, UNREACHABLE, CANCELLED = "open", "done", "unreachable", "cancelled"
#: The customer does not accept callbacks (谢绝回访, an opt-out), and the number
#: called was wrong: the task waits for corrected contact data.
DECLINED, WRONG_NUMBER = "declined", "wrong_number"
STATUSES = (OPEN, DONE, UNREACHABLE, CANCELLED, DECLINED, WRONG_NUMBER)
#: What one call came to (a `call_attempt` row, and the task's `last_result`).
REACHED, NOT_REACHED, RESCHEDULED = "reached", "not_reached", "rescheduled"
CALL_RESULTS = (REACHED, NOT_REACHED, RESCHEDULED, DECLINED, WRONG_NUMBER)


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Customer(BaseModel):
    """A customer (顾客) as the ERP and the complaints service describe it."""

    organization = peewee.CharField(**ORG)
    customer_id = peewee.CharField(**ID)
    name = peewee.CharField(max_length=200)
    segment = peewee.CharField(max_length=32, default="ordinary")
    phone = peewee.CharField(max_length=40, null=True)
    contact_person = peewee.CharField(max_length=200, null=True)
    site_contact = peewee.CharField(max_length=200, null=True)
    site_phone = peewee.CharField(max_length=40, null=True)
    #: Flagged after a complaint (特殊标记): a key customer from then on, until a manager lifts it.
    flagged_key = peewee.BooleanField(default=False)
    flagged_at = UTCDateTimeField(null=True)
    #: The special remark of the flag (特别备注, seed 000), who set it, and the complaint it came from.
    flag_remark = peewee.TextField(null=True)
    flagged_by = peewee.CharField(max_length=128, null=True)
    flag_complaint_id = peewee.CharField(**ID, null=True)
    #: Sum of the contract amounts of the customer's deliveries (CNY), for the on-site rule.
    total_contract_amount = peewee.DecimalField(max_digits=16, decimal_places=2, default=0)
    #: The customer declined callbacks (谢绝回访): the planner plans none from then on.
    opted_out_at = UTCDateTimeField(null=True)
    opted_out_by = peewee.CharField(max_length=128, null=True)

    class Meta:
        table_name = "customer"
        indexes = ((("organization", "customer_id"), True),)


class Delivery(BaseModel):
    """One line of the ledger (顾客回访台帐): a contract line / project shipped to a customer.

    A row may exist before its shipment is known (an `equipment.*` event that overtook
    `delivery.shipped`): `shipped_on` is then null and nothing is planned yet.
    """

    organization = peewee.CharField(**ORG)
    delivery_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID, null=True)
    business_line = peewee.CharField(max_length=32, default="equipment")
    project = peewee.CharField(max_length=300, null=True)
    product_model = peewee.CharField(max_length=200, null=True)
    quantity = peewee.IntegerField(null=True)
    contract_amount = peewee.DecimalField(max_digits=16, decimal_places=2, null=True)
    shipped_on = peewee.DateField(null=True)
    installed_on = peewee.DateField(null=True)
    commissioned_on = peewee.DateField(null=True)
    #: The warranty end date itself (质保期满), as the ledger shows it; due dates move, this does not.
    warranty_end_on = peewee.DateField(null=True)
    contact_person = peewee.CharField(max_length=200, null=True)
    phone = peewee.CharField(max_length=40, null=True)
    site_contact = peewee.CharField(max_length=200, null=True)
    site_phone = peewee.CharField(max_length=40, null=True)
    cancelled = peewee.BooleanField(default=False)
    #: The branch (store, service station, property office, region) of the delivery.
    branch = peewee.CharField(**ID, null=True)
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "delivery"
        indexes = (
            (("organization", "delivery_id"), True),
            # a customer's deliveries not cancelled (the contract total): with `cancelled` in it,
            # SQLite never prefers the ledger's index below for that sum
            (("organization", "customer_id", "cancelled"), False),
            (("organization", "shipped_on"), False),
            # the ledger's count (shipped, not cancelled) from the index alone
            (("organization", "cancelled", "shipped_on"), False),
        )


class ServiceOrder(BaseModel):
    """A completed service order (维修/保养工单) that made its customer a callback candidate."""

    organization = peewee.CharField(**ORG)
    order_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID)
    business_line = peewee.CharField(max_length=32)
    kind = peewee.CharField(max_length=32)
    completed_at = UTCDateTimeField()
    completed_on = peewee.DateField()
    advisor_id = peewee.CharField(**ID, null=True)
    key_customer = peewee.BooleanField(default=False)
    #: "YYYY-MM" of the monthly batch the order waits in (RULES 1.3), else null.
    batch_period = peewee.CharField(max_length=7, null=True)
    #: The branch of the order.
    branch = peewee.CharField(**ID, null=True)

    class Meta:
        table_name = "service_order"
        indexes = (
            (("organization", "order_id"), True),
            (("organization", "customer_id"), False),
        )


class SamplingDecision(BaseModel):
    """Whether an order is called back, decided once per (policy, period, order) (RULES 1.5).

    `pool` is what the order is sampled with: a business line's ordinary orders, an order
    kind with its own rate, or a monthly batch. Key customers' orders are recorded too
    (`key_customer`) but never count towards the ordinary share.
    """

    organization = peewee.CharField(**ORG)
    policy_key = peewee.CharField(max_length=100)
    pool = peewee.CharField(max_length=100)
    period = peewee.CharField(max_length=7)
    order_id = peewee.CharField(**ID)
    score = peewee.DoubleField()
    key_customer = peewee.BooleanField(default=False)
    selected = peewee.BooleanField()
    #: Why: key, rate, floor (kept the share at the rate), top_up (batch), candidate (batch, not yet).
    reason = peewee.CharField(max_length=16)
    decided_at = UTCDateTimeField()

    class Meta:
        table_name = "sampling_decision"
        indexes = (
            (("organization", "policy_key", "period", "order_id"), True),
            (("organization", "pool", "period", "key_customer"), False),
        )


class Batch(BaseModel):
    """A monthly batch (RULES 1.3) that has been closed: later orders top it up."""

    organization = peewee.CharField(**ORG)
    policy_key = peewee.CharField(max_length=100)
    pool = peewee.CharField(max_length=100)
    period = peewee.CharField(max_length=7)
    due_on = peewee.DateField()
    closed_at = UTCDateTimeField()

    class Meta:
        table_name = "callback_batch"
        indexes = ((("organization", "policy_key", "pool", "period"), True),)


class CallbackTask(BaseModel):
    """One planned callback (回访任务) with its due date and, once made, its outcome."""

    id = peewee.CharField(max_length=36, primary_key=True)
    organization = peewee.CharField(**ORG)
    #: What the task is for, unique per organisation: "delivery:D-1:installation", ...
    plan_key = peewee.CharField(max_length=400)
    kind = peewee.CharField(max_length=40)
    business_line = peewee.CharField(max_length=32)
    nominal_on = peewee.DateField()
    due_on = peewee.DateField()
    overdue_on = peewee.DateField()
    provisional = peewee.BooleanField(default=False)
    #: Which calendar sources decided the days from nominal_on to due_on (shared.core.calendar.SOURCES).
    calendar_source = peewee.CharField(max_length=64, null=True)
    status = peewee.CharField(max_length=16, default=OPEN)
    channel = peewee.CharField(max_length=16)
    customer_id = peewee.CharField(**ID)
    key_customer = peewee.BooleanField(default=False)
    delivery_id = peewee.CharField(**ID, null=True)
    order_id = peewee.CharField(**ID, null=True)
    complaint_id = peewee.CharField(**ID, null=True)
    assigned_to = peewee.CharField(max_length=128, null=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_on = peewee.DateField(null=True)
    #: 回访记录编号: "YYYYMM-seq", given when the callback is made (seed 000 6.2.4).
    record_no = peewee.CharField(max_length=20, null=True)
    record_month = peewee.CharField(max_length=6, null=True)
    record_seq = peewee.IntegerField(null=True)
    reached = peewee.BooleanField(null=True)
    product_satisfaction = peewee.CharField(max_length=20, null=True)
    service_satisfaction = peewee.CharField(max_length=20, null=True)
    dissatisfied_reason = peewee.TextField(null=True)
    suggestions = peewee.TextField(null=True)
    duration_s = peewee.IntegerField(null=True)
    answers = JSONField(null=True)
    #: The complaint a dissatisfied answer raised (its id is derived from this task's id).
    raised_complaint_id = peewee.CharField(**ID, null=True)
    completed_at = UTCDateTimeField(null=True)
    #: Who recorded the last outcome (a login; null: before 1.1.0, or through the integration token).
    completed_by = peewee.CharField(max_length=128, null=True)
    #: RULES 1.2: the call took longer than the policy's guide and raised no complaint.
    over_time_limit = peewee.BooleanField(default=False)
    #: The last outcome was recorded outside the organisation's call windows (accepted, flagged).
    outside_call_window = peewee.BooleanField(default=False)
    #: What the last call came to (CALL_RESULTS), and the moment the customer asked to be called
    #: at (rescheduled: the next attempt, moved into the call windows).
    last_result = peewee.CharField(max_length=16, null=True)
    appointment_at = UTCDateTimeField(null=True)
    #: The branch of the delivery or order (assigning agents, figures per branch).
    branch = peewee.CharField(**ID, null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "callback_task"
        indexes = (
            (("organization", "plan_key"), True),
            (("organization", "customer_id"), False),
            (("organization", "delivery_id"), False),
            (("organization", "order_id"), False),
            (("organization", "complaint_id"), False),
            (("organization", "status", "due_on"), False),
            (("organization", "record_month", "record_seq"), True),
            # the workbench's "done today"
            (("organization", "completed_at"), False),
        )


def call_on():
    """Gives the SQL of the day a task is to be called: its retry day, else its due day.

    The workbench and GET /api/v1/agents/<login>/callbacks sort and filter by it; the
    indexes below are on this very expression, so it must be written this way only.
    """
    return peewee.fn.COALESCE(CallbackTask.next_attempt_on, CallbackTask.due_on)


# An open task list by call day (a team's, and one agent's), key customers first on a day. The
# columns after the id make them covering for the workbench's counts (SQLite and PostgreSQL read
# an expression's own columns, not the expression, to answer from the index alone).
_COVERING = (CallbackTask.next_attempt_on, CallbackTask.due_on, CallbackTask.overdue_on)
CallbackTask.add_index(CallbackTask.index(
    CallbackTask.organization, CallbackTask.status, call_on(), CallbackTask.key_customer.desc(), CallbackTask.id,
    *_COVERING, name="callback_task_org_status_call_on"))
CallbackTask.add_index(CallbackTask.index(
    CallbackTask.organization, CallbackTask.assigned_to, CallbackTask.status, call_on(),
    CallbackTask.key_customer.desc(), CallbackTask.id, *_COVERING, name="callback_task_org_agent_call_on"))


class PhoneReveal(BaseModel):
    """One look at a customer's full phone numbers on a callback's page (RULES 1.4: customer
    data is confidential; who saw which numbers, when, is kept)."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(max_length=36)
    customer_id = peewee.CharField(**ID)
    login = peewee.CharField(max_length=128)
    role = peewee.CharField(max_length=32)
    revealed_at = UTCDateTimeField()

    class Meta:
        table_name = "phone_reveal"
        indexes = (
            (("organization", "callback_id"), False),
            (("organization", "customer_id", "revealed_at"), False),
            (("organization", "login", "revealed_at"), False),
        )


#: Ledger import states: queued -> checking -> refused (bad rows) | checked (a dry run) |
#: importing -> done; failed when the worker gave up.
IMPORT_QUEUED, IMPORT_CHECKING, IMPORT_REFUSED, IMPORT_CHECKED = "queued", "checking", "refused", "checked"
IMPORT_IMPORTING, IMPORT_DONE, IMPORT_FAILED = "importing", "done", "failed"
IMPORT_FINISHED = (IMPORT_REFUSED, IMPORT_CHECKED, IMPORT_DONE, IMPORT_FAILED)
#: Queue and actor of a ledger import run in the background (actors.py `ledger_import`).
IMPORT_QUEUE, IMPORT_ACTOR = "scheduler", "ledger_import"


class LedgerImport(BaseModel):
    """A ledger file (台帐) uploaded on the ledger page: checked (a dry run) or imported by the
    worker, its progress and what it refused, by row and column."""

    id = peewee.CharField(max_length=36, primary_key=True)
    organization = peewee.CharField(**ORG)
    login = peewee.CharField(max_length=128)
    filename = peewee.CharField(max_length=255)
    #: The uploaded file until the import has finished with it.
    content = peewee.BlobField(null=True)
    dry_run = peewee.BooleanField()
    state = peewee.CharField(max_length=16, default=IMPORT_QUEUED)
    rows = peewee.IntegerField(null=True)
    processed = peewee.IntegerField(default=0)
    created = peewee.IntegerField(null=True)
    updated = peewee.IntegerField(null=True)
    #: What was refused: {"rows.<n>.<field>": [messages], "header.<field>": [...], "file": [...]}.
    errors = JSONField(null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "ledger_import"
        indexes = ((("organization", "created_at"), False),)


def _migrate_2(migrator, database, migrate) -> None:
    """Adds who recorded a callback's outcome (`completed_by`, 1.1.0: the workbench counts an
    agent's calls of the day); the new tables and indexes are created by `ensure_schema`."""
    table = CallbackTask._meta.table_name
    if "completed_by" not in {c.name for c in database.get_columns(table)}:
        migrate(migrator.add_column(table, "completed_by", peewee.CharField(max_length=128, null=True)))
    # (organization, assigned_to, status) is the head of callback_task_org_agent_call_on now
    database.execute_sql('DROP INDEX IF EXISTS "callbacktask_organization_assigned_to_status"')


#: What happened to a customer's special mark (特殊标记).
FLAG_SET, FLAG_LIFTED = "set", "lifted"


class CustomerFlag(BaseModel):
    """One step of a customer's special mark: set after a resolved complaint (with its remark, by
    whom, when) or lifted by a manager (with the reason): the mark's history."""

    organization = peewee.CharField(**ORG)
    customer_id = peewee.CharField(**ID)
    action = peewee.CharField(max_length=16)
    remark = peewee.TextField(null=True)
    actor = peewee.CharField(max_length=128, null=True)
    complaint_id = peewee.CharField(**ID, null=True)
    at = UTCDateTimeField()

    class Meta:
        table_name = "customer_flag"
        indexes = ((("organization", "customer_id", "at"), False),)


def _migrate_3(migrator, database, migrate) -> None:
    """Adds (1.2.0) the calendar source of a task's dates, the call-length and call-window flags of
    an outcome, and the special remark of a customer's mark; `customer_flag` is created by
    `ensure_schema`. A customer flagged before keeps its mark, without a remark."""
    add_missing_columns(migrator, database, migrate, {
        CallbackTask: {"calendar_source": peewee.CharField(max_length=64, null=True),
                       "over_time_limit": peewee.BooleanField(default=False),
                       "outside_call_window": peewee.BooleanField(default=False)},
        Customer: {"flag_remark": peewee.TextField(null=True), "flagged_by": peewee.CharField(max_length=128, null=True),
                   "flag_complaint_id": peewee.CharField(**ID, null=True)}})


class CallAttempt(BaseModel):
    """One call of a callback task: who made it (the agent's login from the
    token or session), when, on which channel, and what it came to."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    attempt_no = peewee.IntegerField()
    #: The login of who recorded the call (null: the integration token).
    agent = peewee.CharField(max_length=128, null=True)
    role = peewee.CharField(max_length=32, null=True)
    at = UTCDateTimeField()
    channel = peewee.CharField(max_length=16)
    result = peewee.CharField(max_length=16)
    appointment_at = UTCDateTimeField(null=True)
    duration_s = peewee.IntegerField(null=True)

    class Meta:
        table_name = "call_attempt"
        indexes = (
            (("organization", "callback_id", "attempt_no"), True),
            (("organization", "agent", "at"), False),
        )


class ContactCorrection(BaseModel):
    """A correction of a customer's contact data made during a call: what it
    was, what it became, who corrected it and when; sent on as `customer.updated`."""

    organization = peewee.CharField(**ORG)
    customer_id = peewee.CharField(**ID)
    callback_id = peewee.CharField(**ID, null=True)
    login = peewee.CharField(max_length=128, null=True)
    before = JSONField()
    after = JSONField()
    at = UTCDateTimeField()

    class Meta:
        table_name = "contact_correction"
        indexes = ((("organization", "customer_id", "at"), False),)


class CallbackReview(BaseModel):
    """A reviewer's verdict on a callback record (seed 002: 抽查合格 / 有待改进) with the
    comment, by whom (login and reviewer role), for which period of the review queue, when."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    reviewer_role = peewee.CharField(max_length=32)
    period = peewee.CharField(max_length=8)
    reviewer = peewee.CharField(max_length=128)
    verdict = peewee.CharField(max_length=24)
    comment = peewee.TextField(null=True)
    #: The agent who made the call reviewed (the record's `completed_by`).
    agent = peewee.CharField(max_length=128, null=True)
    reviewed_at = UTCDateTimeField()

    class Meta:
        table_name = "callback_review"
        indexes = (
            (("organization", "callback_id", "reviewer_role"), True),
            (("organization", "reviewer_role", "period"), False),
        )


class Lead(BaseModel):
    """A sales or service lead a callback's answer raised (seed 000 part 5: 寻求新的商务机会): its kind,
    the customer, the callback, who follows it up and by when."""

    id = peewee.CharField(max_length=36, primary_key=True)
    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID)
    kind = peewee.CharField(max_length=32)
    question = peewee.CharField(max_length=64)
    owner = peewee.CharField(max_length=128, null=True)
    due_on = peewee.DateField()
    status = peewee.CharField(max_length=16, default="open")
    delivery_id = peewee.CharField(**ID, null=True)
    order_id = peewee.CharField(**ID, null=True)
    note = peewee.TextField(null=True)
    raised_at = UTCDateTimeField()
    #: Its end (open -> contacted -> won or lost): when it was contacted, closed, by whom, with what note.
    contacted_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    updated_by = peewee.CharField(max_length=128, null=True)
    outcome_note = peewee.TextField(null=True)
    #: The owner's mails: told of the new lead, reminded once it is overdue; a claim held while one is sent.
    mailed_at = UTCDateTimeField(null=True)
    overdue_mailed_at = UTCDateTimeField(null=True)
    mail_claimed_at = UTCDateTimeField(null=True)
    mail_attempts = peewee.IntegerField(default=0)

    class Meta:
        table_name = "lead"
        indexes = (
            (("organization", "callback_id", "kind"), True),
            (("organization", "status", "due_on"), False),
        )


class LedgerGapMail(BaseModel):
    """The weekly mail of missing ledger data to an organisation's ledger keepers: one per
    week, claimed under a lease while it is sent, `sent_at` once it went."""

    organization = peewee.CharField(**ORG)
    week = peewee.CharField(max_length=8)
    claimed_at = UTCDateTimeField(null=True)
    sent_at = UTCDateTimeField(null=True)
    rows = peewee.IntegerField(default=0)
    attempts = peewee.IntegerField(default=0)
    error = peewee.TextField(null=True)

    class Meta:
        table_name = "ledger_gap_mail"
        indexes = ((("organization", "week"), True),)


def _migrate_10(migrator, database, migrate) -> None:
    """Adds (1.4.0) a customer's opt-out and a task's last call result and appointment;
    `call_attempt`, `contact_correction`, `callback_review`, `lead` and `ledger_gap_mail` are created by `ensure_schema`."""
    add_missing_columns(migrator, database, migrate, {
        Customer: {"opted_out_at": UTCDateTimeField(null=True),
                   "opted_out_by": peewee.CharField(max_length=128, null=True)},
        CallbackTask: {"last_result": peewee.CharField(max_length=16, null=True),
                       "appointment_at": UTCDateTimeField(null=True),
                       "branch": peewee.CharField(**ID, null=True)},
        Delivery: {"branch": peewee.CharField(**ID, null=True)},
        ServiceOrder: {"branch": peewee.CharField(**ID, null=True)}})


def _migrate_leads_end(migrator, database, migrate) -> None:
    """Adds (1.9.0) a lead's end (contacted, won or lost, by whom, with a note) and its owner's mails."""
    add_missing_columns(migrator, database, migrate, {Lead: {
        "contacted_at": UTCDateTimeField(null=True), "closed_at": UTCDateTimeField(null=True),
        "updated_by": peewee.CharField(max_length=128, null=True), "outcome_note": peewee.TextField(null=True),
        "mailed_at": UTCDateTimeField(null=True), "overdue_mailed_at": UTCDateTimeField(null=True),
        "mail_claimed_at": UTCDateTimeField(null=True), "mail_attempts": peewee.IntegerField(default=0)}})


#: What a supervisor changed on a callback (seed 000 part 5, seed 002 4.1): who calls it, or its channel.
CHANGE_ASSIGNED, CHANGE_CHANNEL = "assigned", "channel"


class CallbackChange(BaseModel):
    """One change a supervisor made to a callback: reassigned to another agent (one callback, or all of
    an absent agent's open ones), or switched from phone to on-site with the reason (电话无法解决的,
    上门: seed 002 4.1). The callback's history shows who did it, when, and why."""

    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    action = peewee.CharField(max_length=16)
    before = peewee.CharField(max_length=128, null=True)
    after = peewee.CharField(max_length=128, null=True)
    reason = peewee.TextField(null=True)
    actor = peewee.CharField(max_length=128, null=True)
    at = UTCDateTimeField()

    class Meta:
        table_name = "callback_change"
        indexes = ((("organization", "callback_id", "at"), False),)


#: An open question's states: waiting for its owner's answer, answered (the follow-up callback made).
QUESTION_OPEN, QUESTION_ANSWERED = "open", "answered"


class OpenQuestion(BaseModel):
    """A question a customer asked on a callback that the agent may not answer alone (seed 000 part 3:
    不得擅自承诺，请示后再回复客户): who owns the answer, the time promised to the customer, the
    follow-up callback planned for that day."""

    id = peewee.CharField(max_length=36, primary_key=True)
    organization = peewee.CharField(**ORG)
    callback_id = peewee.CharField(**ID)
    customer_id = peewee.CharField(**ID)
    question = peewee.TextField()
    owner = peewee.CharField(max_length=128)
    answer_due_at = UTCDateTimeField()
    status = peewee.CharField(max_length=16, default=QUESTION_OPEN)
    asked_by = peewee.CharField(max_length=128, null=True)
    asked_at = UTCDateTimeField()
    #: The follow-up callback that gives the customer the answer.
    followup_id = peewee.CharField(max_length=36, null=True)
    #: When the owner was mailed (null: not yet), the mail's claim while it is sent, failed sends.
    mailed_at = UTCDateTimeField(null=True)
    mail_claimed_at = UTCDateTimeField(null=True)
    mail_attempts = peewee.IntegerField(default=0)

    class Meta:
        table_name = "open_question"
        indexes = ((("organization", "callback_id"), False), (("organization", "owner", "status"), False))


def _reassign_and_questions(migrator, database, migrate) -> None:
    """1.8.0: `callback_change` (reassignments and channel switches, who made them) and
    `open_question` (questions a customer asked, their owner and promised time) are new tables,
    created by `ensure_schema`; no column of an older table changes."""


MODELS = [Customer, Delivery, ServiceOrder, SamplingDecision, Batch, CallbackTask, PhoneReveal, LedgerImport,
          CustomerFlag, CallAttempt, ContactCorrection, CallbackReview, Lead, LedgerGapMail,
          CallbackChange, OpenQuestion]
#: Version -> migration step (shared.core.db.ensure_schema), applied in order.
def _migrate_4(migrator, database, migrate) -> None:
    """Replaces (1.3.0) the delivery index by customer with one that also holds `cancelled`
    (created by `ensure_schema`): the contract total's sum read the ledger's index instead."""
    database.execute_sql('DROP INDEX IF EXISTS "delivery_organization_customer_id"')


#: This service's migration steps, by the manifest version that introduced each (the outbox's,
#: the directory's, the webhooks' and the audit log's are their features', composed by the
#: Service). `numbered`: what a database recorded each as before steps were keyed by version.
MIGRATIONS = Migrations("scheduler", {"1.1.0": _migrate_2, "1.2.0": _migrate_3, "1.3.0": _migrate_4,
                                      "1.4.0": _migrate_10, "1.8.0": _reassign_and_questions, "1.9.0": _migrate_leads_end},
                        numbered={2: "1.1.0", 3: "1.2.0", 4: "1.3.0", 10: "1.4.0"})
