"""Corrective actions, pure: seed 000 part 1 (quality meetings review the results
and decide improvements), part 5 「纠正、预防措施…跟踪验证」, seed 002 《不合格/纠正预防措施报告》 and
「对重复出现的不合格项」, seed 003 「监督台账…跟踪整改落实」, seed 001 「重大问题(含批量)」.

A register of actions: each with an owner, a due date, a status and a check that it worked (its
effectiveness), linked to the complaints and callbacks behind it. Recurring problems — complaints
of one product model and category counted over a rolling window — open one when they cross the
policy's threshold.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from ..errors import InvalidInput, InvalidTransition

#: A corrective action's states, in order; `effective` / `ineffective` after the check (跟踪验证).
OPEN, IN_PROGRESS, DONE, EFFECTIVE, INEFFECTIVE = "open", "in_progress", "done", "effective", "ineffective"
STATUSES = (OPEN, IN_PROGRESS, DONE, EFFECTIVE, INEFFECTIVE)
#: States a person sets by hand; the check sets effective or ineffective.
MANUAL_STATUSES = (OPEN, IN_PROGRESS, DONE)
#: Where an action came from: a person, or a recurring problem crossing the threshold.
MANUAL, RECURRING = "manual", "recurring"


@dataclass(frozen=True)
class CorrectiveAction:
    """One action of the register (纠正预防措施)."""

    id: str
    title: str
    owner: str
    due_on: date
    status: str = OPEN
    origin: str = MANUAL
    complaint_ids: tuple[str, ...] = ()
    callback_ids: tuple[str, ...] = ()
    effectiveness: str | None = None
    checked_at: datetime | None = None
    checked_by: str | None = None
    recurrence_key: str | None = None

    @property
    def closed(self) -> bool:
        return self.status in (EFFECTIVE, INEFFECTIVE)

    def overdue(self, today: date) -> bool:
        """Gives whether the action is past its due date and not done (a done one waits for its check)."""
        return self.status in (OPEN, IN_PROGRESS) and today > self.due_on


def open_action(*, action_id: str, title: str, owner: str, due_on: date | None, today: date,
                complaint_ids=(), callback_ids=(), origin: str = MANUAL,
                recurrence_key: str | None = None) -> CorrectiveAction:
    """Gives a new open corrective action.

    Raises:
      InvalidInput: no title, no owner, or a due date missing or in the past (the field names it).
    """
    text = (title or "").strip()
    if not text:
        raise InvalidInput("title is required: say what is to be corrected or prevented.", field="title")
    if len(text) > 500:  # the page's form has no schema: the column's width is checked here
        raise InvalidInput("title must be at most 500 characters.", field="title")
    who = (owner or "").strip()
    if not who:
        raise InvalidInput("owner is required: name the person responsible (责任人).", field="owner")
    if len(who) > 64:
        raise InvalidInput("owner must be a login of at most 64 characters.", field="owner")
    if due_on is None or due_on < today:
        raise InvalidInput("due_on must be a day from today on (整改期限).", field="due_on")
    return CorrectiveAction(id=action_id, title=text, owner=who, due_on=due_on, origin=origin,
                            complaint_ids=tuple(dict.fromkeys(complaint_ids)),
                            callback_ids=tuple(dict.fromkeys(callback_ids)), recurrence_key=recurrence_key)


def set_status(action: CorrectiveAction, status: str) -> CorrectiveAction:
    """Gives the action in `status` (open, in_progress, done).

    Raises:
      InvalidInput: an unknown status. InvalidTransition: the action was checked already.
    """
    if status not in MANUAL_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(MANUAL_STATUSES)}; got {status!r}.", field="status")
    if action.closed:
        raise InvalidTransition(f"corrective action {action.id} was checked already ({action.status}).")
    return replace(action, status=status)


def check_effectiveness(action: CorrectiveAction, *, effective: bool, finding: str, by: str,
                        at: datetime) -> CorrectiveAction:
    """Gives the done action after the check that it worked (跟踪验证): effective, or ineffective.

    Raises:
      InvalidTransition: the action is not done yet, or checked already. InvalidInput: no finding.
    """
    if action.status != DONE:
        raise InvalidTransition(f"corrective action {action.id} is {action.status}: check it once it is done.")
    text = (finding or "").strip()
    if not text:
        raise InvalidInput("finding is required: say how it was verified that the action worked.", field="finding")
    return replace(action, status=EFFECTIVE if effective else INEFFECTIVE, effectiveness=text, checked_at=at,
                   checked_by=by)


def link(action: CorrectiveAction, *, complaint_ids=(), callback_ids=()) -> CorrectiveAction:
    """Gives the action linked to these complaints and callbacks too (each once)."""
    return replace(action, complaint_ids=tuple(dict.fromkeys((*action.complaint_ids, *complaint_ids))),
                   callback_ids=tuple(dict.fromkeys((*action.callback_ids, *callback_ids))))


#: What recurring problems may be counted by (the organisation chooses, ownership.yaml `recurring.dimensions`):
#: the product model (seed 001 批量), the branch, the category, the service advisor (服务顾问).
DIMENSIONS = ("product_model", "branch", "category", "advisor")
DEFAULT_DIMENSIONS = ("product_model", "category")
#: How a recurring problem's title and mail name each dimension's value (the category by its own name).
DIMENSION_NAMES_ZH = {"product_model": "", "branch": "网点 ", "advisor": "服务顾问 "}


@dataclass(frozen=True)
class RecurrenceRule:
    """Complaints alike in the rule's `dimensions` (by default one product model and category): `threshold`
    or more within `window` open a corrective action."""

    window: timedelta
    threshold: int
    due_in: timedelta
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS

    def values(self, complaint: dict) -> dict[str, str] | None:
        """Gives {dimension: value} of a complaint (`complaint` maps each dimension to its value; a
        missing category counts as `other`), or None when it lacks one of the dimensions."""
        found = {d: (complaint.get(d) or ("other" if d == "category" else None)) for d in self.dimensions}
        return None if any(v is None for v in found.values()) else found

    def key(self, product_model: str | None = None, category: str | None = None, **others) -> str | None:
        """Gives the recurrence key of a complaint, or None when it lacks one of the rule's dimensions.
        With the default dimensions it is `model|category`, as it always was."""
        found = self.values({"product_model": product_model, "category": category, **others})
        if found is None:
            return None
        if self.dimensions == DEFAULT_DIMENSIONS:
            return "|".join(found.values())
        return "|".join(f"{d}={v}" for d, v in found.items())

    def described(self, values: dict[str, str]) -> str:
        """Gives how the title and the mail name the values other than the category (产品型号, 网点, 服务顾问)."""
        return " ".join(f"{DIMENSION_NAMES_ZH[d]}{v}" for d, v in values.items() if d != "category")


def crosses_threshold(count: int, rule: RecurrenceRule) -> bool:
    """Gives whether `count` complaints within the window are a recurring (batch) problem (重复出现/批量)."""
    return count >= rule.threshold


def recurring_title(*, product_model: str, category_name: str, count: int, days: int) -> str:
    """Gives the title of the corrective action a recurring problem opens, in Chinese (stored as written;
    seed 002 「对重复出现的不合格项」, seed 001 「重大问题(含批量)」): `category_name` is the category as the
    pages name it (产品质量 ...)."""
    return f"重复/批量问题：{product_model} {category_name}投诉 {days} 天内 {count} 起"


def recurring_mail(*, action_id: str, product_model: str, category_name: str, complaint_ids, days: int,
                   owner: str, due_on: date) -> tuple[str, str]:
    """Gives the subject and body of the managers' mail about a recurring problem's corrective action, in Chinese."""
    subject = f"[纠正预防措施 {action_id}] 重复/批量问题：{product_model}（{category_name}）"
    body = (f"{product_model} 的{category_name}投诉 {days} 天内共 {len(complaint_ids)} 起："
            f"{'、'.join(complaint_ids)}。\n"
            f"已开立纠正预防措施 {action_id}，责任人 {owner}，完成期限 {due_on.isoformat()}。\n"
            f"请组织评审并跟踪验证（纠正、预防措施）。\n")
    return subject, body


@dataclass(frozen=True)
class Decision:
    """A decision on a corrective action taken at a meeting (seed 000 part 1 「质量信息沟通会议」): its date,
    what was decided, who decided it."""

    meeting_on: date
    decision: str
    decided_by: str


def decide(*, meeting_on: date | None, decision: str, decided_by: str, today: date) -> Decision:
    """Gives the decision as recorded.

    Raises:
      InvalidInput: no meeting date or one still to come, no decision, nobody who decided (the field names it).
    """
    if meeting_on is None or meeting_on > today:
        raise InvalidInput("meeting_on must be the day the meeting was held (today or before).", field="meeting_on")
    text = (decision or "").strip()
    if not text:
        raise InvalidInput("decision is required: say what the meeting decided.", field="decision")
    who = (decided_by or "").strip()
    if not who:
        raise InvalidInput("decided_by is required: name who decided (the meeting's members).", field="decided_by")
    if len(who) > 500:
        raise InvalidInput("decided_by must be at most 500 characters.", field="decided_by")
    return Decision(meeting_on=meeting_on, decision=text[:5000], decided_by=who)


def overdue_round(action: CorrectiveAction, today: date, every_days: int) -> int | None:
    """Gives which reminder an overdue action is due (0 the day after its due date, 1 after `every_days`
    more ...), or None when it is not overdue: its owner is reminded once per round."""
    if not action.overdue(today):
        return None
    return ((today - action.due_on).days - 1) // max(1, every_days)


def overdue_mail(*, action: CorrectiveAction, today: date) -> tuple[str, str]:
    """Gives the subject and body of the reminder to an overdue action's owner, in Chinese and English."""
    late = (today - action.due_on).days
    subject = f"[纠正预防措施 {action.id}] 已逾期 {late} 天 / corrective action overdue"
    body = (f"纠正预防措施 {action.id}：{action.title}\n"
            f"完成期限 {action.due_on.isoformat()}，已逾期 {late} 天，状态：{action.status}。\n"
            f"请尽快完成并更新状态（完成后由主管跟踪验证）。\n\n"
            f"Corrective action {action.id} was due on {action.due_on.isoformat()} and is {late} day(s) late: "
            f"finish it and update its status.\n")
    return subject, body
