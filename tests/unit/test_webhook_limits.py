"""Webhooks among many organisations and hostile URLs: an organisation's own private networks,
URLs that would break a mail or a request line, the cap on endpoints, the sender's bounded
threads and its fair turns. Each test is named after what it proves.

The service is the complaints service on the database under test (SQLite or PostgreSQL).
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from shared.core.errors import Conflict
from shared.core.settings import load_settings
from shared.webhooks import deliveries, endpoints, poster, urls
from shared.webhooks.models import PENDING
from shared.webhooks.sender import Sender
from testkit.databases import new_database_url
from testkit.polling import eventually
from testkit.receiver import Receiver
from testkit.tokens import SECRET

PUBLIC = "https://93.184.216.34/hooks"


def _service(tmp_path, **env):
    from services.complaints.service import SERVICE

    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET,
                              "HUIFANG_BROKER_URL": "stub://", **env})
    SERVICE.bind(settings, url=new_database_url("complaints", tmp_path))
    return SERVICE


# -- URLs ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://93.184.216.34/hooks\r\nBcc: all@example.com",
                                 "https://93.184.216.34/ho oks", "https://93.184.216.34/hooks\n",
                                 "https://93.184.216.34/\thooks", "https://93.184.216.34/hooks\x7f"])
def test_a_webhook_url_with_spaces_or_control_characters_is_refused_naming_url(url):
    with pytest.raises(urls.UnsafeDestination) as refused:
        urls.check_url(url, allow_private=True)
    assert refused.value.field == "url"


def test_a_non_ascii_path_is_sent_percent_encoded_and_a_non_ascii_host_in_its_idna_form():
    destination = urls.parse_url("https://回访.example/钩子/收?单=一")
    assert destination.host == "回访.example".encode("idna").decode() == "xn--zbso44j.example"
    assert destination.path == "/%E9%92%A9%E5%AD%90/%E6%94%B6?%E5%8D%95=%E4%B8%80"
    assert urls.parse_url("https://93.184.216.34/a%20b?x=1&y=2").path == "/a%20b?x=1&y=2"  # kept as written


def test_a_non_ascii_path_is_delivered_not_stuck():
    receiver = Receiver(verify=False).start()
    try:
        answer = poster.Poster(allow_private=True).post(receiver.url + "/钩子", b"{}", {})
        assert answer.ok, answer
    finally:
        receiver.stop()


@pytest.mark.parametrize("address", ["2002:0a00:0001::1", "2002:c0a8:0001::5", "2002:7f00:0001::1",
                                     "2002:a9fe:a9fe::1", "64:ff9b::10.0.0.1"])
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_refused(address):
    assert urls.refused_address(address) is not None
    with pytest.raises(urls.UnsafeDestination):
        urls.check_url(f"http://[{address}]/hooks", allow_private=False)


def test_a_6to4_address_of_a_public_ipv4_one_is_taken():
    assert urls.refused_address("2002:5db8:d822::1") is None


# -- an organisation's own private networks ----------------------------------------------------------------

def test_private_networks_are_allowed_to_the_organisation_the_installation_names_them_for(tmp_path):
    service = _service(tmp_path, HUIFANG_WEBHOOK_PRIVATE_NETWORKS="acme=10.20.0.0/16,127.0.0.0/8;beta=10.30.0.0/16")
    assert [str(n) for n in service.settings.webhook_private_networks["acme"]] == ["10.20.0.0/16", "127.0.0.0/8"]
    # acme reaches its own network, not beta's nor any other private one
    assert service.run(endpoints.add_endpoint, organization="acme", url="http://10.20.1.2/hooks", types=["*"])
    for url in ("http://10.30.1.2/hooks", "http://192.168.1.1/hooks"):
        with pytest.raises(urls.UnsafeDestination) as refused:
            service.run(endpoints.add_endpoint, organization="acme", url=url, types=["*"])
        assert "HUIFANG_WEBHOOK_PRIVATE_NETWORKS" in refused.value.message
    with pytest.raises(urls.UnsafeDestination):
        service.run(endpoints.add_endpoint, organization="gamma", url="http://10.20.1.2/hooks", types=["*"])
    # and the sender posts to acme's loopback receiver only for acme
    receiver = Receiver(verify=False).start()
    try:
        from shared.webhooks.sender import poster_for

        assert poster_for(service.settings, "acme").post(receiver.url, b"{}", {}).ok
        refused = poster_for(service.settings, "beta").post(receiver.url, b"{}", {})
        assert not refused.ok and refused.error.startswith("refused")
    finally:
        receiver.stop()


def test_a_bad_private_networks_setting_names_its_variable():
    from shared.core.errors import ConfigurationError

    for raw in ("10.0.0.0/8", "acme=10.0.0.0/33", "=10.0.0.0/8"):
        with pytest.raises(ConfigurationError, match="HUIFANG_WEBHOOK_PRIVATE_NETWORKS"):
            load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_WEBHOOK_PRIVATE_NETWORKS": raw})


# -- one organisation never crowds out the others ----------------------------------------------------------

def test_an_organisation_has_at_most_the_endpoints_the_installation_allows(tmp_path):
    service = _service(tmp_path, HUIFANG_WEBHOOK_MAX_ENDPOINTS="3")
    for _ in range(3):
        service.run(endpoints.add_endpoint, organization="acme", url=PUBLIC, types=["*"])
    with pytest.raises(Conflict, match="HUIFANG_WEBHOOK_MAX_ENDPOINTS"):
        service.run(endpoints.add_endpoint, organization="acme", url=PUBLIC, types=["*"])
    assert service.run(endpoints.add_endpoint, organization="beta", url=PUBLIC, types=["*"])  # another's own cap


def _due(service, organization: str, count: int, *, since) -> list[str]:
    """Adds `count` endpoints of `organization`, each with one delivery due since `since`."""
    ids = []
    for _ in range(count):
        record = service.run(endpoints.add_endpoint, organization=organization, url=PUBLIC, types=["*"])
        ids.append(record["endpoint_id"])
        with service.unit_of_work():
            service.webhooks.Delivery.insert(
                delivery_id=deliveries.new_delivery_id(), endpoint_id=record["endpoint_id"], organization=organization,
                event_id="e-" + record["endpoint_id"], event_type="complaint.closed", body="{}", state=PENDING,
                next_attempt_at=since, created_at=since).execute()
    return ids


def test_due_endpoints_are_taken_in_turn_across_organisations(tmp_path):
    service = _service(tmp_path, HUIFANG_WEBHOOK_MAX_ENDPOINTS="50")
    now = service.clock()
    # given one organisation with 30 endpoints due for an hour, and another with one due just now
    crowd = _due(service, "acme", 30, since=now - timedelta(hours=1))
    [other] = _due(service, "beta", 1, since=now - timedelta(seconds=1))
    # when the sender asks for the due endpoints
    order = service.run(deliveries.due_endpoints)
    # then the other organisation's endpoint comes second, not after the 30
    assert order[0] in crowd and order[1] == other and len(order) == 31


def test_the_sender_runs_at_most_its_threads_at_once_and_every_organisation_gets_its_turn(tmp_path):
    # given a receiver that holds every request until released, and a sender of two threads
    release = threading.Event()
    receiver = Receiver(verify=False).start()
    held = []

    def hold(body, headers):
        held.append(1)
        release.wait(30)
        return 200

    receiver._take = hold
    service = _service(tmp_path, HUIFANG_WEBHOOK_SENDER_THREADS="2", HUIFANG_WEBHOOK_ALLOW_PRIVATE="1",
                       HUIFANG_WEBHOOK_MAX_ENDPOINTS="50")
    now = service.clock()
    for organization in ("acme", "beta"):
        for _ in range(3):
            record = service.run(endpoints.add_endpoint, organization=organization, url=receiver.url, types=["*"])
            with service.unit_of_work():
                service.webhooks.Delivery.insert(
                    delivery_id=deliveries.new_delivery_id(), endpoint_id=record["endpoint_id"],
                    organization=organization, event_id="e", event_type="complaint.closed", body="{}", state=PENDING,
                    next_attempt_at=now - timedelta(minutes=1), created_at=now).execute()
    sender = Sender(service, poll_seconds=0.05).start()
    try:
        # when it has started what it may
        eventually(lambda: len(held) == 2, message="two posts held")
        # then no more than two endpoints are being sent to, one of each organisation
        busy = [t for t in sender._busy.values() if t.is_alive()]
        assert len(busy) == 2
        with service.connection():
            E = service.webhooks.Endpoint
            organizations = {E.get(E.endpoint_id == name.removeprefix("webhook-")).organization
                             for name in (t.name for t in busy)}
        assert organizations == {"acme", "beta"}
        release.set()
        D = service.webhooks.Delivery

        def delivered():
            with service.connection():
                return D.select().where(D.state == "delivered").count() == 6
        eventually(delivered, message="every delivery sent")
    finally:
        release.set()
        sender.stop()
        receiver.stop()
