"""The scheduler domain's packaged data for its unit tests: the questionnaires as shipped."""
from __future__ import annotations

import yaml

from services.scheduler.domain.questionnaire import load_questionnaire
from shared.core.settings import ROOT

#: The packaged questionnaires (services/scheduler/data/questionnaires/<name>.yaml).
QUESTIONNAIRES = ROOT / "services" / "scheduler" / "data" / "questionnaires"


def raw(name: str) -> dict:
    """Gives the packaged questionnaire `name` as its YAML reads."""
    return yaml.safe_load((QUESTIONNAIRES / f"{name}.yaml").read_text(encoding="utf-8"))


def packaged(name: str):
    """Gives the packaged questionnaire `name`, loaded."""
    return load_questionnaire(raw(name), source=name)
