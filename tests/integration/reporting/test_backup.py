"""`make backup` / `make restore` (ops/backup.py), on SQLite and PostgreSQL alike (the
database the suite runs on): a backup restored over a changed database gives the same report
figures and the same rows, and the organisation's rule files as they were."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from ops import backup as backups
from shared.core.errors import Conflict, InvalidInput
from shared.core.settings import ROOT

from testkit import worked_examples
from testkit.reporting import ORG

MONTH = "2026-09"


def _rows(service) -> dict:
    with service.connection():
        return {model.__name__: sorted(tuple(str(v) for v in row) for row in model.select().tuples())
                for model in service.models}


def _url(reporting) -> str:
    database = reporting.service.database.obj
    if hasattr(database, "connect_params") and database.connect_params.get("host"):
        p = database.connect_params
        password = f":{p['password']}" if p.get("password") else ""
        return f"postgresql://{p['user']}{password}@{p['host']}:{p['port']}/{database.database}"
    return f"sqlite:///{database.database}"


@pytest.fixture
def reported(reporting):
    worked_examples.rules_3_worked_example(reporting)
    rules = reporting.settings.data_dir / ORG / "reporting" / "report.yaml"
    rules.parent.mkdir(parents=True, exist_ok=True)
    packaged = (ROOT / "services" / "reporting" / "data" / "report.yaml").read_text()
    rules.write_text("# the organisation's report settings\n" + packaged)
    (reporting.settings.data_dir / ORG / "organization.yaml").write_text("name: Acme Electric\n")
    (reporting.settings.data_dir / ORG / "scheduler").mkdir()
    (reporting.settings.data_dir / ORG / "scheduler" / "policy.yaml").write_text("not ours\n")
    return reporting


def test_a_backup_restored_gives_the_same_figures_and_rows(reported, tmp_path):
    reporting, url = reported, _url(reported)
    figures, rows = reporting.figures(MONTH), _rows(reporting.service)
    assert figures["callback_completion_rate"] == (3, 8)  # RULES 3's worked example

    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=url)

    manifest = json.loads((folder / "backup.json").read_text())
    assert manifest["service"] == "reporting" and manifest["database"] == ("sqlite" if url.startswith("sqlite")
                                                                            else "postgresql")
    assert sorted(p for p in manifest["files"] if p.startswith("data/")) == [
        f"data/{ORG}/organization.yaml", f"data/{ORG}/reporting/report.yaml"]  # not the scheduler's files
    assert oct(folder.stat().st_mode & 0o777) == "0o700"

    # Then the month is lost: callbacks deleted, the organisation's rule file gone.
    service = reporting.service
    with service.unit_of_work():
        for model in service.models:
            if model.__name__ in ("Callback", "CallbackTask", "ReportCallback"):
                model.delete().execute()
    (reporting.settings.data_dir / ORG / "reporting" / "report.yaml").unlink()
    assert reporting.figures(MONTH) != figures

    with pytest.raises(Conflict):
        backups.restore("reporting", reporting.settings, folder, database_url=url)
    service.database.close()  # the service is stopped for a restore
    if not url.startswith("sqlite"):
        service.database.close_all()
    backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)

    assert reporting.figures(MONTH) == figures
    assert _rows(service) == rows
    assert (reporting.settings.data_dir / ORG / "reporting" / "report.yaml").read_text().startswith("# the org")
    assert (reporting.settings.data_dir / ORG / "scheduler" / "policy.yaml").read_text() == "not ours\n"


def test_a_damaged_or_foreign_backup_is_refused(reported, tmp_path):
    url = _url(reported)
    folder = backups.backup("reporting", reported.settings, tmp_path / "backups", database_url=url)
    with pytest.raises(InvalidInput, match="not 'scheduler'"):
        backups.restore("scheduler", reported.settings, folder, force=True)
    database = folder / ("database.sqlite3" if url.startswith("sqlite") else "database.pgdump")
    database.write_bytes(database.read_bytes()[:-10])
    with pytest.raises(InvalidInput, match="damaged"):
        backups.restore("reporting", reported.settings, folder, database_url=url, force=True)


def test_the_commands_make_runs(reported, tmp_path):
    """`make backup` runs `python -m ops backup`, `make restore` its `restore`."""
    url = _url(reported)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUIFANG_REPORTING_DATABASE_URL": url,
           "HUIFANG_VAR_DIR": str(reported.settings.var_dir), "HUIFANG_SECRET_KEY": reported.settings.secret_key}
    made = subprocess.run([sys.executable, "-m", "ops", "backup", "reporting", "--dest", str(tmp_path / "b")],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    folder = made.stdout.strip()
    assert folder.startswith(str(tmp_path / "b" / "reporting-"))
    refused = subprocess.run([sys.executable, "-m", "ops", "restore", "reporting", "--from", folder],
                             env=env, capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 1 and "FORCE=1" in refused.stderr
    dry = subprocess.run(["make", "-n", "-s", "-C", str(ROOT), "restore", "SERVICE=reporting", f"FROM={folder}",
                          "FORCE=1"], capture_output=True, text=True)
    assert f'-m ops restore "reporting" --from "{folder}" --force' in dry.stdout


def test_restore_writes_back_only_listed_files_and_the_services_own(reported, tmp_path):
    reporting, url = reported, _url(reported)
    data = reporting.settings.data_dir / ORG
    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=url)
    # given a file slipped into the backup that backup.json does not list
    (folder / "data" / ORG / "reporting" / "planted.yaml").write_text("recipients: [evil@example.com]\n")
    # and, in the shared data folder, the organisation's file changed since (the scheduler reads it too)
    (data / "organization.yaml").write_text("name: Acme Electric Ltd\n")
    reporting.service.database.close()
    if not url.startswith("sqlite"):
        reporting.service.database.close_all()
    # when only the reporting service is restored
    backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)
    # then the unlisted file is not written, and the organisation's file is left as it is now
    assert not (data / "reporting" / "planted.yaml").exists()
    assert (data / "organization.yaml").read_text() == "name: Acme Electric Ltd\n"
    assert (data / "reporting" / "report.yaml").read_text().startswith("# the org")
    # with the explicit flag, the organisation's file comes back too
    backups.restore("reporting", reporting.settings, folder, database_url=url, force=True, organization_files=True)
    assert (data / "organization.yaml").read_text() == "name: Acme Electric\n"


def test_pg_dump_and_pg_restore_get_no_password_on_the_command_line(reported, tmp_path, monkeypatch):
    url, env = backups.libpq_call("postgresql://huifang:s3cr%40t@db.example:5433/reporting")
    assert "s3cr" not in url and url == "postgresql://huifang@db.example:5433/reporting"
    assert env["PGPASSWORD"] == "s3cr@t"
    # and the real commands (on PostgreSQL) carry none in their argv
    calls = []
    real = subprocess.run

    def recording(argv, *args, **kwargs):
        calls.append((list(argv), kwargs.get("env") or {}))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(backups.subprocess, "run", recording)
    database_url = _url(reported)
    folder = backups.backup("reporting", reported.settings, tmp_path / "backups", database_url=database_url)
    reported.service.database.close()
    if not database_url.startswith("sqlite"):
        reported.service.database.close_all()
    backups.restore("reporting", reported.settings, folder, database_url=database_url, force=True)
    password = urlparse(database_url).password
    if database_url.startswith("sqlite"):
        assert calls == []
    else:
        assert [argv[0].rsplit("/", 1)[-1] for argv, _ in calls] == ["pg_dump", "pg_restore"]
        for argv, env in calls:
            assert not password or all(password not in arg for arg in argv)
            assert not password or env.get("PGPASSWORD") == password
