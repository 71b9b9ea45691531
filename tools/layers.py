#!/usr/bin/env python3
"""Import layering of the project's packages, read with ast (nothing is imported or run).

Run from the project's root: ``python3 tools/layers.py src`` (tests/test_layers.py does).

Counts every import of a project module: at module level and inside functions, except
those under ``if TYPE_CHECKING:``. Prints the import cycles among the modules of each
package and the imports that run against the layering, and exits 1 if there is any.

Layering of assign, top to bottom: insight and the writers (io.export, maps, manifest) ->
    batch -> solve -> solvers -> the pair table and plan types (candidates, rules, pins, ...) ->
    the readers (io.scenario, tables, roads, crs, ...) -> base (config, errors, geo, categories).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "src")


def modname(p: Path) -> str:
    parts = list(p.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            t = node.test
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for sub in node.body:
                    for n in ast.walk(sub):
                        skip.add(id(n))
    return skip


mods = {modname(p): p for p in SRC.rglob("*.py")}
edges: dict[str, set[str]] = {m: set() for m in mods}


def resolve(cur: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    out = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = cur.split(".")
            if not mods[cur].name == "__init__.py":
                pkg = pkg[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([base] if base else []))
        names = [base] + [f"{base}.{a.name}" for a in node.names]
    for n in names:
        while n and n not in mods:
            n = n.rpartition(".")[0]
        if n and n != cur:
            out.append(n)
    return out


for m, p in mods.items():
    tree = ast.parse(p.read_text(encoding="utf-8"))
    skip = type_checking_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
            for t in resolve(m, node):
                # a package's __init__ re-exporting its children is not a dependency of theirs
                if mods[m].name == "__init__.py" and t.startswith(m + "."):
                    continue
                if mods[t].name == "__init__.py" and m.startswith(t + "."):
                    continue
                edges[m].add(t)


def sccs(nodes, adj):
    index, low, on, stack, out, i = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = i[0]
        i[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj.get(v, ()):
            if w not in nodes:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


READERS = ("scenario", "tables", "roads", "crs", "xlsx", "roadgen", "rule_tables", "previous")
WRITERS = ("export", "maps", "manifest", "template", "files")


def layer(m: str) -> int | None:
    """0 base, 1 readers, 2 the pair table and plan types, 3 solvers, 4 solve, 5 insight and
    writers. Only what is clearly wrong is checked: base, readers, solvers and solve must not
    import from a layer above them; the pair table may (the designer places it)."""
    if not m.startswith("assign"):
        return None
    parts = m.split(".")[1:]
    top = parts[0] if parts else ""
    if top in ("config", "errors", "geo", "categories"):
        return 0
    if top == "io":
        sub = parts[1] if len(parts) > 1 else ""
        return 1 if sub in READERS else 5 if sub in WRITERS else None
    if top == "solvers":
        return 3
    if top == "solve":
        return 4
    if top == "batch":
        return 5
    if top == "insight":
        return 5
    return 2


CHECKED = (0, 1, 3, 4)


bad = []
for pkg in ("assign", "sim", "zhuqi"):
    nodes = {m for m in mods if m == pkg or m.startswith(pkg + ".")}
    for comp in sccs(nodes, edges):
        if len(comp) > 1:
            bad.append(f"cycle in {pkg}: " + " <-> ".join(sorted(comp)))
for m, ts in edges.items():
    for t in ts:
        a, b = layer(m), layer(t)
        if a in CHECKED and b is not None and b > a:
            bad.append(f"upward import: {m} (layer {a}) -> {t} (layer {b})")
        if m.startswith("assign") and (t.startswith("sim") or t.startswith("zhuqi")):
            bad.append(f"assign imports {t} ({m})")
        if m.startswith("sim") and t.startswith("zhuqi"):
            bad.append(f"sim imports the CLI ({m} -> {t})")
for b in bad:
    print(b)
cyc = sum(b.startswith("cycle") for b in bad)
up = len(bad) - cyc
print(f"layers: {cyc} import cycles, {up} imports against the layering, over {len(mods)} modules")
sys.exit(1 if bad else 0)
