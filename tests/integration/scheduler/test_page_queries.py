"""What the scheduler's pages read and do, through the same handlers as the API: an agent's (or a
team's) worklist and its counts, the ledger's filters, a ledger file imported in the background,
phone numbers shown on purpose, and the policy preview with another policy."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
import yaml

from services.scheduler import handlers, jobs
from services.scheduler.errors import ImportNotReady, PhonesNotShown, UnknownPolicy
from services.scheduler.models import CallbackTask, Delivery, PhoneReveal
from services.scheduler.service import SERVICE

ORG = "acme-electric"
MONDAY = date(2026, 11, 2)


def order(order_id: str, customer: dict, completed_at: str, *, kind: str = "maintenance") -> dict:
    return {"order_id": order_id, "customer": customer, "business_line": "vehicle", "kind": kind,
            "completed_at": completed_at}


def roster(scheduler, agents: list[dict]) -> None:
    path = scheduler.settings.data_dir / ORG / "scheduler" / "agents.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"agents": agents}), encoding="utf-8")


def worklist(scheduler, scope, **kwargs):
    with SERVICE.connection():
        return handlers.agent_worklist(settings=scheduler.settings, organization=ORG, now=scheduler.now, role="agent",
                                       scope=scope, **kwargs)


def counts(scheduler, scope, **kwargs):
    with SERVICE.connection():
        return handlers.worklist_counts(settings=scheduler.settings, organization=ORG, now=scheduler.now,
                                        scope=scope, **kwargs)


def test_rule_1_2_an_agents_worklist_holds_their_tasks_and_the_unassigned_ones_key_customers_first(scheduler):
    roster(scheduler, [{"login": "li", "business_lines": ["vehicle"]}])
    vip = {"id": "C-V", "name": "王先生", "segment": "vip"}
    fleet = {"id": "C-F", "name": "车队", "segment": "fleet"}
    scheduler.handle("service_order.completed", order("O-1", vip, "2026-10-30T15:00:00+08:00"))  # li's, due 11-02
    roster(scheduler, [])  # nobody covers the line any more: the next task waits for any agent
    scheduler.handle("service_order.completed", order("O-2", fleet, "2026-10-30T16:00:00+08:00"))

    mine = worklist(scheduler, handlers.Scope(logins=("li",)), callable_now=True)
    both = worklist(scheduler, handlers.Scope(logins=("li",), unassigned=True), callable_now=True, key_first=True)
    other = worklist(scheduler, handlers.Scope(logins=("wang",), unassigned=True), callable_now=True)

    assert [r["order_id"] for r in mine.rows] == ["O-1"] and mine.total == 1
    assert {r["order_id"] for r in both.rows} == {"O-1", "O-2"} and both.total == 2
    assert [r["order_id"] for r in other.rows] == ["O-2"]
    assert all(r["next_call_at"] == datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc) for r in both.rows)
    assert counts(scheduler, handlers.Scope(logins=("li",), unassigned=True)) == {
        "due_today": 2, "overdue": 0, "done_today": 0, "wrong_number": 0, "parts": [1, 1], "callable_parts": [1, 1]}


def test_rule_1_2_the_worklist_is_empty_in_the_customers_rest_time_unless_asked_for_all(scheduler):
    scheduler.handle("service_order.completed", order("O-1", {"id": "C-V", "name": "王", "segment": "vip"},
                                                      "2026-10-30T15:00:00+08:00"))
    scheduler.now = datetime(2026, 11, 2, 4, 30, tzinfo=timezone.utc)  # 12:30 in Shanghai

    resting = worklist(scheduler, handlers.Scope(), callable_now=True)
    anyway = worklist(scheduler, handlers.Scope(), due_to=MONDAY)

    assert resting.rows == [] and not resting.in_window
    assert resting.next_window_at == datetime(2026, 11, 2, 14, 0, tzinfo=scheduler.settings.tz)
    assert [r["kind"] for r in anyway.rows] == ["first"]


def test_the_workbench_counts_what_an_agent_recorded_today(scheduler):
    scheduler.handle("service_order.completed", order("O-1", {"id": "C-V", "name": "王", "segment": "vip"},
                                                      "2026-10-30T15:00:00+08:00"))
    task = scheduler.callbacks(order_id="O-1", kind="first")[0]
    SERVICE.run(handlers.record_outcome, organization=ORG, callback_id=task["id"], recorded_by="li", outcome={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})

    assert counts(scheduler, handlers.Scope(), done_by="li")["done_today"] == 1
    assert counts(scheduler, handlers.Scope(), done_by="wang")["done_today"] == 0


def test_seed_002_callable_now_waits_for_the_time_a_rescheduled_customer_asked_for(scheduler):
    # given a customer who asked, on Monday at 10:00, to be called at 16:30 the same day
    scheduler.handle("service_order.completed", order("O-1", {"id": "C-V", "name": "王", "segment": "vip"},
                                                      "2026-10-30T15:00:00+08:00"))
    task = scheduler.callbacks(order_id="O-1", kind="first")[0]
    SERVICE.run(handlers.record_outcome, organization=ORG, callback_id=task["id"], recorded_by="li", outcome={
        "result": "rescheduled", "call_at": datetime(2026, 11, 2, 16, 30, tzinfo=scheduler.settings.tz)})
    # then at 10:00 it is not callable now (nor counted so), though it is listed for today
    assert worklist(scheduler, handlers.Scope(), callable_now=True).rows == []
    assert counts(scheduler, handlers.Scope())["callable_parts"] == [0]
    assert [r["order_id"] for r in worklist(scheduler, handlers.Scope(), due_to=MONDAY).rows] == ["O-1"]
    # and at 16:30 it is
    scheduler.now = datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)
    now = worklist(scheduler, handlers.Scope(), callable_now=True, counted=counts(scheduler, handlers.Scope())["callable_parts"])
    assert [r["order_id"] for r in now.rows] == ["O-1"] and now.total == 1


def test_the_workbench_counts_and_lists_callbacks_waiting_for_a_correct_number(scheduler):
    scheduler.handle("service_order.completed", order("O-1", {"id": "C-V", "name": "王", "segment": "vip"},
                                                      "2026-10-30T15:00:00+08:00"))
    task = scheduler.callbacks(order_id="O-1", kind="first")[0]
    SERVICE.run(handlers.record_outcome, organization=ORG, callback_id=task["id"], recorded_by="li",
                outcome={"result": "wrong_number"})
    assert counts(scheduler, handlers.Scope())["wrong_number"] == 1
    waiting = worklist(scheduler, handlers.Scope(), status="wrong_number")
    assert [r["id"] for r in waiting.rows] == [task["id"]] and waiting.total == 1


def ledger_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["发货单号", "顾客编号", "顾客名称", "工程名称", "合同额", "发货时间", "送电时间"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


ROWS = [["D-1", "C-1", "华东电力", "华东变电站", "120000", "2026-01-31", "2026-03-15"],
        ["D-2", "C-2", "江南钢铁", "二号线", "80000", "2026-10-02", ""]]


def test_rule_1_1_a_ledger_file_is_checked_in_the_background_by_row_and_column_then_imported(scheduler):
    bad = [ROWS[0], [*ROWS[1][:5], "2026-02-30", ""]]
    refused = SERVICE.run(handlers.queue_ledger_import, organization=ORG, login="li", filename="ledger.csv",
                          content=ledger_csv(bad), dry_run=True)
    with SERVICE.connection():  # queued for the worker through the outbox
        assert [m.actor_name for m in SERVICE.OutboxMessage.select()] == ["ledger_import"]
    assert jobs.run_ledger_import(SERVICE, refused.id) == "refused"
    with SERVICE.connection():
        row = handlers.get_import_or_raise(organization=ORG, import_id=refused.id)
        assert row.errors == {"rows.3.shipped_on": ["Not a valid date."]} and row.content is None
        assert Delivery.select().count() == 0
    with pytest.raises(ImportNotReady):
        SERVICE.run(handlers.run_checked_import, organization=ORG, import_id=refused.id)

    checked = SERVICE.run(handlers.queue_ledger_import, organization=ORG, login="li", filename="ledger.csv",
                          content=ledger_csv(ROWS), dry_run=True)
    assert jobs.run_ledger_import(SERVICE, checked.id) == "checked"
    with SERVICE.connection():
        assert Delivery.select().count() == 0
    SERVICE.run(handlers.run_checked_import, organization=ORG, import_id=checked.id)
    assert jobs.run_ledger_import(SERVICE, checked.id) == "done"
    assert jobs.run_ledger_import(SERVICE, checked.id) is None  # a redelivered message: nothing to do
    with SERVICE.connection():
        row = handlers.get_import_or_raise(organization=ORG, import_id=checked.id)
        assert (row.state, row.rows, row.processed, row.created, row.content) == ("done", 2, 2, 2, None)
        assert Delivery.select().count() == 2


def test_rule_1_1_the_ledger_keeps_what_its_filters_say_and_sorts_by_any_column(scheduler):
    SERVICE.run(handlers.import_ledger, organization=ORG, rows=[
        {"delivery_id": "D-1", "customer_id": "C-1", "customer_name": "华东电力", "project": "华东变电站",
         "contract_amount": 120000, "shipped_on": date(2026, 1, 31), "commissioned_on": date(2026, 3, 15)},
        {"delivery_id": "D-2", "customer_id": "C-2", "customer_name": "江南钢铁", "project": "二号线",
         "contract_amount": 80000, "shipped_on": date(2026, 10, 2), "commissioned_on": None}])

    def ids(**kwargs):
        sort = kwargs.pop("sort", "shipped_on")
        descending = kwargs.pop("descending", False)
        with SERVICE.connection():
            entries, total = handlers.ledger_page(organization=ORG, filters=handlers.LedgerFilter(**kwargs),
                                                  show_phones=False, today=MONDAY, sort=sort, descending=descending)
        assert total == len(entries)
        return [e["delivery_id"] for e in entries]

    assert ids() == ["D-1", "D-2"]
    assert ids(customer="江南") == ["D-2"] and ids(project="变电站") == ["D-1"] and ids(month="2026-10") == ["D-2"]
    assert ids(overdue=True) == ["D-1"]  # its trial run (due 2026-04-15) is a month past
    assert ids(status="done") == []
    assert ids(sort="contract_amount", descending=True) == ["D-1", "D-2"]
    assert ids(sort="customer", descending=True) == ["D-2", "D-1"]  # 江南 after 华东
    # a callback waiting for a correct number is found by its status, and,
    # past its last day, among the overdue
    with SERVICE.connection():
        late = CallbackTask.select().where(CallbackTask.delivery_id == "D-1", CallbackTask.status == "open",
                                           CallbackTask.overdue_on < MONDAY).order_by(CallbackTask.due_on).first()
        # (its other late callbacks out of the way: only this one is late)
        CallbackTask.update(status="cancelled").where(CallbackTask.delivery_id == "D-1", CallbackTask.status == "open",
                                                      CallbackTask.id != late.id).execute()
    SERVICE.run(handlers.record_outcome, organization=ORG, callback_id=late.id, recorded_by="zhao",
                outcome={"result": "wrong_number"})
    with SERVICE.connection():
        assert CallbackTask.select().where(CallbackTask.delivery_id == "D-1", CallbackTask.status == "open",
                                           CallbackTask.overdue_on < MONDAY).count() == 0
    assert ids(status="wrong_number") == ["D-1"]
    assert ids(overdue=True) == ["D-1"]


def test_rule_1_4_phones_are_shown_on_purpose_and_each_look_is_recorded(scheduler):
    scheduler.handle("service_order.completed", order("O-1", {"id": "C-V", "name": "王", "segment": "vip",
                                                                "phone": "13812345678"}, "2026-10-30T15:00:00+08:00"))
    task = scheduler.callbacks(order_id="O-1", kind="first")[0]

    shown = SERVICE.run(handlers.reveal_phones, organization=ORG, callback_id=task["id"], login="li", role="agent")
    with pytest.raises(PhonesNotShown):
        SERVICE.run(handlers.reveal_phones, organization=ORG, callback_id=task["id"], login="zhao", role="advisor")

    assert shown["customer"]["phone"] == "13812345678"
    with SERVICE.connection():
        assert [(r.login, r.callback_id, r.customer_id) for r in PhoneReveal.select()] == [("li", task["id"], "C-V")]


def test_the_preview_plans_with_another_policy_of_the_organisation_and_refuses_an_unknown_one(scheduler):
    own = scheduler.settings.data_dir / ORG / "scheduler" / "policies"
    own.mkdir(parents=True, exist_ok=True)
    from shared.core.orgdata import packaged_path

    text = packaged_path("scheduler", "policies/default.yaml").read_text(encoding="utf-8")
    (own / "slow.yaml").write_text(text.replace("name: default", "name: slow").replace(
        "{kind: first, offset: 3, unit: days}", "{kind: first, offset: 5, unit: days}"), encoding="utf-8")
    sample = {"business_line": "vehicle", "kind": "maintenance", "completed_on": date(2026, 10, 30),
              "segment": "vip", "flagged": False}

    usual = handlers.preview_policy(settings=scheduler.settings, organization=ORG, sample=sample)
    slow = handlers.preview_policy(settings=scheduler.settings, organization=ORG, sample=sample, policy_name="slow")

    assert usual["callbacks"][0]["due_on"] == date(2026, 11, 2) and slow["callbacks"][0]["due_on"] == date(2026, 11, 4)
    with pytest.raises(UnknownPolicy):
        handlers.preview_policy(settings=scheduler.settings, organization=ORG, sample=sample, policy_name="nope")
    with SERVICE.connection():
        assert CallbackTask.select().count() == 0  # nothing stored


def test_an_agent_entered_once_in_the_user_directory_is_assigned_callbacks(scheduler):
    """The agents' assignment list comes from the user directory; agents.yaml
    is no longer needed."""
    from shared.users.store import save_person

    roster(scheduler, [])
    SERVICE.run(save_person, organization=ORG, login="zhao", role="agent", name="赵敏", business_lines=["vehicle"])
    scheduler.handle("service_order.completed", order("O-9", {"id": "C-V", "name": "王先生", "segment": "vip"},
                                                      "2026-10-30T15:00:00+08:00"))
    with SERVICE.connection():
        assert {t.assigned_to for t in CallbackTask.select().where(CallbackTask.order_id == "O-9")} == {"zhao"}
