"""Root's file work follows no symbolic link the service user planted in its data folder:
`make backup` copies no linked file, `make restore` writes and chowns through none, and the
units keep the rule files and backups read-only for the web process. Each test is named after
what it proves (run as root, the way the operator runs them)."""
from __future__ import annotations

import json
import os

import pytest

from ops import backup as backups
from ops import host
from shared.core.errors import Conflict
from testkit.reporting import ORG


def _url(reporting) -> str:
    database = reporting.service.database.obj
    if hasattr(database, "connect_params") and database.connect_params.get("host"):
        p = database.connect_params
        password = f":{p['password']}" if p.get("password") else ""
        return f"postgresql://{p['user']}{password}@{p['host']}:{p['port']}/{database.database}"
    return f"sqlite:///{database.database}"


@pytest.fixture
def planted(reporting, tmp_path):
    """The reporting service with its rule file, and a secret of root's outside its data folder."""
    own = reporting.settings.data_dir / ORG / "reporting"
    own.mkdir(parents=True, exist_ok=True)
    (own / "report.yaml").write_text("# the organisation's report settings\n")
    secret = tmp_path / "root-only" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:secret-hash\n")
    secret.chmod(0o600)
    return reporting, secret


def test_backup_copies_no_file_a_symbolic_link_in_the_data_folder_points_at(planted, tmp_path):
    reporting, secret = planted
    own = reporting.settings.data_dir / ORG / "reporting"
    (own / "stolen.yaml").symlink_to(secret)
    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=_url(reporting))
    listed = json.loads((folder / "backup.json").read_text())["files"]
    assert f"data/{ORG}/reporting/report.yaml" in listed
    assert not any("stolen" in name for name in listed)
    assert not any(b"secret-hash" in p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_restore_writes_through_no_symbolic_link_planted_in_the_data_folder(planted, tmp_path):
    reporting, secret = planted
    url = _url(reporting)
    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=url)
    own = reporting.settings.data_dir / ORG / "reporting"
    # given the service user swapped its rule file for a link to root's file
    (own / "report.yaml").unlink()
    (own / "report.yaml").symlink_to(secret)
    reporting.service.database.close()
    if not url.startswith("sqlite"):
        reporting.service.database.close_all()
    backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)
    # then the link is replaced by the file, and root's file is untouched
    assert not (own / "report.yaml").is_symlink()
    assert (own / "report.yaml").read_text().startswith("# the organisation's")
    assert secret.read_text() == "root:secret-hash\n"
    # and a linked organisation folder is refused, not written through
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for child in own.iterdir():
        child.unlink()
    own.rmdir()
    own.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(Conflict, match="symbolic link"):
        backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the hand-back to the service user's owner runs as root only")
def test_restore_gives_the_service_user_nothing_a_planted_link_points_at(planted, tmp_path):
    reporting, secret = planted
    url = _url(reporting)
    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=url)
    var_dir = reporting.settings.var_dir
    os.chown(var_dir, 54321, 54321)  # the service user's folder
    try:
        (reporting.settings.data_dir / ORG / "grab").symlink_to(secret)
        reporting.service.database.close()
        if not url.startswith("sqlite"):
            reporting.service.database.close_all()
        backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)
        assert secret.stat().st_uid == 0
        assert (reporting.settings.data_dir / ORG / "reporting" / "report.yaml").stat().st_uid == 54321
    finally:
        os.chown(var_dir, 0, 0)


def test_the_units_filter_system_calls_hide_other_processes_and_the_web_unit_reads_rules_only():
    layout = host.Layout("reporting")
    web, worker = host.render_unit(layout, "web"), host.render_unit(layout, "worker")
    for unit in (web, worker):
        for line in ("SystemCallFilter=@system-service", "ProtectProc=invisible",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "NoNewPrivileges=yes"):
            assert line in unit.splitlines()
    assert f"ReadOnlyPaths=-{layout.state}/data -{layout.state}/backups" in web.splitlines()
    assert "ReadOnlyPaths" not in worker


SERVICE_USER = 54321  # the service user's uid: what it plants is its own


def test_restore_makes_no_folder_where_a_link_planted_above_the_rule_folder_points(planted, tmp_path):
    reporting, secret = planted
    url = _url(reporting)
    folder = backups.backup("reporting", reporting.settings, tmp_path / "backups", database_url=url)
    # given the service user swapped the organisation's folder for a link to a folder of root's
    elsewhere = tmp_path / "root-folder"
    elsewhere.mkdir()
    organisation = reporting.settings.data_dir / ORG
    for child in sorted(organisation.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.rmdir() if child.is_dir() and not child.is_symlink() else child.unlink()
    organisation.rmdir()
    organisation.symlink_to(elsewhere, target_is_directory=True)
    if os.geteuid() == 0:
        os.lchown(organisation, SERVICE_USER, SERVICE_USER)
    reporting.service.database.close()
    if not url.startswith("sqlite"):
        reporting.service.database.close_all()
    # when the backup is restored
    with pytest.raises(Conflict, match="symbolic link"):
        backups.restore("reporting", reporting.settings, folder, database_url=url, force=True)
    # then nothing was made where the link points: every component was looked at first
    assert list(elsewhere.iterdir()) == []


def test_a_deployed_services_backups_go_to_a_folder_of_roots_outside_its_data_folder(planted, tmp_path, monkeypatch):
    reporting, _ = planted
    monkeypatch.setattr(host, "STATE_DIR", tmp_path / "var/lib/huifang")
    monkeypatch.setattr(host, "BACKUP_DIR", tmp_path / "var/backups/huifang")
    # given a deployed service (its data folder under /var/lib/huifang): make backup's default folder
    dest = host.default_backup_dir("reporting", host.STATE_DIR / "reporting")
    # is root's own, outside the folder the service's user may write
    assert dest == host.BACKUP_DIR / "reporting"
    assert host.STATE_DIR not in dest.parents
    # while a checkout keeps them in its var folder
    assert host.default_backup_dir("reporting", tmp_path / "var") == tmp_path / "var" / "backups"
    folder = backups.backup("reporting", reporting.settings, dest, database_url=_url(reporting))
    assert folder.parent == dest
    if os.geteuid() == 0:
        for made in (host.BACKUP_DIR, dest):
            assert made.stat().st_uid == 0 and made.stat().st_mode & 0o777 == 0o700
        # and a backups' folder handed to another user is refused, not written into
        os.chown(dest, SERVICE_USER, SERVICE_USER)
        with pytest.raises(Conflict, match="not root's"):
            backups.backup("reporting", reporting.settings, dest, database_url=_url(reporting))
