"""Names people read for the scheduler's codes, per language: the contract's families from the shared
vocabulary (shared/web/vocabulary.py), the scheduler's own here (verdicts, call results, import
states, ledger columns, the checks' messages).

Codes stay codes in the database and the API; pages show these names (gettext: Chinese from
the catalog, English the msgids). A code with no name is shown as it is.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shared.web import vocabulary

# The contract's families (callback kinds, statuses, channels, lines, segments, answers) are the
# shared vocabulary's; this module keeps the scheduler's own codes.
KINDS = vocabulary.CALLBACK_KINDS
#: Service order kinds (CONTRACT.md), for the preview's order form.
ORDER_KINDS = tuple(vocabulary.ORDER_KINDS)
LINES = vocabulary.BUSINESS_LINES
STATUSES = vocabulary.CALLBACK_STATUSES
#: A reviewer's verdict on a callback record (seed 002 □抽查合格 / □有待改进).
VERDICTS = {"pass": _l("Passed"), "needs_improvement": _l("Needs improvement")}
#: What one call came to.
CALL_RESULTS = {
    "reached": _l("Reached"),
    "not_reached": _l("Not reached"),
    "rescheduled": _l("Asked to be called later"),
    "declined": _l("Declined callbacks"),
    "wrong_number": _l("Wrong number"),
}
CHANNELS = vocabulary.CHANNELS
SEGMENTS = vocabulary.SEGMENTS
#: The five-point scale (RULES 3), best first.
ANSWERS = vocabulary.ANSWERS
IMPORT_STATES = {
    "queued": _l("Waiting for the worker"),
    "checking": _l("Checking the rows"),
    "refused": _l("Refused: nothing was stored"),
    "checked": _l("Checked: nothing stored yet"),
    "importing": _l("Importing"),
    "done": _l("Imported"),
    "failed": _l("Failed"),
}
#: Columns of the ledger as a file (ledger_file.LEDGER_COLUMNS), named for an import's errors.
LEDGER_FIELDS = {
    "delivery_id": _l("Delivery"),
    "customer_id": _l("Customer ID"),
    "customer_name": _l("Customer"),
    "segment": _l("Segment"),
    "project": _l("Project"),
    "product_model": _l("Product model"),
    "quantity": _l("Quantity"),
    "contract_amount": _l("Contract amount (CNY)"),
    "shipped_on": _l("Ship date"),
    "commissioned_on": _l("Commissioning date"),
    "contact_person": _l("Customer's responsible person"),
    "phone": _l("Responsible person's phone"),
    "site_contact": _l("Site contact"),
    "site_phone": _l("Site contact's phone"),
    "business_line": _l("Business line"),
    "kind": _l("Order kind"),
    "completed_on": _l("Completion date"),
    "installed_on": _l("Installation date"),
    "flagged": _l("Flagged after a complaint"),
    "order_id": _l("Order"),
    "file": _l("File"),
    "policy": _l("Policy"),
}
#: What the checks of a row say (marshmallow's words and the ledger's own), in people's words.
MESSAGES = {
    "Missing data for required field.": _l("Required: the cell is empty."),
    "Not a valid date.": _l("Not a date (write it as 2026-01-31)."),
    "Not a valid integer.": _l("Not a whole number."),
    "Not a valid number.": _l("Not a number."),
    "Not a valid decimal.": _l("Not a number."),
    "Not a valid string.": _l("Not text."),
    "Not a valid boolean.": _l("Not yes or no."),
    "Must be greater than or equal to 0.": _l("Must not be negative."),
    "The commissioning date is before the ship date.": _l("The commissioning date is before the ship date."),
    "Give either shipped_on (a delivery) or business_line and completed_on (an order).":
        _l("Give a ship date (a delivery), or a business line and a completion date (an order)."),
}
#: Messages that start like this, with their name.
MESSAGE_STARTS = {
    "Must be one of": _l("Not one of the allowed values."),
    "Longer than maximum length": _l("Too long."),
    "Shorter than minimum length": _l("Empty."),
    "Delivery ": _l("This delivery is on an earlier row of the file too."),
    "The file has no column": _l("The file has no such column."),
    "cannot read the workbook": _l("The workbook cannot be read."),
    "upload a .csv or .xlsx file": _l("Upload a .csv or .xlsx file."),
    "Upload a .csv or .xlsx file": _l("Upload a .csv or .xlsx file."),
    "The file is empty": _l("The file is empty."),
    # the import's limits
    "The file has more than": _l("The file has too many rows; split it."),
    "The file unpacks to more than": _l("The file is too large once unpacked; split it."),
    "The header has more than": _l("The file has too many columns."),
    "Row ": _l("A row has too many columns."),
}


name_of = vocabulary.name_of


def message_of(text: str) -> str:
    """Gives a check's message in the page's language (the message itself when it is not known)."""
    if text in MESSAGES:
        return str(MESSAGES[text])
    for start, name in MESSAGE_STARTS.items():
        if text.startswith(start):
            return str(name)
    return text
#: A lead's states (商机跟进): open, contacted, won, lost.
LEAD_STATES = {"open": _l("To follow up"), "contacted": _l("Contacted"), "won": _l("Won"), "lost": _l("Lost")}
#: What a lead wants (data/leads.yaml's kinds).
LEAD_KINDS = {"maintenance": _l("Maintenance wanted"), "retrofit": _l("Retrofit wanted"),
              "maintenance_or_retrofit": _l("Maintenance or retrofit wanted"), "purchase": _l("New purchase wanted")}
#: The leads list's views.
LEAD_VIEWS = {"waiting": _l("Being followed up"), "overdue": _l("Overdue"), "ended": _l("Ended"), "all": _l("All leads")}
