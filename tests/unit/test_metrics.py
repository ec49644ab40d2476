"""Who may read /metrics, and the settings that say so."""
from __future__ import annotations

import pytest

from shared.core.errors import ConfigurationError
from shared.mesh.metrics import allowed
from ops.status import logs_command
from shared.core.settings import load_settings

BASE = {"HUIFANG_SECRET_KEY": "unit-" + "x" * 20, "HUIFANG_VAR_DIR": "/tmp/huifang-unit-metrics"}


def test_metrics_are_readable_from_loopback_only_by_default():
    settings = load_settings(BASE)
    assert allowed(settings, "127.0.0.1", None)
    assert allowed(settings, "::1", None)
    assert allowed(settings, "::ffff:127.0.0.1", None)
    assert not allowed(settings, "10.0.0.5", None)
    assert not allowed(settings, "not an address", None)
    assert not allowed(settings, None, "Bearer anything")


def test_metrics_are_readable_from_the_allowed_networks_or_with_the_token():
    settings = load_settings({**BASE, "HUIFANG_METRICS_ALLOW": "10.0.0.0/8", "HUIFANG_METRICS_TOKEN": "prom-1234"})
    assert allowed(settings, "10.1.2.3", None)
    assert not allowed(settings, "127.0.0.1", None)
    assert allowed(settings, "203.0.113.9", "Bearer prom-1234")
    assert not allowed(settings, "203.0.113.9", "Bearer prom-12345")
    assert not allowed(settings, "203.0.113.9", "prom-1234")


@pytest.mark.parametrize("name, value", [("HUIFANG_METRICS_ALLOW", "10.0.0.0/33"),
                                         ("HUIFANG_WORKER_METRICS_PORT", "70000")])
def test_a_bad_metrics_setting_names_its_variable(name, value):
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**BASE, name: value})
    assert name in str(caught.value)


def test_logs_follow_the_units_of_one_service():
    assert logs_command("scheduler") == ["journalctl", "-f", "-u", "huifang-scheduler-*", "-o", "cat"]


def _count_in(kind: str, folder, settings_env: dict, *, gauge: bool = False) -> int:
    """Runs a process of `kind` that counts one message (a worker) or request (a web process)
    into the service's metrics folder; gives its pid."""
    import json
    import os
    import subprocess
    import sys

    from shared.core.settings import ROOT

    code = f"""
import os
from shared.mesh import metrics
from shared.core.settings import load_settings
metrics.configure(load_settings({json.dumps(settings_env)}), "scheduler", {kind!r})
m = metrics.metrics()
if {kind!r} == "worker":
    m["messages"].labels("scheduler", "events", "on_event", "ok").inc()
    if {gauge!r}:
        m["in_progress"].labels("scheduler", "events").inc()
else:
    metrics.observe_request("scheduler", "GET", "/", 200, 0.01)
print(os.getpid())
"""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, check=True)
    return int(done.stdout.strip())


def test_each_unit_writes_its_own_subfolder_and_metrics_reads_both(tmp_path):
    from prometheus_client import CollectorRegistry, generate_latest

    from shared.mesh import metrics

    env = {**BASE, "HUIFANG_METRICS_DIR": str(tmp_path / "metrics")}
    settings = load_settings(env)
    _count_in("worker", tmp_path, env)
    _count_in("web", tmp_path, env)
    folder = metrics.service_dir(settings, "scheduler")
    assert any((folder / "worker").glob("*.db")) and any((folder / "web").glob("*.db"))
    assert not list(folder.glob("*.db"))  # nothing written beside the subfolders
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.HostCollector(folder))
    text = generate_latest(registry).decode()
    assert 'huifang_worker_messages_total{actor="on_event",outcome="ok",queue="events",service="scheduler"} 1.0' in text
    assert 'huifang_http_requests_total{method="GET",route="/",service="scheduler",status="200"} 1.0' in text


def test_a_unit_starting_empties_only_its_own_subfolder(tmp_path):
    from shared.mesh import metrics

    env = {**BASE, "HUIFANG_METRICS_DIR": str(tmp_path / "metrics")}
    settings = load_settings(env)
    _count_in("worker", tmp_path, env)
    _count_in("web", tmp_path, env)
    metrics.reset_kind(settings, "scheduler", "web")  # the web unit's ExecStartPre
    folder = metrics.service_dir(settings, "scheduler")
    assert not any((folder / "web").glob("*.db"))
    assert any((folder / "worker").glob("*.db"))  # the running worker's files are left alone


def test_a_dead_web_process_leaves_no_live_gauge(tmp_path):
    from shared.web import gunicorn_conf
    from shared.mesh import metrics

    env = {**BASE, "HUIFANG_METRICS_DIR": str(tmp_path / "metrics")}
    settings = load_settings(env)
    folder = metrics.kind_dir(settings, "scheduler", "web")
    folder.mkdir(parents=True)
    (folder / "gauge_livesum_4242.db").write_bytes(b"")
    (folder / "counter_4242.db").write_bytes(b"")
    metrics.mark_dead(settings, "scheduler", "web", 4242)
    assert sorted(p.name for p in folder.iterdir()) == ["counter_4242.db"]
    assert gunicorn_conf.service_of("services.reporting.app:create_app()") == "reporting"


def test_the_units_reset_their_own_subfolder_and_gunicorn_runs_the_hook(tmp_path):
    from ops import deploy, host

    layout = host.Layout("complaints")
    web, worker = host.render_unit(layout, "web"), host.render_unit(layout, "worker")
    assert "-m ops reset-metrics complaints web" in web and "reset-metrics" not in web.replace(
        "reset-metrics complaints web", "")
    assert "-m ops reset-metrics complaints worker" in worker
    command = deploy.web_command("complaints", load_settings(BASE))
    assert command[command.index("--config") + 1] == "python:shared.web.gunicorn_conf"
