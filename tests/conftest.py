"""Test infrastructure: a real Redis, real SQLite or PostgreSQL databases, real worker processes.

HUIFANG_TEST_DB=sqlite (default) or postgres (then HUIFANG_TEST_POSTGRES_URL must answer;
`make test` starts a throwaway server for it).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ops.devenv import free_port, redis_command
from shared.core.settings import ROOT, load_settings

TEST_DB = os.environ.get("HUIFANG_TEST_DB", "sqlite")
SECRET = "test-secret-" + "x" * 20
API_TOKEN = "hf_test_integration_token"


def pytest_collection_modifyitems(config, items):
    if TEST_DB == "postgres":
        return
    # nothing to skip on SQLite


def eventually(check, *, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Polls `check` until it gives a truthy value; fails with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(redis_command(self.port, self.folder), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        eventually(lambda: _ping(client), timeout=10, message="redis to start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, decode_responses=True)


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def _pg_admin_url() -> str:
    url = os.environ.get("HUIFANG_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("HUIFANG_TEST_DB=postgres needs HUIFANG_TEST_POSTGRES_URL (make test-postgres sets it)")
    return url


def new_database_url(service: str, folder: Path) -> str:
    """Gives the URL of a new, empty database for one service."""
    if TEST_DB == "postgres":
        import psycopg2

        admin = _pg_admin_url()
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        conn.close()
        parsed = urlparse(admin)
        return parsed._replace(path="/" + name).geturl()
    return f"sqlite:///{folder / (service + '.db')}"


def service_env(*, broker_url: str, db_urls: dict, var_dir: Path, extra: dict | None = None) -> dict:
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
        import importlib

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
            import importlib

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


@pytest.fixture
def mesh_factory(redis_server, tmp_path):
    created = []

    def make(*, broker_url: str | None = None, start: bool = True, extra_env: dict | None = None) -> Mesh:
        redis_server.client().flushall()
        mesh = Mesh(broker_url=broker_url or redis_server.url, folder=tmp_path, extra_env=extra_env)
        created.append(mesh)
        if start:
            mesh.start_all()
        return mesh

    yield make
    for mesh in created:
        mesh.stop()


@pytest.fixture
def mesh(mesh_factory):
    return mesh_factory()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def user_token(role: str, org: str = "acme-electric", login: str = "li") -> str:
    from shared.web.auth import issue_token

    return issue_token(SECRET, login=login, role=role, organization=org)


def envelope(type_: str, data: dict, *, id_: str | None = None, org: str = "acme-electric",
             source: str = "erp://acme-electric") -> dict:
    return {"specversion": "1.0", "id": id_ or f"erp-{uuid.uuid4().hex[:12]}", "type": type_,
            "source": source, "time": "2026-01-31T10:00:00+08:00", "organization": org, "data": data}


def run_at_once(count: int, work, *, timeout: float = 120.0, service=None) -> list:
    """Runs `work()` in `count` threads released together; gives their results.

    Re-raises the first error a thread hit. With `service`, each thread gives its database
    connection back when done (thread-local connections would otherwise stay open).
    """
    import threading

    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # shown by the raise below
            errors.append(exc)
        finally:
            if service is not None and not service.database.is_closed():
                service.database.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results


def stub_apps(folder: Path, *, secret: str = SECRET, api_token: str = API_TOKEN,
              services=("scheduler", "complaints", "reporting"), extra_env: dict | None = None) -> dict:
    """Gives the three services' real web apps on SQLite under `folder`, with the stub broker
    (nothing is relayed): for tests of the HTTP surface and the OpenAPI documents."""
    import importlib

    settings = load_settings({"HUIFANG_SECRET_KEY": secret, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(folder), "HUIFANG_API_TOKEN": api_token, **(extra_env or {})})
    made = {}
    for name in services:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        service.bind(settings, url=f"sqlite:///{folder / (name + '.db')}")
        # create_app checks that every /api/ route has its roles: making it is part of the test.
        # reporting makes figures for readers in the request, as a single-process install does
        made[name] = importlib.import_module(f"services.{name}.app").create_app(
            {"TESTING": True, "HUIFANG_SETTINGS": settings, "REPORTING_GENERATE_INLINE": True})
    return made


def lock_waiters(service) -> int:
    """Gives how many PostgreSQL lock requests wait (a handler blocked by another's transaction)."""
    with service.connection() as db:
        return db.execute_sql("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]


def run_overlapping(service, apply: dict, first: tuple[str, dict], second: tuple[str, dict], *,
                    org: str = "acme-electric") -> None:
    """Handles the event `first` (type, data) with `apply[type]` in a transaction kept open until
    `second`, handled meanwhile in another, has finished or waits for a lock; then both commit
    (PostgreSQL: what two workers handling two events at once do)."""
    import threading

    from shared.core.events import load_event

    first_done, release, second_done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def handle(type_: str, data: dict, done: threading.Event, wait_for: threading.Event | None):
        try:
            with service.connection(), service.unit_of_work() as uow:
                apply[type_](uow=uow, event=load_event(envelope(type_, data, org=org)))
                done.set()
                if wait_for is not None:
                    assert wait_for.wait(30), "never released"
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            done.set()

    a = threading.Thread(target=handle, args=(*first, first_done, release))
    a.start()
    assert first_done.wait(30)
    b = threading.Thread(target=handle, args=(*second, second_done, None))
    b.start()
    eventually(lambda: second_done.is_set() or lock_waiters(service) > 0, timeout=30,
               message="the second handler to finish or to wait for the first's lock")
    release.set()
    a.join(30)
    b.join(30)
    assert not failures, failures
