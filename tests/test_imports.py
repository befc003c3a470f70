"""The package's layering: no import cycle inside ``simulation``.

Module-level imports only (those run when a module is imported); imports inside
functions and under ``if TYPE_CHECKING:`` are left out, as are the implicit imports of
parent packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def top_level_imports(tree: ast.Module):
    """Import statements that run on import: at top level, or in top-level if/try blocks."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not is_type_checking(node):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]


def import_graph() -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in top_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                # `from pkg import sub` imports the submodule pkg.sub
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph.add_edges_from((name, t) for t in targets if t in modules and t != name)
    return graph


def test_the_import_graph_is_read_whole():
    graph = import_graph()
    assert graph.has_edge("simulation.model", "simulation.tick")
    assert graph.has_edge("simulation.mechanisms.asking", "simulation.mechanisms.base")
    assert graph.number_of_nodes() > 50


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    tangles = [graph.subgraph(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    cycles = [" -> ".join(u for u, _ in nx.find_cycle(t)) for t in tangles]
    assert not cycles, "import cycle: " + "; ".join(cycles)
