"""The pages' message catalogs: extract the strings, update each catalog (shared/web/translations,
services/<name>/translations), compile (`make translations`).

    python -m ops translations [shared complaints ...]
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from ops.console import say
from shared.core.settings import ROOT, SERVICES

#: Catalogs kept for each catalog folder (English is the msgids themselves).
TRANSLATED_LOCALES = ("zh_Hans_CN",)


#: The shared catalog: the shell, sign-in, error pages (and the pages of every service that
#: keeps no catalog of its own).
SHARED_CATALOG = ROOT / "shared" / "web" / "translations"


def own_catalog(service: str) -> Path:
    """Gives the folder of a service's own catalog (used when it exists: create it to start one)."""
    return ROOT / "services" / service / "translations"


def service_sources(service: str) -> list[str]:
    """Gives the babel mapping lines of a service's pages: its views and its templates, and the
    labels of the seeds' tables it exports (api/exports.py) and of its mails (wording.py): the same
    words as its pages."""
    return [f"[python: services/{service}/pages.py]", f"[python: services/{service}/pages/**.py]",
            f"[python: services/{service}/api/exports.py]", f"[python: services/{service}/wording.py]",
            f"[jinja2: services/{service}/templates/{service}/**.html]"]


def catalogs() -> dict[Path, str]:
    """Gives each message catalog's folder and its babel mapping (what `make translations` extracts).

    Every app loads shared/web/translations and then its service's own folder, when there is one
    (shared.web.pages.init_app), the later winning. A service with services/<name>/translations
    keeps its pages' strings there; the others' stay in the shared catalog.
    """
    shared = ["[python: shared/**.py]", "[jinja2: shared/web/templates/**.html]"]
    out = {}
    for service in SERVICES:
        if own_catalog(service).is_dir():
            out[own_catalog(service)] = "\n".join(service_sources(service)) + "\n"
        else:
            shared += service_sources(service)
    return {SHARED_CATALOG: "\n".join(shared) + "\n", **out}


def extract_messages(mapping: str, pot: Path) -> None:
    """Writes the strings `mapping` (babel's mapping file format) finds under ROOT to `pot`."""
    from babel.messages.frontend import CommandLineInterface

    config = pot.with_suffix(".cfg")
    config.write_text(mapping, encoding="utf-8")
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(config), "-k", "_l", "-k", "lazy_gettext",
                                "-k", "lazy_pgettext:1c,2",
                                "--no-location", "--sort-output", "--omit-header", "--project=Huifang",
                                "-o", str(pot), str(ROOT)])


def cmd_translations(args) -> int:
    """Extracts the pages' strings, updates each catalog (shared, and each service's own), compiles
    them; a string another catalog already translates is filled in from there, marked fuzzy to be
    checked (so strings moving to a service's own catalog keep their translation); names what is
    untranslated or fuzzy."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po, write_po

    def messages(path: Path) -> list:
        with path.open("rb") as f:
            return _messages_of(f.read(), read_po, locale)

    run = CommandLineInterface().run
    wanted = catalogs()
    if args.only:
        # a catalog is named by the folder it serves: shared, or the service's name
        wanted = {folder: mapping for folder, mapping in wanted.items() if folder.parent.name in args.only}
    for locale in TRANSLATED_LOCALES:
        known: dict = {}
        for folder in catalogs():
            po = folder / locale / "LC_MESSAGES" / "messages.po"
            if po.exists():
                known.update({i: s for i, s, flags in messages(po) if translated(s) and "fuzzy" not in flags})
        with tempfile.TemporaryDirectory() as scratch:
            for folder, mapping in wanted.items():
                pot = Path(scratch) / f"{folder.parent.name}.pot"
                extract_messages(mapping, pot)
                po = folder / locale / "LC_MESSAGES" / "messages.po"
                before = po.read_bytes() if po.exists() else None
                if before is None:
                    run(["pybabel", "-q", "init", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100"])
                else:
                    run(["pybabel", "-q", "update", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100",
                         "--no-fuzzy-matching", "--ignore-obsolete"])
                with po.open("rb") as f:
                    catalog = read_po(f, locale=locale)
                filled = 0
                for message in catalog:
                    if message.id and not translated(message.string) and message.id in known:
                        message.string = known[message.id]
                        message.flags.add("fuzzy")  # the same words may mean something else here
                        filled += 1
                if filled:
                    with po.open("wb") as f:
                        write_po(f, catalog, width=100, ignore_obsolete=True)
                    say(f"{locale}: {filled} string(s) of {po.relative_to(ROOT)} filled in from another catalog, "
                        "marked fuzzy: check each and remove its fuzzy flag")
                if before is not None and po.read_bytes() != before and messages(po) == _messages_of(before, read_po,
                                                                                                     locale):
                    po.write_bytes(before)  # only the header's date moved: keep the file as it was
                run(["pybabel", "-q", "compile", "-d", str(folder), "-l", locale])
                missing = [m for m, string, flags in messages(po) if not translated(string) or "fuzzy" in flags]
                if missing:
                    say(f"{locale}: {len(missing)} untranslated in {po.relative_to(ROOT)}: {missing}; "
                        "fill in msgstr and run make translations again")
                else:
                    say(f"{locale}: every string of {po.relative_to(ROOT)} translated and compiled")
    return 0


def _messages_of(content: bytes, read_po, locale: str | None = None) -> list:
    return sorted(((m.id, m.string, tuple(sorted(m.flags))) for m in read_po(io.BytesIO(content), locale=locale)
                   if m.id), key=repr)


def translated(string) -> bool:
    """Gives whether a catalog's msgstr is filled in (every form of a plural one)."""
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `translations` and the function that runs it."""
    parser.add_argument("only", nargs="*", help="only these catalogs: shared and/or service names (default: all)")
    parser.set_defaults(func=cmd_translations)
