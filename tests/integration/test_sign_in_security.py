"""Sign-in and page sessions across the three services of one installation: a sign-out ends the
session everywhere (a copy of the cookie included), failed sign-ins are counted before the
password is checked, on every service at once, per login and per address; the log never holds
what was typed as a login; a person deactivated and reactivated does not get old sessions back.

Real Redis (the broker, which also keeps the sign-in counts), real databases, real workers."""
from __future__ import annotations

import logging
import re
import threading

from shared.users.store import save_person
from shared.users.throttle import FREE_ADDRESS_FAILURES, FREE_FAILURES
from shared.web.session import SESSION_COOKIE
from testkit.polling import eventually

ORG = "acme-electric"
PASSWORD = "pw-zhao-1"


def _token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, login: str = "zhao", password: str = PASSWORD, address: str = "10.1.1.1"):
    return client.post("/login", data={"login": login, "password": password, "csrf_token": _token(client)},
                       environ_base={"REMOTE_ADDR": address})


def _person_everywhere(mesh, login: str = "zhao", **changes) -> None:
    mesh.services["scheduler"].run(save_person, organization=ORG, login=login, role="agent", **changes)

    def arrived(name):
        service = mesh.services[name]
        with service.connection():
            row = service.users.row(ORG, login)
            return row is not None and row.updated_at == mesh_row(mesh, login).updated_at

    for name in mesh.SERVICES:
        eventually(lambda: arrived(name), message=f"{login} on {name}")


def mesh_row(mesh, login):
    service = mesh.services["scheduler"]
    with service.connection():
        return service.users.row(ORG, login)


def _signed_in(response) -> bool:
    """Gives whether a page answered as to someone signed in (a signed-out visitor goes to /login)."""
    return not (response.status_code == 303 and response.headers["Location"].startswith("/login"))


def _with_cookie(mesh, name: str, value: str):
    client = mesh.client(name)
    client.set_cookie(SESSION_COOKIE, value, domain="localhost")
    return client


def test_sign_out_on_one_service_ends_the_session_and_its_copies_on_all_three(mesh):
    # given zhao signed in on the scheduler, and a copy of the cookie taken then
    _person_everywhere(mesh, password=PASSWORD)
    browser = mesh.client("scheduler")
    assert _sign_in(browser).status_code == 303
    copied = browser.get_cookie(SESSION_COOKIE).value
    for name in mesh.SERVICES:  # one sign-in is valid on every service
        assert _signed_in(_with_cookie(mesh, name, copied).get("/"))
    # when zhao signs out
    assert browser.post("/logout", data={"csrf_token": _token(browser, "/")}).status_code == 303
    # then the copy is refused on the scheduler at once, and on the others as the sign-out reaches them
    assert not _signed_in(_with_cookie(mesh, "scheduler", copied).get("/"))
    for name in ("complaints", "reporting"):
        eventually(lambda: not _signed_in(_with_cookie(mesh, name, copied).get("/")),
                   message=f"the sign-out to reach {name}")


def test_parallel_wrong_guesses_past_the_free_ones_are_not_checked(mesh):
    # given a person, and an attacker sending many guesses at once
    _person_everywhere(mesh, password=PASSWORD)
    answers = []
    guard = threading.Lock()

    def guess(i):
        answer = _sign_in(mesh.client("scheduler"), password=f"guess-{i}", address=f"10.2.0.{i}")
        with guard:
            answers.append(answer.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then at most the free ones were checked; the rest were told to wait
    assert answers.count(401) <= FREE_FAILURES
    assert sorted(set(answers)) <= [401, 429] and answers.count(429) >= 12 - FREE_FAILURES


def test_failed_sign_ins_on_one_service_block_the_login_on_the_others(mesh):
    # given the free failures used up on the scheduler
    _person_everywhere(mesh, password=PASSWORD)
    for i in range(FREE_FAILURES):
        assert _sign_in(mesh.client("scheduler"), password=f"wrong-{i}").status_code == 401
    # when the next try goes to another service, even with the right password
    answer = _sign_in(mesh.client("complaints"), password=PASSWORD, address="10.9.9.9")
    # then it waits too
    assert answer.status_code == 429


def test_one_address_trying_many_logins_is_slowed_down(mesh):
    # given one address guessing a different login each time
    for i in range(FREE_ADDRESS_FAILURES):
        assert _sign_in(mesh.client("reporting"), login=f"user{i}", password="x", address="10.3.3.3").status_code \
            == 401
    # then the next login from it waits, whatever the login
    assert _sign_in(mesh.client("reporting"), login="somebody-else", password="x",
                    address="10.3.3.3").status_code == 429
    # while another address is not held back
    assert _sign_in(mesh.client("reporting"), login="somebody-else", password="x",
                    address="10.4.4.4").status_code == 401


def test_a_failed_sign_in_logs_a_digest_of_what_was_typed_as_the_login(mesh, caplog):
    typed = "my-secret-password-typed-in-the-login-box"
    with caplog.at_level(logging.INFO, logger="shared.web.pages"):
        assert _sign_in(mesh.client("scheduler"), login=typed, password="x").status_code == 401
    assert "failed sign-in" in caplog.text and typed not in caplog.text


def test_reactivating_a_person_does_not_revive_their_old_session(mesh):
    # given zhao signed in
    _person_everywhere(mesh, password=PASSWORD)
    browser = mesh.client("scheduler")
    assert _sign_in(browser).status_code == 303
    cookie = browser.get_cookie(SESSION_COOKIE).value
    # when zhao is deactivated, then reactivated
    _person_everywhere(mesh, active=False)
    _person_everywhere(mesh, active=True)
    # then the session of before stays ended on every service
    for name in mesh.SERVICES:
        assert not _signed_in(_with_cookie(mesh, name, cookie).get("/"))
