"""Words the complaints service stores outside any page (a corrective action's title, a mail) in the
organisation's language, Chinese first: the same words the pages use, named by the shared vocabulary
(shared/web/vocabulary.py) and read from the catalogs (shared/web/translations, then the service's
own), so a category is 产品质量 in a mail as on the board."""
from __future__ import annotations

from pathlib import Path

from shared.web import vocabulary

CATALOG = Path(__file__).resolve().parent / "translations"
#: The language of stored words (the pages' first language).
STORED_LANGUAGE = "zh-CN"


def stored_name(names: dict, code: str) -> str:
    """Gives the Chinese name the pages show for `code` of `names` (a table of the vocabulary or of
    pages/labels.py, lazy strings of English msgids), or the code when it has none."""
    return vocabulary.name_in(STORED_LANGUAGE, names, code, str(CATALOG))


def both_names(names: dict, code: str) -> str:
    """Gives a code's name for a bilingual mail: "首次回复 / First reply" (the code when it has none)."""
    chinese, english = stored_name(names, code), vocabulary.name_in("en", names, code)
    return chinese if chinese == english else f"{chinese} / {english}"


def category_name(code: str) -> str:
    """Gives the Chinese name the pages show for a complaint category (产品质量 ...)."""
    return stored_name(vocabulary.CATEGORIES, code)
