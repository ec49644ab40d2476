"""The house holds its layout: the three services have the same files for the same jobs, each
service's errors under one root, and no module grows past what a person reads in one sitting.

A service may have a module of its own kind (reporting's PDF); it is listed here with the reason,
so a new one is a decision, not a drift. A kind of file two services have goes by one name.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import peewee
import pytest

from shared.core.errors import HuifangError

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("complaints", "reporting", "scheduler")

#: What every service has, for the same job (docs/DEVELOPING.md "The shape of a service");
#: a trailing slash is a folder (a package when it holds Python).
REQUIRED = (
    "__manifest__.py",  # name, version, depends, subscribes, publishes, data
    "service.py",       # SERVICE: database, tables, handlers, migrations
    "models.py",        # the tables
    "errors.py",        # one error root, every error of the service under it
    "rules.py",         # the organisation's rules, read through shared.core.orgdata
    "handlers/",        # one module per event or command family; HANDLERS
    "jobs.py",          # periodic and background work
    "notify.py",        # mail: claimed under a lease, sent with the service's mailer, recorded
    "domain/",          # pure rules
    "api/",             # one module per resource; BLUEPRINTS
    "schemas.py",       # the API's marshmallow schemas
    "app.py",           # create_app
    "pages/",           # page blueprints; PAGES
    "actors.py",        # the worker's entry point
    "cli.py",           # the command line: python -m services.<name>.cli COMMAND
    "data/",            # default rules per organisation
    "templates/",
    "static/",
    "translations/",
)

#: Each service's own kinds of module beside the required ones, with the reason.
EXTRAS = {
    "complaints": {
        "wording.py": "the words the complaints service stores outside any page (a corrective action's title, a "
                      "mail) in the organisation's language: only complaints writes stored text from the catalogs",
    },
    "reporting": {
        "figures/": "the read model's figures (the month's counts, the rows behind a figure, the closures, the "
                    "desk's figures, those made for a reader): only reporting keeps a read model",
        "render.py": "the report's HTML and PDF editions (WeasyPrint): only reporting makes a PDF",
        "charts.py": "the PDF's charts as inline SVG: only reporting draws charts",
        "labels.py": "the words of the PDF in each edition: the PDF is not a page, so not in translations/",
    },
    "scheduler": {
        "ledger_file/": "the ledger (顾客回访台帐) as a .csv/.xlsx file, read on import and written on export: "
                        "only the scheduler keeps the ledger",
    },
}

#: Modules that only declare tables (peewee models): long because a table has many columns.
TABLE_MODULES = ("services/complaints/models.py", "services/reporting/models.py", "services/scheduler/models.py")
#: Past this many lines a module is split by job.
MAX_LINES = 400
#: Packages among the required folders (they hold Python and must be importable).
PACKAGES = ("handlers/", "domain/", "api/", "pages/")


def _entries(service: str) -> set[str]:
    folder = ROOT / "services" / service
    return {p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
            if p.name not in ("__init__.py", "__pycache__") and not p.name.startswith(".")}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_files_for_the_same_jobs(service):
    entries = _entries(service)
    missing = [name for name in REQUIRED if name not in entries]
    assert missing == [], f"services/{service} lacks {missing}"
    for package in PACKAGES:
        assert (ROOT / "services" / service / package / "__init__.py").is_file(), f"services/{service}/{package}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_s_own_modules_are_listed_with_a_reason(service):
    entries = _entries(service)
    unlisted = sorted(entries - set(REQUIRED) - set(EXTRAS[service]))
    assert unlisted == [], (f"services/{service} has {unlisted}: give it a required name, move it where its job "
                            "is, or list it in EXTRAS with the reason")
    gone = sorted(set(EXTRAS[service]) - entries)
    assert gone == [], f"EXTRAS lists {gone} that services/{service} no longer has"


def test_one_kind_of_file_goes_by_one_name():
    # an extra of one service that another service has too is a kind of file: it belongs in REQUIRED
    for service, extras in EXTRAS.items():
        for other in SERVICES:
            if other != service:
                assert not set(extras) & _entries(other), (service, other)


def _service_modules(service: str):
    package = importlib.import_module(f"services.{service}")
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name.endswith((".actors", ".__manifest__")):
            continue  # actors declare a broker at import; errors live in errors.py
        yield importlib.import_module(module.name)


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_of_a_service_descends_from_its_one_root_in_errors_py(service):
    errors = importlib.import_module(f"services.{service}.errors")
    own = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
           if cls.__module__ == errors.__name__ and issubclass(cls, BaseException)]
    roots = [cls for cls in own if not any(base in own for base in cls.__mro__[1:])]
    assert [cls.__name__ for cls in roots] == [f"{service.capitalize()}Error"]
    root = roots[0]
    assert issubclass(root, HuifangError)
    strays = set()
    for module in _service_modules(service):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith(f"services.{service}.") or not issubclass(cls, BaseException):
                continue
            if issubclass(cls, peewee.DoesNotExist):
                continue  # peewee's own, made per table
            if not issubclass(cls, root) or cls.__module__ != errors.__name__:
                strays.add(f"{cls.__module__}.{cls.__qualname__}")
    assert sorted(strays) == [], f"define these in services/{service}/errors.py under {root.__name__}"


def _long_modules(top: str) -> list[str]:
    long = []
    for path in sorted((ROOT / top).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in TABLE_MODULES:
            continue
        with path.open(encoding="utf-8") as lines:
            count = sum(1 for _ in lines)
        if count > MAX_LINES:
            long.append(f"{relative} ({count} lines)")
    return long


def test_table_modules_are_still_table_declarations():
    for relative in TABLE_MODULES:
        assert (ROOT / relative).is_file(), relative


@pytest.mark.parametrize("top", ["services", "shared"])
def test_no_module_is_longer_than_a_sitting_except_table_declarations(top):
    assert _long_modules(top) == [], f"split by job (at most {MAX_LINES} lines a module)"
