"""The interactive classroom app (Solara): watch a networking ecosystem grow or crumble.

Start it with ``givetake app`` and open the address it prints, or show it
in a Jupyter notebook::

    from simulation.app import Page
    Page()

See ``docs/app.md``.
"""

from __future__ import annotations

__all__ = ["Page"]


def __getattr__(name: str):
    # Solara is imported only when the page itself is wanted
    if name == "Page":
        from .page import Page

        return Page
    raise AttributeError(name)
