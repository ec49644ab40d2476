"""RULES 1.4 (customer data is confidential): full phone numbers leave the scheduler recorded in the
audit log whichever way they go, the ledger page's export as the API's, a JSON read as the
callback page's reveal; and a change to an organisation's webhooks is recorded too."""
from __future__ import annotations

import re

from services.scheduler.service import SERVICE
from shared.users.store import save_person
from testkit.scheduler import ORG, SHIPPED
from testkit.tokens import API_TOKEN, bearer


def _audit(action: str) -> list[tuple[str, str]]:
    Entry = SERVICE.audit
    with SERVICE.connection():
        return [(e.login, e.subject) for e in Entry.select().where(Entry.action == action).order_by(Entry.id)]


def test_rules_1_4_the_ledger_pages_export_of_full_phones_is_audited_as_the_apis(scheduler):
    # given a delivery, and chen, a manager (who sees full phones), signed in on the pages
    scheduler.handle("delivery.shipped", SHIPPED)
    SERVICE.run(save_person, organization=ORG, login="chen", role="manager", password="pw-chen")
    client = scheduler.client
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "chen", "password": "pw-chen", "csrf_token": token})
    # when chen exports the ledger from its page
    exported = client.get("/ledger/export?format=csv")
    # then the file holds the full phone, and the export is in the audit log
    assert exported.status_code == 200 and SHIPPED["customer"]["phone"] in exported.get_data().decode("utf-8-sig")
    assert _audit("phones.exported") == [("chen", "ledger/export")]


def test_rules_1_4_json_reads_of_full_phones_are_audited_as_the_callback_pages_reveal(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    callback = scheduler.callbacks(delivery_id="D-1", kind="installation")[0]
    before = len(_audit("phones.revealed"))
    # when a manager reads one callback, the list and the ledger as JSON (full phones)
    assert scheduler.get(f"/api/v1/callbacks/{callback['id']}", role="manager", login="chen").status_code == 200
    assert scheduler.get("/api/v1/callbacks", role="manager", login="chen").status_code == 200
    assert scheduler.get("/api/v1/ledger", role="manager", login="chen").status_code == 200
    # then each read is recorded, naming who and what (the one callback read, the list, the ledger)
    seen = _audit("phones.revealed")[before:]
    assert len(seen) == 3 and {login for login, _subject in seen} == {"chen"}
    assert seen[0][1] == callback["id"] and seen[2][1] == "ledger"
    # while an advisor's read (masked phones) is not
    assert scheduler.get("/api/v1/callbacks", role="advisor", login="zhang").status_code == 200
    assert len(_audit("phones.revealed")) == before + 3


def test_a_change_to_an_organisations_webhooks_is_audited(scheduler):
    # when the integration token adds an endpoint and disables it
    added = scheduler.client.post(f"/api/v1/webhooks?organization={ORG}", headers=bearer(API_TOKEN),
                                  json={"url": "https://93.184.216.34/hooks", "types": ["callback.*"]})
    assert added.status_code == 201, added.get_json()
    endpoint = added.get_json()["id"]
    changed = scheduler.client.patch(f"/api/v1/webhooks/{endpoint}?organization={ORG}", headers=bearer(API_TOKEN),
                                     json={"enabled": False})
    assert changed.status_code == 200, changed.get_json()
    # then both changes are in the audit log
    assert [subject for _login, subject in _audit("webhook.changed")] == [endpoint, endpoint]
