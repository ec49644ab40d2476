"""RULES 1.1 and 1.2: questionnaires (回访模板) as data, which one a callback follows, its answers.

A questionnaire is an ordered list of questions, each with an id, a Chinese and an English
label, an answer type and whether it must be answered. The packaged ones live in
``services/scheduler/data/questionnaires/*.yaml``; which one a callback follows is the
policy's ``questionnaires`` selection (see :func:`questionnaire_for`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.scheduler.errors import QuestionnaireError
from services.scheduler.domain.policy import QuestionnaireSelection
from services.scheduler.domain.policy_schema import first_message
from shared.core.event_fields import SATISFACTION

__all__ = [
    "ANSWER_TYPES",
    "CONTRACT_ANSWERS",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "SCRIPT_PLACEHOLDERS",
    "answer_errors",
    "fill_script",
    "load_questionnaire",
    "questionnaire_for",
]

#: Answer types: the five-step satisfaction scale of CONTRACT.md, free text, yes or no.
SATISFACTION_SCALE, TEXT, YES_NO = "satisfaction", "text", "yes_no"
ANSWER_TYPES = (SATISFACTION_SCALE, TEXT, YES_NO)
#: Questions an outcome may answer as its own CONTRACT.md fields instead of inside ``answers``.
CONTRACT_ANSWERS = ("product_satisfaction", "service_satisfaction", "suggestions")


#: What an opening or closing script may name (seed 003 §六 回访话术规范: [客户姓名] [公司名称]
#: [回访人员姓名] [产品或服务名称]), filled in on the callback form.
SCRIPT_PLACEHOLDERS = ("customer_name", "company", "agent", "subject")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill_script(script: str, values: Mapping[str, str | None]) -> str:
    """Gives a script with each ``{placeholder}`` replaced by its value (a missing one by nothing)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1)) or ""), script or "")


@dataclass(frozen=True)
class Question:
    """One question of a questionnaire, as the agent reads it out."""

    id: str
    label_zh: str
    label_en: str
    answer_type: str
    required: bool
    #: A text question's usual answers, offered on the form (the customer's own words are taken too):
    #: e.g. the organisation's list of churn reasons (流失原因) of the lapsed questionnaire.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Questionnaire:
    """A callback template (回访模板): its questions in the order they are asked."""

    name: str
    title_zh: str
    title_en: str
    version: int
    questions: tuple[Question, ...]
    #: The opening and closing scripts (开场话术, 结束语), with placeholders (SCRIPT_PLACEHOLDERS).
    opening_zh: str = ""
    opening_en: str = ""
    closing_zh: str = ""
    closing_en: str = ""

    def question(self, question_id: str) -> Question | None:
        """Gives the question with that id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def yes_no_labels(self) -> list[dict]:
        """Gives its yes/no questions with their labels, as callback.completed carries them (the
        report counts their answers: seed 000 6.3.1)."""
        return [{"id": q.id, "label_zh": q.label_zh, "label_en": q.label_en}
                for q in self.questions if q.answer_type == YES_NO]


def load_questionnaire(data: Mapping, *, source: str | None = None) -> Questionnaire:
    """Gives a validated :class:`Questionnaire` from a parsed YAML or JSON mapping.

    Raises:
      QuestionnaireError: naming ``source`` (if given) and the dotted path of the first bad field.
    """
    where = f"{source}: " if source else ""
    if not isinstance(data, Mapping):
        raise QuestionnaireError(f"{where}a questionnaire file must hold a mapping", field="")
    try:
        return _QuestionnaireSchema().load(data)
    except ValidationError as exc:
        field, message = first_message(exc.messages)
        raise QuestionnaireError(f"{where}field {field!r}: {message}", field=field) from exc


def questionnaire_for(
    *,
    callback_kind: str,
    business_line: str,
    order_kind: str | None,
    segment: str | None,
    selection: QuestionnaireSelection,
) -> str:
    """Gives the name of the questionnaire a callback follows.

    The first that matches wins: the callback's kind (a verification, an after-warranty
    call), its business line (equipment), the order's kind (a major repair), the
    customer's segment (VIP, enterprise), else the selection's default (ordinary).
    """
    for table, key in ((selection.by_callback_kind, callback_kind), (selection.by_business_line, business_line),
                       (selection.by_order_kind, order_kind), (selection.by_segment, segment)):
        if key is not None and key in table:
            return table[key]
    return selection.default


def answer_errors(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, list[str]]:
    """Gives the problems of a reached call's answers, by ``answers.<question id>`` (empty: fine).

    ``answers`` holds every answer given, the CONTRACT.md fields included. An unknown
    question, an answer of the wrong type and a required question left unanswered are
    each named.
    """
    errors: dict[str, list[str]] = {}
    for question_id, value in answers.items():
        question = questionnaire.question(question_id)
        if question is None:
            if question_id in CONTRACT_ANSWERS:
                continue  # the CONTRACT.md fields are always accepted, asked or not
            known = ", ".join(q.id for q in questionnaire.questions)
            errors[f"answers.{question_id}"] = [
                f"Questionnaire {questionnaire.name!r} has no question {question_id!r}; its questions are: {known}."]
            continue
        problem = _type_problem(question, value)
        if problem:
            errors[f"answers.{question_id}"] = [problem]
    for question in questionnaire.questions:
        if question.required and _blank(answers.get(question.id)):
            errors.setdefault(f"answers.{question.id}", []).append(
                f"Question {question.id!r} ({question.label_zh}) must be answered.")
    return errors


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _type_problem(question: Question, value) -> str | None:
    if value is None:
        return None
    if question.answer_type == SATISFACTION_SCALE and value not in SATISFACTION:
        return f"Answer one of {', '.join(SATISFACTION)}."
    if question.answer_type == YES_NO and not isinstance(value, bool):
        return "Answer true or false."
    if question.answer_type == TEXT and not isinstance(value, str):
        return "Answer with text."
    return None


_NAME = validate.Length(min=1)
_ID = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="must be a lower-case identifier (a-z, 0-9, _)")


class _QuestionSchema(Schema):
    id = fields.String(required=True, validate=[_NAME, _ID])
    label_zh = fields.String(required=True, validate=_NAME)
    label_en = fields.String(required=True, validate=_NAME)
    answer_type = fields.String(required=True, validate=validate.OneOf(ANSWER_TYPES))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)

    @validates_schema
    def choices_of_text(self, data, **kwargs):
        if data.get("choices") and data.get("answer_type") != TEXT:
            raise ValidationError("only a text question offers choices", field_name="choices")

    @post_load
    def make(self, data, **kwargs):
        return Question(**{**data, "choices": tuple(data["choices"])})


class _QuestionnaireSchema(Schema):
    name = fields.String(required=True, validate=[_NAME, _ID])
    title_zh = fields.String(required=True, validate=_NAME)
    title_en = fields.String(required=True, validate=_NAME)
    version = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    questions = fields.List(fields.Nested(_QuestionSchema), required=True, validate=validate.Length(min=1))
    opening_zh = fields.String(load_default="")
    opening_en = fields.String(load_default="")
    closing_zh = fields.String(load_default="")
    closing_en = fields.String(load_default="")

    @validates_schema
    def known_placeholders(self, data, **kwargs):
        for name in ("opening_zh", "opening_en", "closing_zh", "closing_en"):
            unknown = sorted(set(_PLACEHOLDER.findall(data.get(name) or "")) - set(SCRIPT_PLACEHOLDERS))
            if unknown:
                raise ValidationError(f"unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; "
                                      f"a script may name {', '.join('{' + p + '}' for p in SCRIPT_PLACEHOLDERS)}",
                                      field_name=name)

    @validates_schema
    def unique_ids(self, data, **kwargs):
        seen: set[str] = set()
        for index, question in enumerate(data.get("questions") or []):
            if question.id in seen:
                raise ValidationError({str(index): {"id": [f"question {question.id!r} is asked twice"]}},
                                      field_name="questions")
            seen.add(question.id)

    @post_load
    def make(self, data, **kwargs):
        return Questionnaire(**{**data, "questions": tuple(data["questions"])})
