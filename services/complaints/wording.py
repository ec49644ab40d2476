"""Words the complaints service stores outside any page (a corrective action's title, a mail) in the
organisation's language, Chinese first: the same words the pages use, read from the service's own
catalog (translations/zh_Hans_CN), so a category is 产品质量 in a mail as on the board."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import Translations

CATALOG = Path(__file__).resolve().parent / "translations"
#: The language of stored words (the pages' first language).
STORED_LOCALE = "zh_Hans_CN"


@lru_cache(maxsize=1)
def _catalog() -> Translations:
    return Translations.load(str(CATALOG), [STORED_LOCALE])


def stored_name(names: dict, code: str) -> str:
    """Gives the Chinese name the pages show for `code` of `names` (a table of pages/labels.py, lazy
    strings of English msgids), or the code when it has none."""
    label = names.get(code)
    if label is None:
        return code
    msgid = label._args[0] if getattr(label, "_args", None) else str(label)  # a flask_babel LazyString's msgid
    return _catalog().gettext(msgid)


def category_name(code: str) -> str:
    """Gives the Chinese name the pages show for a complaint category (产品质量 ...)."""
    from .pages.labels import CATEGORIES  # here, not at import: the pages import the handlers

    return stored_name(CATEGORIES, code)
