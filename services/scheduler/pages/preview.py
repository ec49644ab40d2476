"""The policy preview (`/policies/preview`): pick a policy, enter dates or upload a sample file, and
see the callbacks it would plan. Nothing is stored.

Each sample is read by the API's PreviewQuery schema and planned by its command
(handlers.preview_policy), one row of a sample file at a time.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from itertools import islice

from flask import render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from shared.core.event_fields import BUSINESS_LINES_SERVICE, SEGMENTS
from shared.web.roles import page_roles

from .. import handlers
from ..errors import SchedulerDomainError
from ..errors import LedgerFileInvalid
from ..ledger_file import ImportLimits, column_of_header, read_table
from ..rules import DEFAULT_POLICY, policy_names
from ..schemas import PreviewQuery
from . import labels
from .common import PAGE_READERS, blp, me, settings

#: Largest sample file uploaded (bytes); its rows and unpacked bytes are limited by the settings
#: HUIFANG_PREVIEW_MAX_ROWS and HUIFANG_PREVIEW_MAX_UNPACKED_BYTES (sample_limits).
MAX_SAMPLE_BYTES = 2 * 1024 * 1024
_QUERY = PreviewQuery()
#: The fields of a sample, as the form and a sample file name them.
SAMPLE_FIELDS = ("shipped_on", "installed_on", "commissioned_on", "contract_amount", "business_line", "kind",
                 "completed_on", "segment", "flagged")
#: Headers of a sample file of orders (a file of deliveries has the ledger's headers).
_ORDER_HEADERS = {
    "order_id": ("order_id", "工单号", "order"), "business_line": ("business_line", "业务线", "business line"),
    "kind": ("kind", "工单类型", "order kind"), "completed_on": ("completed_on", "完工日期", "completion date"),
    "installed_on": ("installed_on", "安装时间", "installation date"),
    "flagged": ("flagged", "投诉后标记", "flagged after a complaint"),
}
_HEADERS = {h.lower(): name for name, names in _ORDER_HEADERS.items() for h in names}


def _plan(policy: str, raw: dict) -> tuple[dict | None, dict]:
    """Gives (the preview, {}) of one sample, or (None, {field: message}) when it cannot be planned."""
    try:
        sample = _QUERY.load({k: v for k, v in raw.items() if v not in (None, "")})
        sample.pop("policy", None)
        return handlers.preview_policy(settings=settings(), organization=me().organization, sample=sample,
                                       policy_name=policy), {}
    except ValidationError as exc:
        return None, {field: labels.message_of(str(m[0] if isinstance(m, list) else m))
                      for field, m in exc.normalized_messages().items()}
    except SchedulerDomainError as exc:
        return None, {exc.field or "kind": _("The policy has no callback rule for this.")}


def _context(policy: str, **extra) -> dict:
    return {"page_title": _("Policy preview"), "policies": policy_names(settings(), me().organization),
            "policy": policy, "lines": BUSINESS_LINES_SERVICE, "line_names": labels.LINES,
            "order_kinds": labels.ORDER_KINDS, "segments": SEGMENTS, "segment_names": labels.SEGMENTS,
            "form": {}, "result": None, "errors": {}, "rows": None, "more": 0, "file_error": None,
            "sample": "delivery", **extra}


def _policy_of(args) -> str:
    chosen = args.get("policy") or DEFAULT_POLICY
    return chosen if chosen in policy_names(settings(), me().organization) else DEFAULT_POLICY


@blp.get("/policies/preview")
@page_roles(*PAGE_READERS)
def policy_preview():
    """The preview form; with a sample's dates, the callbacks the chosen policy would plan for it."""
    policy = _policy_of(request.args)
    sample = "order" if request.args.get("sample") == "order" else "delivery"
    form = {name: request.args.get(name, "") for name in SAMPLE_FIELDS}
    form["segment"] = form["segment"] if form["segment"] in SEGMENTS else "ordinary"
    result, errors = None, {}
    keep = ("shipped_on", "installed_on", "commissioned_on", "contract_amount") if sample == "delivery" else \
        ("business_line", "kind", "completed_on")
    raw = {name: form[name] for name in keep}
    if any(raw.values()):
        raw.update(segment=form["segment"], flagged="true" if form["flagged"] else "false")
        result, errors = _plan(policy, raw)
    return render_template("scheduler/preview.html", **_context(policy, form=form, result=result, errors=errors,
                                                                  sample=sample)), (422 if errors else 200)


@blp.post("/policies/preview")
@page_roles(*PAGE_READERS)
def policy_preview_file():
    """The callbacks the chosen policy would plan for each row of an uploaded sample (nothing stored)."""
    policy = _policy_of(request.form)
    upload = request.files.get("sample_file")
    limits = sample_limits(settings())
    try:
        if upload is None or not upload.filename:
            raise LedgerFileInvalid("Upload a .csv or .xlsx file.", field="file")
        content = upload.read(MAX_SAMPLE_BYTES + 1)
        if len(content) > MAX_SAMPLE_BYTES:
            raise LedgerFileInvalid("The file is too large.", field="file")
        # the import's reader: an .xlsx refused by its zip directory before it is unpacked, rows read
        # lazily (one row beyond the sample's: is there more?)
        header, table = read_table(upload.filename, content, limits=replace(limits, max_rows=limits.max_rows + 1))
        # a sample: its first rows only, the rest of the file is never read (`more`: there was more)
        table = list(islice(table, limits.max_rows + 1))
    except LedgerFileInvalid as exc:
        if exc.message == "The file is too large.":
            message = _("The sample file is larger than 2 MB.")
        elif exc.message.startswith("The file unpacks"):
            message = _("The sample file unpacks to more than %(size)s MB; upload a smaller sample.",
                        size=max(limits.max_unpacked_bytes // (1024 * 1024), 1))
        else:
            message = labels.message_of(exc.message)
        return render_template("scheduler/preview.html", **_context(policy, file_error=message)), 422
    more = len(table) > limits.max_rows
    columns = [column_of_header(h) or _HEADERS.get(str(h or "").strip().lower()) for h in header]
    rows = []
    for number, cells in enumerate(table[:limits.max_rows], start=2):
        raw = {name: _cell(value) for name, value in zip(columns, cells) if name and _cell(value) is not None}
        if not raw:
            continue
        name = raw.get("delivery_id") or raw.get("order_id") or ""
        sample = {k: v for k, v in raw.items() if k in SAMPLE_FIELDS}
        sample.setdefault("segment", "ordinary")
        result, errors = _plan(policy, sample)
        rows.append({"row": number, "name": name, "result": result, "errors": errors})
    if not rows:
        return render_template("scheduler/preview.html", **_context(
            policy, file_error=_("The file has no rows to plan (it needs a header row, then one sample a row)."))), 422
    return render_template("scheduler/preview.html", **_context(policy, rows=rows, more=more,
                                                                  rows_read=limits.max_rows, filename=upload.filename))


def sample_limits(settings) -> ImportLimits:
    """Gives how much of a sample file the preview reads: a sample, not a ledger (the import's limits
    are for a file read once, by people who keep the ledger; the preview is open to every reader)."""
    return ImportLimits(max_rows=settings.preview_max_rows, max_columns=64,
                        max_unpacked_bytes=settings.preview_max_unpacked_bytes)


def _cell(value):
    """Gives a cell as the schema reads it: dates as ISO, whole numbers without a decimal point."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None
