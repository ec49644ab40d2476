"""Page tests: the three services for real, a real browser (testkit.pages)."""
from __future__ import annotations

from testkit.pages import browser, new_page, page, site  # noqa: F401  (the fixtures of the page tests)
