"""A newcomer's first hour with the Makefile's commands (ops/devenv.py): a first organisation,
the demo, safe runs side by side, clean, and bad settings. The commands run as `make` runs them:
`python -m ops ...` in a process of their own, on a var/ folder of the test.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ops import run as devtools
from ops.infra import control_socket_option, free_port
from ops.run import plan_broker
from shared.core.settings import ROOT, load_settings
from shared.users.passwords import verify_password
from testkit.mesh import service_env
from testkit.polling import eventually
from testkit.tokens import SECRET


def devtool(*args: str, env: dict, stdin=subprocess.DEVNULL, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops", *args], env=env, cwd=ROOT, stdin=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def var_env(tmp_path) -> dict:
    """An installation in tmp_path/var whose broker is down (nothing listens on its port)."""
    return service_env(broker_url=f"redis://127.0.0.1:{free_port()}/0", db_urls={}, var_dir=tmp_path / "var")


# -- a first organisation ------------------------------------------------------------------------------

def test_make_org_writes_the_organisations_rules_from_the_defaults_and_its_first_admin(var_env, tmp_path):
    answer = devtool("org", "--org", "acme-electric", "--name", "Acme Electric", "--admin", "boss",
                     "--email", "boss@acme.example", env={**var_env, "PASSWORD": "first-admin-pw"})
    assert answer.returncode == 0, answer.stderr
    folder = tmp_path / "var" / "data" / "acme-electric"
    policy = folder / "scheduler" / "policies" / "default.yaml"
    assert policy.read_text(encoding="utf-8").startswith(
        "# Acme Electric (acme-electric): this organisation's own copy")
    for relative in ("complaints/chains/default.yaml", "complaints/policies/default.yaml",
                     "reporting/recipients.yaml", "reporting/report.yaml", "scheduler/calendar.yaml"):
        assert (folder / relative).exists(), relative
    assert "Acme Electric" in (folder / "organization.yaml").read_text(encoding="utf-8")
    assert "make user LOGIN=" in answer.stdout and "ROLE=manager" in answer.stdout  # what to fill in next

    # the copies are what the services read for this organisation, and they are valid rules
    from services.complaints.rules import rules_for as complaint_rules
    from services.scheduler.rules import rules_for as scheduler_rules

    settings = load_settings(var_env)
    assert scheduler_rules(settings, "acme-electric").policy is not None
    assert complaint_rules(settings, organization="acme-electric", chain_name="default",
                           policy_name="default").chain is not None

    from services.scheduler.service import SERVICE

    SERVICE.bind(settings, url=var_env.get("HUIFANG_SCHEDULER_DATABASE_URL")
                 or f"sqlite:///{tmp_path / 'var' / 'scheduler.db'}")
    with SERVICE.connection():
        boss = SERVICE.users.row("acme-electric", "boss")
    assert boss.role == "admin" and verify_password("first-admin-pw", boss.password_hash)

    policy.write_text(policy.read_text(encoding="utf-8") + "# our change\n", encoding="utf-8")
    again = devtool("org", "--org", "acme-electric", "--admin", "boss", env=var_env)
    assert again.returncode == 0 and "kept (already there)" in again.stderr
    assert policy.read_text(encoding="utf-8").endswith("# our change\n")  # never overwritten


def test_make_org_refuses_a_name_that_is_not_a_slug(var_env):
    answer = devtool("org", "--org", "Acme Electric", env=var_env)
    assert answer.returncode != 0 and "ORG must be a lower-case slug" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_make_demo_posts_people_and_sample_data_that_reach_every_service(mesh):
    answer = devtool("demo", env=mesh.env, timeout=120)
    assert answer.returncode == 0, answer.stderr
    for login in ("li", "zhao", "chen", "zhang", "admin"):
        assert f"\n  {login} " in answer.stdout  # each with the password printed
    complaints = mesh.services["complaints"]
    scheduler = mesh.services["scheduler"]
    from services.complaints.models import Complaint
    from services.scheduler.models import CallbackTask

    def count(service, model):
        with service.connection():
            return model.select().where(model.organization == "demo").count()

    eventually(lambda: count(complaints, Complaint) == 3, timeout=60, message="the demo's complaints")
    eventually(lambda: count(scheduler, CallbackTask) > 5, timeout=60, message="the demo's callback tasks")
    eventually(lambda: count(complaints, complaints.users.User) == 5, timeout=60, message="the demo's people")


# -- side by side --------------------------------------------------------------------------------------

def test_make_run_refuses_to_start_when_a_port_is_taken_and_says_which(var_env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = devtool("run", env={**var_env, "HUIFANG_COMPLAINTS_PORT": str(port)})
    assert answer.returncode != 0
    assert f"port {port} (complaints) is taken" in answer.stderr
    assert "HUIFANG_COMPLAINTS_PORT=" in answer.stderr and "Traceback" not in answer.stderr
    assert not (tmp_path / "var" / "Procfile").exists()  # nothing was started


def test_a_redis_nobody_chose_is_shared_only_with_a_loud_warning_naming_its_queues(redis_server, capsys, tmp_path):
    client = redis_server.client()
    client.flushall()
    client.hset("dramatiq:events.msgs", "m1", "{}")
    client.rpush("dramatiq:events", "m1")
    client.hset("dramatiq:scheduler.msgs", "m2", "{}")
    client.zadd("dramatiq:__heartbeats__", {"worker-1": 1})
    settings = load_settings({"HUIFANG_BROKER_URL": redis_server.url, "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_SECRET_KEY": SECRET})

    assert plan_broker(settings, explicit=False) is None  # it answers: no Redis of our own
    said = capsys.readouterr().err
    assert "WARNING" in said and "SHARE" in said
    assert "events (1 message)" in said and "scheduler (1 message)" in said and "workers connected: 1" in said
    assert "HUIFANG_BROKER_URL=redis://127.0.0.1:" in said  # how to keep apart

    assert plan_broker(settings, explicit=True) is None
    said = capsys.readouterr().err
    assert "WARNING" not in said and "using the Redis" in said
    client.flushall()


def test_with_no_redis_at_the_broker_url_make_run_starts_its_own_on_that_port(tmp_path, capsys):
    port = free_port()
    settings = load_settings({"HUIFANG_BROKER_URL": f"redis://127.0.0.1:{port}/0", "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_SECRET_KEY": SECRET})
    line = plan_broker(settings, explicit=False)
    assert line.startswith("redis: ") and f"--port {port}" in line


def test_each_gunicorn_gets_its_own_control_socket_under_var(tmp_path):
    assert control_socket_option(tmp_path / "run" / "scheduler-web.ctl") == \
        f"--control-socket {tmp_path / 'run' / 'scheduler-web.ctl'}"
    assert control_socket_option(Path("/" + "x" * 120) / "a.ctl") == "--no-control-socket"
    help_text = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True).stdout
    assert "--control-socket" in help_text and "--no-control-socket" in help_text


def test_without_an_organisation_make_run_offers_the_demo(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    devtools.offer_demo(load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET}))
    said = capsys.readouterr().err
    assert "make demo" in said and "make org ORG=" in said


# -- small things -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["token", "--login", "li", "--role", "agent", "--org", "acme-electric"],
                                     ["run"], ["demo"], ["check-settings"]])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(var_env, command):
    answer = devtool(*command, env={**var_env, "HUIFANG_TIMEZONE": "Mars/Olympus"})
    assert answer.returncode == 2
    assert answer.stderr.strip().splitlines() == [
        "huifang: HUIFANG_TIMEZONE: unknown time zone 'Mars/Olympus' (try Asia/Shanghai)"]


def test_a_bad_test_database_url_is_one_line_and_exit_2_before_any_test_runs(var_env):
    answer = devtool("with-postgres", "--", sys.executable, "-c", "print('tests ran')",
                     env={**var_env, "HUIFANG_TEST_POSTGRES_URL": "mysql://localhost/huifang"})
    assert answer.returncode == 2 and "tests ran" not in answer.stdout
    assert answer.stderr.strip().splitlines() == [
        "huifang: HUIFANG_TEST_POSTGRES_URL: must start with postgresql://, got 'mysql://localhost/huifang'"]


def test_make_token_role_integration_prints_the_installations_integration_token(var_env):
    answer = devtool("token", "--login", "", "--role", "integration", "--org", "", env=var_env)
    assert answer.returncode == 0 and answer.stdout.strip() == var_env["HUIFANG_API_TOKEN"]


def test_a_worker_with_a_bad_setting_says_so_in_one_line_and_exits_2(var_env):
    answer = subprocess.run([sys.executable, "-m", "dramatiq", "services.complaints.actors", "--processes", "1",
                             "--threads", "1", "--queues", "events", "complaints"],
                            env={**var_env, "HUIFANG_WORKER_THREADS": "lots"}, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert answer.returncode == 2
    output = answer.stdout + answer.stderr
    assert "huifang: HUIFANG_WORKER_THREADS: must be a whole number, got 'lots'" in output
    assert "Traceback" not in output


def test_make_clean_keeps_the_secret_key_and_the_organisations_unless_all(var_env, tmp_path):
    var = tmp_path / "var"
    (var / "data" / "acme-electric" / "scheduler").mkdir(parents=True)
    (var / "data" / "acme-electric" / "scheduler" / "calendar.yaml").write_text("use_official: true\n")
    (var / "secret_key").write_text("k" * 40)
    (var / "api_token").write_text("hf_x")
    (var / "scheduler.db").write_text("")
    (var / "redis").mkdir()
    (var / "outbox").mkdir()

    answer = devtool("clean", env=var_env)
    assert answer.returncode == 0, answer.stderr
    assert sorted(p.name for p in var.iterdir()) == ["api_token", "data", "secret_key"]
    assert "deleting var/scheduler.db" in answer.stderr or f"deleting {var / 'scheduler.db'}" in answer.stderr
    assert "keeping" in answer.stderr and "ALL=1" in answer.stderr

    answer = devtool("clean", "--all", env=var_env)
    assert answer.returncode == 0 and not any(var.iterdir())
