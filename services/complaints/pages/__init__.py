"""Pages of the complaints service (shared/web/pages.py): the complaint board (投诉看板), a complaint's
page with its steps, and the form to raise one (CONTRACT.md "Pages").

Each module adds its views to the one blueprint of common.py.
"""
from . import board, complaint, corrective, new, tickets  # noqa: F401  (they add their views to blp)
from .common import blp

PAGES = [blp]
