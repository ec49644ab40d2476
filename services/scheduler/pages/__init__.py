"""Pages of the scheduler (shared/web/pages.py): the agent workbench (工作台), the callback form, the
ledger (台帐) and the policy preview (CONTRACT.md "Pages").

Each module adds its views to the one blueprint of common.py.
"""
from . import callback, lapsed, leads, ledger, ledger_gaps, preview, reviews, supervision, workbench  # noqa: F401  (they add their views to blp)
from .common import blp

PAGES = [blp]
