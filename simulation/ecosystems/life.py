"""Life stories: one row per ecosystem, from its rows and events."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["FATES", "format_ids", "parse_ids", "life_stories"]

#: how an ecosystem's life ends (``alive``: not yet), the ``fate`` of :func:`life_stories`
FATES = ("alive", "died", "merged", "split")


def format_ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def parse_ids(text: str) -> list[int]:
    """Ecosystem ids from a ``sources``/``targets`` cell (``"3,7"`` -> ``[3, 7]``)."""
    return [int(x) for x in str(text).split(",") if x != ""]


def life_stories(ecosystems: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per ecosystem: where it came from, how it lived and how it ended.

    Built from the ``ecosystems`` and ``events`` tables of a run (so it also
    works on saved results).  Columns: ``ecosystem, born, last_seen, lifetime,
    detections, origin`` (``new``, ``split`` or ``merge``), ``parents`` (ids it
    split from), ``fate`` (``alive``, ``died``, ``merged`` or ``split``),
    ``ended`` (week of the end, NaN while alive), ``successors`` (ids that
    carried on its members), ``peak_size, final_size, mean_goal_attainment,
    value_created`` (over its life), ``taker_share_first, taker_share_last``
    (when the run has takers) and ``story`` (its events in order, e.g.
    ``"birth > growth > merge > death"``).

    Examples
    --------
    >>> from simulation.ecosystems import EcosystemTracker
    >>> t = EcosystemTracker()
    >>> _ = t.update(0, [set(range(8)), set(range(8, 14))])
    >>> _ = t.update(10, [set(range(14))])
    >>> eco = pd.DataFrame({"step": [0, 0, 10], "ecosystem": [0, 1, 0], "size": [8, 6, 14]})
    >>> lives = life_stories(eco, pd.DataFrame(t.events))
    >>> lives[["ecosystem", "fate", "ended", "successors", "story"]].to_dict("records")
    [{'ecosystem': 0, 'fate': 'alive', 'ended': nan, 'successors': '', 'story': 'birth > merge'}, \
{'ecosystem': 1, 'fate': 'merged', 'ended': 10.0, 'successors': '0', 'story': 'birth > merge'}]
    """
    columns = [
        "ecosystem", "born", "last_seen", "lifetime", "detections", "origin", "parents", "fate", "ended",
        "successors", "peak_size", "final_size", "mean_goal_attainment", "value_created",
        "taker_share_first", "taker_share_last", "story",
    ]  # fmt: skip
    if len(ecosystems) == 0:
        return pd.DataFrame(columns=columns)
    involved: dict[int, list[tuple[int, str, list[int], list[int]]]] = {}
    for row in events.itertuples(index=False):
        src, tgt = parse_ids(row.sources), parse_ids(row.targets)
        for eid in {int(row.ecosystem), *src, *tgt}:
            involved.setdefault(eid, []).append((int(row.step), str(row.event), src, tgt))
    out = []
    for eid, rows in ecosystems.sort_values("step").groupby("ecosystem", sort=True):
        eid = int(eid)
        origin, parents, fate, ended, successors, story = "new", [], "alive", np.nan, [], []
        for step, kind, src, tgt in involved.get(eid, []):
            story.append(kind)
            if eid in tgt and eid not in src and src:
                origin, parents = kind, src
            if eid in src and eid not in tgt:
                fate = {"death": "died", "merge": "merged", "split": "split"}.get(kind, kind)
                ended, successors = step, tgt
        first, last = rows.iloc[0], rows.iloc[-1]
        goal = rows["goal_attainment"].mean() if "goal_attainment" in rows else np.nan
        value = rows["value_created"].sum() if "value_created" in rows else np.nan
        taker = "share_taker" in rows
        out.append(
            {
                "ecosystem": eid,
                "born": int(first["step"]),
                "last_seen": int(last["step"]),
                "lifetime": int(last["step"] - first["step"]),
                "detections": len(rows),
                "origin": origin,
                "parents": format_ids(parents),
                "fate": fate,
                "ended": ended,
                "successors": format_ids(successors),
                "peak_size": int(rows["size"].max()),
                "final_size": int(last["size"]),
                "mean_goal_attainment": float(goal),
                "value_created": float(value),
                "taker_share_first": float(first["share_taker"]) if taker else np.nan,
                "taker_share_last": float(last["share_taker"]) if taker else np.nan,
                "story": " > ".join(story),
            }
        )
    return pd.DataFrame(out, columns=columns)
