"""Hostile input and hostile tenants, the second round: each test is named after what it proves.

The apps are the three services' own, on SQLite files and the stub broker (the `apps` fixture).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from services.complaints.errors import Forbidden, InvalidInput
from services.complaints.domain.intake import check_raise
from services.complaints.domain.policy import load_policy
from shared.core.errors import InvalidEvent
from shared.core.events import validate_envelope
from testkit.apps import assert_problem, client
from testkit.doubles import FakeClock
from testkit.tokens import API_TOKEN, INTEGRATION, ORG, SECRET, user

CST = timezone(timedelta(hours=8))


def _complaint(**fields) -> dict:
    return {"customer": {"id": "C-1", "name": "王先生"}, "description": "空调不制冷", "source": "walk_in", **fields}


def _envelope(data: dict, *, source: str = "erp://acme", time: str | None = None) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "complaint.raised", "source": source,
            "organization": ORG, "time": time, "data": data}


def _ago(**delta) -> str:
    return (datetime.now(CST) - timedelta(**delta)).isoformat()


# -- complaint ids, raised_at and the manufacturer source ----------------------------------------

def test_a_person_gets_a_server_made_id_and_may_not_choose_one(apps):
    complaints = client(apps, "complaints")
    # given an agent who knows a task id: the complaint its dissatisfied callback will raise is callback-<id>
    taken = complaints.post("/api/v1/complaints", json=_complaint(complaint_id="callback-41"), headers=user("agent"))
    # then choosing the id is refused, naming the field, and nothing is stored (403: the integration may;
    # a 422 would say a schema-valid body was malformed)
    assert_problem(taken, 403, "complaint_id")
    assert complaints.get("/api/v1/complaints/callback-41", headers=user("manager")).status_code == 404
    # and without one the server makes it
    made = complaints.post("/api/v1/complaints", json=_complaint(), headers=user("agent"))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["id"].startswith("CMP-")


def test_the_integration_names_its_own_ids_never_those_huifang_makes(apps):
    complaints = client(apps, "complaints")
    path = f"/api/v1/complaints?organization={ORG}"
    for own in ("callback-42", "CMP-0123456789AB", "cmp-x"):
        assert_problem(complaints.post(path, json=_complaint(complaint_id=own), headers=INTEGRATION),
                       422, "complaint_id")
    first = complaints.post(path, json=_complaint(complaint_id="ERP-000042", source="hotline"), headers=INTEGRATION)
    assert first.status_code == 201 and first.get_json()["id"] == "ERP-000042", first.get_json()
    again = complaints.post(path, json=_complaint(complaint_id="ERP-000042"), headers=INTEGRATION)
    assert_problem(again, 409)
    assert "hotline" in again.get_json()["detail"]  # the one already there came in by another source


def test_an_event_from_outside_huifang_cannot_take_a_complaint_id_huifang_makes(apps):
    # given the id a dissatisfied callback of task 43 raises: only the scheduler sends it
    with pytest.raises(InvalidEvent) as refused:
        validate_envelope(_envelope(_complaint(complaint_id="callback-43")))
    assert "data.complaint_id" in refused.value.errors
    validate_envelope(_envelope(_complaint(complaint_id="callback-43"), source="huifang://scheduler"))
    validate_envelope(_envelope(_complaint(complaint_id="ERP-43")))
    # and an admin posting it is told which field, nothing stored
    for service in ("complaints", "scheduler"):
        response = client(apps, service).post("/api/v1/events", headers=user("admin"),
                                              json=_envelope(_complaint(complaint_id="callback-43")))
        assert_problem(response, 422, "data.complaint_id")


def test_a_person_dates_a_complaint_only_within_the_window(apps):
    complaints = client(apps, "complaints")
    backdated = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(days=3)), headers=user("agent"))
    assert_problem(backdated, 403, "raised_at")
    ahead = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(hours=-2)), headers=user("agent"))
    assert_problem(ahead, 403, "raised_at")
    recent = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(minutes=20)), headers=user("agent"))
    assert recent.status_code == 201, recent.get_json()
    # the integration forwards older complaints from the system that took them
    older = complaints.post(f"/api/v1/complaints?organization={ORG}", headers=INTEGRATION,
                            json=_complaint(complaint_id="ERP-OLD-1", raised_at=_ago(days=3)))
    assert older.status_code == 201, older.get_json()
    # an admin posting complaint.raised may not backdate it either, by its data or by the envelope's time
    for envelope in (_envelope(_complaint(complaint_id="ERP-OLD-2", raised_at=_ago(days=3))),
                     _envelope(_complaint(complaint_id="ERP-OLD-3"), time=_ago(days=3))):
        assert_problem(client(apps, "complaints").post("/api/v1/events", headers=user("admin"), json=envelope),
                       422, "data.raised_at")


def test_the_manufacturer_source_only_from_roles_the_policy_allows(apps):
    complaints = client(apps, "complaints")
    # given the default policy: a complaint forwarded by the manufacturer starts at the top level
    refused = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"), headers=user("agent"))
    assert_problem(refused, 403, "source")
    allowed = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"), headers=user("manager"))
    assert allowed.status_code == 201, allowed.get_json()
    assert allowed.get_json()["level_role"] == "manager"
    # an admin posting the event is refused too (people raise it where the policy decides)
    posted = complaints.post("/api/v1/events", headers=user("admin"),
                             json=_envelope(_complaint(complaint_id="ERP-M-1", source="manufacturer")))
    assert_problem(posted, 403)
    # when an organisation's policy lets its hotline agents say so, they may
    other = "plant-services"
    settings = apps["complaints"].config["HUIFANG_SETTINGS"]
    folder = settings.data_dir / other / "complaints" / "policies"
    folder.mkdir(parents=True, exist_ok=True)
    default = yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8"))
    (folder / "default.yaml").write_text(yaml.safe_dump(
        {**default, "source_roles": {"manufacturer": ["agent", "manager"]}}, allow_unicode=True), encoding="utf-8")
    mine = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"),
                           headers=user("agent", org=other))
    assert mine.status_code == 201, mine.get_json()


def test_check_raise_is_a_pure_rule_with_the_field_named():
    policy = load_policy(yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8")))
    now = datetime(2026, 11, 20, 17, 0, tzinfo=CST)
    check_raise(role="agent", data={"source": "hotline", "raised_at": now - timedelta(minutes=59)}, now=now,
                window_minutes=60, policy=policy)
    cases = [("agent", {"complaint_id": "K-1"}, Forbidden, "complaint_id"),
             ("agent", {"raised_at": now - timedelta(minutes=61)}, Forbidden, "raised_at"),
             ("advisor", {"source": "manufacturer"}, Forbidden, "source"),
             ("integration", {"complaint_id": "Callback-1"}, InvalidInput, "complaint_id")]
    for role, data, error, field in cases:
        with pytest.raises(error) as refused:
            check_raise(role=role, data=data, now=now, window_minutes=60, policy=policy)
        assert refused.value.field == field
    check_raise(role="integration", data={"complaint_id": "K-1", "source": "manufacturer",
                                          "raised_at": now - timedelta(days=30)}, now=now, window_minutes=60,
                policy=policy)
    with pytest.raises(Exception, match="source_roles"):
        load_policy({**yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8")),
                     "source_roles": {"manufacturer": ["chief"]}})


# -- the ledger import's limits, errors capped, large files in the background -----------------

LEDGER_HEADER = "发货单号,顾客编号,顾客名称,发货时间"


def _csv(lines: list[str], header: str = LEDGER_HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def _xlsx(rows: list[list]) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _import(apps, content: bytes, name: str = "ledger.csv", dry_run: bool = True):
    import io

    return client(apps, "scheduler").post("/api/v1/ledger/import", query_string={"dry_run": "1"} if dry_run else {},
                                          data={"file": (io.BytesIO(content), name)}, headers=user("agent"),
                                          content_type="multipart/form-data")


def test_the_limits_are_settings_with_sane_defaults():
    from services.scheduler.ledger_file import DEFAULT_LIMITS, limits_of
    from shared.core.errors import ConfigurationError
    from shared.core.settings import load_settings

    defaults = limits_of(load_settings({"HUIFANG_SECRET_KEY": SECRET}))
    assert defaults == DEFAULT_LIMITS
    assert (defaults.max_rows, defaults.max_columns, defaults.max_errors) == (100_000, 64, 100)
    mine = limits_of(load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_IMPORT_MAX_ROWS": "500",
                                    "HUIFANG_IMPORT_MAX_COLUMNS": "20",
                                    "HUIFANG_IMPORT_MAX_UNPACKED_BYTES": str(2 * 1024 * 1024)}))
    assert (mine.max_rows, mine.max_columns, mine.max_unpacked_bytes) == (500, 20, 2 * 1024 * 1024)
    with pytest.raises(ConfigurationError, match="HUIFANG_IMPORT_MAX_ROWS"):
        load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_IMPORT_MAX_ROWS": "0"})


def test_a_workbook_unpacking_beyond_the_limit_is_refused_before_it_is_unpacked():
    from services.scheduler.errors import LedgerFileInvalid
    from services.scheduler.ledger_file import ImportLimits, read_table, unpacked_size

    # given a small workbook whose cells unpack to megabytes (a repeated string compresses well)
    bomb = _xlsx([["发货单号", "顾客编号", "顾客名称", "发货时间", "备注"]]
                 + [[f"D-{i}", "C-1", "甲", "2026-01-31", "x" * 30_000] for i in range(100)])
    assert len(bomb) < 200_000 < 3_000_000 < unpacked_size("bomb.xlsx", bomb)
    with pytest.raises(LedgerFileInvalid) as refused:
        read_table("bomb.xlsx", bomb, limits=ImportLimits(max_unpacked_bytes=1024 * 1024))
    assert refused.value.field == "file" and "unpacks to more than 1 MB" in refused.value.message
    with pytest.raises(LedgerFileInvalid, match="unpacks"):
        read_table("big.csv", _csv(["D-1,C-1,甲,2026-01-31"] * 10), limits=ImportLimits(max_unpacked_bytes=100))


def test_rows_beyond_the_limit_refuse_the_file_while_it_is_read():
    from services.scheduler.errors import LedgerFileInvalid
    from services.scheduler.ledger_file import ImportLimits, load_ledger_file

    limits = ImportLimits(max_rows=50)
    assert len(load_ledger_file("ok.csv", _csv([f"D-{i},C-1,甲,2026-01-31" for i in range(50)]), limits=limits)) == 50
    for name, content in (("long.csv", _csv([f"D-{i},C-1,甲,2026-01-31" for i in range(51)])),
                          ("long.xlsx", _xlsx([LEDGER_HEADER.split(",")]
                                              + [[f"D-{i}", "C-1", "甲", "2026-01-31"] for i in range(51)]))):
        with pytest.raises(LedgerFileInvalid) as refused:
            load_ledger_file(name, content, limits=limits)
        assert refused.value.field == "file" and "more than 50 rows" in refused.value.message, name


def test_columns_beyond_the_header_are_never_read_and_a_wide_header_is_refused():
    from openpyxl import Workbook

    import io

    from services.scheduler.errors import LedgerFileInvalid
    from services.scheduler.ledger_file import ImportLimits, read_table

    # given a workbook whose second row has a cell in the last column Excel has (XFD: 16,384)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(LEDGER_HEADER.split(","))
    sheet.append(["D-1", "C-1", "甲", "2026-01-31"])
    sheet.cell(row=2, column=16384, value="x")
    out = io.BytesIO()
    workbook.save(out)
    header, rows = read_table("wide.xlsx", out.getvalue())
    # then the rows are as wide as the header, not 16,384 cells
    assert header == LEDGER_HEADER.split(",") and [len(r) for r in rows] == [4]
    limits = ImportLimits(max_columns=16)
    wide_header = ",".join([LEDGER_HEADER] + [f"列{i}" for i in range(13)])
    for name, content in (("wide.csv", _csv(["D-1,C-1,甲,2026-01-31"], header=wide_header)),
                          ("wide.xlsx", _xlsx([wide_header.split(","), ["D-1", "C-1", "甲", "2026-01-31"]]))):
        with pytest.raises(LedgerFileInvalid, match="more than 16 columns"):
            read_table(name, content, limits=limits)
    # a CSV row wider than the limit (a million commas) is refused too
    with pytest.raises(LedgerFileInvalid, match="Row 2 has more than 16 columns"):
        list(read_table("commas.csv", _csv(["D-1,C-1,甲,2026-01-31" + "," * 100]), limits=limits)[1])


def test_the_first_100_problems_are_listed_and_the_rest_counted(apps):
    # given a file of 2,000 rows, each with two bad cells (a 2 MB CSV gave a 190 MB answer)
    content = _csv([f"D/{i},C-1,甲,2026-02-30" for i in range(2000)])
    response = _import(apps, content)
    assert_problem(response, 422)
    errors = response.get_json()["errors"]
    assert len(errors) == 101 and "3900 more problems are not listed" in errors["more"][0]
    assert "4000 problems" in response.get_json()["detail"]
    assert len(response.get_data()) < 50_000


def test_a_large_file_is_imported_by_the_worker_with_its_progress(apps):
    from services.scheduler import jobs
    from services.scheduler.service import SERVICE

    # given a file unpacking to more than HUIFANG_IMPORT_BACKGROUND_BYTES (1 MiB by default)
    lines = [f"D-BG-{i},C-BG,华东电力,2026-01-31,{'备' * 40_000}" for i in range(10)]
    content = _csv(lines, header=LEDGER_HEADER + ",备注")
    assert len(content) > 1024 * 1024
    # when it is posted, the web process only stores and queues it
    queued = _import(apps, content, dry_run=False)
    assert queued.status_code == 202, queued.get_json()
    body = queued.get_json()
    assert body["state"] == "queued" and body["status"] == f"/api/v1/ledger/imports/{body['import_id']}"
    progress = client(apps, "scheduler").get(body["status"], headers=user("agent"))
    assert progress.status_code == 200 and progress.get_json()["state"] == "queued", progress.get_json()
    # then the worker's job imports it, counting its progress where the status says
    assert jobs.run_ledger_import(SERVICE, body["import_id"]) == "done"
    done = client(apps, "scheduler").get(body["status"], headers=user("agent")).get_json()
    assert (done["state"], done["rows"], done["processed"], done["created"]) == ("done", 10, 10, 10)
    # another organisation does not see it
    assert client(apps, "scheduler").get(body["status"], headers=user("agent", org="other-org")).status_code == 404


# -- no message bodies in logs --------------------------------------------------------------------------

def test_a_failing_message_is_logged_by_id_and_type_never_its_body(caplog):
    import logging

    import dramatiq
    from dramatiq import Worker
    from dramatiq.brokers.stub import StubBroker

    from shared.core.logs import configure_logging

    configure_logging()
    broker = StubBroker()
    broker.emit_after("process_boot")

    @dramatiq.actor(broker=broker, max_retries=0, queue_name="complaints", actor_name="complaints_handle_event")
    def handle(envelope):
        raise RuntimeError("database unavailable")

    customer = {"id": "C-12", "name": "王秀英", "phone": "13812345678"}
    envelope = {"specversion": "1.0", "id": "ev-12", "type": "complaint.raised", "source": "erp://t",
                "organization": ORG, "data": {"complaint_id": "ERP-12", "customer": customer,
                                              "description": "维修后空调仍不制冷"}}
    worker = Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        with caplog.at_level(logging.DEBUG):
            message = handle.send(envelope)
            broker.join("complaints", fail_fast=False)
            worker.join()
    finally:
        worker.stop()
    lines = [r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
             for r in caplog.records]
    failed = [line for line in lines if "Failed to process message" in line]
    assert failed, lines
    assert message.message_id in failed[0] and "ev-12" in failed[0] and "complaint.raised" in failed[0]
    for secret in ("王秀英", "13812345678", "维修后空调仍不制冷"):
        assert not any(secret in line for line in lines), secret


# -- tokens: no `*` claims, key rotation, the integration token's length, per-organisation ----

def test_a_signed_claim_of_every_organisation_is_refused(apps):
    from itsdangerous import URLSafeTimedSerializer

    from shared.web.auth import AuthError, verify_token

    # given a token signed with the installation's key that claims organisation `*` (as integration or admin)
    for role in ("integration", "admin"):
        forged = URLSafeTimedSerializer(SECRET, salt="huifang-user-token").dumps({"l": "x", "r": role, "o": "*"})
        with pytest.raises(AuthError):
            verify_token(forged, secret_key=SECRET, api_token=API_TOKEN)
        response = client(apps, "complaints").get("/api/v1/complaints?organization=acme-electric",
                                                  headers={"Authorization": f"Bearer {forged}"})
        assert_problem(response, 401)
    # only the installation's own integration token acts for every organisation
    assert verify_token(API_TOKEN, secret_key=SECRET, api_token=API_TOKEN).organization == "*"


def test_an_organisations_integration_token_acts_for_it_alone(apps):
    from shared.web.auth import issue_token

    token = {"Authorization": f"Bearer {issue_token(SECRET, login='erp', role='integration', organization=ORG)}"}
    mine = client(apps, "complaints").get("/api/v1/complaints", headers=token)
    assert mine.status_code == 200, mine.get_json()
    theirs = client(apps, "complaints").get("/api/v1/complaints?organization=other-org", headers=token)
    assert_problem(theirs, 403)
    posted = client(apps, "complaints").post("/api/v1/complaints", headers=token,
                                             json=_complaint(complaint_id="ERP-14", source="manufacturer"))
    assert posted.status_code == 201 and posted.get_json()["organization"] == ORG, posted.get_json()


def test_make_token_role_integration_org_prints_an_organisations_token(tmp_path):
    import os
    import subprocess
    import sys

    from shared.web.auth import verify_token

    env = {**os.environ, "HUIFANG_SECRET_KEY": SECRET, "HUIFANG_API_TOKEN": API_TOKEN,
           "HUIFANG_VAR_DIR": str(tmp_path), "PYTHONPATH": "."}
    answer = subprocess.run([sys.executable, "-m", "ops", "token", "--role", "integration", "--org", ORG],
                            env=env, capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    who = verify_token(answer.stdout.strip(), secret_key=SECRET, api_token=API_TOKEN)
    assert (who.role, who.organization) == ("integration", ORG)


def test_keys_rotate_the_first_signs_every_one_verifies():
    from shared.web.auth import AuthError, issue_token, verify_token
    from shared.core.settings import load_settings

    old, new = "o" * 32, "n" * 32
    settings = load_settings({"HUIFANG_SECRET_KEY": f"{new},{old}"})
    assert settings.secret_key == new and settings.verifying_keys == (new, old)
    issued_before = issue_token(old, login="li", role="agent", organization=ORG)
    issued_now = issue_token(settings.verifying_keys, login="li", role="agent", organization=ORG)
    # the old key's tokens still work while it is listed; new ones are signed with the new key
    assert verify_token(issued_before, secret_key=settings.verifying_keys, api_token=None).login == "li"
    assert verify_token(issued_now, secret_key=new, api_token=None).login == "li"
    # and once the old key is dropped, its tokens stop working
    with pytest.raises(AuthError):
        verify_token(issued_before, secret_key=(new,), api_token=None)


def test_the_integration_token_has_a_minimum_length():
    from shared.core.errors import ConfigurationError
    from shared.core.settings import MIN_API_TOKEN_LENGTH, load_settings

    with pytest.raises(ConfigurationError, match="HUIFANG_API_TOKEN"):
        load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_API_TOKEN": "secret"})
    assert load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_API_TOKEN": "t" * MIN_API_TOKEN_LENGTH}).api_token
    with pytest.raises(ConfigurationError, match="HUIFANG_SECRET_KEY"):
        load_settings({"HUIFANG_SECRET_KEY": f"{SECRET},short"})


def test_an_admin_revokes_a_persons_tokens_and_sessions(apps):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from services.complaints.service import SERVICE
    from shared.web.session import still_valid
    from shared.users.store import save_person

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 120

    def token_of(signer=None) -> dict:
        claims = {"l": "wang", "r": "agent", "o": ORG}
        serializer = URLSafeTimedSerializer(SECRET, salt="huifang-user-token", **({"signer": signer} if signer else {}))
        return {"Authorization": f"Bearer {serializer.dumps(claims)}"}

    complaints = client(apps, "complaints")
    old = token_of(Earlier)
    saved = SERVICE.clock
    try:
        # given wang in the directory (three minutes ago) with a token issued two minutes ago
        SERVICE.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=180)
        SERVICE.run(save_person, organization=ORG, login="wang", role="agent")
        assert complaints.get("/api/v1/complaints", headers=old).status_code == 200
        # when an admin revokes wang's tokens (a minute ago, as the directory says)
        SERVICE.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=60)
        record = SERVICE.run(save_person, organization=ORG, login="wang", revoke_tokens=True)
    finally:
        SERVICE.clock = saved
    assert record["tokens_not_before"]
    # then the token issued before is refused, one issued since works
    assert_problem(complaints.get("/api/v1/complaints", headers=old), 401)
    assert complaints.get("/api/v1/complaints", headers=token_of()).status_code == 200
    # and a page session started before ends, one started since goes on
    with SERVICE.connection():
        row = SERVICE.users.row(ORG, "wang")
    claims = {"l": "wang", "r": "agent", "o": ORG, "u": row.updated_at.isoformat(), "p": "",
              "t": (datetime.now(timezone.utc) - timedelta(seconds=120)).isoformat()}
    assert not still_valid(claims, row)
    assert still_valid({**claims, "t": datetime.now(timezone.utc).isoformat()}, row)
    # and the cutoff travels to the other services with user.updated
    from shared.core.event_types import UserUpdated

    assert UserUpdated().load(record)["tokens_not_before"] is not None


def test_review_a_deactivated_persons_api_token_is_refused_as_their_page_session_is(apps):
    """Review: deactivating a person ended their page sessions but not their bearer tokens
    (valid 90 days); only `make revoke-tokens` did."""
    from services.complaints.service import SERVICE
    from shared.users.store import save_person

    complaints = client(apps, "complaints")
    SERVICE.run(save_person, organization=ORG, login="zhou", role="agent")
    token = user("agent", login="zhou")
    assert complaints.get("/api/v1/complaints", headers=token).status_code == 200
    SERVICE.run(save_person, organization=ORG, login="zhou", active=False)  # zhou left
    assert_problem(complaints.get("/api/v1/complaints", headers=token), 401)
    SERVICE.run(save_person, organization=ORG, login="zhou", active=True)  # and came back
    # the token of before stays refused: deactivation ended it for good
    assert_problem(complaints.get("/api/v1/complaints", headers=token), 401)


# -- the audit log, read by managers --------------------------------------------------------------------

def test_who_posted_an_event_imported_exported_phones_or_sent_a_report_is_read_by_managers(apps):
    import io

    # given an admin who posts an event, an agent who imports the ledger and a manager who exports it
    posted = client(apps, "scheduler").post("/api/v1/events", headers=user("admin", login="boss"), json={
        "specversion": "1.0", "id": "ev-15", "type": "customer.updated", "source": "erp://acme",
        "organization": ORG, "data": {"customer": {"id": "C-15", "name": "王先生", "phone": "13812345678"}}})
    assert posted.status_code == 202, posted.get_json()
    imported = client(apps, "scheduler").post(
        "/api/v1/ledger/import", headers=user("agent", login="wang"), content_type="multipart/form-data",
        data={"file": (io.BytesIO(_csv(["D-15,C-15,王先生,2026-01-31"])), "ledger.csv")})
    assert imported.status_code == 200, imported.get_json()
    exported = client(apps, "scheduler").get("/api/v1/ledger.csv", headers=user("manager", login="zhang"))
    assert exported.status_code == 200
    # when a manager reads the scheduler's audit log
    response = client(apps, "scheduler").get("/api/v1/audit", headers=user("manager", login="zhang"))
    assert response.status_code == 200, response.get_json()
    entries = {(e["action"], e["login"], e["role"]): e for e in response.get_json()}
    # then each is there: who, when, what (ids, never personal data)
    assert entries[("event.posted", "boss", "admin")]["subject"] == "ev-15"
    assert entries[("event.posted", "boss", "admin")]["detail"]["type"] == "customer.updated"
    assert entries[("ledger.imported", "wang", "agent")]["detail"]["rows"] == 1
    assert ("phones.exported", "zhang", "manager") in entries
    assert all(e["at"] for e in entries.values())
    assert "王先生" not in response.get_data(as_text=True) and "13812345678" not in response.get_data(as_text=True)
    # filtered by action; an agent may not read it; another organisation sees none of it
    only = client(apps, "scheduler").get("/api/v1/audit?action=event.posted", headers=user("admin"))
    assert {e["action"] for e in only.get_json()} == {"event.posted"}
    assert_problem(client(apps, "scheduler").get("/api/v1/audit", headers=user("agent")), 403)
    assert client(apps, "scheduler").get("/api/v1/audit", headers=user("manager", org="other-org")).get_json() == []


# -- erasing a customer in the complaints and scheduler services too ------------------------

def test_erase_customer_blanks_complaints_and_scheduler_data(apps):
    import io

    from services.complaints.service import SERVICE as COMPLAINTS
    from services.scheduler.service import SERVICE as SCHEDULER
    from shared.mesh.retention import erase_customer

    raised = client(apps, "complaints").post(f"/api/v1/complaints?organization={ORG}", headers=INTEGRATION, json={
        "complaint_id": "ERP-17", "customer": {"id": "C-17", "name": "李女士", "phone": "13712345678"},
        "description": "李女士家的空调漏水", "source": "hotline"})
    assert raised.status_code == 201, raised.get_json()
    imported = client(apps, "scheduler").post(
        "/api/v1/ledger/import", headers=user("agent"), content_type="multipart/form-data",
        data={"file": (io.BytesIO(_csv(["D-17,C-17,李女士,2026-01-31"])), "ledger.csv")})
    assert imported.status_code == 200, imported.get_json()
    assert COMPLAINTS.run(erase_customer, organization=ORG, customer_id="C-17")["complaint"] == 1
    assert SCHEDULER.run(erase_customer, organization=ORG, customer_id="C-17")["customer"] == 1
    shown = client(apps, "complaints").get("/api/v1/complaints/ERP-17", headers=user("manager")).get_json()
    assert "李女士" not in json.dumps(shown, ensure_ascii=False) and "13712345678" not in json.dumps(shown)
    assert (shown["state"], shown["level"]) == ("open", 0)  # the complaint itself, its deadlines and figures stay
    ledger = client(apps, "scheduler").get("/api/v1/ledger?customer_id=C-17", headers=user("manager")).get_json()
    assert ledger and "李女士" not in json.dumps(ledger, ensure_ascii=False)


# -- the OpenAPI documents say what the routes answer on error --------------------------------

def test_every_operation_documents_its_problem_json_answers(specs):
    for name, spec in specs.items():
        assert spec["components"]["schemas"]["Problem"]["required"] == ["title", "status"]
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                responses = operation["responses"]
                for status in ("401", "403", "422", "default", *(["404"] if "{" in path else [])):
                    assert "application/problem+json" in responses[status]["content"], (name, method, path, status)
                for status, answer in responses.items():
                    if status.startswith(("4", "5")) or status == "default":
                        assert list(answer.get("content", {})) == ["application/problem+json"], (name, path, status)


def test_real_error_answers_are_documented_for_their_operation(apps, specs):
    checks = [("complaints", "get", "/api/v1/complaints", "/api/v1/complaints", {}, 401),
              ("scheduler", "get", "/api/v1/audit", "/api/v1/audit", user("agent"), 403),
              ("complaints", "get", "/api/v1/complaints/{complaint_id}", "/api/v1/complaints/NOPE", user("agent"), 404),
              ("complaints", "get", "/api/v1/complaints", "/api/v1/complaints?state=bogus", user("agent"), 422)]
    for service, method, documented, path, headers, status in checks:
        response = getattr(client(apps, service), method)(path, headers=headers)
        assert response.status_code == status, (path, response.get_json())
        assert response.mimetype == "application/problem+json"
        operation = specs[service]["paths"][documented][method]
        assert response.mimetype in operation["responses"][str(status)]["content"], (service, documented, status)


def test_the_ledger_import_documents_its_required_file(specs):
    body = specs["scheduler"]["paths"]["/api/v1/ledger/import"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]


# -- repeated sends and heavy requests are limited per user ------------------------------------

def test_repeated_report_sends_and_heavy_requests_are_limited_per_user(apps):
    from services.reporting.service import SERVICE as REPORTING

    reporting = client(apps, "reporting")
    saved = REPORTING.clock
    REPORTING.clock = FakeClock(datetime(2026, 11, 20, 10, 0, 5, tzinfo=CST))
    try:
        # given a manager who sends the report five times within an hour (no recipients yet: 422 each)
        for _ in range(5):
            assert reporting.post("/api/v1/reports/2026-10/send", json={},
                                  headers=user("manager", login="m1")).status_code == 422
        # then the sixth is refused, saying when to try again; another manager is not
        sixth = reporting.post("/api/v1/reports/2026-10/send", json={}, headers=user("manager", login="m1"))
        assert_problem(sixth, 429)
        assert "try again in" in sixth.get_json()["detail"]
        assert reporting.post("/api/v1/reports/2026-10/send", json={},
                              headers=user("manager", login="m2")).status_code == 422
        # and an hour later the first may send again
        REPORTING.clock.set(datetime(2026, 11, 20, 11, 0, 5, tzinfo=CST))
        assert reporting.post("/api/v1/reports/2026-10/send", json={},
                              headers=user("manager", login="m1")).status_code == 422
        # heavy requests (the worker asked to make figures or a PDF): twenty a minute per user,
        # figures and PDF together; figures already made are served without counting
        months = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
        for i, month in enumerate(months[:20]):
            path = f"/api/v1/reports/{month}.pdf" if i == 0 else f"/api/v1/reports/{month}"
            assert reporting.get(path, headers=user("manager", login="m3")).status_code == 200
        assert_problem(reporting.get(f"/api/v1/reports/{months[20]}", headers=user("manager", login="m3")), 429)
        assert reporting.get(f"/api/v1/reports/{months[5]}", headers=user("manager", login="m3")).status_code == 200
        REPORTING.clock.set(datetime(2026, 11, 20, 11, 1, 5, tzinfo=CST))
        assert reporting.get(f"/api/v1/reports/{months[20]}", headers=user("manager", login="m3")).status_code == 200
    finally:
        REPORTING.clock = saved


def test_a_change_of_role_ends_the_tokens_issued_with_the_old_one(apps):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from services.complaints.service import SERVICE
    from shared.users.store import save_person

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 120

    def token_of(role: str, signer=None) -> dict:
        serializer = URLSafeTimedSerializer(SECRET, salt="huifang-user-token", **({"signer": signer} if signer else {}))
        return {"Authorization": f"Bearer {serializer.dumps({'l': 'sun', 'r': role, 'o': ORG})}"}

    complaints = client(apps, "complaints")
    old = token_of("manager", Earlier)
    saved = SERVICE.clock
    try:
        # given sun, a manager (three minutes ago), with a manager's token issued two minutes ago
        SERVICE.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=180)
        SERVICE.run(save_person, organization=ORG, login="sun", role="manager")
        assert complaints.get("/api/v1/audit", headers=old).status_code == 200
        # when an admin makes sun an agent (a minute ago) and changes nothing else
        SERVICE.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=60)
        record = SERVICE.run(save_person, organization=ORG, login="sun", role="agent")
        # and later only their name: no new cutoff
        SERVICE.clock = lambda: datetime.now(timezone.utc) - timedelta(seconds=30)
        again = SERVICE.run(save_person, organization=ORG, login="sun", name="孙丽")
    finally:
        SERVICE.clock = saved
    assert record["tokens_not_before"] and again["tokens_not_before"] == record["tokens_not_before"]
    # then the manager's token is refused everywhere; an agent's token issued since works
    assert_problem(complaints.get("/api/v1/audit", headers=old), 401)
    assert complaints.get("/api/v1/complaints", headers=token_of("agent")).status_code == 200
