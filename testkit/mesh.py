"""The three services against one broker, as they run: worker processes for real, web apps
in-process; and what the mesh tests do to it (raw enqueueing, a broken policy, the operator's
command line)."""
from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from shared.core.settings import ROOT, load_settings
from testkit.databases import new_database_url
from testkit.events import envelope
from testkit.tokens import API_TOKEN, SECRET


def service_env(*, broker_url: str, db_urls: dict, var_dir: Path, extra: dict | None = None) -> dict:
    """Gives the environment of a service process of the test installation: the broker, the
    databases (`db_urls`: service -> URL), the var folder, the secrets; `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIFANG_") or k.startswith("HUIFANG_TEST")}
    env.update({
        "HUIFANG_BROKER_URL": broker_url,
        "HUIFANG_SECRET_KEY": SECRET,
        "HUIFANG_API_TOKEN": API_TOKEN,
        "HUIFANG_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
    })
    for name, url in db_urls.items():
        env[f"HUIFANG_{name.upper()}_DATABASE_URL"] = url
    env.update(extra or {})
    return env


class Mesh:
    """Three services against one broker: worker processes for real, web apps in-process."""

    SERVICES = ("scheduler", "complaints", "reporting")

    def __init__(self, *, broker_url: str, folder: Path, extra_env: dict | None = None):
        self.folder = folder
        self.db_urls = {name: new_database_url(name, folder) for name in self.SERVICES}
        self.env = service_env(broker_url=broker_url, db_urls=self.db_urls, var_dir=folder / "var",
                               extra=extra_env)
        self.settings = load_settings(self.env)
        self.workers: dict[str, subprocess.Popen] = {}
        self.services = {}
        self._apps = {}
        for name in self.SERVICES:
            service = importlib.import_module(f"services.{name}.service").SERVICE
            service.bind(self.settings, url=self.db_urls[name])
            # An earlier test's web app left its immediate relay (to its own broker) on the
            # service; until this mesh makes its app, its commits wait for the worker's relay.
            service.on_commit[:] = [h for h in service.on_commit if not getattr(h, "_web_relay", False)]
            self.services[name] = service

    def start_worker(self, name: str, *, threads: int = 2):
        log = open(self.folder / f"{name}-worker.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", f"services.{name}.actors", "--processes", "1", "--threads",
             str(threads), "--queues", "events", name, "--worker-shutdown-timeout", "5000"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers[name] = proc
        return proc

    def start_all(self):
        for name in self.SERVICES:
            self.start_worker(name)
        return self

    def kill_worker(self, name: str, sig=signal.SIGKILL):
        proc = self.workers.pop(name)
        os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop(self):
        for name in list(self.workers):
            proc = self.workers[name]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in list(self.workers.items()):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.workers.clear()

    def app(self, name: str):
        if name not in self._apps:
            module = importlib.import_module(f"services.{name}.app")
            app = module.create_app({"TESTING": True, "HUIFANG_SETTINGS": self.settings})
            self._apps[name] = app
        return self._apps[name]

    def client(self, name: str):
        return self.app(name).test_client()

    def count(self, name: str, model_name: str = "Inbox", where=None) -> int:
        service = self.services[name]
        model = getattr(service, model_name, None) or next(m for m in service.models if m.__name__ == model_name)
        with service.connection():
            query = model.select()
            if where is not None:
                query = query.where(where(model))
            return query.count()

    def worker_log(self, name: str) -> str:
        path = self.folder / f"{name}-worker.log"
        return path.read_text(errors="replace") if path.exists() else ""


#: A delivery of a VIP customer (the scheduler and reporting subscribe to delivery.shipped).
SHIPPED = {"delivery_id": "D-1", "customer": {"id": "C-1", "name": "华东电力", "segment": "vip"},
           "shipped_on": "2026-01-31", "contract_amount": "120000.00"}


def order(i: int) -> dict:
    """Gives the envelope of the `i`th service order (its id and event id derived from `i`)."""
    line = ("vehicle", "property", "retail")[i % 3]
    return envelope("service_order.completed", {
        "order_id": f"SO-{i}", "customer": {"id": f"C-{i % 40}", "name": f"客户{i % 40}"},
        "completed_at": "2026-10-12T15:00:00+08:00", "business_line": line, "kind": "repair"}, id_=f"so-{i}")


def inbox_ids(mesh, name):
    """Gives the ids of the events service `name` has taken in."""
    service = mesh.services[name]
    with service.connection():
        return {row.event_id for row in service.Inbox.select(service.Inbox.event_id)}


def raw_redis_enqueue(redis_url: str, payload) -> str:
    """Enqueues the way CONTRACT.md spells out, with redis-cli: no Dramatiq involved."""
    message_id = str(uuid.uuid4())
    message = {"queue_name": "events", "actor_name": "publish", "args": [payload], "kwargs": {}, "options": {},
               "message_id": message_id, "message_timestamp": int(time.time() * 1000)}
    cli = shutil.which("redis-cli")
    assert cli, "redis-cli is part of Debian's redis-server package"
    parts = urlsplit(redis_url)
    port = str(parts.port or 6379)
    env = {**os.environ, "REDISCLI_AUTH": parts.password} if parts.password else None  # not on the command line
    subprocess.run([cli, "-p", port, "HSET", "dramatiq:events.msgs", message_id, json.dumps(message)], check=True,
                   capture_output=True, env=env)
    subprocess.run([cli, "-p", port, "RPUSH", "dramatiq:events", message_id], check=True, capture_output=True,
                   env=env)
    return message_id


def ops(mesh, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs the operator's command line (`python -m ops ...`) against the mesh."""
    return subprocess.run([sys.executable, "-m", "ops", *args], env={**mesh.env, **(env or {})}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def break_policy(mesh) -> Path:
    """Gives the path of the organisation's callback policy, written invalid (an operator's typo)."""
    path = Path(mesh.settings.data_dir) / "acme-electric" / "scheduler" / "policies" / "default.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("equipment: [this is: not a policy\n", encoding="utf-8")
    return path


def callbacks_of(mesh, delivery_id: str) -> list:
    """Gives the kinds of the scheduler's callbacks of one delivery."""
    service = mesh.services["scheduler"]
    model = next(m for m in service.models if m.__name__ == "CallbackTask")
    with service.connection():
        return [row.kind for row in model.select().where(model.delivery_id == delivery_id)]
