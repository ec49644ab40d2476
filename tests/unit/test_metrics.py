"""Who may read /metrics, and the settings that say so (issue 14, item 4)."""
from __future__ import annotations

import pytest

from shared.errors import ConfigurationError
from shared.metrics import allowed
from shared.ops import logs_command
from shared.settings import load_settings

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
