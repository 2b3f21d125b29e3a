"""PyScript's `pyscript/__init__.py`, rewritten to import its submodules on first use.

PyScript runs `import pyscript` before the page's own script, and the package's `__init__`
imports every submodule it re-exports (display, fetch, storage, websocket, events, workers),
whether the page uses them or not. The build compiles this rewrite in place of the original into
MicroPython's bytecode bundle (scripts/build-site.mjs, `vendorMicropythonBytecode`) and into
tuned Pyodide's, as an unchecked pyc beside the source PyScript writes
(`vendorPyodidePycache`): each `from pyscript.<module> import <names>` becomes an entry of
`_LAZY`, and a module `__getattr__` (PEP 562, which MicroPython has too) imports the submodule
when one of its names is first asked for, so `from pyscript import display` and
`pyscript.display` work as before.
`pyscript.context` stays eager: every other submodule imports it, and the conditions around
the other imports (`if not RUNNING_IN_WORKER:`) read it.

Two differences, which the app's py/ avoids: `from pyscript import *` gets only the eager
names, and a submodule imported directly before any of its names was asked for (`import
pyscript.display`, `from pyscript.storage import Storage`) leaves its own name on the package
bound to the submodule, as Python binds every newly imported submodule: `pyscript.display`
is then that module, not the function.

    python3 scripts/lazy_pyscript_init.py < pyscript/__init__.py > lazy__init__.py
"""

from __future__ import annotations

import ast
import sys

EAGER = frozenset({"pyscript.context"})

LOADER = """
def __getattr__(name):
    if name in _LAZY:
        where, attribute = _LAZY[name]
        module = __import__(where, None, None, [attribute])
        # All the names this submodule gives the package, at once: importing it has just
        # bound the submodule itself to its name (pyscript.display), which one of them replaces.
        for key in _LAZY:
            if _LAZY[key][0] == where:
                globals()[key] = getattr(module, _LAZY[key][1])
        return globals()[name]
    if name.startswith("_"):
        raise AttributeError(name)
    # `from pyscript import web`: a submodule not imported yet. Without a module __getattr__,
    # MicroPython and CPython import it for such a name themselves.
    try:
        value = __import__("pyscript." + name, None, None, [name])
    except ImportError:
        raise AttributeError("module 'pyscript' has no attribute '" + name + "'")
    globals()[name] = value
    return value
"""


class _Deferred(ast.NodeTransformer):
    """Turns the package's module-level submodule imports into `_LAZY` entries."""

    def __init__(self) -> None:
        self.deferred: list[str] = []

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | list[ast.stmt]:
        module = node.module or ""
        if node.level or not module.startswith("pyscript.") or module in EAGER:
            return node
        entries = []
        for alias in node.names:
            if alias.name == "*":
                raise ValueError(f"line {node.lineno}: `from {module} import *` cannot be deferred")
            name = alias.asname or alias.name
            self.deferred.append(name)
            entry = ast.parse(f"_LAZY[{name!r}] = ({module!r}, {alias.name!r})").body[0]
            entries.append(ast.copy_location(entry, node))
        return entries

    # Imports inside functions and classes already run on use.
    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_ClassDef = visit_FunctionDef  # type: ignore[assignment]


def lazy_init(source: str) -> str:
    """The lazy version of PyScript's `pyscript/__init__.py` source."""
    tree = ast.parse(source)
    deferring = _Deferred()
    tree = deferring.visit(tree)
    if not deferring.deferred:
        raise ValueError("no `from pyscript.<module> import ...` to defer: has PyScript changed?")
    body = tree.body
    docstring = (
        bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    )
    start = 1 if docstring else 0
    table, loader = ast.parse("_LAZY = {}").body, ast.parse(LOADER).body
    tree.body = [*body[:start], *table, *body[start:], *loader]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def main() -> int:
    try:
        sys.stdout.write(lazy_init(sys.stdin.read()))
    except (SyntaxError, ValueError) as error:
        print(f"lazy_pyscript_init: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
