"""Count import cycles in dosewise's module graph (grimp, as import-linter builds it).

Prints the strongly connected groups of two or more modules, with every import inside them (file line),
once with TYPE_CHECKING imports and once without. Function-level imports count: grimp reads every
import statement. The "No import cycles" contract in pyproject.toml keeps the figure at 0; this script
is for the figure itself (issue 14: before 4 groups of 9 modules, after 0).

    PYTHONPATH=src .venv/bin/python scripts/import_cycles.py
"""

from __future__ import annotations

import sys

import grimp


def cyclic_groups(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, each sorted."""
    adjacency = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in adjacency[module]:
            if other not in adjacency:
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in adjacency:
        if module not in index:
            visit(module)
    return groups


def main() -> int:
    total = 0
    for with_type_checking in (True, False):
        graph = grimp.build_graph(
            "dosewise", exclude_type_checking_imports=not with_type_checking, cache_dir=None
        )
        groups = cyclic_groups(graph)
        modules = sum(len(group) for group in groups)
        label = "with TYPE_CHECKING imports" if with_type_checking else "run-time imports only"
        print(f"{label}: {len(groups)} cyclic groups, {modules} modules")
        for group in groups:
            print("  " + " <-> ".join(group))
            for importer in group:
                for imported in group:
                    for detail in graph.get_import_details(importer=importer, imported=imported):
                        print(f"    {importer} -> {imported} (line {detail['line_number']})")
        total += len(groups)
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
