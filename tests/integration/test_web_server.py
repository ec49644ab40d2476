"""The web server in front of the app, as the deployed units run it (ops.deploy.web_command):
what it answers before the app sees a request. Each test is named after what it proves."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess

from ops import deploy
from ops.infra import free_port, port_open
from shared.core.settings import ROOT, load_settings
from testkit.polling import eventually
from testkit.tokens import SECRET


def _raw(port: int, request: bytes) -> tuple[str, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], {k.lower(): v for k, v in headers.items()}, body


def test_an_over_long_request_line_is_414_problem_json_not_gunicorns_html(tmp_path):
    # given the scheduler's web process started as its unit starts it
    port = free_port()
    env = {**os.environ, "HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
           "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SCHEDULER_PORT": str(port), "PYTHONPATH": str(ROOT),
           "HUIFANG_WEB_WORKERS": "1", "HUIFANG_WEB_THREADS": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = deploy.web_command("scheduler", load_settings(env))
    log = open(tmp_path / "web.log", "ab")
    web = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        eventually(lambda: port_open("127.0.0.1", port) or web.poll() is not None, timeout=60, message="gunicorn")
        assert web.poll() is None, (tmp_path / "web.log").read_text()
        # when a client sends a request line longer than gunicorn takes
        status, headers, body = _raw(port, b"GET /api/v1/callbacks?q=" + b"x" * 9000 + b" HTTP/1.1\r\n"
                                           b"Host: 127.0.0.1\r\n\r\n")
        # then the answer is the API's problem+json, not an HTML page
        assert status.startswith("HTTP/1.1 414"), status
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == 414
        # and an ordinary request is still answered by the app
        status, _, _ = _raw(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert status.startswith("HTTP/1.1 200"), status
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)
