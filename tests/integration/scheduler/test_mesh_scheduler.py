"""End to end: events posted over HTTP reach the scheduler's worker process and plan callbacks."""
from __future__ import annotations

from testkit.events import envelope
from testkit.polling import eventually
from testkit.tokens import API_TOKEN, bearer
from testkit.scheduler import SHIPPED, WORKED_EXAMPLE


def test_rule_1_1_worked_example_through_the_mesh(mesh):
    client = mesh.client("scheduler")
    for event in (envelope("delivery.shipped", SHIPPED),
                  envelope("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})):
        response = client.post("/api/v1/events", json=event, headers=bearer(API_TOKEN))
        assert response.status_code == 202, response.get_json()

    def six_callbacks():
        response = client.get("/api/v1/callbacks", query_string={"delivery_id": "D-1", "organization": "acme-electric"},
                              headers=bearer(API_TOKEN))
        items = response.get_json()
        return {c["kind"]: c["due_on"] for c in items} if len(items) == 6 else None

    assert eventually(six_callbacks, timeout=60, message="six callbacks of D-1") == WORKED_EXAMPLE
    # the reporting service hears of each one
    eventually(lambda: mesh.count("reporting", where=lambda m: m.type == "callback.scheduled") >= 6, timeout=60,
               message="callback.scheduled at reporting")
