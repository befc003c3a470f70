"""SVG pictures for the app: the network and small line charts.

Both are plain SVG text built with numpy, so they render the same in a
browser without internet, in a Jupyter notebook and in a saved file, and a
frame of a few hundred members takes milliseconds to draw.  In the network
picture every member is a ``<circle>`` carrying ``data-slot``, which is how
a click in the page finds the member to inspect.

Strategy colours and labels are the strategy registry's
(:func:`simulation.strategies.colour`), the same as in the sweep reports.

Examples
--------
>>> strategy_colour("giver")
'#009E73'
>>> svg = line_chart({"giver": ([0, 1, 2], [1.0, 2.0, 4.0])}, title="Wealth")
>>> svg.startswith("<svg") and "polyline" in svg
True
>>> nice_ticks(0, 97)
[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from ..strategies import colour as strategy_colour
from ..strategies import label as strategy_label
from .layout import NetworkLayout

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = [
    "strategy_colour",
    "ecosystem_colour",
    "assign_colours",
    "ECOSYSTEM_PALETTE",
    "network_svg",
    "line_chart",
    "nice_ticks",
    "legend_html",
    "metric_series",
    "wealth_chart",
    "wealth_chart_label",
    "ALL_MEMBERS",
    "ALL_MEMBERS_COLOUR",
]

#: colours of line-chart series that are given none
_EXTRA = ["#0072B2", "#F0E442", "#000000", "#999999"]
#: dashes of a dashed series (dash and gap, SVG units): in the plot, and in its legend swatch
#: (two dashes in the swatch's 12 units)
_DASH, _LEGEND_DASH = "6 3", "4 2"

#: the wealth chart's line of all members' mean wealth (the metric ``mean_wealth``), beside the
#: strategies' means, so the lessons and the class can compare a strategy with the average
#: member: dashed, which no strategy's line is, and black, which no built-in strategy and no
#: colour of the strategies' palette is (Okabe & Ito's and Paul Tol's).  The name is reserved
#: in that chart: a strategy labelled so is named there by its ``name`` (see
#: :func:`wealth_chart_label`)
ALL_MEMBERS = "all members"
ALL_MEMBERS_COLOUR = "#000000"

#: ecosystem colours: Kelly's colours of maximum contrast (K. L. Kelly 1965, "Twenty-two
#: colors of maximum contrast", *Color Engineering* 3(6):26), without white, black, grey and
#: near-twins; ecosystems on screen are given them by size (see :func:`assign_colours`)
ECOSYSTEM_PALETTE = [
    "#F3C300", "#875692", "#F38400", "#A1CAF1", "#BE0032", "#008856",
    "#E68FAC", "#0067A5", "#604E97", "#8DB600", "#882D17", "#2B3D26",
]  # fmt: skip

#: members in no ecosystem, and ecosystems too small to get a colour of their own
NO_ECOSYSTEM = "#c8c8c8"
SMALL_ECOSYSTEM = "#e9dfc9"


#: members who joined in the last this many weeks are drawn with a black outline
NEW_WEEKS = 4

#: a member's circle: radius ``_base(members) * (_RADIUS_MIN + _RADIUS_SPAN * sqrt(relative wealth))``;
#: a newcomer's outline is ``_FRESH_STROKE`` wide
_RADIUS_MIN, _RADIUS_SPAN = 2.5, 6.5
_FRESH_STROKE = 1.2
#: the ring around the member being inspected: radius and line width
_RING_R, _RING_WIDTH = 13.0, 2.5

#: ties drawn in four widths, by strength
_STRENGTH_EDGES = np.array([0.25, 0.5, 0.75])
_EDGE_STYLE = [(0.5, 0.22), (1.0, 0.32), (1.8, 0.42), (2.8, 0.55)]  # (width, opacity)


def ecosystem_colour(ecosystem: int, colours: Mapping[int, str] | None = None) -> str:
    """Colour of an ecosystem id: from ``colours`` (as :func:`assign_colours` gives them) when
    given; -1, no ecosystem, is light grey; an ecosystem without a colour is pale beige."""
    if ecosystem < 0:
        return NO_ECOSYSTEM
    if colours is not None:
        return colours.get(ecosystem, SMALL_ECOSYSTEM)
    return ECOSYSTEM_PALETTE[ecosystem % len(ECOSYSTEM_PALETTE)]


def assign_colours(sizes: Mapping[int, int], previous: Mapping[int, str] | None = None) -> dict[int, str]:
    """Colours for the ecosystems on screen, ``sizes`` being ecosystem id -> members shown.

    The largest ``len(ECOSYSTEM_PALETTE)`` ecosystems get pairwise distinct colours; each keeps
    its colour from ``previous`` (the last frame) unless a larger one already has it, so colours
    do not flicker from week to week; the others are left out (drawn pale beige).

    >>> assign_colours({7: 40, 3: 25, 9: 2}, previous={3: "#F3C300"})
    {7: '#875692', 3: '#F3C300', 9: '#F38400'}
    """
    previous = previous or {}
    ranked = sorted(sizes, key=lambda e: (-sizes[e], e))[: len(ECOSYSTEM_PALETTE)]
    kept = {}
    taken: set[str] = set()
    for e in ranked:  # largest first: keep last frame's colour when still free
        c = previous.get(e)
        if c in ECOSYSTEM_PALETTE and c not in taken:
            kept[e] = c
            taken.add(c)
    free = [c for c in ECOSYSTEM_PALETTE if c not in taken]
    return {e: kept[e] if e in kept else free.pop(0) for e in ranked}


def _fmt(a: np.ndarray) -> list[str]:
    return [f"{x:.1f}" for x in a.tolist()]


def network_svg(
    model: GiveTakeModel,
    layout: NetworkLayout,
    *,
    colour_by: str = "strategy",
    ecosystems: Mapping[int, int] | None = None,
    colours: Mapping[int, str] | None = None,
    selected: int | None = None,
    size: int = 640,
) -> str:
    """The current network as an SVG document.

    Parameters
    ----------
    model, layout : what to draw, and where (``layout`` must be up to date).
    colour_by : ``"strategy"`` or ``"ecosystem"`` (needs ``ecosystems``).
    ecosystems : member slot -> ecosystem id, for ``colour_by="ecosystem"``.
    colours : ecosystem id -> colour (:func:`assign_colours`); without it, colours by id.
    selected : slot of the member being inspected (ringed, its ties highlighted).
    size : width and height of the picture in SVG units.

    Node colour is the strategy (or ecosystem), node area grows with wealth,
    tie width and darkness with tie strength.  Members who left fade out.
    """
    pop, ties = model.population, model.ties
    alive = pop.alive_slots()
    fading, fade_alpha = layout.fading()
    bounds = layout.view_bounds(alive, also=fading)
    pad = _margin(len(alive))
    scale = (size - 2 * pad) / max(bounds[2] - bounds[0], 1e-9)

    def xy(slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = layout.pos[slots]
        return pad + (p[:, 0] - bounds[0]) * scale, pad + (p[:, 1] - bounds[1]) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'class="gt-network" role="img" aria-label="network of {len(alive)} members">'
    ]
    # ties, in four strength classes: one <path> each
    e = ties.live()
    if len(e):
        ux, uy = xy(ties.u[e])
        vx, vy = xy(ties.v[e])
        cls = np.searchsorted(_STRENGTH_EDGES, ties.strength[e])
        coords = np.round(np.c_[ux, uy, vx, vy], 1)
        for c, (width, alpha) in enumerate(_EDGE_STYLE):
            rows = coords[cls == c]
            if len(rows) == 0:
                continue
            # one %-format over all the ties of the class (the same text as f"{x:g}", faster)
            d = ("M%g %gL%g %g" * len(rows)) % tuple(rows.ravel().tolist())
            out.append(
                f'<path d="{d}" stroke="#5b6270" stroke-opacity="{alpha}" '
                f'stroke-width="{width * _edge_scale(len(alive)):.2f}" fill="none"/>'
            )
    if selected is not None and 0 <= selected < pop.size and pop.alive[selected]:
        mine = e[(ties.u[e] == selected) | (ties.v[e] == selected)]
        if len(mine):
            ux, uy = xy(ties.u[mine])
            vx, vy = xy(ties.v[mine])
            d = "".join(
                f"M{a:.1f} {b:.1f}L{x:.1f} {y:.1f}" for a, b, x, y in zip(ux, uy, vx, vy, strict=True)
            )
            out.append(
                f'<path d="{d}" stroke="#1a1a2e" stroke-opacity="0.9" stroke-width="1.6" fill="none"/>'
            )

    # departed members, fading
    if len(fading):
        fx, fy = xy(fading)
        r = _radius(model, fading, len(alive))
        for s, x, y, rr, a in zip(
            fading.tolist(), _fmt(fx), _fmt(fy), _fmt(r), fade_alpha.tolist(), strict=True
        ):
            out.append(
                f'<circle cx="{x}" cy="{y}" r="{rr}" fill="#9a9a9a" fill-opacity="{a:.2f}" '
                f'stroke="#555" stroke-opacity="{a:.2f}" stroke-dasharray="2 2" class="gone" data-gone="{s}"/>'
            )
    # members
    if len(alive):
        x, y = xy(alive)
        r = _radius(model, alive, len(alive))
        by_eco = colour_by == "ecosystem" and ecosystems is not None
        if by_eco:
            ecos = [int(ecosystems.get(int(s), -1)) for s in alive.tolist()]
            fills = [ecosystem_colour(e, colours) for e in ecos]
        else:
            names = model.strategy_names
            palette = [strategy_colour(name) for name in names]
            fills = [palette[i] for i in pop.strategy[alive].tolist()]
        born_now = (pop.joined[alive] > 0) & (pop.joined[alive] > model.steps - NEW_WEEKS)
        labels = [strategy_label(name) for name in model.strategy_names]
        extra = [f' data-eco="{e}"' for e in ecos] if by_eco else [""] * len(alive)
        for s, cx, cy, rr, fill, fresh, k, w, more in zip(
            alive.tolist(),
            _fmt(x),
            _fmt(y),
            _fmt(r),
            fills,
            born_now.tolist(),
            pop.strategy[alive].tolist(),
            pop.wealth[alive].tolist(),
            extra,
            strict=True,
        ):
            stroke = (
                f' stroke="#111" stroke-width="{_FRESH_STROKE}"'
                if fresh
                else ' stroke="#fff" stroke-width="0.6"'
            )
            # <title>: the browser's own tooltip on hover
            out.append(
                f'<circle cx="{cx}" cy="{cy}" r="{rr}" fill="{fill}"{stroke} data-slot="{s}"{more}>'
                f"<title>#{s} {labels[k]}, wealth {w:.0f}</title></circle>"
            )
    if selected is not None and 0 <= selected < pop.size and layout.known[selected]:
        sx, sy = xy(np.array([selected]))
        out.append(
            f'<circle cx="{sx[0]:.1f}" cy="{sy[0]:.1f}" r="{_RING_R:g}" fill="none" stroke="#1a1a2e" '
            f'stroke-width="{_RING_WIDTH:g}" class="selected" data-slot="{selected}"/>'
        )
    out.append("</svg>")
    return "".join(out)


def _edge_scale(n: int) -> float:
    return float(np.clip(np.sqrt(300 / max(n, 1)), 0.35, 1.0))


def _base(n_alive: int) -> float:
    """Scale of the circles: smaller when many members share the picture."""
    return float(np.clip(np.sqrt(300 / max(n_alive, 1)), 0.45, 1.3))


def _radius(model: GiveTakeModel, slots: np.ndarray, n_alive: int) -> np.ndarray:
    """Node radius: area grows with wealth above the poorest member shown."""
    w = model.population.wealth[slots]
    alive_w = model.population.wealth[model.population.alive_slots()]
    lo = min(float(alive_w.min()) if len(alive_w) else 0.0, 0.0)
    hi = float(np.percentile(alive_w, 98)) if len(alive_w) else 1.0
    rel = np.clip((w - lo) / max(hi - lo, 1e-9), 0.0, 1.0)
    return _base(n_alive) * (_RADIUS_MIN + _RADIUS_SPAN * np.sqrt(rel))


def _margin(n_alive: int) -> float:
    """Room between the picture's edge and the view's bounds, in SVG units: the reach of
    the largest circle drawn (the richest member's with a newcomer's outline, or the ring
    of the member being inspected) and the rounding of coordinates to 0.1, so that a
    member on the bounds is drawn whole.  The same whether or not a member is inspected,
    so that a click does not rescale the picture.

    >>> _margin(300)
    14.35
    """
    widest = _base(n_alive) * (_RADIUS_MIN + _RADIUS_SPAN) + _FRESH_STROKE / 2
    return round(max(widest, _RING_R + _RING_WIDTH / 2) + 0.1, 6)


# -- charts ----------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return [float(t) for t in ticks]


def _tick_label(t: float) -> str:
    if abs(t) >= 10000:
        return f"{t / 1000:g}k"
    return f"{t:g}"


def line_chart(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str = "",
    colours: Mapping[str, str] | None = None,
    width: int = 420,
    height: int = 200,
    y_min: float | None = None,
    y_max: float | None = None,
    x_label: str = "week",
    legend: bool = False,
    dashed: Collection[str] = (),
) -> str:
    """A small SVG line chart: one polyline per named series of ``(x, y)``.

    ``y_min``/``y_max`` fix the vertical range (e.g. 0 to 1 for a rate);
    otherwise it follows the data.  The chart carries ``data-points`` (the
    number of points drawn), which tests use to tell an empty chart from a
    drawn one.  With ``legend``, a row of swatches under the title names every
    series in its colour (``<g class="gt-legend">``), wrapping onto more rows
    when they do not fit, above the plot so it never hides a line.  The series
    named in ``dashed`` are drawn dashed, in the plot and in the legend: a
    reference line (such as all members' mean beside the strategies' means)
    stays distinguishable from the others whatever their colours.

    >>> svg = line_chart({"a": ([0, 1], [1, 2]), "mean": ([0, 1], [1.5, 1.5])}, dashed={"mean"})
    >>> svg.count("stroke-dasharray")
    1
    """
    colours = dict(colours or {})
    left, right, top, bottom = 46, 10, 24, 30
    pw = width - left - right
    rows: list[list[tuple[str, str, float]]] = []  # legend rows of (name, colour, x)
    if legend:
        x = float(left)
        for i, name in enumerate(series):
            colour = colours.get(name, _EXTRA[i % len(_EXTRA)])
            w = 16 + 5.0 * len(name) + 12  # swatch, text at font size 10 (about 5 units a letter), gap
            if not rows or x + w - 12 > left + pw:
                rows.append([])
                x = float(left)
            rows[-1].append((name, colour, x))
            x += w
        top += 14 * len(rows)
    ph = height - top - bottom
    xs_all = [np.asarray(x, float) for x, _ in series.values()]
    ys_all = [np.asarray(y, float) for _, y in series.values()]
    points = sum(len(x) for x in xs_all)
    if points:
        x_lo = min(float(x.min()) for x in xs_all if len(x))
        x_hi = max(float(x.max()) for x in xs_all if len(x))
        finite = [y[np.isfinite(y)] for y in ys_all]
        lo = min((float(y.min()) for y in finite if len(y)), default=0.0)
        hi = max((float(y.max()) for y in finite if len(y)), default=1.0)
    else:
        x_lo, x_hi, lo, hi = 0.0, 1.0, 0.0, 1.0
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    lo = lo if y_min is None else y_min
    hi = hi if y_max is None else max(y_max, hi)
    yt = nice_ticks(lo, hi, 4)
    lo, hi = yt[0], yt[-1]
    xt = [t for t in nice_ticks(x_lo, x_hi, 5) if x_lo <= t <= x_hi and float(t).is_integer()]  # whole weeks

    def sx(x):
        return left + (np.asarray(x, float) - x_lo) / (x_hi - x_lo) * pw

    def sy(y):
        return top + ph - (np.asarray(y, float) - lo) / (hi - lo) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="gt-chart" '
        f'data-points="{points}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="15" font-size="13" font-weight="600" fill="#222">{escape(title)}</text>',
    ]
    for t in yt:
        y = float(sy(t))
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{left - 5}" y="{y + 4:.1f}" font-size="10" fill="#555" text-anchor="end">{_tick_label(t)}</text>'
        )
    for t in xt:
        x = float(sx(t))
        out.append(
            f'<text x="{x:.1f}" y="{top + ph + 14}" font-size="10" fill="#555" text-anchor="middle">{_tick_label(t)}</text>'
        )
    out.append(
        f'<text x="{left + pw}" y="{height - 3}" font-size="10" fill="#777" text-anchor="end">{escape(x_label)}</text>'
    )
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>')
    for i, (name, (x, y)) in enumerate(series.items()):
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        if len(x) == 0:
            continue
        colour = colours.get(name, _EXTRA[i % len(_EXTRA)])
        dash = f' stroke-dasharray="{_DASH}"' if name in dashed else ""
        px, py = sx(x), sy(np.clip(y, lo, hi))
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px.tolist(), py.tolist(), strict=True))
        if len(x) == 1:
            out.append(f'<circle cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="2.5" fill="{colour}"/>')
        else:
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
                f'stroke-linejoin="round"><title>{escape(name)}</title></polyline>'
            )
    if rows:
        out.append('<g class="gt-legend">')
        for r, row in enumerate(rows):
            y = 24 + 14 * r
            for name, colour, x in row:
                swatch = (
                    f'<line x1="{x:.1f}" x2="{x + 12:.1f}" y1="{y + 3}" y2="{y + 3}" stroke="{colour}" '
                    f'stroke-width="2" stroke-dasharray="{_LEGEND_DASH}"/>'
                    if name in dashed
                    else f'<rect x="{x:.1f}" y="{y + 1}" width="12" height="4" rx="1" fill="{colour}"/>'
                )
                out.append(
                    f'<g class="gt-legend-item" data-colour="{colour}">{swatch}'
                    f'<text x="{x + 16:.1f}" y="{y + 7}" font-size="10" fill="#333">{escape(name)}</text></g>'
                )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def metric_series(model: GiveTakeModel, name: str, from_week: int = 0) -> tuple[list[float], list[float]]:
    """``(weeks, values)`` of a model-level metric so far, from ``from_week`` on, without the
    weeks it was not measured (empty when the model does not record it)."""
    mv = model.datacollector.model_vars
    if name not in mv:
        return [], []
    pairs = [
        (s, y)
        for s, y in zip(mv["step"], mv[name], strict=False)
        if s >= from_week and y is not None and y == y
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def wealth_chart_label(name: str) -> str:
    """A strategy's name in the chart of mean wealth: its registry label, unless that reads as
    the chart's line of all members (:data:`ALL_MEMBERS`, whatever the case or spaces around
    it), when it is the strategy's ``name``, which as an identifier never does.

    >>> wealth_chart_label("otherish_giver"), wealth_chart_label("all_members")
    ('otherish giver', 'all_members')
    """
    shown = strategy_label(name)
    return name if shown.strip().casefold() == ALL_MEMBERS else shown


def wealth_chart(
    model: GiveTakeModel,
    names: Sequence[str],
    *,
    from_week: Mapping[str, int] | None = None,
    title: str = "Mean wealth by strategy",
    **options: Any,
) -> str:
    """The chart of mean wealth by strategy, the same in the app and the classroom: a line per
    strategy in ``names`` (the metric ``wealth_<name>``, from its ``from_week``, in the
    strategy's colour, named by :func:`wealth_chart_label`) and, last in the legend, the dashed
    black line of all members' mean wealth (the metric ``mean_wealth``: the mean over every
    member present that week, so the strategies' means weighted by their members).  ``options``
    go to :func:`line_chart` (``width``, ``height``; ``legend``, on unless given)."""
    from_week = from_week or {}
    shown = {n: wealth_chart_label(n) for n in names}
    return line_chart(
        {
            **{shown[n]: metric_series(model, f"wealth_{n}", from_week.get(n, 0)) for n in names},
            ALL_MEMBERS: metric_series(model, "mean_wealth"),
        },
        title=title,
        colours={**{shown[n]: strategy_colour(n) for n in names}, ALL_MEMBERS: ALL_MEMBERS_COLOUR},
        dashed={ALL_MEMBERS},
        **{"legend": True, **options},
    )


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """A one-line HTML legend of ``(label, colour)`` swatches."""
    parts = [
        f'<span style="display:inline-flex;align-items:center;margin-right:14px;white-space:nowrap">'
        f'<span style="width:12px;height:12px;border-radius:50%;background:{c};display:inline-block;'
        f'margin-right:5px"></span>{escape(label)}</span>'
        for label, c in items
    ]
    return '<div class="gt-legend" style="font-size:13px;line-height:1.9">' + "".join(parts) + "</div>"
