"""RULES 3 schedule and report policy as data (services/reporting/data/*.yaml)."""
from datetime import datetime

import pytest
import yaml

from services.reporting.domain.policy import PolicyError, Recipients, ReportPolicy, Schedule, report_filename
from shared.core.orgdata import packaged_path


def packaged(name):
    return yaml.safe_load(packaged_path("reporting", name).read_text(encoding="utf-8"))


def test_rule_3_default_schedule_is_the_3rd_for_the_previous_month():
    schedule = Schedule.from_data(packaged("schedule.yaml"))
    assert schedule.month_due(datetime(2026, 11, 2, 23, 59)) is None
    assert schedule.month_due(datetime(2026, 11, 3, 7, 59)) is None
    assert schedule.month_due(datetime(2026, 11, 3, 8, 0)) == "2026-10"
    assert schedule.month_due(datetime(2026, 11, 30, 8, 0)) == "2026-10"
    assert schedule.month_due(datetime(2027, 1, 3, 8, 0)) == "2026-12"


def test_rule_3_schedule_variant_on_the_25th_for_the_month_itself():
    schedule = Schedule.from_data({"day": 25, "month": "current"})
    assert schedule.month_due(datetime(2026, 10, 24, 23, 0)) is None
    assert schedule.month_due(datetime(2026, 10, 25, 0, 0)) == "2026-10"


def test_schedule_can_be_turned_off():
    assert Schedule.from_data({"day": 1, "enabled": False}).month_due(datetime(2026, 10, 25)) is None


@pytest.mark.parametrize("data, field", [({"day": 31}, "schedule.day"), ({"day": 3, "month": "next"}, "schedule.month"),
                                         ({"day": 3, "at": "25:00"}, "schedule.at")])
def test_bad_schedule_names_the_field(data, field):
    with pytest.raises(PolicyError) as error:
        Schedule.from_data(data)
    assert error.value.field == field


def test_report_policy_targets_come_from_data():
    policy = ReportPolicy.from_data(packaged("report.yaml"))
    assert policy.targets["key_callback_completion_rate"] == 1.0
    assert "vip" in policy.key_segments and "ordinary" not in policy.key_segments
    with pytest.raises(PolicyError):
        ReportPolicy.from_data({**packaged("report.yaml"), "targets": {"nonsense_rate": 0.5}})


def test_recipients_and_attachment_name():
    assert Recipients.from_data(packaged("recipients.yaml")).managers == ()
    assert Recipients.from_data({"managers": ["boss@acme.example"]}).managers == ("boss@acme.example",)
    with pytest.raises(PolicyError):
        Recipients.from_data({"managers": ["not an address"]})
    assert report_filename("2026-10", "zh-CN") == "顾客满意度测量报告-2026-10.pdf"


def test_report_may_go_only_to_listed_addresses_or_allowed_domains():
    recipients = Recipients.from_data({"managers": ["boss@acme.example"], "others": ["Auditor@Audit.example"],
                                       "allowed_domains": ["acme.example"]})
    assert recipients.allows("boss@acme.example") and recipients.allows("auditor@audit.example")
    assert recipients.allows("Zhang@ACME.example")
    assert recipients.refused(["x@evil.example", "boss@acme.example", "y@acme.example.evil.example",
                               "other@audit.example"]) == ["x@evil.example", "y@acme.example.evil.example",
                                                           "other@audit.example"]
    # the packaged file allows nobody beyond the (empty) managers
    assert Recipients.from_data(packaged("recipients.yaml")).refused(["boss@acme.example"]) == ["boss@acme.example"]
    with pytest.raises(PolicyError, match="allowed_domains"):
        Recipients.from_data({"allowed_domains": ["@acme.example"]})
