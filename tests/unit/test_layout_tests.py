"""The tests and the benchmarks share one support package, testkit/: no test module imports another
test module (conftest.py modules included), bench/ never imports tests/, and testkit/ imports
neither (a test that needs a helper of another finds it in testkit)."""
from __future__ import annotations

import ast
from pathlib import Path

from shared.core.settings import ROOT


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Gives (line, module) of every import in the module at `path` (its text, or `source`), at any
    depth, relative ones resolved."""
    package = _dotted(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    text = path.read_text(encoding="utf-8") if source is None else source
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            if node.level and not node.module:  # `from . import fixtures` imports a module
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _offences(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for path in _modules(folder) for line, module in _imports(path)
            if any(_is_under(module, package) for package in forbidden)]


def test_no_test_module_imports_another_test_module():
    # the `tests` package itself holds no code to import: every import of tests.* is of a test module
    assert _offences("tests", ("tests",)) == [], "move what is shared into testkit/"


def test_the_benchmarks_import_testkit_never_the_tests():
    assert _offences("bench", ("tests",)) == [], "bench/ takes what it shares with the tests from testkit/"


def test_testkit_imports_neither_the_tests_nor_the_benchmarks():
    assert _offences("testkit", ("tests", "bench")) == []


def test_the_check_sees_relative_and_nested_imports():
    # given a test module with relative imports of a conftest and a helper, and an import in a function
    where = ROOT / "tests" / "integration" / "reporting" / "test_example.py"
    source = "from .conftest import ORG\nfrom . import fixtures\n\ndef f():\n    import tests.unit.test_x\n"
    # when its imports are read
    found = {module for _, module in _imports(where, source)}
    # then each is seen as the tests.* module it is
    assert found >= {"tests.integration.reporting.conftest", "tests.integration.reporting.fixtures",
                     "tests.unit.test_x"}
    assert all(_is_under(module, "tests") for module in found)
