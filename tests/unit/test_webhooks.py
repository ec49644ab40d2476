"""Webhooks without workers: signatures any Standard Webhooks library accepts, the
addresses refused, the retry schedule, and `/api/v1/webhooks` (roles, validation, the secret
shown once) on a service app with SQLite and the stub broker."""
from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shared.core import errors
from shared.webhooks import deliveries, endpoints, poster, signing, urls
from shared.core.errors import ConfigurationError
from shared.core.settings import load_settings
from testkit.receiver import Receiver
from testkit.tokens import SECRET, bearer, user_token

ORG = "acme-electric"


def test_a_signed_post_verifies_with_the_standardwebhooks_library_and_not_with_another_secret():
    secret = signing.new_secret()
    body = json.dumps({"type": "complaint.closed", "data": {"complaint_id": "K-1"}}, ensure_ascii=False).encode()
    headers = signing.signed_headers(secret, "msg_1", body)

    assert Webhook(secret).verify(body, headers) == {"type": "complaint.closed", "data": {"complaint_id": "K-1"}}
    assert headers["webhook-signature"].startswith("v1,") and secret.startswith("whsec_")
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.0.5/hook",
    "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook",
    "http://[fe80::1]/hook", "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook"])
def test_loopback_private_and_link_local_addresses_are_refused_unless_allowed(url):
    with pytest.raises(urls.UnsafeDestination) as refused:
        urls.check_url(url, allow_private=False)
    assert refused.value.field == "url" and "HUIFANG_WEBHOOK_ALLOW_PRIVATE=1" in refused.value.message
    if "[fe80" not in url:
        assert urls.check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@93.184.216.34/",
                                 "http:///nohost", "gopher://93.184.216.34/"])
def test_only_http_and_https_urls_without_credentials_are_taken(url):
    with pytest.raises(urls.UnsafeDestination):
        urls.check_url(url, allow_private=True)


def test_a_public_address_is_taken():
    assert urls.check_url("https://93.184.216.34/hooks", allow_private=False)


def test_the_address_is_checked_again_when_sending():
    receiver = Receiver(verify=False).start()
    try:
        refused = poster.Poster(allow_private=False).post(receiver.url, b"{}", {})
        assert refused.status is None and refused.error.startswith("refused:") and not receiver.requests
        allowed = poster.Poster(allow_private=True).post(receiver.url, b"{}", {})
        assert allowed.ok and allowed.answer == '{"ok": true}'
    finally:
        receiver.stop()


def test_no_redirect_is_followed_and_a_long_answer_is_cut():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b"x" * 100_000
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = poster.Poster(allow_private=True).post(f"http://127.0.0.1:{server.server_address[1]}/", b"{}", {})
        assert answer.status == 302 and not answer.ok and len(answer.answer) == poster.ANSWER_LIMIT
    finally:
        server.shutdown()
        server.server_close()


def test_the_retry_schedule_spans_more_than_a_day_with_jitter_then_the_delivery_is_dead():
    schedule = load_settings({"HUIFANG_SECRET_KEY": "k" * 32}).webhook_retry_schedule
    assert sum(schedule) >= 86400
    delays = [deliveries.retry_delay(schedule, n) for n in range(1, len(schedule) + 1)]
    assert all(0.8 * base <= delay <= 1.2 * base for base, delay in zip(schedule, delays))
    assert deliveries.retry_delay(schedule, len(schedule) + 1) is None


def test_webhook_settings_are_checked():
    with pytest.raises(ConfigurationError, match="HUIFANG_WEBHOOK_RETRY_SCHEDULE"):
        load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_WEBHOOK_RETRY_SCHEDULE": "5,soon"})
    with pytest.raises(ConfigurationError, match="HUIFANG_WEBHOOK_ALLOW_PRIVATE"):
        load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_WEBHOOK_ALLOW_PRIVATE": "maybe"})
    settings = load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_WEBHOOK_RETRY_SCHEDULE": "0.5,2",
                              "HUIFANG_WEBHOOK_RETENTION_DAYS": "7", "HUIFANG_WEBHOOK_ALLOW_PRIVATE": "1"})
    assert (settings.webhook_retry_schedule, settings.webhook_retention_days, settings.webhook_allow_private) == (
        (0.5, 2.0), 7, True)


def test_patterns_choose_the_types():
    assert endpoints.matches(["complaint.*"], "complaint.closed")
    assert not endpoints.matches(["complaint.*"], "callback.completed")
    assert endpoints.matches(["*"], "report.sent")
    with pytest.raises(errors.InvalidInput):
        endpoints.check_types(["user.updated"])
    with pytest.raises(errors.InvalidInput):
        endpoints.check_types(["Complaint Closed"])


# -- the API ---------------------------------------------------------------------------------------

@pytest.fixture
def client(tmp_path):
    from services.complaints.app import create_app
    from services.complaints.service import SERVICE

    settings = load_settings({"HUIFANG_SECRET_KEY": "test-secret-" + "x" * 20, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_API_TOKEN": "hf_unit_webhooks_integration"})
    SERVICE.bind(settings, url=f"sqlite:///{tmp_path / 'complaints.db'}")
    return create_app({"TESTING": True, "HUIFANG_SETTINGS": settings}).test_client()


def test_only_admins_and_the_integration_token_manage_webhooks(client):
    for role in ("agent", "advisor", "supervisor", "manager"):
        assert client.get("/api/v1/webhooks", headers=bearer(user_token(role, ORG))).status_code == 403
        assert client.post("/api/v1/webhooks", headers=bearer(user_token(role, ORG)),
                           json={"url": "https://93.184.216.34/"}).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.get(f"/api/v1/webhooks?organization={ORG}", headers=bearer("hf_unit_webhooks_integration")).status_code == 200


def test_an_endpoint_added_shows_its_secret_once_and_a_private_address_is_422(client):
    admin = bearer(user_token("admin", ORG, "boss"))
    refused = client.post("/api/v1/webhooks", headers=admin, json={"url": "http://127.0.0.1:9/hook"})
    assert refused.status_code == 422 and "url" in refused.get_json()["errors"]
    bad_types = client.post("/api/v1/webhooks", headers=admin,
                            json={"url": "https://93.184.216.34/hook", "types": ["user.updated"]})
    assert bad_types.status_code == 422 and "types" in bad_types.get_json()["errors"]

    created = client.post("/api/v1/webhooks", headers=admin,
                          json={"url": "https://93.184.216.34/hook", "types": ["complaint.*"]})
    assert created.status_code == 201, created.get_json()
    endpoint = created.get_json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["types"] == ["complaint.*"]

    listed = client.get("/api/v1/webhooks", headers=admin).get_json()
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    other = client.get("/api/v1/webhooks", headers=bearer(user_token("admin", "other-org", "boss"))).get_json()
    assert other == []
    disabled = client.patch(f"/api/v1/webhooks/{endpoint['id']}", headers=admin, json={"enabled": False})
    assert disabled.status_code == 200 and disabled.get_json()["enabled"] is False
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=bearer(user_token("admin", "other-org")),
                      ).status_code == 404


def test_a_produced_event_makes_deliveries_only_for_enabled_matching_endpoints_of_its_organisation(client):
    from services.complaints.service import SERVICE

    admin = bearer(user_token("admin", ORG, "boss"))
    wanted = client.post("/api/v1/webhooks", headers=admin,
                         json={"url": "https://93.184.216.34/a", "types": ["complaint.*"]}).get_json()["id"]
    client.post("/api/v1/webhooks", headers=admin, json={"url": "https://93.184.216.34/b", "types": ["report.*"]})
    off = client.post("/api/v1/webhooks", headers=admin,
                      json={"url": "https://93.184.216.34/c", "enabled": False}).get_json()["id"]

    def produce(*, uow):
        uow.emit("complaint.closed", {"complaint_id": "K-1"}, organization=ORG)
        uow.emit("complaint.closed", {"complaint_id": "K-2"}, organization="other-org")
        uow.emit("user.updated", {"login": "x"}, organization=ORG)

    SERVICE.run(produce)
    with SERVICE.connection():
        rows = list(SERVICE.webhooks.Delivery.select())
    assert [(r.endpoint_id, r.event_type) for r in rows] == [(wanted, "complaint.closed")]
    assert json.loads(rows[0].body)["data"] == {"complaint_id": "K-1"}
    assert off not in {r.endpoint_id for r in rows}


# -- endpoints as data ---------------------------------------------------------------------------

def test_an_organisations_webhooks_file_is_validated_naming_the_field():
    from shared.core.errors import ConfigurationError
    from shared.webhooks.endpoints_file import load_endpoints_file

    good = {"endpoints": [{"url": "https://erp.example.com/hooks", "types": ["complaint.*"],
                           "secret": "whsec_" + "A" * 32}]}
    [record] = load_endpoints_file(good, organization="acme", allow_private=True)
    assert record["endpoint_id"].startswith("ep_file") and record["types"] == ["complaint.*"]
    with pytest.raises(ConfigurationError) as error:
        load_endpoints_file({"endpoints": [{"url": "https://erp.example.com/hooks", "types": ["complaint.*"],
                                            "secret": "plain"}]}, organization="acme", allow_private=True)
    assert "endpoints.0.secret" in str(error.value)
    with pytest.raises(ConfigurationError) as error:
        load_endpoints_file({"endpoints": [{"url": "ftp://erp.example.com", "types": ["*"],
                                            "secret": "whsec_" + "A" * 32}]}, organization="acme", allow_private=True)
    assert "endpoints.0" in str(error.value)


def test_endpoints_of_the_organisations_file_get_the_deliveries_of_its_events(tmp_path):
    """Endpoints are data per organisation: var/data/<org>/webhooks.yaml, read when it changes."""
    import os

    import yaml

    from services.complaints.service import SERVICE

    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET,
                              "HUIFANG_WEBHOOK_ALLOW_PRIVATE": "1"})
    SERVICE.bind(settings, url=f"sqlite:///{tmp_path / 'complaints.db'}")
    own = tmp_path / "data" / "acme" / "webhooks.yaml"
    own.parent.mkdir(parents=True)
    own.write_text(yaml.safe_dump({"endpoints": [{"url": "http://127.0.0.1:9/hooks", "types": ["complaint.*"],
                                                  "secret": "whsec_" + "B" * 32}]}), encoding="utf-8")

    def emit(*, uow, type_):
        uow.emit(type_, {"complaint_id": "K-1"}, organization="acme")

    SERVICE.run(emit, type_="complaint.escalated")
    SERVICE.run(emit, type_="report.sent")  # not a type the endpoint asked for
    D = SERVICE.webhooks.Delivery
    with SERVICE.connection():
        assert [d.event_type for d in D.select()] == ["complaint.escalated"]

    # the file drops the endpoint: it is disabled, nothing more is delivered to it
    own.write_text(yaml.safe_dump({"endpoints": []}), encoding="utf-8")
    os.utime(own, (own.stat().st_atime, own.stat().st_mtime + 5))
    SERVICE.run(emit, type_="complaint.closed")
    with SERVICE.connection():
        assert D.select().count() == 1
        assert [e.enabled for e in SERVICE.webhooks.Endpoint.select()] == [False]
