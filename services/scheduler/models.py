"""Tables of the scheduler: customers, the ledger (台帐), service orders, callback tasks, samples.

Every row carries its `organization`; every index the service queries by starts with it.
"""
from __future__ import annotations

import peewee

from shared.fields import ID, ORG, JSONField, UTCDateTimeField

database = peewee.DatabaseProxy()

#: Callback task states (CONTRACT.md).
OPEN, DONE, UNREACHABLE, CANCELLED = "open", "done", "unreachable", "cancelled"
STATUSES = (OPEN, DONE, UNREACHABLE, CANCELLED)


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
    #: Flagged after a complaint (特殊标记): a key customer from then on.
    flagged_key = peewee.BooleanField(default=False)
    flagged_at = UTCDateTimeField(null=True)
    #: Sum of the contract amounts of the customer's deliveries (CNY), for the on-site rule.
    total_contract_amount = peewee.DecimalField(max_digits=16, decimal_places=2, default=0)

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
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "delivery"
        indexes = (
            (("organization", "delivery_id"), True),
            (("organization", "customer_id"), False),
            (("organization", "shipped_on"), False),
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
            (("organization", "assigned_to", "status"), False),
            (("organization", "record_month", "record_seq"), True),
        )


MODELS = [Customer, Delivery, ServiceOrder, SamplingDecision, Batch, CallbackTask]
#: Version -> migration step (shared.db.ensure_schema); none yet: 1.0.0 is the first shape.
MIGRATIONS: dict = {}
