"""The organisation's rules for the scheduler: its callback policy, working calendar, agents, questionnaires.

Each is the organisation's own file (or the packaged default under data/), read through
shared.core.orgdata and validated once per version of the file.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

from marshmallow import Schema, ValidationError, fields, validate

from shared.core.calendar import WorkingCalendar
from shared.core.errors import ConfigurationError
from shared.core.orgdata import load_org_rules, org_path, packaged_path, working_calendar

from .domain.policy import Policy
from .domain.policy_schema import first_message, load_policy
from .domain.questionnaire import Questionnaire, QuestionnaireError, load_questionnaire
from .domain.leads import LeadPolicy
from .domain.lapsed import LapsedPolicy
from .domain.ledger_gaps import LedgerWatch
from .domain.review import ReviewPolicy
from .errors import UnknownPolicy

SERVICE_NAME = "scheduler"
POLICY_FILE = "policies/default.yaml"
POLICY_FOLDER = "policies"
#: The policy an organisation's callbacks are planned with (its own copy, else the packaged one).
DEFAULT_POLICY = "default"
AGENTS_FILE = "agents.yaml"
_POLICY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")


@dataclass(frozen=True)
class OrgRules:
    """What an organisation's data files say: its policy, working calendar and agents."""

    policy: Policy
    calendar: WorkingCalendar
    agents: tuple[tuple[str, frozenset[str]], ...]
    #: The branches each agent works for (agents.yaml `branches`; none listed: every branch).
    agent_branches: tuple[tuple[str, frozenset[str]], ...] = ()

    def agents_for(self, business_line: str, branch: str | None = None) -> list[str]:
        """Gives the logins of the agents covering `business_line` (an empty set covers all) and,
        for a task of a branch, working for it; when nobody of the line works for that branch,
        the line's agents (a task is never left unassigned for want of a branch)."""
        line = [login for login, lines in self.agents if not lines or business_line in lines]
        if branch is None:
            return line
        covers = dict(self.agent_branches)
        of_branch = [login for login in line if not covers.get(login) or branch in covers[login]]
        return of_branch or line

    def with_directory(self, users, organization: str) -> "OrgRules":
        """Gives these rules with the agents (回访员) of the user directory (shared/users/store.py: a
        person is entered once) in front of those agents.yaml still lists. An agent's branch is
        the directory's; agents.yaml's `branches` stay for those without one."""
        directory = users.of_role(organization, "agent")
        people = tuple((p.login, frozenset(p.business_lines)) for p in directory)
        known = {login for login, _ in people}
        placed = {p.login: frozenset({p.branch}) for p in directory if p.branch}
        branches = tuple(placed.items()) + tuple(b for b in self.agent_branches if b[0] not in placed)
        return replace(self, agents=people + tuple(a for a in self.agents if a[0] not in known),
                       agent_branches=branches)


def rules_for(settings, organization: str) -> OrgRules:
    """Gives the organisation's rules, each validated once per version of its data file.

    Raises:
      PolicyError / ConfigurationError: naming the bad field of the organisation's file.
    """
    def load(relative, parse):
        return load_org_rules(settings, service=SERVICE_NAME, relative=relative, organization=organization,
                              parse=parse)

    return OrgRules(policy=load(POLICY_FILE, load_policy),
                    calendar=working_calendar(settings, service=SERVICE_NAME, organization=organization),
                    agents=load(AGENTS_FILE, _agents), agent_branches=load(AGENTS_FILE, _agent_branches))


def policy_names(settings, organization: str) -> list[str]:
    """Gives the names of the policies an organisation may look at: the packaged ones and its own
    files under policies/ (the one in force, "default", first)."""
    names = set()
    for folder in (packaged_path(SERVICE_NAME, POLICY_FOLDER), org_path(settings, organization, SERVICE_NAME,
                                                                        POLICY_FOLDER)):
        try:
            listed = os.listdir(folder)
        except FileNotFoundError:
            continue
        names |= {n.rsplit(".", 1)[0] for n in listed if n.endswith((".yaml", ".yml", ".json"))
                  and _POLICY_NAME.match(n.rsplit(".", 1)[0])}
    return sorted(names, key=lambda n: (n != DEFAULT_POLICY, n))


def rules_with_policy(settings, organization: str, policy_name: str) -> OrgRules:
    """Gives the organisation's rules with policy `policy_name` in place of the one in force.

    Raises:
      UnknownPolicy: no such policy (field `policy`); PolicyError naming a bad field of it.
    """
    rules = rules_for(settings, organization)
    if policy_name == DEFAULT_POLICY:
        return rules
    if policy_name not in policy_names(settings, organization):
        raise UnknownPolicy(f"No policy {policy_name!r}; choose one of "
                            f"{', '.join(policy_names(settings, organization))}.", field="policy")
    policy = load_org_rules(settings, service=SERVICE_NAME, relative=f"{POLICY_FOLDER}/{policy_name}.yaml",
                            organization=organization, parse=load_policy)
    return replace(rules, policy=policy)


class _AgentSchema(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=128))
    business_lines = fields.List(fields.String(), load_default=list)
    branches = fields.List(fields.String(validate=validate.Length(min=1, max=128)), load_default=list)


class _RosterSchema(Schema):
    agents = fields.List(fields.Nested(_AgentSchema), load_default=list)


def _agents(raw) -> tuple[tuple[str, frozenset[str]], ...]:
    """Gives (login, business lines) of each agent of a roster file."""
    try:
        roster = _RosterSchema().load(raw or {})
    except ValidationError as exc:
        field, message = first_message(exc.messages)
        raise ConfigurationError(f"{AGENTS_FILE}: {field}", message) from None
    return tuple((a["login"], frozenset(a["business_lines"])) for a in roster["agents"])


def _agent_branches(raw) -> tuple[tuple[str, frozenset[str]], ...]:
    """Gives (login, branches) of each agent of a roster file that names branches."""
    try:
        roster = _RosterSchema().load(raw or {})
    except ValidationError as exc:
        field, message = first_message(exc.messages)
        raise ConfigurationError(f"{AGENTS_FILE}: {field}", message) from None
    return tuple((a["login"], frozenset(a["branches"])) for a in roster["agents"] if a["branches"])


def questionnaire_named(settings, organization: str, name: str) -> Questionnaire:
    """Gives the organisation's questionnaire `name` (its own file, else the packaged one), validated once
    per version of the file.

    Raises:
      QuestionnaireError: naming the file and its bad field.
      ConfigurationError: no such questionnaire file.
    """
    relative = f"questionnaires/{name}.yaml"
    try:
        questionnaire = load_org_rules(settings, service=SERVICE_NAME, relative=relative, organization=organization,
                                       parse=load_questionnaire)
    except QuestionnaireError as exc:
        raise QuestionnaireError(f"{relative}: {exc.message}", field=exc.field) from None
    if questionnaire.name != name:
        raise QuestionnaireError(f"{relative}: field 'name': is {questionnaire.name!r}, the file is named {name!r}",
                                 field="name")
    return questionnaire


def review_policy(settings, organization: str) -> ReviewPolicy:
    """Gives the organisation's review rules (data/review.yaml or its own copy): which roles review
    callback records, every week or month, and what share of each agent's records (seed 002)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="review.yaml", organization=organization,
                          parse=ReviewPolicy.from_data)


def lead_policy(settings, organization: str) -> LeadPolicy:
    """Gives the organisation's lead rules (data/leads.yaml or its own copy): which answers raise a
    lead, who owns it, when it is due (seed 000 part 5)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="leads.yaml", organization=organization,
                          parse=LeadPolicy.from_data)


def ledger_watch(settings, organization: str) -> LedgerWatch:
    """Gives the organisation's missing-ledger-data rules (data/ledger_watch.yaml or its own copy)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="ledger_watch.yaml", organization=organization,
                          parse=LedgerWatch.from_data)


def lapsed_policy(settings, organization: str) -> LapsedPolicy:
    """Gives the organisation's lapsed-customer rules (data/lapsed.yaml or its own copy): after how many
    months without service a customer of each line is lapsed, and when their "why not back" callback is
    due (seed 000 part 5: 回访调查流失原因)."""
    return load_org_rules(settings, service=SERVICE_NAME, relative="lapsed.yaml", organization=organization,
                          parse=LapsedPolicy.from_data)
