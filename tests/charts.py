"""Charts of the app read back from their SVG as a reader would: shared by the app and classroom tests."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

__all__ = ["lines_read_back", "legend_read_back"]

_SVG = "{http://www.w3.org/2000/svg}"


def _tick_value(text: str) -> float:
    return float(text[:-1]) * 1000 if text.endswith("k") else float(text)


def lines_read_back(svg: str) -> dict[str, dict]:
    """Each line of a chart, read back from its picture as a reader of the chart would: the
    ``(week, value)`` of each point through the chart's own axis ticks, its colour and dashes,
    and its tolerance (the value of 0.06 units of height: the points are rounded to 0.1)."""
    root = ET.fromstring(svg)
    grid = [float(g.get("y1")) for g in root.iter(f"{_SVG}line") if g.get("stroke") == "#e3e3e3"]
    texts = list(root.iter(f"{_SVG}text"))
    # a y tick's label is written 4 units below its grid line, right-aligned; x ticks are centred
    y_ticks = [
        (float(t.get("y")) - 4, _tick_value(t.text))
        for t in texts
        if t.get("text-anchor") == "end" and any(abs(float(t.get("y")) - 4 - g) < 0.06 for g in grid)
    ]
    x_ticks = [(float(t.get("x")), _tick_value(t.text)) for t in texts if t.get("text-anchor") == "middle"]
    assert len(y_ticks) >= 2 and len(x_ticks) >= 2
    y_scale, y_at_0 = np.polyfit(*zip(*y_ticks, strict=True), 1)
    x_scale, x_at_0 = np.polyfit(*zip(*x_ticks, strict=True), 1)
    out = {}
    for line in root.iter(f"{_SVG}polyline"):
        px, py = np.array([p.split(",") for p in line.get("points").split()], float).T
        out[line.find(f"{_SVG}title").text] = {
            "weeks": np.rint(x_scale * px + x_at_0).astype(int),
            "values": y_scale * py + y_at_0,
            "tolerance": abs(y_scale) * 0.06,
            "colour": line.get("stroke"),
            "dashed": line.get("stroke-dasharray") is not None,
        }
    return out


def legend_read_back(svg: str) -> list[tuple[str, str, bool]]:
    """The chart's legend in order: ``(name, colour, dashed swatch)`` of each item."""
    items = re.findall(
        r'class="gt-legend-item" data-colour="([^"]+)">(<line[^>]*>|<rect[^>]*>)<text[^>]*>([^<]*)<', svg
    )
    return [(name, colour, "stroke-dasharray" in swatch) for colour, swatch, name in items]
