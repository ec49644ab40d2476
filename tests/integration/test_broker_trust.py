"""Whoever can reach the broker cannot make an admin: the Redis `make run` starts asks for a
password (CONTRACT.md "The broker's password"), and the internal events that carry people and
webhook secrets (`user.updated`, `webhook.endpoint_updated`) are signed by the service that
produced them and refused unsigned, dead-lettered with the reason."""
from __future__ import annotations

import json
import shlex
import subprocess
import uuid

import pytest
import redis

from ops.infra import free_port
from ops.run import plan_broker
from shared.core.settings import broker_url_file, load_settings
from shared.users.store import save_person
from shared.web.auth import issue_token
from testkit.events import envelope, signed
from testkit.malformed import dead_letters
from testkit.mesh import raw_redis_enqueue
from testkit.polling import eventually
from testkit.tokens import SECRET

ORG = "acme-electric"
MALLORY = {"login": "mallory", "role": "admin", "name": "", "password_hash": "scrypt$1024$4$1$c2FsdA$ZGlnZXN0",
           "updated_at": "2026-01-31T02:00:00+00:00"}


def _person(service, login):
    with service.connection():
        return service.users.get(ORG, login)


def test_make_run_starts_a_redis_that_refuses_clients_without_the_password_it_keeps_in_var(tmp_path):
    # given no Redis at the broker's address
    port = free_port()
    settings = load_settings({"HUIFANG_BROKER_URL": f"redis://127.0.0.1:{port}/0", "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_SECRET_KEY": SECRET})
    # when make run plans its broker and the Redis of its Procfile line runs
    line = plan_broker(settings, explicit=False)
    kept = broker_url_file(tmp_path)
    proc = subprocess.Popen(shlex.split(line.removeprefix("redis: ")), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = kept.read_text().strip()
        eventually(lambda: _pings(url), timeout=10, message="the Redis make run starts")
        # then the full URL is kept readable by its owner only, with a password the command line does not show
        assert kept.stat().st_mode & 0o777 == 0o600
        password = redis.connection.parse_url(url)["password"]
        assert password and len(password) >= 32 and password not in line
        # and a client without it may do nothing
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis.from_url(f"redis://127.0.0.1:{port}/0").rpush("dramatiq:events", "x")
        # and every command of the checkout finds the URL when HUIFANG_BROKER_URL is not set
        assert load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET}).broker_url == url
    finally:
        proc.terminate()
        proc.wait(10)


def _pings(url: str) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        return False


def test_the_test_broker_refuses_a_client_without_its_password(redis_server):
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis.from_url(redis_server.url_without_password).ping()
    assert redis.Redis.from_url(redis_server.url).ping()


def _refused_unsigned(letters: dict) -> bool:
    return bool(letters) and all("Unsigned internal event" in (letter["options"].get("dead_letter_reason") or "")
                                 for letter in letters.values())


def _raw_on_queue(client, queue: str, payload) -> str:
    message_id = str(uuid.uuid4())
    body = {"queue_name": queue, "actor_name": f"{queue}_handle_event", "args": [payload], "kwargs": {},
            "options": {}, "message_id": message_id}
    client.hset(f"dramatiq:{queue}.msgs", message_id, json.dumps(body))
    client.rpush(f"dramatiq:{queue}", message_id)
    return message_id


def test_an_unsigned_user_updated_on_a_service_queue_is_dead_lettered_and_makes_no_admin(mesh, redis_server):
    # given someone who can write to the broker, posing as one of the services
    client = redis_server.client()
    forged = envelope("user.updated", MALLORY, source="huifang://scheduler")
    forged_with_wrong_key = signed(envelope("user.updated", {**MALLORY, "login": "eve"},
                                            source="huifang://scheduler"), "another-installation-key-0123")
    # when they put it on a service's own queue, and on the events queue
    _raw_on_queue(client, "complaints", forged)
    _raw_on_queue(client, "reporting", forged_with_wrong_key)
    raw_redis_enqueue(redis_server.url, {**forged, "id": "forged-2"})
    # then each is dead-lettered with the reason, and nobody was added
    for queue in ("complaints", "reporting"):
        eventually(lambda: _refused_unsigned(dead_letters(client, queue)), message=f"the dead letter on {queue}")
    eventually(lambda: dead_letters(client, "events"), message="the forged event on the events queue refused")
    for name in mesh.SERVICES:
        assert _person(mesh.services[name], "mallory") is None and _person(mesh.services[name], "eve") is None
    # while a person entered by a service (signed) reaches the others through the same broker
    mesh.services["scheduler"].run(save_person, organization=ORG, login="zhang", role="manager", password="pw")
    for name in ("complaints", "reporting"):
        eventually(lambda: _person(mesh.services[name], "zhang"), message=f"zhang on {name}")


def test_an_organisations_integration_token_cannot_post_events_as_one_of_huifangs_services(mesh):
    # given an organisation's own integration token
    token = issue_token(SECRET, login="erp", role="integration", organization=ORG)
    shipped = envelope("delivery.shipped", {"delivery_id": "D-9", "customer": {"id": "C-9", "name": "客户"},
                                            "shipped_on": "2026-01-31"})
    # when it posts an event claiming a service's source
    answer = mesh.client("scheduler").post("/api/v1/events", json={**shipped, "source": "huifang://complaints"},
                                           headers={"Authorization": f"Bearer {token}"})
    # then it is refused, while its own source is taken
    assert answer.status_code == 403 and "reserved" in answer.get_json()["detail"]
    assert mesh.client("scheduler").post("/api/v1/events", json=shipped,
                                         headers={"Authorization": f"Bearer {token}"}).status_code == 202
