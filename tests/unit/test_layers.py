"""The house holds its layers (docs/DEVELOPING.md "The map of shared/"): every import of the
project's own modules points down, none hides inside a function, and no modules import each other
in a circle.

Layers, lowest first (a module may import its own layer and the ones below):
  0 shared.core                       settings, logs, db, errors, the event contract, pure rules
  1 shared.users, .audit, .webhooks   the features' stores and mechanisms
  2 shared.mesh                       service and unit of work, inbox, outbox, broker, worker ...
  3 shared.web                        auth, problems, health, events route, API docs, pages shell
  4 shared.<feature>.api              the features' API routes (they stand on shared.web)
  5 shared.web.app                    the factory: composes all of the above
  6 services.<name>                   one service; never another service
  7 ops                               operator tooling: the one place that may import services/
  8 testkit                           what tests and benches share
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services", "ops", "testkit")
FEATURES = ("users", "audit", "webhooks")

#: Third-party libraries a module may import inside a function, each for its reason: heavy or
#: optional ones a process needs only on one path (the standard library may always be lazy).
LAZY_LIBRARIES = {
    "babel": "message extraction, only `make translations`",
    "weasyprint": "the PDF, only where a report is rendered (the worker, not the web)",
    "openpyxl": "workbooks, only for an import or an export",
    "prometheus_client": "metrics, only once configured (multiprocess mode reads its folder at import)",
    "werkzeug": "the proxy fix and the dev server, only where used",
    "chinese_calendar": "the official calendar's data, only when a year is asked for",
    "holidays": "other countries' holidays, only when a calendar names them",
    "dotenv": "an environment file, only when HUIFANG_ENV_FILE names one",
    "redis": "the broker's client, only on a Redis URL",
    "pika": "the broker's client, only on an amqp:// URL",
    "psycopg2": "PostgreSQL's driver, only on a postgresql:// URL",
    "gunicorn": "the web server, only in a deployed web unit",
    "honcho": "the process runner, only for `make run`",
    "dramatiq": "the worker's runtime, only where a worker starts",
    "aiosmtpd": "the tests' SMTP server (the test extra), only for a test that reads mail",
    "playwright": "the tests' browser driver (the test extra), only for a page test",
    "standardwebhooks": "the tests' webhook receiver's verifier (the test extra)",
}


def rank(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "shared":
        sub = parts[1] if len(parts) > 1 else "core"
        if sub == "core":
            return 0
        if sub in FEATURES:
            return 4 if len(parts) > 2 and parts[2] == "api" else 1
        if sub == "mesh":
            return 2
        if sub == "web":
            return 5 if len(parts) > 2 and parts[2] == "app" else 3
    return {"services": 6, "ops": 7, "testkit": 8}[parts[0]]


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = project_modules()


def imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Gives the modules an import statement names (a name imported from a package that is a module
    counts as that module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")
        if not str(MODULES[module]).endswith("__init__.py"):
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]


def imports_of(module: str):
    """Yields (imported module, line, inside a function) for each import in `module`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nested = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(n) for n in ast.walk(function) if isinstance(n, (ast.Import, ast.ImportFrom)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in imported(module, node):
                yield target, node.lineno, id(node) in nested


def own(target: str) -> bool:
    return target.split(".")[0] in PACKAGES


def test_every_import_points_down_a_layer():
    upward = [f"{m}:{line} imports {t} (layer {rank(t)} above {rank(m)})"
              for m in MODULES for t, line, _ in imports_of(m) if own(t) and rank(t) > rank(m)]
    assert not upward, "\n".join(upward)


def test_shared_never_imports_services_or_ops():
    wrong = [f"{m}:{line} imports {t}" for m in MODULES if m.startswith("shared")
             for t, line, _ in imports_of(m) if t.split(".")[0] in ("services", "ops", "testkit")]
    assert not wrong, "\n".join(wrong)


def test_a_service_never_imports_another():
    wrong = []
    for m in MODULES:
        if m.startswith("services.") and m.count(".") >= 1:
            name = m.split(".")[1]
            wrong += [f"{m}:{line} imports {t}" for t, line, _ in imports_of(m)
                      if t.startswith("services.") and t.split(".")[1] not in (name, "__init__") and t != "services"]
    assert not wrong, "\n".join(wrong)


def test_no_import_of_our_own_modules_hides_in_a_function():
    hidden = [f"{m}:{line} imports {t} inside a function" for m in MODULES
              for t, line, inside in imports_of(m) if inside and own(t)]
    assert not hidden, "\n".join(hidden)


def test_only_the_listed_heavy_libraries_are_imported_lazily():
    lazy = {f"{t.split('.')[0]} ({m}:{line})" for m in MODULES for t, line, inside in imports_of(m)
            if inside and not own(t) and t.split(".")[0] not in LAZY_LIBRARIES
            and t.split(".")[0] not in sys.stdlib_module_names}
    assert not lazy, "import these at the top, or list the library in LAZY_LIBRARIES with its reason:\n" + \
        "\n".join(sorted(lazy))


def test_no_modules_import_each_other_in_a_circle():
    graph = {m: {t for t, _, inside in imports_of(m) if t in MODULES and t != m and not inside} for m in MODULES}
    # a package's __init__ importing its own modules is how Python packages are made; not a circle
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert not circles, "modules importing each other: " + "; ".join(" <-> ".join(c) for c in circles)
