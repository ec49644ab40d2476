"""One origin: Debian's nginx with the site `make proxy-config` writes, in front of the three
services started for real (gunicorn, as the deployed units start them: `python -m ops serve-web`),
over TLS (a self-signed certificate), under one host name with a path prefix per service.

nginx runs as a private instance (its own configuration, pid, logs and temporary files in the
test's folder, on free ports on 127.0.0.1); the browser resolves the host name to 127.0.0.1.
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from urllib.parse import urlsplit

import pytest

from ops.infra import apt_install, free_port
from shared.core.settings import ROOT, SERVICES
from testkit.mesh import Mesh
from testkit.polling import eventually
from testkit.pages import PASSWORD, enter_people, launched_browser

HOST = "huifang.test"


def nginx_binary() -> str:
    path = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not path:
        apt_install("nginx-light")
        path = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not path:
        pytest.fail("Debian's nginx is missing: apt-get install nginx-light")
    return path


def main_config(folder, site_file) -> str:
    """Gives a whole nginx.conf around the site file, everything of its own under `folder`."""
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the test's folder is private to us
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"  access_log {folder}/access.log;\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n"
            "  include /etc/nginx/mime.types;\n"
            f"  include {site_file};\n"
            "}\n")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def proxied(redis_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("proxy")
    https_port, http_port = free_port(), free_port()
    origin = f"https://{HOST}:{https_port}"
    ports = {name: free_port() for name in SERVICES}
    env_extra = {f"HUIFANG_{name.upper()}_URL": f"{origin}/{name}" for name in SERVICES}
    env_extra |= {f"HUIFANG_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    env_extra |= {"HUIFANG_TRUSTED_PROXIES": "1", "HUIFANG_WEB_WORKERS": "1", "HUIFANG_WEB_THREADS": "4"}
    redis_server.client().flushall()
    mesh = Mesh(broker_url=redis_server.url, folder=folder, extra_env=env_extra)
    mesh.start_all()
    webs, nginx = [], None
    try:
        for name in SERVICES:
            log = open(folder / f"{name}-web.log", "ab")
            webs.append(subprocess.Popen([sys.executable, "-m", "ops", "serve-web", name], env=mesh.env,
                                         cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        cert, key = folder / "site.crt", folder / "site.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        site = folder / "huifang-site.conf"
        subprocess.run(["make", "-s", "-C", str(ROOT), "proxy-config", f"HOST={HOST}", f"CERT={cert}", f"KEY={key}",
                        *(f"{name.upper()}=127.0.0.1:{port}" for name, port in ports.items()),
                        f"HTTPS_LISTEN=127.0.0.1:{https_port}", f"HTTP_LISTEN=127.0.0.1:{http_port}",
                        f"OUT={site}"], check=True, capture_output=True)
        conf = folder / "nginx.conf"
        conf.write_text(main_config(folder, site))
        binary = nginx_binary()
        command = [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        for name, port in ports.items():
            eventually(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout=60,
                       message=f"{name}'s gunicorn to answer")
        nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        enter_people(mesh)
        yield {"origin": origin, "nginx_t": checked, "http_port": http_port, "folder": folder}
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(15)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for proc in webs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in webs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        mesh.stop()


@pytest.fixture(scope="module")
def proxy_browser():
    with launched_browser(f"--host-resolver-rules=MAP {HOST} 127.0.0.1") as launched:
        yield launched


def status_of(page, url: str) -> int:
    """Gives the status of a GET from inside the page (the browser resolves the host name)."""
    return page.evaluate("url => fetch(url, {redirect: 'manual'}).then(r => r.status)", url)


def test_nginx_accepts_the_configuration(proxied):
    assert proxied["nginx_t"].returncode == 0, proxied["nginx_t"].stderr
    assert "syntax is ok" in proxied["nginx_t"].stderr


def test_one_sign_in_reaches_the_three_services_through_the_proxy(proxied, proxy_browser):
    origin = proxied["origin"]
    context = proxy_browser.new_context(locale="zh-CN", ignore_https_errors=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        # The front page is the workbench; signed out, the scheduler sends us to its sign-in page,
        # under its prefix.
        page.goto(origin + "/")
        assert urlsplit(page.url).path == "/scheduler/login"
        page.fill("#login", "zhang")
        page.fill("#password", PASSWORD)
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("form.o-form button[type=submit]")
        page.wait_for_load_state()
        assert posted.value.status == 303
        assert posted.value.request.url == origin + "/scheduler/login"
        assert page.url == origin + "/scheduler/"
        assert page.locator("h1").inner_text() == "工作台"

        cookie = next(c for c in context.cookies() if c["name"] == "huifang_session")
        assert cookie["domain"] == HOST and cookie["path"] == "/" and cookie["secure"] and cookie["httpOnly"]

        # The top bar's links stay on the one origin, and the one cookie signs us in everywhere.
        page.click(f'nav a[href="{origin}/complaints/"]')
        page.wait_for_load_state()
        assert page.url == origin + "/complaints/"
        assert page.locator("h1").inner_text() == "投诉看板"
        assert page.locator('a.o-brand').get_attribute("href") == "/complaints/"
        page.click("header .o-lang a[lang=en]")  # the language switch keeps the prefix
        page.wait_for_load_state()
        assert page.url.startswith(origin + "/complaints/?") and page.locator("h1").inner_text() == "Complaint board"
        page.click("header .o-lang a[lang=zh-CN]")
        page.wait_for_load_state()
        answer = page.goto(origin + "/reporting/")
        assert answer.status == 200 and page.locator("h1").inner_text() == "报告室"
        stylesheet = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
        assert stylesheet.startswith("/reporting/static/")
        assert status_of(page, origin + stylesheet) == 200

        # A form with its CSRF token, posted through the proxy: signing out (on every service).
        page.click("form.o-signout button")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/reporting/login"
        page.goto(origin + "/complaints/")
        assert urlsplit(page.url).path == "/complaints/login"

        # The API is there too, bearer-token only, and plain HTTP is sent to HTTPS.
        assert status_of(page, origin + "/scheduler/api/v1/callbacks") == 401
        assert status_of(page, origin + "/complaints/healthz") == 200
        connection = http.client.HTTPConnection("127.0.0.1", proxied["http_port"], timeout=10)
        connection.request("GET", "/reporting/", headers={"Host": HOST})
        plain = connection.getresponse()
        assert plain.status == 301 and plain.getheader("Location") == origin + "/reporting/"
        connection.close()
    finally:
        context.close()
