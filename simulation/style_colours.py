"""One colour per networking style, the same in the report's figures and in the app.

The built-in styles have fixed colours (matplotlib's ``tab10``, in the order the main
experiment lists them, so figures keep the colours they have always had); any other name
gets one of the remaining ``tab10`` colours picked by its name (crc32, so every process
agrees).  :func:`style_colours` gives a list of names pairwise distinct colours where it
can, falling back to the figure's colour cycle when two names would share one.

Examples
--------
>>> style_colour("open_mixer"), style_colour("referral_group")
('#1f77b4', '#ff7f0e')
>>> style_colour("my_style") == style_colour("my_style")
True
>>> len(set(style_colours(["open_mixer", "referral_group", "paid_events"]).values()))
3
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

__all__ = ["TAB10", "BUILTIN_STYLE_COLOURS", "style_colour", "style_colours"]

#: matplotlib's ``tab10`` colour cycle (the default of every figure)
TAB10 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

#: the built-in networking styles, in the order the main experiment lists them
#: (simulation/builtin/experiments/networking_styles.toml)
BUILTIN_STYLE_COLOURS = dict(
    zip(
        (
            "open_mixer",
            "referral_group",
            "paid_events",
            "online_platform",
            "connectors",
            "relationships_vs_numbers",
            "taker_invasion",
        ),
        TAB10,
    )
)
_OTHERS = tuple(c for c in TAB10 if c not in BUILTIN_STYLE_COLOURS.values())


def style_colour(name: str) -> str:
    """The ``#rrggbb`` colour of the networking style (scenario) called ``name``."""
    fixed = BUILTIN_STYLE_COLOURS.get(name)
    if fixed is not None:
        return fixed
    return _OTHERS[zlib.crc32(name.encode()) % len(_OTHERS)]


def style_colours(names: Sequence[str]) -> dict[str, str]:
    """Colours for the conditions of one figure: each style's own colour when the names
    are styles with pairwise distinct colours; otherwise ``tab10`` in the order given
    (conditions that are not styles, or too many to tell apart by name)."""
    own = {n: style_colour(n) for n in names}
    if len(set(own.values())) == len(own):
        return own
    return {n: TAB10[i % len(TAB10)] for i, n in enumerate(dict.fromkeys(names))}
