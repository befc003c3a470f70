"""Tracking: ecosystems followed between detections by membership overlap, with life events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .life import format_ids

__all__ = ["EVENTS", "EcosystemTracker"]

#: the events of an ecosystem's life (Palla, Barabási & Vicsek 2007)
EVENTS = ("birth", "growth", "contraction", "merge", "split", "death")


class EcosystemTracker:
    """Follows communities across detections and records their life events.

    Two communities of consecutive detections *match* when the Jaccard index
    of their member sets, ``|A & B| / |A | B|``, is at least ``jaccard``.
    Then, for each detection:

    - a community with no match in the previous detection is a **birth**;
    - a previous community with no match now is a **death**;
    - a community matching several previous ones is a **merge**;
    - a previous community matching several current ones is a **split**;
    - a one-to-one match is a **growth** (or **contraction**) when the size
      grew (or shrank) by at least ``change`` times the previous size, and no
      event otherwise.

    Ids are handed on greedily along matches, largest overlap first: each
    previous id continues in at most one current community, so after a split
    the largest part keeps the id and after a merge the id of the community
    that contributed most survives.  Other communities get fresh ids (counting
    up from 0).  Members are given as integers (member slots, or any integer ids).

    Attributes
    ----------
    groups : dict id -> sorted member array of the last detection
    born : dict id -> step of birth
    events : list of event rows (``step, event, ecosystem, size, previous_size,
        sources, targets``)

    Examples
    --------
    >>> t = EcosystemTracker()
    >>> t.update(0, [set(range(10))])
    [0]
    >>> t.update(1, [set(range(5)), set(range(5, 10))])  # halves: a split
    [0, 1]
    >>> [(e["event"], e["ecosystem"], e["targets"]) for e in t.events[1:]]
    [('split', 0, '0,1')]
    """

    def __init__(self, jaccard: float = 0.3, change: float = 0.1):
        if not 0.0 < jaccard <= 1.0:
            raise ValueError(f"jaccard = {jaccard!r}: expected a number in (0, 1]")
        self.jaccard = float(jaccard)
        self.change = float(change)
        self.groups: dict[int, np.ndarray] = {}
        self.born: dict[int, int] = {}
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def update(self, step: int, groups: Sequence[Iterable[int]]) -> list[int]:
        """Record the communities found at ``step``; returns their ids, in the given order."""
        cur = _sorted_groups(groups)
        prev_ids = sorted(self.groups)
        prev = [self.groups[i] for i in prev_ids]
        pairs = _overlaps(prev, cur)  # (p index, c index, intersection)
        psize = np.array([len(g) for g in prev], np.int64)
        csize = np.array([len(g) for g in cur], np.int64)
        succ: dict[int, list[int]] = {}
        pred: dict[int, list[int]] = {}
        matched = []
        for p, c, inter in pairs:
            jac = inter / (psize[p] + csize[c] - inter)
            if jac >= self.jaccard:
                matched.append((-inter, -jac, prev_ids[p], c, p))
                succ.setdefault(p, []).append(c)
                pred.setdefault(c, []).append(p)
        ids: list[int | None] = [None] * len(cur)
        used: set[int] = set()
        for _, _, pid, c, _ in sorted(matched):
            if ids[c] is None and pid not in used:
                ids[c] = pid
                used.add(pid)
        for c in range(len(cur)):
            if ids[c] is None:
                ids[c] = self.next_id
                self.born[self.next_id] = step
                self.next_id += 1
        final = [int(i) for i in ids]  # type: ignore[arg-type]

        events = []
        for c, eid in enumerate(final):
            ps = pred.get(c, [])
            if not ps:
                events.append(self._event(step, "birth", eid, csize[c], 0, [], [eid]))
            elif len(ps) > 1:
                src = sorted(prev_ids[p] for p in ps)
                events.append(self._event(step, "merge", eid, csize[c], int(psize[ps].sum()), src, [eid]))
            else:
                p = ps[0]
                if len(succ[p]) == 1:
                    before, after = int(psize[p]), int(csize[c])
                    if after > before and after - before >= self.change * before:
                        events.append(self._event(step, "growth", eid, after, before, [eid], [eid]))
                    elif after < before and before - after >= self.change * before:
                        events.append(self._event(step, "contraction", eid, after, before, [eid], [eid]))
        for p, pid in enumerate(prev_ids):
            cs = succ.get(p, [])
            if not cs:
                events.append(self._event(step, "death", pid, 0, psize[p], [pid], []))
            elif len(cs) > 1:
                tgt = sorted(final[c] for c in cs)
                events.append(self._event(step, "split", pid, int(csize[cs].sum()), psize[p], [pid], tgt))
        events.sort(key=lambda e: (EVENTS.index(e["event"]), e["ecosystem"]))
        self.events.extend(events)
        for pid in prev_ids:
            if pid not in used:
                self.born.pop(pid, None)
        self.groups = dict(zip(final, cur))
        return final

    @staticmethod
    def _event(step, event, eid, size, previous, sources, targets) -> dict[str, Any]:
        return {
            "step": int(step),
            "event": event,
            "ecosystem": int(eid),
            "size": int(size),
            "previous_size": int(previous),
            "sources": format_ids(sources),
            "targets": format_ids(targets),
        }

    def counts(self) -> dict[str, int]:
        """Number of events of each kind so far (every kind present, 0 if none)."""
        out = dict.fromkeys(EVENTS, 0)
        for e in self.events:
            out[e["event"]] += 1
        return out


def _sorted_groups(groups: Sequence[Iterable[int]]) -> list[np.ndarray]:
    """Each group's members, sorted and each once (``np.unique``); groups of integer arrays
    already so (as :func:`~simulation.ecosystems.detection.groups_from_labels` gives them) are
    checked all at once and copied as they are."""
    if groups and all(isinstance(g, np.ndarray) and g.ndim == 1 and g.dtype == np.int64 for g in groups):
        sizes = np.array([len(g) for g in groups])
        flat = np.concatenate(groups)
        rising = np.diff(flat) > 0
        starts = np.cumsum(sizes)[:-1]  # where each group after the first starts
        rising[starts[(starts > 0) & (starts < len(flat))] - 1] = True  # from one group to the next
        if rising.all():
            return np.split(flat, starts)
    return [
        np.unique(np.fromiter(g, np.int64)) if not isinstance(g, np.ndarray) else np.unique(g) for g in groups
    ]


def _overlaps(prev: list[np.ndarray], cur: list[np.ndarray]) -> list[tuple[int, int, int]]:
    """``(i, j, |prev[i] & cur[j]|)`` for every pair that shares a member."""
    if not prev or not cur:
        return []
    pm = np.concatenate(prev)
    pl = np.repeat(np.arange(len(prev)), [len(g) for g in prev])
    cm = np.concatenate(cur)
    cl = np.repeat(np.arange(len(cur)), [len(g) for g in cur])
    _, ia, ib = np.intersect1d(pm, cm, assume_unique=True, return_indices=True)
    key = pl[ia] * len(cur) + cl[ib]
    keys, counts = np.unique(key, return_counts=True)
    return [(int(k // len(cur)), int(k % len(cur)), int(n)) for k, n in zip(keys, counts)]
