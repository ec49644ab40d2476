"""Signed outbound webhooks, through real workers to real HTTP receivers on loopback.

One mesh for the module (workers started once); each test has its own organisation, so its
endpoints see only its own events. Every request a receiver gets is verified with the
`standardwebhooks` package (testkit/receiver.py).
"""
from __future__ import annotations

import time

import pytest
import yaml

from ops.infra import free_port
from shared.users.store import save_person
from testkit.events import envelope
from testkit.mesh import Mesh
from testkit.polling import eventually
from testkit.tokens import API_TOKEN, bearer, user_token
from testkit.receiver import Receiver

#: Fast retries (the default schedule takes a day), still spread over ~7 s.
ENV = {"HUIFANG_WEBHOOK_ALLOW_PRIVATE": "1",
       "HUIFANG_WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2,0.3,0.5,0.5,1,1,1,1,1",
       "HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS": "4"}


@pytest.fixture(scope="module")
def mesh(redis_server, tmp_path_factory):
    redis_server.client().flushall()
    mesh = Mesh(broker_url=redis_server.url, folder=tmp_path_factory.mktemp("webhooks"), extra_env=ENV).start_all()
    yield mesh
    mesh.stop()


@pytest.fixture
def receivers():
    made = []

    def make(**options) -> Receiver:
        receiver = Receiver(**options).start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()
    for receiver in made:
        assert not receiver.bad, f"signatures that did not verify: {receiver.bad}"


def admin(org: str) -> dict:
    return bearer(user_token("admin", org, "boss"))


def add_endpoint(mesh, org: str, receiver: Receiver, *, types=("*",), on: str = "complaints",
                 everywhere: bool = True) -> str:
    """Adds the receiver as an endpoint of `org` through one service's API; waits until every
    service knows it (or only that service)."""
    answer = mesh.client(on).post("/api/v1/webhooks", headers=admin(org),
                                  json={"url": receiver.url, "types": list(types)})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["secret"].startswith("whsec_")
    receiver.secret = body["secret"]
    for name in (mesh.SERVICES if everywhere else (on,)):
        eventually(lambda: endpoint_row(mesh, name, body["id"]), message=f"endpoint {body['id']} on {name}")
    return body["id"]


def endpoint_row(mesh, name: str, endpoint_id: str):
    service = mesh.services[name]
    with service.connection():
        return service.webhooks.Endpoint.get_or_none(service.webhooks.Endpoint.endpoint_id == endpoint_id)


def deliveries(mesh, name: str, endpoint_id: str) -> list:
    service = mesh.services[name]
    D = service.webhooks.Delivery
    with service.connection():
        return list(D.select().where(D.endpoint_id == endpoint_id).order_by(D.id))


def emit(mesh, org: str, month: str, *, fail: bool = False, name: str = "reporting") -> None:
    """Has a service produce `report.generated` (nobody subscribes: no side effects), in one
    unit of work that commits, or that rolls back after emitting when `fail`."""

    def produce(*, uow):
        uow.emit("report.generated", {"month": month}, organization=org)
        if fail:
            raise RuntimeError("the change failed after its event was emitted")

    mesh.services[name].run(produce)


def test_a_dissatisfied_callback_and_the_complaint_it_raises_reach_the_erp_escalated_resolved_closed(
        mesh, receivers):
    org = "wh-flow"
    users = mesh.settings.data_dir / org / "complaints" / "users.yaml"
    users.parent.mkdir(parents=True, exist_ok=True)
    users.write_text(yaml.safe_dump({"users": [{"login": "wang", "role": "agent", "email": "wang@acme.example"},
                                               {"login": "li", "role": "advisor", "email": "li@acme.example"}]}))
    erp = receivers()
    add_endpoint(mesh, org, erp, types=("callback.completed", "complaint.*", "customer.*"), on="scheduler")
    scheduler, complaints = mesh.client("scheduler"), mesh.client("complaints")
    agent, advisor = bearer(user_token("agent", org, "wang")), bearer(user_token("advisor", org, "li"))

    # given a key customer's service order, and its first callback answered dissatisfied
    order = {"order_id": "O-WH-1", "customer": {"id": "C-WH", "name": "王先生", "segment": "vip",
                                                "phone": "13812345678"},
             "completed_at": "2026-01-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}
    assert scheduler.post("/api/v1/events", headers=bearer(API_TOKEN),
                          json=envelope("service_order.completed", order, org=org)).status_code == 202

    def open_callback(kind):
        def find():
            tasks = scheduler.get(f"/api/v1/callbacks?organization={org}&order_id=O-WH-1",
                                  headers=bearer(API_TOKEN)).get_json()
            tasks = [t for t in tasks if t["kind"] == kind and t["status"] == "open"] if isinstance(tasks, list) else []
            return tasks and tasks[0]
        return eventually(find, message=f"an open {kind} callback")

    callback = open_callback("first")
    answer = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", headers=agent, json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
        "dissatisfied_reason": "等了两个小时"})
    assert answer.status_code == 200, answer.get_json()

    # then the ERP hears of it, as callback.completed
    (completed,) = eventually(lambda: erp.of_type("callback.completed"), message="callback.completed at the ERP")
    assert completed["data"]["callback_id"] == callback["id"]
    assert completed["data"]["service_satisfaction"] == "dissatisfied"
    assert completed["source"] == "huifang://scheduler" and completed["organization"] == org
    complaint_id = eventually(lambda: erp.of_type("complaint.raised"), message="complaint.raised")[0]["data"][
        "complaint_id"]

    # and of the complaint escalated, resolved and (after a satisfied verification) closed
    eventually(lambda: complaints.get(f"/api/v1/complaints/{complaint_id}", headers=agent).status_code == 200,
               message="the complaint at the complaints service")
    assert complaints.post(f"/api/v1/complaints/{complaint_id}/escalate", headers=agent,
                           json={"reason": "需服务顾问处理"}).status_code == 200
    eventually(lambda: erp.of_type("complaint.escalated"), message="complaint.escalated at the ERP")
    assert complaints.post(f"/api/v1/complaints/{complaint_id}/resolve", headers=advisor, json={
        "root_cause": "工位不足", "corrective_action": "增开工位"}).status_code == 200
    eventually(lambda: erp.of_type("complaint.resolved"), message="complaint.resolved at the ERP")
    verification = open_callback("verification")
    assert scheduler.post(f"/api/v1/callbacks/{verification['id']}/outcome", headers=agent, json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"}).status_code == 200
    (closed,) = eventually(lambda: erp.of_type("complaint.closed"), message="complaint.closed at the ERP")
    assert closed["data"]["complaint_id"] == complaint_id and closed["source"] == "huifang://complaints"

    # only the types asked for, never an internal one, each message once
    assert not set(erp.types()) - {"callback.completed", "complaint.raised", "complaint.escalated",
                                   "complaint.resolved", "complaint.closed", "customer.flagged",
                                   "customer.unflagged"}
    ids = [webhook_id for webhook_id, _, _ in erp.requests]
    assert len(ids) == len(set(ids))


def test_a_receiver_answering_500_three_times_gets_the_delivery_on_the_fourth_try_with_the_same_id(
        mesh, receivers):
    org = "wh-retry"
    erp = receivers(fail_first=3)
    endpoint_id = add_endpoint(mesh, org, erp, on="reporting", everywhere=False)

    emit(mesh, org, "2026-01")

    (delivered,) = eventually(lambda: erp.received, message="the delivery, at last")
    assert delivered["data"] == {"month": "2026-01"}
    assert [status for _, status, _ in erp.requests] == [500, 500, 500, 200]
    assert len({webhook_id for webhook_id, _, _ in erp.requests}) == 1
    # the delivery log says so, for the admin
    # (the sender records the answer just after the receiver has it)
    log = eventually(lambda: [e for e in mesh.client("reporting").get(
        f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=admin(org)).get_json() if e["state"] == "delivered"],
        message="the delivery logged as delivered")
    (entry,) = log
    assert (entry["state"], entry["attempts"], entry["id"]) == ("delivered", 4, erp.requests[0][0])
    assert [a["status"] for a in entry["log"]] == [500, 500, 500, 200]
    assert "try again" in entry["log"][0]["answer"] and entry["log"][0]["at"].endswith("+08:00")

    # and it can be sent again by hand, with the same webhook-id
    again = mesh.client("reporting").post(f"/api/v1/webhooks/{endpoint_id}/deliveries/{entry['id']}/resend",
                                          headers=admin(org))
    assert again.status_code == 202, again.get_json()
    eventually(lambda: len(erp.received) == 2, message="the delivery sent again")
    assert erp.requests[-1][0] == entry["id"]


def test_a_receiver_down_for_a_while_gets_everything_once_it_is_back(mesh, receivers):
    org = "wh-down"
    port = free_port()
    erp = Receiver(port=port)  # not started: nothing listens on its port yet
    endpoint_id = add_endpoint(mesh, org, erp, on="reporting", everywhere=False)

    for month in ("2026-01", "2026-02", "2026-03"):
        emit(mesh, org, month)
    eventually(lambda: all(d.attempts >= 2 for d in deliveries(mesh, "reporting", endpoint_id)),
               message="failed attempts while it is down")

    back = receivers(port=port)
    back.secret = erp.secret
    eventually(lambda: len(back.received) == 3, message="everything, once it is back")
    assert sorted(e["data"]["month"] for e in back.received) == ["2026-01", "2026-02", "2026-03"]
    time.sleep(0.5)  # nothing more comes: each once
    assert len(back.received) == 3


def test_a_change_that_rolled_back_sends_nothing(mesh, receivers):
    org = "wh-rollback"
    erp = receivers()
    endpoint_id = add_endpoint(mesh, org, erp, on="reporting", everywhere=False)

    with pytest.raises(RuntimeError):
        emit(mesh, org, "2026-01", fail=True)
    emit(mesh, org, "2026-02")

    eventually(lambda: erp.received, message="the committed change's event")
    time.sleep(0.5)
    assert [e["data"]["month"] for e in erp.received] == ["2026-02"]
    assert len(deliveries(mesh, "reporting", endpoint_id)) == 1


def test_a_receiver_taking_10_s_does_not_delay_another_endpoint(mesh, receivers):
    org = "wh-slow"
    slow, fast = receivers(delay=10.0), receivers()
    add_endpoint(mesh, org, slow, on="reporting", everywhere=False)
    add_endpoint(mesh, org, fast, on="reporting", everywhere=False)

    started = time.monotonic()
    emit(mesh, org, "2026-01")
    emit(mesh, org, "2026-02")

    eventually(lambda: len(fast.received) == 2, timeout=5, message="both events at the fast endpoint")
    assert time.monotonic() - started < 5
    assert not slow.received  # still waiting for the first answer of the slow one


def test_an_endpoint_failing_for_too_long_is_disabled_everywhere_and_its_admins_are_mailed(mesh):
    org = "wh-dead"
    mesh.services["reporting"].run(save_person, organization=org, login="boss", role="admin",
                                   email="boss@wh-dead.example")
    dead = Receiver(port=free_port())  # never started
    endpoint_id = add_endpoint(mesh, org, dead, on="reporting")

    emit(mesh, org, "2026-01")

    eventually(lambda: not endpoint_row(mesh, "reporting", endpoint_id).enabled, timeout=20,
               message="the endpoint disabled after failing for 4 s")
    for name in ("scheduler", "complaints"):
        eventually(lambda: not endpoint_row(mesh, name, endpoint_id).enabled, message=f"disabled on {name}")
    outbox = mesh.settings.var_dir / "outbox"
    eventually(lambda: any("boss@wh-dead.example" in p.read_text(errors="replace") for p in outbox.glob("*.eml")),
               message="the mail to the organisation's admin")
    listed = mesh.client("complaints").get("/api/v1/webhooks", headers=admin(org)).get_json()
    assert listed[0]["enabled"] is False and "failed" in listed[0]["disabled_reason"]
    assert "secret" not in listed[0]
