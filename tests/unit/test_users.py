"""The user directory (shared/users/): password hashes, the last-change-wins upsert, the
conversion of the old data files."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import peewee
import pytest
import yaml

from shared.core.errors import InvalidInput
from shared.core.event_types import REGISTRY
from shared.core.events import load_event
from shared.mesh.service import Service
from shared.core.settings import load_settings
from shared.users.legacy_files import import_people, people_from_data_files
from shared.users.passwords import hash_password, verify_password
from shared.users.store import USER_UPDATED, save_person
from testkit.events import signed

SECRET = "s" * 32
T0 = datetime(2026, 1, 31, 2, 0, tzinfo=timezone.utc)


def test_a_password_hash_is_scrypt_with_its_parameters_and_a_salt_of_its_own():
    first, second = hash_password("secret-1"), hash_password("secret-1")

    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")  # 32 MiB per hash: memory-hard
    assert first != second  # a new salt each time
    assert verify_password("secret-1", first) and verify_password("secret-1", second)
    assert not verify_password("secret-2", first)


def test_a_password_is_checked_with_the_parameters_its_hash_names():
    cheap = hash_password("pw", n=2**10, r=4, p=1)
    assert cheap.startswith("scrypt$1024$4$1$")
    assert verify_password("pw", cheap) and not verify_password("pW", cheap)


@pytest.mark.parametrize("stored", [None, "", "plain", "md5$x$y$z$a$b", "scrypt$abc$8$1$c2FsdA$ZGlnZXN0"])
def test_a_missing_or_malformed_hash_matches_no_password(stored):
    assert not verify_password("anything", stored)


def test_an_empty_password_is_refused():
    with pytest.raises(InvalidInput) as caught:
        hash_password("")
    assert caught.value.field == "password"


@pytest.fixture
def service(tmp_path):
    database = peewee.DatabaseProxy()
    service = Service(name="scheduler", database=database, models=[], handlers={})
    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_DATA_DIR": str(tmp_path / "data")})
    service.bind(settings, url=f"sqlite:///{tmp_path / 'directory.db'}")
    service.clock = lambda: T0
    with service.connection():
        yield service


def _envelope(data: dict, *, source: str = "huifang://complaints", id_: str = "e-1") -> dict:
    return signed({"specversion": "1.0", "id": id_, "type": USER_UPDATED, "source": source,
                   "organization": "acme-electric", "data": data}, SECRET)


def test_make_user_stores_the_person_and_emits_user_updated_in_one_unit_of_work(service):
    record = service.run(save_person, organization="acme-electric", login="li", role="agent", name="李娜",
                         email="li@acme.example", business_lines=["vehicle", "retail"], password="pw-1")

    person = service.users.get("acme-electric", "li")
    assert (person.display_name, person.role, person.email, person.business_lines) == \
        ("李娜", "agent", "li@acme.example", ("retail", "vehicle"))
    assert person.has_password and verify_password("pw-1", record["password_hash"])
    [row] = service.Outbox.select()
    assert row.type == USER_UPDATED and '"login": "li"' in row.envelope
    assert service.users.agents_for("acme-electric", "vehicle")[0].login == "li"
    assert service.users.agents_for("acme-electric", "equipment") == []
    assert service.users.emails_of_role("acme-electric", "agent") == ["li@acme.example"]


def test_saving_a_person_unchanged_emits_nothing_and_a_change_is_always_later(service):
    service.run(save_person, organization="acme-electric", login="li", role="agent", password="pw-1")
    service.run(save_person, organization="acme-electric", login="li", role="agent")
    assert service.Outbox.select().count() == 1

    service.run(save_person, organization="acme-electric", login="li", role="agent", email="li@acme.example")

    assert service.Outbox.select().count() == 2
    assert service.users.get("acme-electric", "li").updated_at > T0  # same clock tick, still later


def test_user_updated_upserts_and_the_latest_change_wins_whatever_the_order(service):
    base = {"login": "wang", "role": "agent", "name": "王强"}
    newer = {**base, "role": "advisor", "updated_at": (T0 + timedelta(minutes=5)).isoformat()}
    older = {**base, "role": "manager", "updated_at": T0.isoformat()}

    assert service.handle(_envelope(newer, id_="e-new")) == "handled"
    assert service.handle(_envelope(older, id_="e-old")) == "handled"
    assert service.handle(_envelope(newer, id_="e-new")) == "duplicate"

    assert service.users.get("acme-electric", "wang").role == "advisor"


def test_user_updated_from_outside_huifang_changes_nothing(service):
    data = {"login": "mallory", "role": "admin", "updated_at": T0.isoformat()}

    service.handle(_envelope(data, source="erp://acme-electric"))

    assert service.users.get("acme-electric", "mallory") is None


def test_user_updated_is_a_produced_type_with_its_schema():
    event = load_event(_envelope({"login": "li", "role": "agent", "updated_at": T0.isoformat(),
                                  "business_lines": ["vehicle"]}))
    assert event.data["updated_at"] == T0 and event.data["password_hash"] is None
    assert USER_UPDATED in REGISTRY


def _write(folder, org: str, service: str, name: str, content: dict) -> None:
    path = folder / org / service / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def test_import_users_converts_the_old_files_into_one_entry_per_person(service, tmp_path):
    data = tmp_path / "data"
    _write(data, "acme-electric", "complaints", "users.yaml", {"users": [
        {"login": "li", "role": "agent", "email": "li@acme.example"},
        {"login": "zhao", "role": "advisor", "email": "zhao@acme.example"},
        {"login": "zhang", "role": "manager", "email": "boss@acme.example"}]})
    _write(data, "acme-electric", "scheduler", "agents.yaml", {"agents": [
        {"login": "li", "business_lines": ["vehicle"]}, {"login": "wang", "business_lines": []}]})
    _write(data, "acme-electric", "reporting", "recipients.yaml", {
        "managers": ["boss@acme.example", "gm@acme.example"], "others": ["audit@acme.example"]})

    people, notes = people_from_data_files(service.settings)
    found = people["acme-electric"]
    assert notes == []
    assert sorted(found) == ["gm", "li", "wang", "zhang", "zhao"]  # boss@ is zhang: entered once
    assert found["li"] == {"login": "li", "role": "agent", "email": "li@acme.example", "business_lines": ["vehicle"]}
    assert found["gm"]["role"] == "manager" and found["gm"]["email"] == "gm@acme.example"

    service.run(save_person, organization="acme-electric", login="li", role="agent", name="李娜", password="pw")
    changed = service.run(import_people, organization="acme-electric", people=found)

    assert changed == ["gm", "li", "wang", "zhang", "zhao"]
    li = service.users.get("acme-electric", "li")
    assert li.display_name == "李娜" and li.has_password  # kept; the e-mail and lines filled in
    assert (li.email, li.business_lines) == ("li@acme.example", ("vehicle",))
    assert not service.users.get("acme-electric", "gm").has_password  # signs in once make user sets one
    assert service.users.emails_of_role("acme-electric", "manager") == ["gm@acme.example", "boss@acme.example"]
    assert service.run(import_people, organization="acme-electric", people=found) == []  # idempotent


def test_import_users_names_a_person_listed_with_two_roles(service, tmp_path):
    data = tmp_path / "data"
    _write(data, "acme-electric", "complaints", "users.yaml", {"users": [
        {"login": "li", "role": "advisor", "email": "li@acme.example"}]})
    _write(data, "acme-electric", "scheduler", "agents.yaml", {"agents": [{"login": "li"}]})

    people, notes = people_from_data_files(service.settings)

    assert people["acme-electric"]["li"]["role"] == "advisor"
    assert notes and "li is advisor" in notes[0]


def test_users_migration_1_2_adds_the_directorys_branch_to_a_database_made_before(tmp_path):
    from shared.core.db import ensure_schema
    from shared.users.migrations import MIGRATIONS
    from shared.users.store import user_model

    database = peewee.SqliteDatabase(str(tmp_path / "old.db"))
    database.execute_sql('CREATE TABLE "directory_user" ("id" INTEGER PRIMARY KEY, "organization" VARCHAR(64), '
                         '"login" VARCHAR(64), "name" VARCHAR(200), "role" VARCHAR(32), "email" VARCHAR(254), '
                         '"phone" VARCHAR(40), "business_lines" VARCHAR(500), "password_hash" VARCHAR(255), '
                         '"active" INTEGER, "updated_at" DATETIME)')
    database.execute_sql("INSERT INTO directory_user (organization, login, name, role, business_lines, active, "
                         "updated_at) VALUES ('acme-electric', 'zhou', '周', 'manager', '', 1, '2026-01-01 00:00:00')")
    User = user_model(database)
    ensure_schema(database, [User], migrations=MIGRATIONS)
    assert "branch" in {c.name for c in database.get_columns("directory_user")}
    assert User.get(User.login == "zhou").branch is None
    ensure_schema(database, [User], migrations=MIGRATIONS)  # applied once
