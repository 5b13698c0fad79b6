"""Imports flow one way: io -> analysis -> charts -> widgets -> notebooks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# For each package, the packages it must never import.
FORBIDDEN = {
    "crmlib/io": ("crmlib.analysis", "crmlib.charts", "crmlib.notebook", "crmlib.reporting",
                  "crmlib.apps", "widgets", "altair", "ipywidgets"),
    "crmlib/analysis": ("crmlib.charts", "crmlib.notebook", "crmlib.reporting", "crmlib.apps",
                        "widgets", "altair", "ipywidgets"),
    "crmlib/text": ("crmlib.analysis", "crmlib.charts", "crmlib.notebook", "crmlib.reporting",
                    "crmlib.apps", "widgets", "altair", "ipywidgets"),
    "crmlib/charts": ("crmlib.notebook", "crmlib.reporting", "crmlib.apps", "widgets",
                      "ipywidgets"),
    "crmlib": ("widgets",),
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_flow_one_way():
    problems = []
    for folder, banned in FORBIDDEN.items():
        files = list((ROOT / folder).rglob("*.py"))
        assert files, folder
        for file in files:
            for name in _imports(file):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    problems.append(f"{file.relative_to(ROOT)} imports {name}")
    assert not problems, "\n".join(problems)


def test_notebooks_hold_no_functions_or_classes():
    for file in (ROOT / "notebooks").glob("*.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defs, f"{file.name} defines {[d.name for d in defs]}"
