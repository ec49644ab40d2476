"""The review of callback records (`/reviews?period=`): the reviewer's queue for a
period (their role's: the supervisor's week, the manager's month, by data/review.yaml), and a verdict
per record, pass (抽查合格) or needs improvement (有待改进), with a comment."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.core.errors import InvalidInput

from .. import handlers
from ..domain.review import VERDICTS, period_days, period_of
from ..rules import review_policy
from . import labels
from .common import REVIEW_RECORDS, is_reviewer, blp, me, now, service, settings


def _period(rule, asked: str | None) -> tuple[str, str, str]:
    """Gives (period, previous, next) of the reviewer's kind: the asked one, else the current one."""
    today = now().date()
    period = asked if asked else period_of(today, rule.period)
    if ("-W" in period) != (rule.period == "week"):
        period = period_of(today, rule.period)
    first, last = period_days(period)
    return period, period_of(first - timedelta(days=1), rule.period), period_of(last + timedelta(days=1), rule.period)


def _reviewer_or_403(who) -> None:
    """The 403 page for a role the organisation's review.yaml names no reviewer (the menu hides
    the link then): the role may review by the action, but its organisation has it review nothing."""
    if not is_reviewer(who):
        abort(403)


@blp.get("/reviews")
@REVIEW_RECORDS
def reviews():
    """The reviewer's queue for a period, each record with its verdict form or verdict."""
    who = me()
    _reviewer_or_403(who)
    rule = review_policy(settings(), who.organization).rule_for(who.role)
    try:
        period, previous, following = _period(rule, request.args.get("period"))
    except InvalidInput:
        period, previous, following = _period(rule, None)
    with service().connection():
        rows = handlers.review_queue(settings=settings(), organization=who.organization, role=who.role, period=period)
    done = sum(1 for r in rows if r["review"] is not None)
    return render_template("scheduler/reviews.html", rows=rows, period=period, previous=previous, following=following,
                           rule=rule, done=done, verdicts=labels.VERDICTS, saved=request.args.get("saved"), me=who.login,
                           page_title=_("Review of callback records"))


@blp.post("/reviews/<callback_id>")
@REVIEW_RECORDS
def review(callback_id):
    """Gives a record the reviewer's verdict, then back to the queue."""
    who = me()
    _reviewer_or_403(who)
    verdict = request.form.get("verdict")
    period = request.form.get("period") or None
    if verdict not in VERDICTS:
        return redirect(url_for(".reviews", period=period), code=303)
    comment = (request.form.get("comment") or "").strip()[:10000] or None
    service().run(handlers.record_review, organization=who.organization, callback_id=callback_id, role=who.role,
                  reviewer=who.login, verdict=verdict, comment=comment)
    return redirect(url_for(".reviews", period=period, saved=callback_id) + f"#r-{callback_id}", code=303)
