"""Pages of the reporting service (shared/web/pages.py): the report room (报告室) with this month so
far, a month's figures and its PDF, and the rows behind each figure (CONTRACT.md "Pages").

Each module adds its views to the one blueprint of common.py.
"""
from . import desk, month, room  # noqa: F401  (they add their views to blp)
from .common import blp

PAGES = [blp]
