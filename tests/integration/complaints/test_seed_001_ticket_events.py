"""Seed 001 (热线接听流程): each step of a hotline ticket — recorded, handed to the hotline engineer within
15 minutes, a service request passed on to the repair coordinator within 15 more, turned into a complaint —
is announced (ticket.recorded, ticket.handed_over, ticket.dispatched, ticket.converted) in the unit of work
of the change, through the outbox, so reporting counts tickets apart from complaints; a refused step
announces nothing."""
from __future__ import annotations

import json

from services.complaints.models import database
from services.complaints.service import SERVICE
from shared.core.events import validate_envelope
from shared.mesh.outbox import outbox_model
from testkit.complaints import at

TICKET_TYPES = ("ticket.recorded", "ticket.handed_over", "ticket.dispatched", "ticket.converted")


def _ticket(api, kind="service_request", **fields):
    body = {"kind": kind, "customer": {"id": "C-7", "name": "刘先生", "segment": "vip", "phone": "13700000005"},
            "product_model": "KT-504", "purchased_on": "2026-03-02", "fault": "发动机启动困难", "warranty": "in_warranty",
            **fields}
    return api.client.post("/api/v1/tickets", json=body, headers=api.headers("agent", login="chen"))


def _announced() -> list[dict]:
    with SERVICE.connection():
        Outbox = outbox_model(database)
        rows = Outbox.select().where(Outbox.type.in_(TICKET_TYPES)).order_by(Outbox.id)
        return [validate_envelope(json.loads(row.envelope)) for row in rows]


def test_seed_001_each_step_of_a_ticket_is_announced_with_its_deadline(api, clock):
    # given a service request recorded Friday 17:00 (due with the hotline engineer at 17:15)
    ticket = _ticket(api).get_json()
    tid = ticket["id"]
    # when passing it on before the hand-over is refused, then it is handed over at 17:10 and passed on at 17:20
    assert api.client.post(f"/api/v1/tickets/{tid}/dispatch", json={"to": "维修协调员"},
                           headers=api.headers("agent")).status_code == 409
    clock.set(at(2026, 11, 20, 17, 10))
    api.client.post(f"/api/v1/tickets/{tid}/handover", json={"to": "热线工程师 王工"}, headers=api.headers("agent"))
    clock.set(at(2026, 11, 20, 17, 20))
    api.client.post(f"/api/v1/tickets/{tid}/dispatch", json={"to": "维修协调员 陈工"}, headers=api.headers("agent"))
    # then three valid events went out, each with the ticket and its kind, the refused step none
    events = _announced()
    assert [e["type"] for e in events] == ["ticket.recorded", "ticket.handed_over", "ticket.dispatched"]
    assert all(e["data"]["ticket_id"] == tid and e["data"]["kind"] == "service_request" for e in events)
    recorded, handed, dispatched = (e["data"] for e in events)
    assert (recorded["recorded_at"], recorded["handover_due_at"], recorded["duplicate_of"]) == (
        "2026-11-20T17:00:00+08:00", "2026-11-20T17:15:00+08:00", None)
    assert (handed["handed_over_at"], handed["dispatch_due_at"]) == ("2026-11-20T17:10:00+08:00",
                                                                     "2026-11-20T17:25:00+08:00")
    assert (dispatched["dispatched_at"], dispatched["dispatch_due_at"]) == ("2026-11-20T17:20:00+08:00",
                                                                           "2026-11-20T17:25:00+08:00")


def test_seed_001_a_possible_duplicate_and_a_ticket_turned_into_a_complaint_are_announced(api, clock):
    # given a service request, then a consultation of the same customer and product (a possible duplicate)
    first = _ticket(api).get_json()
    again = _ticket(api, kind="consultation").get_json()
    # when the consultation is turned into a complaint
    response = api.client.post(f"/api/v1/tickets/{again['id']}/complaint", json={"category": "product_quality"},
                               headers=api.headers("agent", login="chen"))
    assert response.status_code == 201, response.get_json()
    # then its recording names the earlier ticket, and its conversion the complaint raised with it
    events = [e for e in _announced() if e["data"]["ticket_id"] == again["id"]]
    assert [e["type"] for e in events] == ["ticket.recorded", "ticket.converted"]
    assert events[0]["data"]["duplicate_of"] == first["id"]
    assert events[1]["data"]["complaint_id"] == response.get_json()["id"]
    assert events[1]["data"]["kind"] == "consultation"
