"""A history step's reason in the page's language.

The domain records each step's reason as a sentence (domain/raising.py, transitions.py, resolution.py, deadlines.py):
what a person typed (an escalation's reason, a reply, a churn reason), or words of its own
("raised via hotline", "root cause: …; corrective action: …", "deadline missed: …"). Those
of its own are shown here in the page's language, with what people typed kept as it was
(marked translate="no"); a sentence not recognised is shown as recorded.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..domain.complaint import DEADLINE_LABELS
from . import labels

#: The domain's deadline labels back to their names ("first reply (首次回复)" -> "first_reply").
_DEADLINE_NAMES = {label: name for name, label in DEADLINE_LABELS.items()}
_REPLY_KINDS = {"first reply": "first_reply", "answer": "answer", "investigation": "investigate"}

_RAISED = re.compile(r"^raised via (?P<source>\w+)(?P<rest>.*)$", re.S)
_FORWARDED = re.compile(r"^forwarded by the (?P<source>\w+): starts at the top level \([^)]*\)(?P<rest>.*)$", re.S)
_REPEAT = re.compile(r"^; repeat complaint about order (?P<order>.+?)(?P<rework>: special callback and rework by \S+)?$",
                     re.S)
_REPLIED = re.compile(r"^(?P<kinds>(?:first reply|answer|investigation|reply)(?: \+ (?:first reply|answer|investigation))*)"
                      r": (?P<text>.*)$", re.S)
_RESOLVED = re.compile(r"^root cause: (?P<cause>.*); corrective action: (?P<action>.*)$", re.S)
_MISSED = re.compile(r"^deadline missed(?: at the top level \([^)]*\))?: (?P<what>.*?)(?P<notified>; managers notified)?$",
                     re.S)
_MISSED_ONE = re.compile(r"^(?P<label>.+?) was due (?P<due>\S+)$")
_VERIFIED = re.compile(r"^verification callback (?P<id>\S+): (?P<answers>[a-z_, ]+)(?:; (?P<reason>.*))?$", re.S)
_CLOSED_WITH = re.compile(r"^(?P<reason>[a-z_]+): (?P<comment>.*)$", re.S)
_UNREACHABLE = re.compile(r"^verification callback (?P<id>\S+) unreachable(?: after (?P<attempts>\d+) attempts)?$")
_RETRIED = re.compile(r"^verification again by (?P<due>\S+?)(?:: (?P<note>.*))?$", re.S)
#: A promise's steps as the domain records them (domain/promises.py): what | to whom | by when,
#: what (late): note, what | by when. What and to whom are what people typed.
_PROMISE_KEPT_LATE = re.compile(r"^(?P<what>.*) \(late\)(?:: (?P<note>.*))?$", re.S)
_HANDED = re.compile(r"^handed to engineer (?P<name>.+?)(?: \(due \S+\))?$", re.S)


def _data(text: str) -> Markup:
    return Markup('<span translate="no">%s</span>') % text


def _moment(iso: str) -> str | None:
    """Gives the moment `iso` in the page's time zone and language, or None when it is not one."""
    try:
        return format_datetime(datetime.fromisoformat(iso.strip()), "short")
    except ValueError:
        return None


def _promise(action: str, reason: str) -> Markup | None:
    """Gives a promise's step (made, kept, broken) in the page's language, or None when not recognised."""
    if action == "promise_made":
        parts = reason.rsplit(" | ", 2)
        due = _moment(parts[-1]) if len(parts) == 3 else None
        if due is not None:
            return Markup(_("Promised %(what)s to %(whom)s by %(at)s", what=_data(parts[0]), whom=_data(parts[1]),
                            at=escape(due)))
    elif action == "promise_broken":
        parts = reason.rsplit(" | ", 1)
        due = _moment(parts[-1]) if len(parts) == 2 else None
        if due is not None:
            return Markup(_("Not kept by %(at)s: %(what)s", at=escape(due), what=_data(parts[0])))
    elif action == "promise_kept":
        late = _PROMISE_KEPT_LATE.match(reason)
        if late is None:
            return Markup(_("Kept: %(what)s", what=_data(reason)))
        text = Markup(_("Kept overdue: %(what)s", what=_data(late.group("what"))))
        if late.group("note"):
            text += escape(_("; ")) + _data(late.group("note"))
        return text
    return None


def _when(iso: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(iso), "short")
    except ValueError:
        return iso


def _missed(what: str) -> list[str]:
    out = []
    for part in what.split("; "):
        one = _MISSED_ONE.match(part)
        name = _DEADLINE_NAMES.get(one.group("label")) if one else None
        if name is None:
            return []
        out.append(_("%(deadline)s was due %(at)s", deadline=labels.name_of(labels.DEADLINES, name),
                     at=_when(one.group("due"))))
    return out


def describe(action: str, reason: str) -> Markup:
    """Gives the reason of a history step of `action` as the page shows it (escaped HTML)."""
    reason = (reason or "").strip()
    if not reason:
        return Markup("")
    if action == "raised":
        match = _RAISED.match(reason) or _FORWARDED.match(reason)
        if match:
            source = labels.name_of(labels.SOURCES, match.group("source"))
            text = escape(_("Raised via %(source)s", source=source) if match.re is _RAISED
                          else _("Forwarded by the %(source)s: starts at the top level", source=source))
            rest = match.group("rest")
            if not rest:
                return text
            repeat = _REPEAT.match(rest)
            if repeat:
                note = _("repeat complaint about order %(order)s", order=_data(repeat.group("order")))
                if repeat.group("rework"):
                    note += _("; special callback and rework due")
                return text + escape(_("; ")) + Markup(note)
    elif action == "replied":
        match = _REPLIED.match(reason)
        if match:
            kinds = [labels.name_of(labels.DEADLINES, _REPLY_KINDS[k]) if k in _REPLY_KINDS else _("Reply")
                     for k in match.group("kinds").split(" + ")]
            return escape(" + ".join(kinds)) + escape(_(": ")) + _data(match.group("text"))
    elif action == "resolved":
        match = _RESOLVED.match(reason)
        if match:
            return Markup(_("Root cause: %(cause)s; corrective action: %(action)s", cause=_data(match.group("cause")),
                            action=_data(match.group("action"))))
    elif action in ("escalated", "managers_notified"):
        match = _MISSED.match(reason)
        if match:
            missed = _missed(match.group("what"))
            if missed:
                text = _("Deadline missed: %(what)s", what=_("; ").join(missed))
                if match.group("notified"):
                    text += _("; managers notified")
                return escape(text)
        return _data(reason)  # a person's reason, as typed
    elif action in ("closed", "reopened"):
        match = _VERIFIED.match(reason)
        if match:
            answers = [labels.name_of(labels.ANSWERS, a.strip()) for a in match.group("answers").split(",")]
            text = escape(_("Verification callback %(id)s: %(answers)s", id=match.group("id"),
                            answers=_(", ").join(answers)))
            if match.group("reason"):
                text += escape(_("; ")) + _data(match.group("reason"))
            return text
        if reason == "customer satisfied at the verification callback":
            return escape(_("The customer was satisfied at the verification callback"))
        if reason == "customer dissatisfied at the verification callback":
            return escape(_("The customer was not satisfied at the verification callback"))
    elif action == "customer_flagged":
        return escape(_("A key customer from now on: every service is called back"))
    elif action == "accepted":
        return Markup("")  # who accepted is the step's actor
    elif action == "closed_with_reason":
        match = _CLOSED_WITH.match(reason)
        if match and match.group("reason") in labels.CLOSURE_REASONS:
            return (escape(labels.name_of(labels.CLOSURE_REASONS, match.group("reason"))) + escape(_(": "))
                    + _data(match.group("comment")))
    elif action == "verification_unreachable":
        match = _UNREACHABLE.match(reason)
        if match:
            text = _("Verification callback %(id)s found nobody", id=match.group("id"))
            if match.group("attempts"):
                text += _(" after %(count)s attempts", count=match.group("attempts"))
            return escape(text)
    elif action == "verification_retried":
        match = _RETRIED.match(reason)
        if match:
            text = escape(_("Verification again, due %(at)s", at=_when(match.group("due"))))
            if match.group("note"):
                text += escape(_(": ")) + _data(match.group("note"))
            return text
    elif action in ("promise_made", "promise_kept", "promise_broken"):
        shown = _promise(action, reason)
        if shown is not None:
            return shown
    elif action == "handed_over":
        match = _HANDED.match(reason)
        if match:
            return Markup(_("To engineer %(name)s", name=_data(match.group("name"))))
    return _data(reason)
