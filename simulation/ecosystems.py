"""Ecosystems: which groups form, grow, split, merge or collapse, and why.

An *ecosystem* (seed 000) is a community of the strength-weighted tie graph:
members who work with each other more than with the rest.  The
:class:`Ecosystems` mechanism finds them every ``every`` steps by seeded
modularity optimisation (:func:`detect_communities`: igraph's Leiden, started
from the previous detection, or networkx's Louvain, Blondel et al. 2008),
follows them from one detection to the next by membership overlap
(:class:`EcosystemTracker`,
Jaccard index, after Greene, Doyle & Cunningham 2010) and names what happened
to each with the events of Palla, Barabási & Vicsek (2007, *Nature* 446:664):
birth, growth, contraction, merge, split and death.  At the end of a run it
judges the whole network ``flourishing``, ``stable`` or ``collapsed``
(:func:`judge`) and measures who is influential (:func:`influence_measures`).
Definitions of every column and criterion are in ``docs/ecosystems.md``.

Outputs of a run
----------------
tables ``ecosystems`` (one row per ecosystem per detection), ``events`` (one
row per event), ``ecosystem_lives`` (one row per ecosystem,
:func:`life_stories`) and ``influence`` (one row per member at the end); in
the summary ``verdict``, ``collapse_step``, ``collapse_reason``,
``ecosystem_events`` (count per event), ``ecosystem_method``,
``ecosystem_stats`` and ``influence`` (correlations with rank); per-step
metrics ``ecosystems`` (count) and ``largest_ecosystem`` (share of members in
the largest one).

Live accessors (for the app)
----------------------------
``model.mechanism("ecosystems").current``
    dict member slot -> ecosystem id at the last detection (members in no
    ecosystem are absent).
``.labels``
    the same as a numpy array over slots (-1: no ecosystem).
``.events``
    list of event rows (dicts with the columns of ``events``) so far.
``.rows``
    list of ecosystem rows (dicts with the columns of ``ecosystems``) so far.
``.verdict()``
    the :class:`Verdict` from the steps so far.

Examples
--------
>>> tracker = EcosystemTracker(jaccard=0.3)
>>> tracker.update(0, [{1, 2, 3, 4}, {5, 6, 7, 8}])
[0, 1]
>>> tracker.update(10, [{1, 2, 3, 4, 5, 6, 7, 8}])  # the two fuse
[0]
>>> [(e["event"], e["sources"], e["targets"]) for e in tracker.events if e["step"] == 10]
[('merge', '0,1', '0')]
"""

from __future__ import annotations

import importlib.util
import math
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .arrays import rank_in_groups
from .mechanisms.base import Mechanism, Param, mechanism

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = [
    "EVENTS",
    "VERDICTS",
    "Ecosystems",
    "EcosystemTracker",
    "VerdictCriteria",
    "Verdict",
    "judge",
    "detect_communities",
    "community_backend",
    "influence_measures",
    "burt_constraint",
    "burt_effective_size",
    "trust_pagerank",
    "parse_ids",
    "life_stories",
]

#: the events of an ecosystem's life (Palla, Barabási & Vicsek 2007)
EVENTS = ("birth", "growth", "contraction", "merge", "split", "death")
#: the possible run verdicts
VERDICTS = ("flourishing", "stable", "collapsed")

_IGRAPH_LOCK = threading.Lock()


def _ids(ids: Iterable[int]) -> str:
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
                "parents": _ids(parents),
                "fate": fate,
                "ended": ended,
                "successors": _ids(successors),
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


# ---------------------------------------------------------------------------
# detection
# ---------------------------------------------------------------------------
def community_backend(method: str = "auto") -> str:
    """The community detection backend ``method`` resolves to: ``igraph`` or ``networkx``.

    ``auto`` picks igraph's Leiden when the ``igraph`` package is installed
    (faster, and warm-started from the previous detection, see
    ``docs/ecosystems.md``), else networkx's Louvain.
    """
    if method == "networkx":
        return "networkx"
    if importlib.util.find_spec("igraph") is None:
        if method == "igraph":
            raise ImportError("ecosystems method 'igraph' needs the igraph package (pip install igraph)")
        return "networkx"
    return "igraph"


def detect_communities(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    weight: np.ndarray,
    *,
    resolution: float = 1.0,
    seed: int = 0,
    method: str = "auto",
    initial: np.ndarray | None = None,
    iterations: int = 2,
) -> np.ndarray:
    """Communities of a weighted graph on nodes ``0..n-1`` by modularity; a label per node.

    With igraph: the Leiden algorithm (Traag, Waltman & van Eck 2019), started
    from ``initial`` when given (a label per node: the previous detection, so
    that the partition changes only where the graph did).  With networkx:
    Louvain (Blondel et al. 2008), always from scratch.

    Parameters
    ----------
    n : number of nodes
    u, v, weight : the edges ``u[k] -- v[k]`` (each once) and their weights (> 0)
    resolution : modularity resolution; above 1 favours smaller communities
    seed : seeds the algorithm, so one seed gives one partition
    method : ``auto``, ``igraph`` or ``networkx`` (see :func:`community_backend`)
    initial : optional starting label per node (igraph only)
    iterations : Leiden iterations (igraph only); -1 iterates until the partition is stable

    Returns
    -------
    numpy.ndarray
        Community index of every node (isolated nodes get communities of their own).

    Examples
    --------
    >>> u = np.array([0, 0, 1, 3, 3, 4, 2]); v = np.array([1, 2, 2, 4, 5, 5, 3])
    >>> lab = detect_communities(6, u, v, np.ones(7), seed=1, method="networkx")
    >>> bool(lab[0] == lab[1] == lab[2] != lab[3] == lab[4] == lab[5])
    True
    """
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    w = np.maximum(np.asarray(weight, float), 1e-12)
    labels = np.arange(n, dtype=np.int64)
    if n == 0 or len(u) == 0:
        return labels
    if community_backend(method) == "igraph":
        import igraph as ig

        g = ig.Graph(n=n, edges=np.column_stack([u, v]))
        start = None
        if initial is not None:
            start = np.unique(np.asarray(initial), return_inverse=True)[1].tolist()
        # igraph draws from one global generator: seed it for this call (one call at a
        # time, so runs in threads of one process stay reproducible), then restore it
        with _IGRAPH_LOCK:
            ig.set_random_number_generator(random.Random(int(seed)))
            try:
                found = g.community_leiden(
                    objective_function="modularity",
                    weights=w,
                    resolution=resolution,
                    initial_membership=start,
                    n_iterations=iterations,
                )
            finally:
                ig.set_random_number_generator(random)
        return np.asarray(found.membership, np.int64)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()), weight="strength")
    comms = nx.community.louvain_communities(g, weight="strength", resolution=resolution, seed=int(seed))
    for i, c in enumerate(comms):
        labels[list(c)] = i
    return labels


def groups_from_labels(labels: np.ndarray, nodes: np.ndarray, min_size: int = 1) -> list[np.ndarray]:
    """Members grouped by label, groups of at least ``min_size``, largest first.

    Ties in size are ordered by the smallest member, so the order (and the ids
    a tracker gives) depends only on the partition.

    Examples
    --------
    >>> [g.tolist() for g in groups_from_labels(np.array([1, 0, 1, 2, 0]), np.array([10, 11, 12, 13, 14]), 2)]
    [[10, 12], [11, 14]]
    """
    if len(labels) == 0:
        return []
    order = np.lexsort((nodes, labels))
    lab, members = labels[order], nodes[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    groups = [g for g in np.split(members, cuts) if len(g) >= min_size]
    groups.sort(key=lambda g: (-len(g), int(g[0])))
    return groups


# ---------------------------------------------------------------------------
# tracking
# ---------------------------------------------------------------------------
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
        cur = [
            np.unique(np.fromiter(g, np.int64)) if not isinstance(g, np.ndarray) else np.unique(g)
            for g in groups
        ]
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
            "sources": _ids(sources),
            "targets": _ids(targets),
        }

    def counts(self) -> dict[str, int]:
        """Number of events of each kind so far (every kind present, 0 if none)."""
        out = dict.fromkeys(EVENTS, 0)
        for e in self.events:
            out[e["event"]] += 1
        return out


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


# ---------------------------------------------------------------------------
# verdict
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class VerdictCriteria:
    """The thresholds of :func:`judge` (defaults as in the mechanism's parameters)."""

    window: int = 10
    sustain: int = 20
    value_fraction: float = 0.5
    min_value: float = 0.05
    giant_fraction: float = 0.5
    flourish_fulfilment: float = 0.6
    flourish_value: float = 0.8


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`judge`."""

    verdict: str
    collapse_step: int | None = None
    reason: str | None = None


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of each entry and the ``window - 1`` before it (fewer at the start)."""
    if len(x) == 0:
        return np.zeros(0)
    padded = np.concatenate([np.full(window - 1, np.nan), np.asarray(x, float)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    counts = np.minimum(np.arange(1, len(x) + 1), window)
    return np.nansum(windows, axis=1) / counts


def _first_sustained(flag: np.ndarray, sustain: int) -> int | None:
    """Index at which ``flag`` has been true for ``sustain`` consecutive entries, or None."""
    run = 0
    for i, f in enumerate(flag):
        run = run + 1 if f else 0
        if run >= sustain:
            return i
    return None


def judge(
    steps: np.ndarray,
    value: np.ndarray,
    giant: np.ndarray | None = None,
    needs: np.ndarray | None = None,
    met: np.ndarray | None = None,
    criteria: VerdictCriteria = VerdictCriteria(),
) -> Verdict:
    """Judge a run from its per-step series.

    Parameters
    ----------
    steps : the step numbers
    value : business value created per member in each step
    giant : share of members in the largest connected component (NaN: not measured)
    needs, met : needs that arose and needs that were met, per step
    criteria : the thresholds

    A run has **collapsed** at the first step where, for ``sustain``
    consecutive steps, either the value created per member (mean over the last
    ``window`` steps) stayed below ``value_fraction`` times its peak so far or
    below ``min_value`` (reason ``"value"``), or the giant component stayed
    below ``giant_fraction`` of the members (reason ``"fragmentation"``).
    Otherwise it is **flourishing** when, at the end, the value created per
    member is at least ``flourish_value`` times its peak, at least
    ``flourish_fulfilment`` of the needs of the last ``window`` steps were met
    and the giant component holds at least ``giant_fraction`` of the members;
    else **stable**.

    Examples
    --------
    >>> steps = np.arange(1, 61)
    >>> judge(steps, np.r_[np.ones(30), np.zeros(30)])  # value stops: collapse after 20 low steps
    Verdict(verdict='collapsed', collapse_step=55, reason='value')
    """
    steps = np.asarray(steps)
    value = np.asarray(value, float)
    if len(steps) == 0:
        return Verdict("stable")
    smooth = _trailing_mean(value, criteria.window)
    peak = np.maximum.accumulate(smooth)
    stalled = (smooth < criteria.value_fraction * peak) | (smooth < criteria.min_value)
    found: list[tuple[int, str]] = []
    i = _first_sustained(stalled, criteria.sustain)
    if i is not None:
        found.append((i, "value"))
    g = None
    if giant is not None:
        g = np.asarray(giant, float)
        i = _first_sustained(g < criteria.giant_fraction, criteria.sustain)  # NaN compares False
        if i is not None:
            found.append((i, "fragmentation"))
    if found:
        i, reason = min(found)
        return Verdict("collapsed", int(steps[i]), reason)
    ok = smooth[-1] >= criteria.flourish_value * peak[-1]
    if needs is not None and met is not None:
        w = slice(max(len(steps) - criteria.window, 0), None)
        total = float(np.sum(np.asarray(needs, float)[w]))
        ok &= total > 0 and float(np.sum(np.asarray(met, float)[w])) / total >= criteria.flourish_fulfilment
    if g is not None:
        known = g[~np.isnan(g)]
        ok &= len(known) == 0 or known[-1] >= criteria.giant_fraction
    return Verdict("flourishing" if ok else "stable")


# ---------------------------------------------------------------------------
# influence
# ---------------------------------------------------------------------------
def trust_pagerank(
    n: int, src: np.ndarray, dst: np.ndarray, trust: np.ndarray, alpha: float = 0.85, tol: float = 1e-10
) -> np.ndarray:
    """PageRank of the directed trust graph: ``src -> dst`` weighted by ``src``'s trust in ``dst``.

    A member is central when members who are central trust it; members who
    trust nobody spread their weight evenly.  Same as ``networkx.pagerank``
    with ``weight`` = trust (tested), but vectorised.
    """
    if n == 0:
        return np.zeros(0)
    w = np.maximum(np.asarray(trust, float), 0.0)
    out = np.bincount(src, weights=w, minlength=n)
    keep = out[src] > 0
    m = sp.csr_matrix((w[keep] / out[src[keep]], (dst[keep], src[keep])), shape=(n, n))
    dangling = out <= 0
    x = np.full(n, 1.0 / n)
    for _ in range(1000):
        new = alpha * (m @ x + x[dangling].sum() / n) + (1.0 - alpha) / n
        done = np.abs(new - x).sum() < n * tol
        x = new
        if done:
            break
    return x / x.sum()


def _row_normalised(a: sp.csr_matrix, by: np.ndarray) -> sp.csr_matrix:
    with np.errstate(divide="ignore"):
        inv = np.where(by > 0, 1.0 / by, 0.0)
    return sp.diags(inv) @ a


def burt_constraint(a: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Burt's constraint of the nodes ``rows`` of a symmetric weighted adjacency ``a``.

    ``c_i = sum_j (p_ij + sum_q p_iq p_qj)^2`` over neighbours ``j``, with
    ``p_ij = a_ij / sum_k a_ik`` (Burt 1992).  Equals ``networkx.constraint``
    with the same weights (tested); NaN for isolated nodes.
    """
    a = sp.csr_matrix(a)
    p = _row_normalised(a, np.asarray(a.sum(axis=1)).ravel()).tocsr()
    pr = p[rows]
    mask = (a[rows] != 0).astype(float)
    z = (pr @ p).multiply(mask) + pr
    c = np.asarray(z.multiply(z).sum(axis=1)).ravel()
    deg = np.diff(a.indptr)[rows]
    return np.where(deg > 0, c, np.nan)


def burt_effective_size(a: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Burt's effective size of the nodes ``rows`` of a symmetric weighted adjacency ``a``.

    ``e_i = sum_j (1 - sum_q p_iq m_jq)`` over neighbours ``j``, with ``p`` as
    in :func:`burt_constraint` and ``m_jq = a_jq / max_k a_jk``.  Equals
    ``networkx.effective_size`` with the same weights (tested); NaN for
    isolated nodes.
    """
    a = sp.csr_matrix(a)
    p = _row_normalised(a, np.asarray(a.sum(axis=1)).ravel()).tocsr()
    m = _row_normalised(a, np.asarray(a.max(axis=1).todense()).ravel()).tocsr()
    mask = (a[rows] != 0).astype(float)
    redundancy = np.asarray((p[rows] @ m.T).multiply(mask).sum(axis=1)).ravel()
    deg = np.diff(a.indptr)[rows]
    return np.where(deg > 0, deg - redundancy, np.nan)


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    r = float(np.corrcoef(rx, ry)[0, 1])
    return None if math.isnan(r) else r


def influence_measures(
    model: GiveTakeModel, sample: int = 2000, rng: np.random.Generator | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Influence versus rank (seed 001: the most trusted with the broadest connections).

    Per member: ``centrality`` (:func:`trust_pagerank`, scaled so the mean
    member has 1), ``degree``, and Burt's brokerage measures ``effective_size``
    and ``constraint`` on the strength-weighted graph (for at most ``sample``
    members drawn with ``rng`` when there are more; NaN for the others).

    Returns the per-member table and a summary with Spearman correlations
    (``rank_centrality`` is the influence-rank correlation).
    """
    pop, ties = model.population, model.ties
    alive = pop.alive_slots()
    n = len(alive)
    index = np.full(pop.size, -1, np.int64)
    index[alive] = np.arange(n)
    e = ties.live()
    e = e[(index[ties.u[e]] >= 0) & (index[ties.v[e]] >= 0)]
    u, v = index[ties.u[e]], index[ties.v[e]]
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    trust = np.concatenate([ties.trust[e, 0], ties.trust[e, 1]])
    centrality = trust_pagerank(n, src, dst, trust) * n
    strength = np.maximum(np.concatenate([ties.strength[e], ties.strength[e]]), 1e-12)
    a = sp.csr_matrix((strength, (src, dst)), shape=(n, n))
    degree = np.diff(a.indptr)
    if sample and n > sample:
        gen = rng if rng is not None else np.random.default_rng(0)
        rows = np.sort(gen.choice(n, sample, replace=False))
    else:
        rows = np.arange(n)
    eff = np.full(n, np.nan)
    con = np.full(n, np.nan)
    if n:
        eff[rows] = burt_effective_size(a, rows)
        con[rows] = burt_constraint(a, rows)
    rank = pop.rank[alive].astype(float)
    strategy = np.array(model.strategy_names, dtype=object)[pop.strategy[alive]] if n else np.zeros(0, object)
    table = pd.DataFrame(
        {
            "slot": alive,
            "unique_id": [model.members[s].unique_id for s in alive],
            "strategy": strategy,
            "rank": pop.rank[alive].astype(np.int64),
            "degree": degree,
            "centrality": centrality,
            "effective_size": eff,
            "constraint": con,
        }
    )
    by_strategy = {}
    for i, name in enumerate(model.strategy_names):
        sel = pop.strategy[alive] == i
        if sel.any():
            by_strategy[name] = float(centrality[sel].mean())
    summary = {
        "members": int(n),
        "brokerage_members": int(len(rows)),
        "rank_centrality": _spearman(rank, centrality),
        "rank_effective_size": _spearman(rank, eff),
        "rank_constraint": _spearman(rank, con),
        "rank_degree": _spearman(rank, degree.astype(float)),
        "centrality_effective_size": _spearman(centrality, eff),
        "centrality_constraint": _spearman(centrality, con),
        "centrality_by_strategy": by_strategy,
    }
    return table, summary


# ---------------------------------------------------------------------------
# the mechanism
# ---------------------------------------------------------------------------
@mechanism
class Ecosystems(Mechanism):
    """Detect, track and judge ecosystems (communities of the tie graph).

    Every ``every`` steps (and once at the start) the strength-weighted tie
    graph of the members is split into communities (:func:`detect_communities`,
    seeded from a generator spawned from the model's, so measuring never
    changes the run); communities of at least ``min_size`` members are ecosystems, followed
    across detections by :class:`EcosystemTracker`.  Each step the mechanism
    records what the verdict needs (value created, needs met); the run's
    verdict follows :func:`judge`.  Put it last in the pipeline: it reads what
    happened in the step.
    """

    name = "ecosystems"
    PARAMS = {
        "every": Param(10, "steps between two detections of ecosystems (0: never detect)", 0, None),
        "resolution": Param(1.0, "modularity resolution: above 1 finds smaller ecosystems", 0.0, None),
        "method": Param(
            "auto",
            "community detection: 'igraph' (Leiden, needs the igraph package), "
            "'networkx' (Louvain), or 'auto' (igraph when installed)",
            choices=("auto", "igraph", "networkx"),
        ),
        "warm_start": Param(
            True, "start each detection from the previous one (igraph only): ecosystems keep their identity"
        ),
        "iterations": Param(
            2, "Leiden iterations per detection (igraph only; -1: until the partition is stable)", -1, None
        ),
        "jaccard": Param(0.3, "overlap (Jaccard index) at which two detections' ecosystems match", 0.01, 1.0),
        "change": Param(0.1, "relative change in size that counts as growth or contraction", 0.0, None),
        "min_size": Param(3, "smallest community that counts as an ecosystem", 1, None),
        "window": Param(10, "steps over which value created per member is averaged", 1, None),
        "sustain": Param(
            20, "steps a collapse condition must hold before the run counts as collapsed", 1, None
        ),
        "value_fraction": Param(0.5, "collapse: value per member below this share of its peak", 0.0, 1.0),
        "min_value": Param(0.05, "collapse: value per member per step below this", 0.0, None),
        "giant_fraction": Param(
            0.5, "collapse: largest connected component below this share of members", 0.0, 1.0
        ),
        "flourish_fulfilment": Param(
            0.6, "flourishing: share of needs met at the end at least this", 0.0, 1.0
        ),
        "flourish_value": Param(
            0.8, "flourishing: value per member at the end at least this share of its peak", 0.0, 1.0
        ),
        "influence_sample": Param(2000, "members for whom brokerage is measured (0: all)", 0, None),
    }

    def setup(self, model: GiveTakeModel) -> None:
        # a generator of our own, spawned from the model's: measuring ecosystems
        # never changes the run it measures
        base = getattr(model, "metrics_rng", model.rng)
        try:
            self.rng = base.spawn(1)[0]
        except (AttributeError, TypeError, ValueError):
            self.rng = np.random.default_rng(base.integers(2**63))
        self.backend = community_backend(self.method)
        self.tracker = EcosystemTracker(self.jaccard, self.change)
        self.labels = np.full(0, -1, np.int64)
        self._partition = np.full(0, -1, np.int64)  # every community of the last detection
        self.current: dict[int, int] = {}
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self.largest = 0.0
        self.detections: list[int] = []
        # per-step series for the verdict
        self.series: dict[str, list[float]] = {k: [] for k in ("step", "value", "giant", "needs", "met")}
        self._giant = float("nan")
        # accumulated between detections
        self._needs = np.zeros(0, np.int64)
        self._gifts: list[tuple[np.ndarray, np.ndarray]] = []
        self._mark = np.zeros(0)
        self._grow(model)
        pop = model.population
        self._mark[: pop.size] = pop.wealth[: pop.size]
        exchange = model.mechanism("exchange")
        # value created by help: b - c per gift (None: fall back to all changes of wealth)
        self._gift_value = (exchange.b, exchange.c) if exchange is not None else None
        self._influence: tuple[int, pd.DataFrame, dict] | None = None
        model.extra_metrics["ecosystems"] = lambda m: self.count
        model.extra_metrics["largest_ecosystem"] = lambda m: self.largest
        if self.every:
            self.detect(model)

    @property
    def method_used(self) -> str:
        """The detection algorithm actually used, e.g. ``"igraph-leiden-warm"``."""
        if self.backend == "networkx":
            return "networkx-louvain"
        return "igraph-leiden-warm" if self.warm_start else "igraph-leiden"

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event rows so far (see ``docs/ecosystems.md``)."""
        return self.tracker.events

    def _grow(self, model: GiveTakeModel) -> None:
        n = model.population.size
        if len(self._needs) < n:
            cap = max(n, 2 * len(self._needs), 16)
            self._needs = np.concatenate([self._needs, np.zeros(cap - len(self._needs), np.int64)])
            self._mark = np.concatenate([self._mark, np.zeros(cap - len(self._mark))])

    def on_join(self, model: GiveTakeModel, slots) -> None:
        self._grow(model)
        self._mark[slots] = model.population.wealth[slots]

    def step(self, model: GiveTakeModel) -> None:
        pop, tick = model.population, model.tick
        self._grow(model)
        n = pop.size
        giver, asker = tick.gifts[0], tick.gifts[1]
        # a member's need this step is either still open or was met by a gift
        self._needs[:n] += (pop.need[:n] >= 0) + np.bincount(asker, minlength=n)[:n]
        if len(giver):
            self._gifts.append((np.asarray(giver), np.asarray(asker)))
        members = pop.n_alive
        s = self.series
        s["step"].append(model.steps)
        if self._gift_value is not None:
            created = len(giver) * (self._gift_value[0] - self._gift_value[1])
        else:
            created = tick.welfare
        s["value"].append(created / members if members else 0.0)
        s["needs"].append(tick.needs)
        s["met"].append(len(giver))
        if self.every and model.steps % self.every == 0:
            self.detect(model)
        s["giant"].append(self._giant)

    # -- detection --------------------------------------------------------
    def detect(self, model: GiveTakeModel) -> list[int]:
        """Find and track the ecosystems now; returns their ids (largest first)."""
        pop, ties = model.population, model.ties
        self._grow(model)
        alive = pop.alive_slots()
        n = len(alive)
        index = np.full(pop.size, -1, np.int64)
        index[alive] = np.arange(n)
        e = ties.live()
        e = e[(index[ties.u[e]] >= 0) & (index[ties.v[e]] >= 0)]
        u, v = index[ties.u[e]], index[ties.v[e]]
        seed = int(self.rng.integers(2**31))
        initial = None
        if self.warm_start and self.backend == "igraph" and len(self._partition):
            initial = np.full(n, -1, np.int64)
            known = alive < len(self._partition)
            initial[known] = self._partition[alive[known]]
            fresh = initial < 0  # newcomers start on their own
            initial[fresh] = initial.max(initial=-1) + 1 + np.arange(fresh.sum())
        lab = detect_communities(
            n,
            u,
            v,
            ties.strength[e],
            resolution=self.resolution,
            seed=seed,
            method=self.backend,
            initial=initial,
            iterations=self.iterations,
        )
        self._partition = np.full(pop.size, -1, np.int64)
        self._partition[alive] = lab
        groups = groups_from_labels(lab, alive, self.min_size)
        ids = self.tracker.update(model.steps, groups)

        labels = np.full(pop.size, -1, np.int64)
        for eid, g in zip(ids, groups):
            labels[g] = eid
        self.labels = labels
        inside = alive[labels[alive] >= 0]
        self.current = dict(zip(inside.tolist(), labels[inside].tolist()))
        self.count = len(groups)
        self.largest = len(groups[0]) / n if groups and n else 0.0
        if n:
            adj = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
            _, comp = connected_components(adj, directed=False)
            self._giant = float(np.bincount(comp).max() / n)
        else:
            self._giant = 0.0
        self.detections.append(model.steps)
        self._record(model, ids, groups, e)
        self._gifts = []
        self._needs[:] = 0
        self._mark[: pop.size] = pop.wealth[: pop.size]
        return ids

    def _record(self, model: GiveTakeModel, ids: list[int], groups: list[np.ndarray], e: np.ndarray) -> None:
        if not groups:
            return
        pop, ties = model.population, model.ties
        k = len(groups)
        pos = np.full(pop.size, -1, np.int64)  # slot -> position of its ecosystem in `groups`
        for i, g in enumerate(groups):
            pos[g] = i
        members = np.concatenate(groups)
        where = pos[members]
        size = np.bincount(where, minlength=k).astype(float)

        pu, pv = pos[ties.u[e]], pos[ties.v[e]]
        inside = (pu == pv) & (pu >= 0)
        ei, gi = e[inside], pu[inside]
        internal = np.bincount(gi, minlength=k)
        trust_sum = np.bincount(gi, weights=ties.trust[ei].sum(axis=1), minlength=k)
        strength_sum = np.bincount(gi, weights=ties.strength[ei], minlength=k)

        needs = np.bincount(where, weights=self._needs[members], minlength=k)
        if self._gifts:
            giver = np.concatenate([g for g, _ in self._gifts])
            asker = np.concatenate([a for _, a in self._gifts])
        else:
            giver = asker = np.zeros(0, np.int64)
        pa = pos[asker]
        met = np.bincount(pa[pa >= 0], minlength=k)
        met_inside = np.bincount(pa[(pa >= 0) & (pos[giver] == pa)], minlength=k)
        b, c = self._gift_value if self._gift_value is not None else (0.0, 0.0)
        pg = pos[giver]
        given = np.bincount(pg[pg >= 0], minlength=k)
        value = b * met - c * given
        change = np.bincount(where, weights=pop.wealth[members] - self._mark[members], minlength=k)
        wealth = np.bincount(where, weights=pop.wealth[members], minlength=k)

        n_strat = len(model.strategy_names)
        mix = np.bincount(where * n_strat + pop.strategy[members], minlength=k * n_strat).reshape(k, n_strat)

        rows_, cols = np.nonzero(pop.skills[members])
        skey = where[rows_] * pop.n_skills + cols
        skeys, scount = np.unique(skey, return_counts=True)
        s_eco, s_skill = skeys // pop.n_skills, skeys % pop.n_skills
        order = np.lexsort((s_skill, -scount, s_eco))
        s_eco, s_skill, scount = s_eco[order], s_skill[order], scount[order]
        top = rank_in_groups(s_eco) < 2
        dominant = [[] for _ in range(k)]
        top_share = np.zeros(k)
        for eco, skill, cnt, first in zip(
            s_eco[top], s_skill[top], scount[top], rank_in_groups(s_eco)[top] == 0
        ):
            dominant[eco].append(int(skill))
            if first:
                top_share[eco] = cnt / size[eco]

        n_alive = pop.n_alive
        step = model.steps
        for i, eid in enumerate(ids):
            sz = size[i]
            possible = sz * (sz - 1) / 2
            row: dict[str, Any] = {
                "step": step,
                "ecosystem": eid,
                "size": int(sz),
                "share": sz / n_alive if n_alive else 0.0,
                "born": self.tracker.born[eid],
                "age": step - self.tracker.born[eid],
                "internal_ties": int(internal[i]),
                "density": internal[i] / possible if possible else 0.0,
                "mean_trust": trust_sum[i] / (2 * internal[i]) if internal[i] else float("nan"),
                "mean_strength": strength_sum[i] / internal[i] if internal[i] else float("nan"),
                "needs": int(needs[i]),
                "needs_met": int(met[i]),
                "needs_met_inside": int(met_inside[i]),
                "goal_attainment": met_inside[i] / needs[i] if needs[i] else float("nan"),
                "value_created": float(value[i]),
                "value_per_member": float(value[i] / sz),
                "wealth_change": float(change[i]),
                "mean_wealth": float(wealth[i] / sz),
            }
            for j, sname in enumerate(model.strategy_names):
                row[f"share_{sname}"] = mix[i, j] / sz
            row["dominant_strategy"] = model.strategy_names[int(np.argmax(mix[i]))]
            row["dominant_skills"] = _ids(dominant[i])
            row["dominant_skill_share"] = float(top_share[i])
            self.rows.append(row)

    # -- results ----------------------------------------------------------
    def criteria(self) -> VerdictCriteria:
        return VerdictCriteria(
            window=self.window,
            sustain=self.sustain,
            value_fraction=self.value_fraction,
            min_value=self.min_value,
            giant_fraction=self.giant_fraction,
            flourish_fulfilment=self.flourish_fulfilment,
            flourish_value=self.flourish_value,
        )

    def verdict(self) -> Verdict:
        """The run's verdict from the steps so far."""
        s = self.series
        giant = np.asarray(s["giant"], float) if self.every else None
        return judge(
            np.asarray(s["step"]),
            np.asarray(s["value"]),
            giant,
            np.asarray(s["needs"]),
            np.asarray(s["met"]),
            self.criteria(),
        )

    def influence(self, model: GiveTakeModel) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Influence table and summary for the network as it is now (cached per step)."""
        if self._influence is None or self._influence[0] != model.steps:
            gen = np.random.default_rng(self.rng.integers(2**63))
            table, summary = influence_measures(model, self.influence_sample, gen)
            self._influence = (model.steps, table, summary)
        return self._influence[1], self._influence[2]

    def tables(self, model: GiveTakeModel) -> dict[str, pd.DataFrame]:
        eco, events = self._frames(model)
        return {
            "ecosystems": eco,
            "events": events,
            "ecosystem_lives": life_stories(eco, events),
            "influence": self.influence(model)[0],
        }

    def stats(self, model: GiveTakeModel) -> dict[str, Any]:
        """Run-level counts, and how ecosystems that ended differ from those alive at the end.

        ``fates`` maps each fate (``alive``, ``died``, ``merged``, ``split``) to
        the number of ecosystems and their means of lifetime (weeks until the
        end, or until the last detection), peak size, goal attainment and last
        taker share: the material for *why* some ecosystems end.
        """
        eco, events = self._frames(model)
        lives = life_stories(eco, events)
        final = eco[eco["step"] == self.detections[-1]] if self.detections else eco.iloc[:0]
        lifetime = np.where(lives["fate"] == "alive", lives["lifetime"], lives["ended"] - lives["born"])
        fates = {}
        for fate in ("alive", "died", "merged", "split"):
            sel = (lives["fate"] == fate).to_numpy()
            fates[fate] = {
                "count": int(sel.sum()),
                "mean_lifetime": _mean(lifetime[sel].tolist()),
                "mean_peak_size": _mean(lives.loc[sel, "peak_size"].tolist()),
                "mean_goal_attainment": _mean(lives.loc[sel, "mean_goal_attainment"].tolist()),
                "mean_taker_share_last": _mean(lives.loc[sel, "taker_share_last"].tolist()),
            }
        return {
            "detections": len(self.detections),
            "final": self.count,
            "ever": self.tracker.next_id,
            "largest_share": self.largest,
            "final_goal_attainment": _mean(final["goal_attainment"].tolist()),
            "fates": fates,
        }

    def _frames(self, model: GiveTakeModel) -> tuple[pd.DataFrame, pd.DataFrame]:
        columns = (
            list(self.rows[0])
            if self.rows
            else _ECOSYSTEM_COLUMNS
            + [f"share_{s}" for s in model.strategy_names]
            + ["dominant_strategy", "dominant_skills", "dominant_skill_share"]
        )
        return pd.DataFrame(self.rows, columns=columns), pd.DataFrame(self.events, columns=_EVENT_COLUMNS)

    def summary(self, model: GiveTakeModel) -> dict[str, Any]:
        v = self.verdict()
        return {
            "verdict": v.verdict,
            "collapse_step": v.collapse_step,
            "collapse_reason": v.reason,
            "ecosystem_events": self.tracker.counts(),
            "ecosystem_method": self.method_used,
            "ecosystem_stats": self.stats(model),
            "influence": self.influence(model)[1],
        }


def _mean(values: list[float]) -> float | None:
    """Mean of the values that are numbers, or None (JSON has no NaN)."""
    ok = [float(v) for v in values if v is not None and not math.isnan(v)]
    return sum(ok) / len(ok) if ok else None


_ECOSYSTEM_COLUMNS = [
    "step", "ecosystem", "size", "share", "born", "age", "internal_ties", "density", "mean_trust",
    "mean_strength", "needs", "needs_met", "needs_met_inside", "goal_attainment", "value_created",
    "value_per_member", "wealth_change", "mean_wealth",
]  # fmt: skip
_EVENT_COLUMNS = ["step", "event", "ecosystem", "size", "previous_size", "sources", "targets"]
