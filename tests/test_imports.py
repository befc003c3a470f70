"""The package's layering (``docs/architecture.md``): no import cycle inside ``simulation``,
and no module imports a layer above its own.

Cycles are looked for among module-level imports (those run when a module is imported);
the layers are checked on every import, also inside functions.  Imports under
``if TYPE_CHECKING:`` are left out, as are the implicit imports of parent packages.
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


#: the layers, bottom first (by the module or sub-package right under ``simulation``);
#: anything not named here is in the top layer, which nothing below may import
LAYERS = [
    {
        "params",
        "errors",
        "tick",
        "arrays",
        "io",
        "stats",
        "builtin",
        "limits",
        "holme_kim",
        "compiled",
        "draws",
        "graphml",
        "style_colours",
        "interrupts",
    },  # foundations
    {"strategies", "games", "topology", "metrics", "population", "ties", "members", "ecosystems", "verdict"},
    {"mechanisms"},
    {"scenario", "scenario_files"},
    {"model", "__init__"},  # (``simulation`` itself re-exports the model's API)
    {"run"},
    {"experiment", "executors", "sweep", "store"},
    {"analysis", "plots", "report", "validation", "patterns"},
]


def layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return next((k for k, names in enumerate(LAYERS) if top in names), len(LAYERS))


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


def every_import(tree: ast.Module):
    """Every import statement, wherever it is, except under ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        for node in ast.iter_child_nodes(todo.pop()):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node
            elif not is_type_checking(node):
                todo.append(node)


def import_graph(everywhere: bool = False) -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    imports = every_import if everywhere else top_level_imports
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in imports(ast.parse(path.read_text(), str(path))):
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


def test_no_module_imports_a_layer_above_its_own():
    graph = import_graph(everywhere=True)
    assert graph.has_edge("simulation.sweep", "simulation.run")
    upward = [f"{a} -> {b}" for a, b in graph.edges if layer(b) > layer(a)]
    assert not upward, "imports from a higher layer: " + "; ".join(sorted(upward))


def test_the_layers_of_architecture_md_are_those_checked_here():
    """docs/architecture.md's diagram draws every module and sub-package of ``simulation`` in
    the layer :data:`LAYERS` gives it: its rows go from the top layer down, a row with a
    caption starting a layer and a row without one going on with it."""
    import re

    block = (PACKAGE.parent / "docs" / "architecture.md").read_text().split("```", 2)[1]
    drawn: dict[str, int] = {}
    level = len(LAYERS) + 1
    for line in block.strip().splitlines():
        if re.search(r"\S {3,}\S", line):  # names, then the layer's caption
            level -= 1
        for name in re.findall(r"(\w+)(?:\.py|/)", line):
            drawn.setdefault(name, level)
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }
    modules -= {"__init__"}
    assert modules <= set(drawn), f"not drawn: {sorted(modules - set(drawn))}"
    wrong = {name: drawn[name] for name in modules if drawn[name] != layer(f"simulation.{name}")}
    assert not wrong, f"drawn in another layer than LAYERS gives: {wrong}"
    assert level == 0  # the bottom row is the foundations
