"""The shared library's pure pieces: settings, tokens, the event registry, manifests."""
from pathlib import Path

import pytest

from shared.web.auth import AuthError, issue_token, verify_token
from shared.core.errors import ConfigurationError, InvalidEvent
from shared.core.event_types import REGISTRY
from shared.core.events import load_event, validate_envelope
from shared.core.logs import JsonFormatter
from shared.core.manifest import load_manifests, subscribers
from shared.core.settings import load_settings

SECRET = "s" * 32


def test_settings_defaults_follow_the_contract(tmp_path):
    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET})
    assert settings.broker_url == "redis://127.0.0.1:6379/0"
    assert settings.ports == {"scheduler": 8101, "complaints": 8102, "reporting": 8103}
    assert settings.database_url("scheduler").startswith("sqlite:///")
    assert settings.timezone == "Asia/Shanghai"


@pytest.mark.parametrize("name, value", [
    ("HUIFANG_BROKER_URL", "kafka://x"),
    ("HUIFANG_SCHEDULER_DATABASE_URL", "mysql://x"),
    ("HUIFANG_COMPLAINTS_PORT", "eighty"),
    ("HUIFANG_REPORTING_PORT", "70000"),
    ("HUIFANG_TIMEZONE", "Mars/Olympus"),
    ("HUIFANG_SMTP_URL", "http://mail"),
])
def test_a_bad_setting_names_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigurationError) as err:
        load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET, name: value})
    assert name in str(err.value)


def test_dev_secret_is_generated_once_and_reused(tmp_path):
    first = load_settings({"HUIFANG_VAR_DIR": str(tmp_path)}).secret_key
    assert load_settings({"HUIFANG_VAR_DIR": str(tmp_path)}).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_token_round_trip_and_forgery():
    token = issue_token(SECRET, login="li", role="advisor", organization="acme-electric")
    who = verify_token(token, secret_key=SECRET, api_token="api")
    assert (who.login, who.role, who.organization) == ("li", "advisor", "acme-electric")
    with pytest.raises(AuthError):
        verify_token(token, secret_key="t" * 32, api_token="api")
    with pytest.raises(AuthError):
        verify_token("", secret_key=SECRET, api_token="api")
    assert verify_token("api", secret_key=SECRET, api_token="api").role == "integration"
    with pytest.raises(ValueError):  # only HUIFANG_API_TOKEN acts for every organisation
        issue_token(SECRET, login="li", role="integration", organization="*")
    with pytest.raises(ValueError):
        issue_token(SECRET, login="li", role="agent", organization="Acme Electric")


def test_every_contract_type_has_a_schema_and_every_manifest_names_known_types():
    for type_ in ("delivery.shipped", "equipment.installed", "equipment.commissioned", "delivery.cancelled",
                  "service_order.completed", "customer.updated", "complaint.raised", "callback.scheduled",
                  "callback.completed", "callback.unreachable", "complaint.escalated", "complaint.resolved",
                  "complaint.closed", "complaint.reopened", "customer.flagged", "report.generated", "report.sent"):
        assert type_ in REGISTRY
    manifests = load_manifests()
    assert set(manifests) == {"scheduler", "complaints", "reporting"}
    assert sorted(subscribers("delivery.shipped")) == ["reporting", "scheduler"]
    assert "complaints" in subscribers("complaint.raised")


def test_envelope_errors_name_nested_fields():
    raw = {"specversion": "1.0", "id": "1", "type": "service_order.completed", "source": "erp://x",
           "data": {"order_id": "O1", "customer": {"id": "C1"}, "completed_at": "2026-10-30T10:00:00",
                    "business_line": "boats"}}
    with pytest.raises(InvalidEvent) as err:
        validate_envelope(raw)
    assert set(err.value.errors) >= {"data.customer.name", "data.business_line", "data.completed_at"}


def test_envelope_defaults_organization_and_types_data():
    event = load_event({"specversion": "1.0", "id": "1", "type": "equipment.commissioned", "source": "erp://x",
                        "data": {"delivery_id": "D1", "commissioned_on": "2026-03-15"}})
    assert event.organization == "default"
    assert event.data["commissioned_on"].isoformat() == "2026-03-15"


def test_tokens_never_appear_in_logs():
    import logging

    record = logging.LogRecord("shared.web.app", logging.INFO, __file__, 1,
                               "got header Authorization: Bearer %s", ("abc.def.ghi",), None)
    line = JsonFormatter().format(record)
    assert "abc.def.ghi" not in line and "[redacted]" in line


def test_amqp_url_selects_rabbitmq_with_publisher_confirms(tmp_path):
    from shared.mesh.broker import make_broker

    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET,
                              "HUIFANG_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/"})
    broker = make_broker(settings)
    assert type(broker).__name__ == "RabbitmqBroker"
    assert broker.confirm_delivery is True


def test_redis_broker_requeues_a_dead_workers_messages_quickly(tmp_path):
    from shared.mesh.broker import make_broker

    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET})
    broker = make_broker(settings)
    # Dramatiq's defaults (60 s heartbeat, 0.1% maintenance chance) can strand messages for minutes.
    assert broker.heartbeat_timeout <= 20_000
    assert broker.maintenance_chance >= 50_000


def test_phones_are_masked_for_roles_that_need_not_see_them():
    from shared.core.privacy import mask_phone, phone_for

    assert mask_phone("13812345678") == "138****5678"
    assert phone_for("advisor", "13812345678") == "138****5678"
    assert phone_for("agent", "13812345678") == "13812345678"
    assert mask_phone(None) is None and mask_phone("123") == "***"


def test_databases_and_mail_are_private_to_the_user(tmp_path):
    """A SQLite database and an .eml file are created 0600 inside 0700 folders,
    and a folder that already exists (it may be /tmp) is left as it is."""
    from shared.core.db import database_from_url
    from shared.core.mail import build_message, send_message

    shared_folder = tmp_path / "shared"
    shared_folder.mkdir(mode=0o755)
    shared_folder.chmod(0o755)
    database_from_url(f"sqlite:///{tmp_path / 'var' / 'scheduler.db'}")
    database_from_url(f"sqlite:///{shared_folder / 'other.db'}")
    where = send_message(build_message(sender="a@x.example", to=["b@x.example"], subject="s", body_text="b"),
                         smtp_url=None, outbox_dir=tmp_path / "var" / "outbox")
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(tmp_path / "var") == 0o700 and mode(tmp_path / "var" / "scheduler.db") == 0o600
    assert mode(tmp_path / "var" / "outbox") == 0o700 and mode(Path(where)) == 0o600
    assert mode(shared_folder) == 0o755 and mode(shared_folder / "other.db") == 0o600
