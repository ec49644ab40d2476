"""The organisation's rules for the report: its policy, schedule, recipients and working calendar.

Each is the organisation's own file (`<HUIFANG_DATA_DIR>/<organization>/reporting/...`) or
the packaged default under data/, read through shared.core.orgdata and validated once per version
of the file.
"""
from __future__ import annotations

from dataclasses import replace

from shared.core.calendar import WorkingCalendar
from shared.core.orgdata import load_org_rules, working_calendar

from .domain.desk import DeskPolicy
from .domain.policy import Recipients, ReportPolicy, Schedule

SERVICE_NAME = "reporting"


def report_policy(settings, organization: str) -> ReportPolicy:
    """Gives the organisation's report policy (data/report.yaml or its own copy)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="report.yaml", organization=organization,
                          parse=ReportPolicy.from_data)


def schedule_of(settings, organization: str) -> Schedule:
    """Gives the organisation's report schedule (data/schedule.yaml or its own copy)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="schedule.yaml", organization=organization,
                          parse=Schedule.from_data)


def recipients_of(settings, organization: str, *, users) -> Recipients:
    """Gives who the organisation's report goes to and may go to: the managers of the user
    directory (`users`, shared/users/store.py: a person is entered once), with the addresses an
    organisation still lists in data/recipients.yaml (its own copy) added."""
    listed = load_org_rules(settings, service=SERVICE_NAME, relative="recipients.yaml", organization=organization,
                            parse=Recipients.from_data)
    managers = [*users.emails_of_role(organization, "manager"), *listed.managers]
    return replace(listed, managers=tuple(dict.fromkeys(managers)))


def calendar_of(settings, organization: str) -> WorkingCalendar:
    """Gives the organisation's working calendar (data/calendar.yaml or its own copy)."""
    return working_calendar(settings, service=SERVICE_NAME, organization=organization)


def desk_policy(settings, organization: str) -> DeskPolicy:
    """Gives the organisation's desk rules (data/desk.yaml or its own copy): targets per role, the
    agents' monthly summary's due day."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="desk.yaml", organization=organization,
                          parse=DeskPolicy.from_data)
