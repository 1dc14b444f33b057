"""Which simlib source files a rule runs, and one hash of them: the rules' code rerun trigger.

Snakemake reruns a job when its script changes, but not when the simlib code the script calls
changes. Each rule therefore gets a ``params: code=code_hash(...)``: the SHA-256 of the simlib
files its entry points reach, so editing one of them reruns exactly the rules that use it.

The reach is found by reading the sources (``ast``), not by importing them: from an entry (a
script, or ``module:function``) follow ``simlib`` imports — those at module level, and those inside
the functions that are called, with the same-module helpers they call — into every module and
package ``__init__`` they load. Importing a whole module counts all of its functions. A package
whose ``__init__`` loads names lazily lists them in ``_EXPORTS`` (name -> module), which is followed.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]   # the folder holding simlib/


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_file(module: str) -> Path | None:
    base = PACKAGE_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(nodes, module: str) -> list[tuple[str, str | None]]:
    """``(module, name or None)`` of every simlib import among ``nodes`` (walked in depth)."""
    found = []
    package = module if _module_file(module) and _module_file(module).name == "__init__.py" else \
        module.rpartition(".")[0]
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                found += [(alias.name, "*") for alias in sub.names if alias.name.split(".")[0] == "simlib"]
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    parts = package.split(".")[: len(package.split(".")) - sub.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                if base.split(".")[0] == "simlib":
                    found += [(base, alias.name) for alias in sub.names]
    return found


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """The statements that run on import (function bodies excluded; class bodies included)."""
    return [node for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    return {node.name: node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _called_definitions(tree: ast.Module, name: str) -> list[ast.AST]:
    """Definition ``name`` and the same-module definitions it refers to, transitively."""
    defs = _definitions(tree)
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in defs:
            continue
        seen.add(current)
        todo += [n.id for n in ast.walk(defs[current]) if isinstance(n, ast.Name) and n.id in defs]
    return [defs[n] for n in sorted(seen)]


def _lazy_exports(tree: ast.Module) -> dict[str, str]:
    """A package's ``_EXPORTS = {"name": "module", ...}``: names its ``__getattr__`` loads from modules on use."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets) \
                and isinstance(node.value, ast.Dict):
            return {k.value: v.value for k, v in zip(node.value.keys, node.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
    return {}


def reached_files(*entries: str) -> list[Path]:
    """The simlib files that ``entries`` reach: script paths, or ``package.module[:function]``."""
    files: set[Path] = set()
    todo: list[tuple[str, str | None]] = []
    for entry in entries:
        if entry.endswith(".py"):
            tree = _tree(Path(entry).resolve())
            todo += _imports(tree.body, "__main__")
        else:
            module, _, name = entry.partition(":")
            todo.append((module, name or None))
    done: set[tuple[str, str | None]] = set()
    while todo:
        module, name = todo.pop()
        if (module, name) in done:
            continue
        done.add((module, name))
        parts = module.split(".")
        for k in range(1, len(parts)):               # importing a.b.c runs a/__init__ and a/b/__init__
            todo.append((".".join(parts[:k]), None))
        if name is not None and _module_file(f"{module}.{name}") is not None:
            todo.append((f"{module}.{name}", "*"))    # `from package import submodule`
            continue
        path = _module_file(module)
        if path is None:
            continue
        files.add(path)
        tree = _tree(path)
        todo += _imports(_top_level(tree), module)
        lazy = _lazy_exports(tree)
        if name == "*":
            todo += [(target, attr) for attr, target in lazy.items()]
        elif name in lazy:
            todo.append((lazy[name], name))
        if name == "*":
            todo += _imports(list(_definitions(tree).values()), module)
        elif name is not None:
            todo += _imports(_called_definitions(tree, name), module)
    return sorted(files)


def code_hash(*entries: str) -> str:
    """SHA-256 over the paths (relative to the package root) and contents of :func:`reached_files`."""
    digest = hashlib.sha256()
    for path in reached_files(*entries):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
