"""GraphML written straight from columns, a block of rows at a time.

A network of 40,000 members and 160,000 ties as a networkx graph holds about 100 MB of
Python dictionaries; written from the model's arrays it needs a block of rows at a time.
The file is what networkx writes for the same graph (the same keys, types and values:
``nx.read_graphml`` gives back an equal graph), in the GraphML format of
http://graphml.graphdrawing.org/.

Examples
--------
>>> import io, networkx as nx, numpy as np
>>> nodes = {"id": np.array([0, 1]), "strategy": np.array(["giver", "taker"], dtype=object)}
>>> edges = {"source": np.array([0]), "target": np.array([1]), "trust": np.array([0.25])}
>>> out = io.BytesIO()
>>> write_graphml(out, nodes, edges)
>>> g = nx.read_graphml(io.BytesIO(out.getvalue()))
>>> dict(g.nodes(data=True)), list(g.edges(data=True))
({'0': {'strategy': 'giver'}, '1': {'strategy': 'taker'}}, [('0', '1', {'trust': 0.25})])
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import numpy as np

__all__ = ["write_graphml"]

#: rows formatted per block
BLOCK = 4096

_HEADER = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
)


def _type(values: np.ndarray) -> str:
    if values.dtype.kind == "b":
        return "boolean"
    if values.dtype.kind in "iu":
        return "long"
    if values.dtype.kind == "f":
        return "double"
    return "string"


def _text(values: np.ndarray) -> list[str]:
    """Each value as GraphML text, as networkx writes it (``str`` of the Python value)."""
    if values.dtype.kind == "b":
        return ["true" if v else "false" for v in values.tolist()]
    if values.dtype.kind in "iuf":
        return [str(v) for v in values.tolist()]
    return [escape(str(v)) for v in values.tolist()]


def write_graphml(
    target: str | Path | IO[bytes], nodes: Mapping[str, np.ndarray], edges: Mapping[str, np.ndarray]
) -> None:
    """Write an undirected graph as GraphML to ``target`` (a path or a binary file).

    ``nodes`` has an ``id`` column and one column per node attribute; ``edges`` has
    ``source`` and ``target`` columns (node ids) and one column per edge attribute; each
    column is an array with a row per node or edge.
    """
    if isinstance(target, str | Path):
        with open(target, "wb") as f:
            write_graphml(f, nodes, edges)
        return
    node_keys = [k for k in nodes if k != "id"]
    edge_keys = [k for k in edges if k not in ("source", "target")]
    # key ids as networkx numbers them: edge attributes last, so first in the file
    ids = {("node", k): f"d{i}" for i, k in enumerate(node_keys)}
    ids.update({("edge", k): f"d{len(node_keys) + i}" for i, k in enumerate(edge_keys)})
    lines = [_HEADER]
    for (kind, name), key in reversed(ids.items()):
        column = nodes[name] if kind == "node" else edges[name]
        lines.append(
            f'<key id="{key}" for="{kind}" attr.name={quoteattr(name)} attr.type="{_type(column)}"/>\n'
        )
    lines.append('<graph edgedefault="undirected">')
    target.write("".join(lines).encode())
    _rows(target, "node", nodes, node_keys, ids, ("id",))
    _rows(target, "edge", edges, edge_keys, ids, ("source", "target"))
    target.write(b"</graph></graphml>")


def _rows(f: IO[bytes], kind: str, columns, keys, ids, heads) -> None:
    n = len(columns[heads[0]])
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        head_text = [_text(columns[h][start:stop]) for h in heads]
        data_text = [_text(columns[k][start:stop]) for k in keys]
        out = []
        for r in range(stop - start):
            if kind == "node":
                out.append(f'<node id="{head_text[0][r]}">\n')
            else:
                out.append(f'<edge source="{head_text[0][r]}" target="{head_text[1][r]}">\n')
            for k, texts in zip(keys, data_text):
                out.append(f'  <data key="{ids[(kind, k)]}">{texts[r]}</data>\n')
            out.append(f"</{kind}>\n")
        f.write("".join(out).encode())
