"""The policy preview (`/policies/preview`): pick a policy, enter dates or upload a sample file, and
see the callbacks it would plan. Nothing is stored.

Each sample is read by the API's PreviewQuery schema and planned by its command
(handlers.preview_policy), one row of a sample file at a time.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from shared.core.event_fields import BUSINESS_LINES_SERVICE, SEGMENTS
from shared.web.roles import page_roles

from .. import handlers
from ..errors import SchedulerDomainError
from ..errors import LedgerFileInvalid
from ..ledger_file import column_of_header, read_table
from ..rules import DEFAULT_POLICY, policy_names
from ..schemas import PreviewQuery
from . import labels
from .common import PAGE_READERS, blp, me, settings

#: Rows of a sample file planned at most (the rest are counted, not planned).
MAX_SAMPLE_ROWS = 200
#: Largest sample file (bytes).
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
    try:
        if upload is None or not upload.filename:
            raise LedgerFileInvalid("Upload a .csv or .xlsx file.", field="file")
        content = upload.read(MAX_SAMPLE_BYTES + 1)
        if len(content) > MAX_SAMPLE_BYTES:
            raise LedgerFileInvalid("The file is too large.", field="file")
        header, table = read_table(upload.filename, content)
        table = list(table)  # at most 2 MB: the row and column limits are checked while reading
    except LedgerFileInvalid as exc:
        message = _("The sample file is larger than 2 MB.") if exc.message == "The file is too large." \
            else labels.message_of(exc.message)
        return render_template("scheduler/preview.html", **_context(policy, file_error=message)), 422
    columns = [column_of_header(h) or _HEADERS.get(str(h or "").strip().lower()) for h in header]
    rows, more = [], 0
    for number, cells in enumerate(table, start=2):
        raw = {name: _cell(value) for name, value in zip(columns, cells) if name and _cell(value) is not None}
        if not raw:
            continue
        if len(rows) >= MAX_SAMPLE_ROWS:
            more += 1
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
                                                                  filename=upload.filename))


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
