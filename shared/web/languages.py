"""The pages' languages (Flask-Babel): zh_CN by default, English by `?lang=en`, `Accept-Language: en`
or the switch in the top bar, kept in the session."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request, session

#: Languages offered, by Babel locale, each named in its own language (the switch shows these).
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


def normalise_language(code: str | None) -> str | None:
    """Gives the Babel locale for a requested language ("en", "en-US", "zh", "zh-CN"), or None."""
    code = (code or "").strip().replace("-", "_").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh"):
        return "zh_CN"
    return None


def select_locale() -> str:
    """Gives the language of this request: the session's choice, else Accept-Language, else zh_CN."""
    chosen = normalise_language(request.args.get("lang")) or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return normalise_language(best) or DEFAULT_LOCALE


def language_url(code: str) -> str:
    """Gives this page's address in language `code` (the top bar's switch)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.script_root + request.path + "?" + urlencode(args, doseq=True)  # under a proxy's prefix too
