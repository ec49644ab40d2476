"""Behind the proxy (deploy/nginx.conf.in): with HUIFANG_TRUSTED_PROXIES=1 a service believes
X-Forwarded-Prefix, -Proto and -Host, so its redirects and links carry the path prefix and its
cookie is Secure; with 0 (the default) the same headers change nothing."""
from __future__ import annotations

from testkit.apps import stub_apps

FORWARDED = {"X-Forwarded-Prefix": "/complaints", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "huifang.example",
             "X-Forwarded-For": "203.0.113.7"}


def test_a_trusted_proxy_s_prefix_goes_in_front_of_redirects_and_links(tmp_path):
    app = stub_apps(tmp_path, services=("complaints",), extra_env={"HUIFANG_TRUSTED_PROXIES": "1"})["complaints"]
    client = app.test_client()

    answer = client.get("/", headers=FORWARDED)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/complaints/login?next=/"

    page = client.get("/login", headers=FORWARDED)
    html = page.get_data(as_text=True)
    assert 'action="/complaints/login"' in html
    assert 'href="/complaints/static/' in html and 'href="/static/' not in html
    assert 'href="/complaints/login?lang=en"' in html  # the language switch
    assert "Secure" in page.headers["Set-Cookie"] and "Path=/;" in page.headers["Set-Cookie"]


def test_without_a_trusted_proxy_the_headers_change_nothing(tmp_path):
    app = stub_apps(tmp_path, services=("complaints",))["complaints"]
    answer = app.test_client().get("/", headers=FORWARDED)
    assert answer.headers["Location"] == "/login?next=/"


def test_the_proxy_keeps_metrics_off_the_public_host_name():
    # nginx connects from loopback, an allowed network of /metrics by default: the site must not pass it on
    import re

    from ops.proxy import render_site

    site = render_site(host="huifang.example")
    for service in ("scheduler", "complaints", "reporting"):
        assert re.search(r"location = /%s/metrics \{\s*return 404;\s*\}" % service, site), service
