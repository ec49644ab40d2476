"""`make deploy-<service>` / `make undeploy-<service>` into a staging root (DESTDIR).

The units are checked by systemd itself (`systemd-analyze verify --root=<staging root>`), with
what a Debian host has around them: systemd's own targets and stand-ins for the executables
the units name (the virtualenv's python, /bin/kill).
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ops import deploy, envfile, host
from shared.core.setting_list import setting_list
from shared.core.settings import ROOT, load_settings

SERVICE = "scheduler"


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)


def snapshot(root: Path) -> dict:
    """Gives every file and folder under `root` with its content, mode and modification time."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        state[path.relative_to(root).as_posix()] = (content, stat.S_IMODE(info.st_mode), info.st_mtime_ns)
    return state


@pytest.fixture
def staged(tmp_path) -> Path:
    root = tmp_path / "stage"
    make(f"deploy-{SERVICE}", f"DESTDIR={root}")
    return root


def systemd_verify(root: Path, service: str) -> subprocess.CompletedProcess:
    """Runs `systemd-analyze verify` on the service's units as a Debian host would hold them."""
    if shutil.which("systemd-analyze") is None:
        from ops.infra import apt_install

        apt_install("systemd")
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True, exist_ok=True)
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        shutil.copy(target, units / target.name)
    layout = host.Layout(service)
    for executable in (layout.python, Path("/bin/kill")):
        stand_in = layout_staged(root, executable)
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    paths = [str(layout_staged(root, layout.unit(kind))) for kind in host.KINDS]
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", *paths], capture_output=True, text=True)


def layout_staged(root: Path, path: Path) -> Path:
    return root / path.relative_to("/")


def test_deploy_writes_units_systemd_accepts(staged):
    result = systemd_verify(staged, SERVICE)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # no unknown keys, no missing executables
    web = (staged / "etc/systemd/system/huifang-scheduler-web.service").read_text()
    worker = (staged / "etc/systemd/system/huifang-scheduler-worker.service").read_text()
    for unit in (web, worker):
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/huifang/scheduler",
                     "PrivateTmp=yes", "ProtectHome=yes", "User=huifang-scheduler",
                     "EnvironmentFile=/etc/huifang/scheduler.env",
                     "ExecStartPre=/opt/huifang/scheduler/venv/bin/python -m ops migrate scheduler"):
            assert line in unit.splitlines()
        assert re.search(r"^Restart=(on-failure|always)$", unit, re.M)
    assert "ExecStart=/opt/huifang/scheduler/venv/bin/python -m ops serve-web scheduler" in web
    assert "ExecStart=/opt/huifang/scheduler/venv/bin/python -m ops serve-worker scheduler" in worker
    assert (staged / "opt/huifang/scheduler/app/services/scheduler/app.py").is_file()
    assert not list((staged / "opt/huifang/scheduler/app").rglob("__pycache__"))
    assert stat.S_IMODE((staged / "var/lib/huifang/scheduler").stat().st_mode) == 0o700


def test_environment_file_lists_every_setting_0600_with_secrets(staged):
    path = staged / "etc/huifang/scheduler.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    names = re.findall(r"^(?:# )?(HUIFANG_[A-Z0-9_]+)=", text, re.M)
    assert set(names) == {s.name for s in setting_list()}
    assert len(names) == len(set(names))
    values = envfile.read_env_file(path)
    assert len(values["HUIFANG_SECRET_KEY"]) >= 32 and len(values["HUIFANG_API_TOKEN"]) >= 32
    assert values["HUIFANG_VAR_DIR"] == "/var/lib/huifang/scheduler"
    # What the units start with is a valid configuration (the paths aside, which are the host's).
    settings = load_settings({**values, "HUIFANG_VAR_DIR": str(staged / "var/lib/huifang/scheduler")})
    assert settings.secret_key == values["HUIFANG_SECRET_KEY"]


def test_second_deploy_changes_no_file(staged):
    before = snapshot(staged)
    result = make(f"deploy-{SERVICE}", f"DESTDIR={staged}")
    assert snapshot(staged) == before
    assert "0 written" in result.stderr


def test_values_set_are_kept_and_one_installation_shares_its_secrets(staged):
    path = staged / "etc/huifang/scheduler.env"
    first = envfile.read_env_file(path)
    text = path.read_text().replace("# HUIFANG_BROKER_URL=redis://127.0.0.1:6379/0",
                                    "HUIFANG_BROKER_URL=amqp://huifang:s3cret@mq.internal:5672/")
    path.write_text(text + "MY_OWN=1\n")
    make(f"deploy-{SERVICE}", f"DESTDIR={staged}", "PUBLIC_URL=https://huifang.example")
    again = envfile.read_env_file(path)
    assert again["HUIFANG_BROKER_URL"] == "amqp://huifang:s3cret@mq.internal:5672/"
    assert again["MY_OWN"] == "1"
    assert again["HUIFANG_SECRET_KEY"] == first["HUIFANG_SECRET_KEY"]
    assert again["HUIFANG_COMPLAINTS_URL"] == "https://huifang.example/complaints"
    assert again["HUIFANG_TRUSTED_PROXIES"] == "1"
    make("deploy-reporting", f"DESTDIR={staged}")
    other = envfile.read_env_file(staged / "etc/huifang/reporting.env")
    assert other["HUIFANG_SECRET_KEY"] == first["HUIFANG_SECRET_KEY"]
    assert other["HUIFANG_API_TOKEN"] == first["HUIFANG_API_TOKEN"]


def test_undeploy_removes_the_service_and_keeps_its_data(staged):
    data = staged / "var/lib/huifang/scheduler/scheduler.db"
    data.write_bytes(b"rows")
    make(f"undeploy-{SERVICE}", f"DESTDIR={staged}")
    assert not (staged / "etc/systemd/system/huifang-scheduler-web.service").exists()
    assert not (staged / "etc/systemd/system/huifang-scheduler-worker.service").exists()
    assert not (staged / "opt/huifang/scheduler").exists()
    assert data.read_bytes() == b"rows"
    assert (staged / "etc/huifang/scheduler.env").exists()
    make(f"undeploy-{SERVICE}", f"DESTDIR={staged}", "PURGE=1")
    assert not (staged / "var/lib/huifang/scheduler").exists()
    assert not (staged / "etc/huifang/scheduler.env").exists()


def test_code_removed_upstream_is_removed_on_the_host(staged):
    stale = staged / "opt/huifang/scheduler/app/shared/gone.py"
    stale.write_text("old = 1\n")
    make(f"deploy-{SERVICE}", f"DESTDIR={staged}")
    assert not stale.exists()


def test_processes_take_their_sizes_from_the_settings(tmp_path):
    settings = load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_WEB_WORKERS": "3", "HUIFANG_WEB_THREADS": "8", "HUIFANG_WEB_HOST": "0.0.0.0",
                              "HUIFANG_WORKER_PROCESSES": "2", "HUIFANG_WORKER_THREADS": "6"})
    web = deploy.web_command("complaints", settings)
    assert web[web.index("--bind") + 1] == "0.0.0.0:8102"
    assert web[web.index("--workers") + 1] == "3" and web[web.index("--threads") + 1] == "8"
    worker = deploy.worker_command("complaints", settings)
    assert worker[worker.index("--processes") + 1] == "2" and worker[worker.index("--threads") + 1] == "6"
    assert worker[worker.index("--queues") + 1:] == ["events", "complaints"]
    queued = load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_VAR_DIR": str(tmp_path),
                            "HUIFANG_WORKER_QUEUES": "complaints"})
    assert deploy.worker_command("complaints", queued)[-1:] == ["complaints"]


def test_worker_queues_per_service_over_the_general_setting(tmp_path):
    # one .env under `make run` serves all three workers: a per-service setting wins for its worker
    settings = load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_WORKER_QUEUES": "events,complaints",
                              "HUIFANG_REPORTING_WORKER_QUEUES": "reporting"})
    assert settings.queues("reporting") == ("reporting",)
    assert settings.queues("complaints") == ("events", "complaints")
    assert deploy.worker_command("reporting", settings)[-1:] == ["reporting"]
    alone = load_settings({"HUIFANG_SECRET_KEY": "k" * 32, "HUIFANG_VAR_DIR": str(tmp_path),
                           "HUIFANG_SCHEDULER_WORKER_QUEUES": "scheduler"})
    assert (alone.queues("scheduler"), alone.queues("reporting")) == (("scheduler",), ("events", "reporting"))
    # and `make run`'s Procfile gives each worker its own
    from ops import run as devtools

    assert "HUIFANG_REPORTING_WORKER_QUEUES" in {s.name for s in setting_list()}
    assert devtools.worker_line("reporting", settings, "python").endswith("--queues reporting")
    assert devtools.worker_line("complaints", settings, "python").endswith("--queues events complaints")


def test_every_setting_load_settings_reads_is_in_the_list():
    source = (ROOT / "shared" / "core" / "settings.py").read_text()
    body = source[source.index("def load_settings("):]
    read = set(re.findall(r'"(HUIFANG_[A-Z0-9_]+)"', body))
    read |= {f"HUIFANG_{s.upper()}_{suffix}" for s in ("scheduler", "complaints", "reporting")
             for suffix in ("DATABASE_URL", "PORT", "URL", "WORKER_QUEUES")}
    listed = {s.name for s in setting_list()}
    assert read <= listed, f"add these to shared.core.setting_list.setting_list: {sorted(read - listed)}"


def test_the_units_migrate_step_brings_the_database_up_to_date(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": "k" * 32,
           "HUIFANG_COMPLAINTS_DATABASE_URL": f"sqlite:///{tmp_path / 'complaints.db'}"}
    done = subprocess.run([sys.executable, "-m", "ops", "migrate", "complaints"], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "complaints: database schema up to date" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "ops", "serve-web", "complaints"],
                         env={**env, "HUIFANG_WEB_WORKERS": "many"}, capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "HUIFANG_WEB_WORKERS" in bad.stderr  # one line naming it, no traceback


def test_on_a_host_it_creates_the_user_migrates_then_starts_and_a_second_run_only_starts(tmp_path, monkeypatch):
    """The steps outside DESTDIR, in order, with the host's commands recorded instead of run
    (this machine has no systemd to start units with; the files go under tmp_path)."""
    for name in ("ETC_DIR", "UNIT_DIR", "STATE_DIR"):
        monkeypatch.setattr(host, name, tmp_path / "host" / getattr(host, name).relative_to("/"))
    users, commands = set(), []

    def run(*command, check=True, **kwargs):
        commands.append(command)
        if command[0] == "useradd":
            users.add(command[-1])
        if command[1:3] == ("-m", "venv"):
            (Path(command[3]) / "bin").mkdir(parents=True)
            (Path(command[3]) / "bin" / "python").write_text("")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(deploy, "_run", run)
    monkeypatch.setattr(deploy, "_user_exists", lambda name: name in users)
    monkeypatch.setattr(deploy, "systemd_running", lambda: True)
    monkeypatch.setattr(deploy.shutil, "chown", lambda *args: None)
    prefix = tmp_path / "opt"
    env_file = host.ETC_DIR / f"{SERVICE}.env"  # the operator set the broker's URL with its password
    env_file.parent.mkdir(parents=True)
    env_file.write_text("HUIFANG_BROKER_URL=redis://:s3cret@127.0.0.1:6379/0\n")

    deploy.deploy(SERVICE, prefix=prefix)

    steps = [c[0] if c[0] != "systemctl" else f"systemctl {c[1]}" for c in commands]
    python = str(prefix / "scheduler/venv/bin/python")
    assert steps == ["useradd", sys.executable, str(prefix / "scheduler/venv/bin/pip"), "runuser",
                     "systemctl daemon-reload", "systemctl enable", "systemctl restart"]
    assert commands[3][:5] == ("runuser", "-u", "huifang-scheduler", "--", python)
    assert commands[3][5:] == ("-m", "ops", "migrate", SERVICE)  # before anything (re)starts
    assert commands[-1][1:] == ("restart", "huifang-scheduler-web.service", "huifang-scheduler-worker.service")

    commands.clear()
    assert deploy.deploy(SERVICE, prefix=prefix) == []
    steps = [c[0] if c[0] != "systemctl" else f"systemctl {c[1]}" for c in commands]
    assert steps == ["runuser", "systemctl enable", "systemctl start"]  # nothing changed: nothing restarted


def test_purge_removes_only_the_folder_deploy_made_never_the_operators_or_the_backups(staged):
    # given the operator pointed HUIFANG_DATA_DIR at a shared folder elsewhere, and a backup was made
    shared_rules = staged / "srv/huifang-rules"
    shared_rules.mkdir(parents=True)
    (shared_rules / "organization.yaml").write_text("name: acme\n")
    env = staged / "etc/huifang/scheduler.env"
    env.write_text(env.read_text() + "HUIFANG_DATA_DIR=/srv/huifang-rules\n")
    state = staged / "var/lib/huifang/scheduler"
    (state / "scheduler.db").write_bytes(b"rows")
    (state / "backups" / "scheduler-20261129T190000Z").mkdir(parents=True)
    (state / "backups" / "scheduler-20261129T190000Z" / "backup.json").write_text("{}")
    # when the service is undeployed with PURGE=1
    out = make(f"undeploy-{SERVICE}", f"DESTDIR={staged}", "PURGE=1")
    # then its own data goes, the operator's folder and the backups stay, and the output says so
    assert not (state / "scheduler.db").exists() and not env.exists()
    assert (shared_rules / "organization.yaml").read_text() == "name: acme\n"
    assert (state / "backups" / "scheduler-20261129T190000Z" / "backup.json").exists()
    said = out.stdout + out.stderr
    assert "/srv/huifang-rules" in said and "backups" in said


def _host_commands(tmp_path, monkeypatch) -> list:
    """Puts the host's folders under tmp_path and records the host's commands instead of running them."""
    for name in ("ETC_DIR", "UNIT_DIR", "STATE_DIR"):
        monkeypatch.setattr(host, name, tmp_path / "host" / getattr(host, name).relative_to("/"))
    commands = []

    def run(*command, check=True, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(deploy, "_run", run)
    monkeypatch.setattr(deploy, "systemd_running", lambda: True)
    return commands


@pytest.mark.parametrize("broker", [None, "redis://127.0.0.1:6379/0", "amqp://huifang@mq.internal:5672/huifang"])
def test_a_host_deploy_refuses_a_broker_without_password_naming_the_setting(tmp_path, monkeypatch, broker):
    # given a host whose environment file sets no broker, or one without a password
    commands = _host_commands(tmp_path, monkeypatch)
    env_file = host.ETC_DIR / f"{SERVICE}.env"
    if broker:
        env_file.parent.mkdir(parents=True)
        env_file.write_text(f"HUIFANG_BROKER_URL={broker}\n")
    # when the service is deployed
    with pytest.raises(SystemExit) as refused:
        deploy.deploy(SERVICE, prefix=tmp_path / "opt")
    # then it stops, naming the setting and the file to set it in, before any user, migration or unit runs
    assert "HUIFANG_BROKER_URL" in str(refused.value) and str(env_file) in str(refused.value)
    assert "password" in str(refused.value) and commands == []
    # and the environment file is written, for the operator to set the URL in
    assert env_file.is_file()


def test_staging_notes_a_broker_without_password_and_writes_the_files(tmp_path):
    done = subprocess.run(["make", "-s", "-C", str(ROOT), f"deploy-{SERVICE}", f"DESTDIR={tmp_path / 'stage'}"],
                          capture_output=True, text=True, check=True)
    assert "HUIFANG_BROKER_URL" in done.stdout + done.stderr


def test_a_host_deploy_makes_and_chowns_nothing_through_a_link_planted_along_a_folders_path(tmp_path, monkeypatch):
    # given a deployed service whose rules live in a folder below its data folder, and the service
    # user swapped a folder along that path (not the last) for a link to a folder of root's
    commands = _host_commands(tmp_path, monkeypatch)
    chowned = []
    monkeypatch.setattr(deploy.shutil, "chown", lambda path, *args: chowned.append(Path(path)))
    monkeypatch.setattr(deploy, "_user_exists", lambda name: True)
    state = host.STATE_DIR / SERVICE
    env_file = host.ETC_DIR / f"{SERVICE}.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("HUIFANG_BROKER_URL=redis://:s3cret@127.0.0.1:6379/0\n"
                        f"HUIFANG_DATA_DIR={state / 'rules' / 'acme'}\n")
    roots = tmp_path / "root-folder"
    roots.mkdir()
    state.mkdir(parents=True)
    (state / "rules").symlink_to(roots, target_is_directory=True)
    if os.geteuid() == 0:
        os.lchown(state / "rules", 54321, 54321)
    # when it is deployed
    with pytest.raises(SystemExit, match="symbolic link") as refused:
        deploy.deploy(SERVICE, prefix=tmp_path / "opt")
    # then it stops naming the link, makes nothing where it points, and gives nothing to the user
    assert str(state / "rules") in str(refused.value)
    assert list(roots.iterdir()) == [] and chowned == [] and commands == []
