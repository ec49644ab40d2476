"""Review of callback records (seed 002; seed 000 part 3 「审核电话回访记录」): a reviewer role's queue for a period, sampled by
policy (data/review.yaml; domain/review.py), and the verdict on a record (pass / needs improvement)
with a comment, emitted as `callback.reviewed` so the report's callback quality pass rate
(回访质量合格率, RULES 1.4) comes from the verdicts."""
from __future__ import annotations

from datetime import datetime, time, timezone

from shared.mesh.service import UnitOfWork

from ..domain.review import NEEDS_IMPROVEMENT, ReviewerRule, period_days, period_of, review_sample
from ..errors import SchedulerDomainError
from ..errors import CallbackClosed, NotInReviewQueue, ReviewTaken
from ..models import DONE, CallbackReview, CallbackTask
from ..rules import review_policy
from .common import chunks, iso
from .outcomes import get_callback_or_raise


def _rule(settings, organization: str, role: str, period: str | None = None) -> ReviewerRule:
    rule = review_policy(settings, organization).rule_for(role)
    if period is not None and ("-W" in period) != (rule.period == "week"):
        raise SchedulerDomainError(f"{role} reviews every {rule.period}: give a "
                                   f"{'week such as 2026-W45' if rule.period == 'week' else 'month such as 2026-11'}",
                                   field="period")
    return rule


def review_queue(*, settings, organization: str, role: str, period: str) -> list[dict]:
    """Gives the records `role` reviews in `period` (the callbacks made in it, a share of each
    agent's), by when they were made, each with its verdict once given.

    Raises:
      SchedulerDomainError: a role that reviews nothing, or a period not of the role's kind.
    """
    rule = _rule(settings, organization, role, period)
    first, _ = period_days(period)
    # one spelling per period ("2026-011" is 2026-11): the sample is hashed with it, and verdicts are kept under it
    period = period_of(first, rule.period)
    chosen = _queue_ids(settings=settings, organization=organization, rule=rule, period=period)
    tasks, reviews = {}, {}
    for chunk in chunks(chosen):
        tasks.update((t.id, t) for t in CallbackTask.select().where(CallbackTask.organization == organization,
                                                                     CallbackTask.id.in_(chunk)))
        reviews.update((r.callback_id, r) for r in CallbackReview.select().where(
            CallbackReview.organization == organization, CallbackReview.reviewer_role == role,
            CallbackReview.callback_id.in_(chunk)))
    first, last = period_days(period)
    again = rereview_ids(settings=settings, organization=organization, role=role,
                         start=datetime.combine(first, time.min, settings.tz).astimezone(timezone.utc),
                         end=datetime.combine(last, time.max, settings.tz).astimezone(timezone.utc))
    rows = [{"task": tasks[i], "review": reviews.get(i), "again": i in again} for i in chosen if i in tasks]
    return sorted(rows, key=lambda r: (r["task"].completed_at, r["task"].id))


def _queue_ids(*, settings, organization: str, rule: ReviewerRule, period: str) -> list[str]:
    """Gives the ids of the records in `rule`'s role's queue for `period` (its one spelling), sorted."""
    first, last = period_days(period)
    tz = settings.tz
    start = datetime.combine(first, time.min, tz).astimezone(timezone.utc)
    end = datetime.combine(last, time.max, tz).astimezone(timezone.utc)
    made = list(CallbackTask.select(CallbackTask.id, CallbackTask.completed_by).where(
        CallbackTask.organization == organization, CallbackTask.status == DONE,
        CallbackTask.completed_at >= start, CallbackTask.completed_at <= end).tuples())
    # A record the role already reviewed stays in its queue, though records made since may outrank
    # it in the sample (the share grows slower than the records: a verdict must not disappear).
    reviewed = [cid for (cid,) in CallbackReview.select(CallbackReview.callback_id).where(
        CallbackReview.organization == organization, CallbackReview.reviewer_role == rule.role,
        CallbackReview.period == period).tuples()]
    again = rereview_ids(settings=settings, organization=organization, role=rule.role, start=start, end=end)
    return sorted(set(review_sample(made, rule, period)) | set(reviewed) | again)


def rereview_ids(*, settings, organization: str, role: str, start: datetime, end: datetime) -> set[str]:
    """Gives the ids of the records made from `start` to `end` that a "needs improvement" verdict of
    `role` asks to be checked again: the agent's next records (review.yaml's `rereview_next`) made
    after the verdict (seed 002 「有待改进」: the next calls show whether it improved)."""
    count = review_policy(settings, organization).rereview_next
    if not count:
        return set()
    verdicts = CallbackReview.select(CallbackReview.agent, CallbackReview.reviewed_at).where(
        CallbackReview.organization == organization, CallbackReview.reviewer_role == role,
        CallbackReview.verdict == NEEDS_IMPROVEMENT, CallbackReview.agent.is_null(False),
        CallbackReview.reviewed_at <= end).tuples()
    again = set()
    for agent, reviewed_at in verdicts:
        following = CallbackTask.select(CallbackTask.id, CallbackTask.completed_at).where(
            CallbackTask.organization == organization, CallbackTask.status == DONE,
            CallbackTask.completed_by == agent, CallbackTask.completed_at > reviewed_at).order_by(
            CallbackTask.completed_at, CallbackTask.id).limit(count).tuples()
        again.update(cid for cid, at in following if start <= at <= end)
    return again


def improvement_notes(*, settings, organization: str, agent: str, since: datetime) -> list[CallbackReview]:
    """Gives the "needs improvement" verdicts on `agent`'s records given since `since`, newest first:
    what their workbench shows them, with the reviewer's comment."""
    return list(CallbackReview.select().where(
        CallbackReview.organization == organization, CallbackReview.agent == agent,
        CallbackReview.verdict == NEEDS_IMPROVEMENT, CallbackReview.reviewed_at >= since).order_by(
        CallbackReview.reviewed_at.desc(), CallbackReview.id.desc()))


def record_review(*, uow: UnitOfWork, organization: str, callback_id: str, role: str, reviewer: str,
                  verdict: str, comment: str | None) -> CallbackReview:
    """Gives the review after a reviewer of `role` gave a record their verdict (again: the latest
    verdict and comment replace the earlier, by the same reviewer only). Emits `callback.reviewed`
    with the role's `seniority` (its place in review.yaml).

    Raises:
      CallbackNotFound; CallbackClosed (the callback has no record yet: not made);
      SchedulerDomainError (a role that reviews nothing); NotInReviewQueue (422: the record is
      not in the role's queue for its period); ReviewTaken (409: another reviewer of the role
      gave the verdict).
    """
    rule = _rule(uow.settings, organization, role)
    task = get_callback_or_raise(organization=organization, callback_id=callback_id)
    if task.status != DONE or task.completed_at is None:
        raise CallbackClosed(f"Callback {callback_id} is {task.status}: only a made callback's record is reviewed.")
    period = period_of(task.completed_at.astimezone(uow.settings.tz).date(), rule.period)
    review = CallbackReview.get_or_none(CallbackReview.organization == organization,
                                        CallbackReview.callback_id == callback_id,
                                        CallbackReview.reviewer_role == role)
    if review is None and callback_id not in _queue_ids(settings=uow.settings, organization=organization, rule=rule,
                                                        period=period):
        raise NotInReviewQueue(f"Callback {callback_id} is not in the {role}'s review queue of {period}.",
                               errors={"callback_id": [f"Not in the {role}'s review queue of {period}."]})
    if review is not None and review.reviewer != reviewer:
        raise ReviewTaken(f"{review.reviewer} ({role}) reviewed callback {callback_id}; only they may change "
                          "the verdict.")
    if review is None:
        review = CallbackReview(organization=organization, callback_id=callback_id, reviewer_role=role)
    review.period, review.reviewer, review.verdict, review.comment = period, reviewer, verdict, comment
    review.agent, review.reviewed_at = task.completed_by, uow.now
    review.save()
    uow.emit("callback.reviewed", {
        "callback_id": task.id, "record_no": task.record_no, "kind": task.kind, "due_on": iso(task.due_on),
        "customer_id": task.customer_id, "agent": task.completed_by, "reviewer": reviewer, "reviewer_role": role,
        "period": period, "verdict": verdict, "comment": comment, "reviewed_at": uow.now.isoformat(),
        "seniority": review_policy(uow.settings, organization).seniority(role),
    }, organization=organization)
    return review
