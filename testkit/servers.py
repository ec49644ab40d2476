"""Servers the tests and the benchmarks start for themselves: Redis, RabbitMQ and SMTP on loopback,
each on a free port, stopped afterwards."""
from __future__ import annotations

import email
import email.policy
import os
import pwd
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from ops.infra import apt_install, free_port, port_open, redis_command
from testkit.polling import eventually


class RedisServer:
    """A Redis in `folder`, on a free port unless given one; with `password`, it requires it of every
    client (as the one `make run` starts does) and `url` carries it."""

    def __init__(self, folder: Path, port: int | None = None, *, password: str | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.password = password
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0" if self.password else \
            f"redis://127.0.0.1:{self.port}/0"

    @property
    def url_without_password(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(redis_command(self.port, self.folder, self.password), stdout=subprocess.DEVNULL,
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


class RabbitServer:
    """A throwaway RabbitMQ node in a temporary folder, on free ports."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self):
        if shutil.which("rabbitmq-server") is None:
            apt_install("rabbitmq-server")
        if shutil.which("rabbitmq-server") is None:
            pytest.fail("rabbitmq-server is missing and could not be installed")
        for sub in ("mnesia", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "enabled_plugins").write_text("[].")
        try:
            owner = pwd.getpwnam("rabbitmq")
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        except KeyError:
            pass
        env = {**os.environ,
               "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
               "RABBITMQ_NODENAME": f"huifang{self.port}@localhost",
               "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"), "RABBITMQ_LOG_BASE": str(self.folder / "log"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
               "RABBITMQ_FEATURE_FLAGS_FILE": str(self.folder / "feature_flags"),
               "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.folder / "plugins-expand")}
        self.proc = subprocess.Popen(["rabbitmq-server"], env=env, stdout=open(self.folder / "out.log", "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        def up():
            if self.proc.poll() is not None:
                log = (self.folder / "out.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"RabbitMQ exited at start-up:\n{log}")
            return port_open("127.0.0.1", self.port)

        eventually(up, timeout=90, interval=0.5, message="RabbitMQ to accept connections")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        # rabbitmq-server hands the node to its own user in a session of its own, out of reach
        # of killpg: find the node by the name it was given, and stop it too.
        for pid in _pids_with_env(f"RABBITMQ_NODENAME=huifang{self.port}@localhost"):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        # epmd outlives the node; it is harmless and shared by any later node


def _pids_with_env(entry: str) -> list[int]:
    """Gives the processes whose environment holds `entry` (NAME=value)."""
    wanted = entry.encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if wanted in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


class SmtpInbox:
    """An aiosmtpd handler keeping every message it is given: the envelopes, (recipients, parsed
    message) pairs in `messages`, the bytes in `raw`."""

    def __init__(self):
        self.envelopes = []
        self.messages = []
        self.raw = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append((list(envelope.rcpt_tos),
                                  email.message_from_bytes(envelope.content, policy=email.policy.default)))
            self.raw.append(envelope.content)
        return "250 OK"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


class SmtpServer:
    """An SMTP server on loopback (aiosmtpd) keeping what it is sent in `inbox`, on a free port
    unless given one; `options` go to aiosmtpd's Controller (TLS, authentication)."""

    def __init__(self, *, port: int | None = None, **options):
        self.inbox = SmtpInbox()
        self.options = options
        self.port = port or free_port()
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **self.options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
