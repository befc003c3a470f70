"""A network layout that follows a changing network from frame to frame.

Mesa's network drawing recomputes a spring layout from scratch for every
frame, so the picture jumps and members cannot be followed.  Here positions
persist: they are held in an array indexed by member slot (slots are stable
ids for a whole run) and relaxed a few iterations per frame with a
vectorised force-directed step (Fruchterman & Reingold 1991, *Software:
Practice and Experience* 21:1129): ties pull (strong ties much harder than
weak ones, so groups held together by strong ties gather), members push each other apart,
a weak pull to the centre keeps loose groups in view, and a *temperature*
caps how far anyone moves per frame so the picture changes smoothly.
Newcomers appear next to their first contact; members who left stay where
they were for a few frames while they fade out.

When the run detects ecosystems, ``update(..., groups=labels)`` makes them
visible instead of a hairball: each member is pulled towards the centre of
its ecosystem (``COHESION``, like a tie to that centre) and ties *between*
ecosystems pull ``BETWEEN`` times as hard as ties inside one — the idea of
group-attracting force layouts (e.g. Noack 2007, "Energy models for graph
clustering", *J. Graph Algorithms Appl.* 11:453, on layouts whose distances
reflect communities).  When many members change ecosystem at a detection the
layout heats up (larger steps for a few frames, then cools again), so the
picture follows the regrouping within a few weeks while every move stays
gradual.  In ``open_mixer`` (300 members, seeds 0–4, weeks 31–50) the mean
distance between two members of one ecosystem is 0.324 of the mean distance
between members of different ones, against 0.883 without these forces
(``docs/app.md``).

Examples
--------
>>> from simulation import GiveTakeModel
>>> model = GiveTakeModel(rng=3, population__size=40, network__mean_degree=4)
>>> layout = NetworkLayout(seed=3)
>>> layout.update(model)
>>> layout.known[:40].all(), layout.pos[:40].shape
(np.True_, (40, 2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import GiveTakeModel

__all__ = ["NetworkLayout", "FADE_FRAMES", "tie_pull"]

#: frames over which a departed member fades out
FADE_FRAMES = 8

#: pull of each member towards the centre of its ecosystem, as a tie of this pull would
COHESION = 5.0

#: ties between two ecosystems pull this fraction of what a tie inside one does
BETWEEN = 0.2

#: share of members changing ecosystem at which the layout heats up
REGROUP_SHARE = 0.02

#: extra step size (times the ideal distance) when fully heated, and the cooling per frame
HEAT = 0.6
COOLING = 0.8

#: above this many members, repulsion is estimated from a random sample of members
EXACT_REPULSION = 1200


def tie_pull(strength: np.ndarray) -> np.ndarray:
    """How hard a tie pulls its two ends together: strongly rising with strength, so
    groups held by strong ties gather while weak, fading ties barely count.

    >>> tie_pull(np.array([0.0, 0.5, 1.0])).round(3).tolist()
    [0.05, 0.425, 1.55]
    """
    return 0.05 + 1.5 * strength**2


class NetworkLayout:
    """Persistent positions of members, relaxed incrementally.

    Parameters
    ----------
    seed : seed of the layout's own random generator (placement jitter,
        repulsion samples); the model's generator is never touched, so drawing
        does not change a run.
    iterations : force iterations per :meth:`update`.
    warmup : iterations of the first :meth:`update` (the starting picture).
    cohesion : pull towards the centre of one's ecosystem (0: none).
    between : pull of a tie between two ecosystems, relative to one inside an ecosystem.

    Attributes
    ----------
    pos : (capacity, 2) positions by slot, roughly within the unit disc.
    known : which slots have a position.
    gone : frame at which each slot was seen to have left (-1 while present).
    """

    def __init__(
        self,
        seed: int | None = 0,
        iterations: int = 3,
        warmup: int = 60,
        cohesion: float = COHESION,
        between: float = BETWEEN,
    ):
        self.rng = np.random.default_rng(seed)
        self.iterations = iterations
        self.warmup = warmup
        self.cohesion = float(cohesion)
        self.between = float(between)
        self.heat = 0.0  # raised when ecosystems regroup, so the picture follows in a few frames
        self._groups: np.ndarray | None = None
        self.pos = np.zeros((0, 2))
        self.known = np.zeros(0, bool)
        self.gone = np.zeros(0, np.int64)
        self.frame = 0
        self._bounds: np.ndarray | None = None

    # -- bookkeeping ------------------------------------------------------
    def _ensure(self, n: int) -> None:
        if n <= len(self.known):
            return
        cap = max(n, 2 * len(self.known), 64)
        pos = np.zeros((cap, 2))
        pos[: len(self.pos)] = self.pos
        known = np.zeros(cap, bool)
        known[: len(self.known)] = self.known
        gone = np.full(cap, -1, np.int64)
        gone[: len(self.gone)] = self.gone
        self.pos, self.known, self.gone = pos, known, gone

    def fading(self) -> tuple[np.ndarray, np.ndarray]:
        """Slots of departed members still being drawn, and their opacity in (0, 1)."""
        n = len(self.gone)
        age = self.frame - self.gone[:n]
        slots = np.flatnonzero((self.gone[:n] >= 0) & (age < FADE_FRAMES))
        return slots, 1.0 - (age[slots] + 1) / (FADE_FRAMES + 1)

    # -- the update -------------------------------------------------------
    def update(
        self, model: GiveTakeModel, iterations: int | None = None, groups: np.ndarray | None = None
    ) -> None:
        """Bring the layout up to date with ``model``'s network and relax it.

        Newcomers are placed beside their first contact (or on the rim when
        they have none), departed members start fading, then the alive
        members' positions take ``iterations`` force steps.
        """
        pop, ties = model.population, model.ties
        n_slots = pop.size
        self._ensure(n_slots)
        alive = pop.alive[:n_slots]
        first = not self.known[:n_slots].any()
        left = self.known[:n_slots] & ~alive & (self.gone[:n_slots] < 0)
        self.gone[:n_slots][left] = self.frame
        new = np.flatnonzero(alive & ~self.known[:n_slots])
        if len(new):
            self._place(model, new, first)
        idx = np.flatnonzero(alive)
        self._reheat(groups, idx)
        if iterations is None:
            iterations = self.warmup if first else self.iterations
        if len(idx) > 1 and iterations > 0:
            e = ties.live()
            self._relax(idx, ties.u[e], ties.v[e], ties.strength[e], iterations, hot=first, groups=groups)
        self.frame += 1
        self.heat *= COOLING

    def _reheat(self, groups: np.ndarray | None, idx: np.ndarray) -> None:
        """Heat up when the ecosystems changed since the last frame (more members moved
        between them than ``REGROUP_SHARE``), so that members move to their new group faster."""
        if groups is None:
            self._groups = None
            return
        groups = np.asarray(groups)
        old = self._groups
        if old is not None and len(idx):
            now_ = np.where(idx < len(groups), groups[np.minimum(idx, len(groups) - 1)], -1)
            was = np.where(idx < len(old), old[np.minimum(idx, len(old) - 1)], -1)
            if np.mean(now_ != was) > REGROUP_SHARE:
                self.heat = 1.0
        self._groups = groups.copy()

    def _place(self, model: GiveTakeModel, new: np.ndarray, first: bool) -> None:
        n_alive = max(model.population.n_alive, 1)
        spread = 1.0 / np.sqrt(n_alive)
        if first:
            # the starting picture: random points in the unit disc, then warm-up relaxation
            r = np.sqrt(self.rng.random(len(new)))
            a = self.rng.random(len(new)) * 2 * np.pi
            self.pos[new] = np.c_[r * np.cos(a), r * np.sin(a)]
            self.known[new] = True
            return
        view = model.ties.directed(model.population.size)
        todo = new
        # two passes: a newcomer whose first contact is another newcomer waits for it
        for _ in range(2):
            deg = view.start[todo + 1] - view.start[todo]
            has = deg > 0
            contact = np.full(len(todo), -1, np.int64)
            contact[has] = view.dst[view.start[todo[has]]]
            ok = has & self.known[np.maximum(contact, 0)]
            placed = todo[ok]
            jitter = self.rng.normal(0.0, spread, (len(placed), 2))
            self.pos[placed] = self.pos[contact[ok]] + jitter
            self.known[placed] = True
            todo = todo[~ok]
            if len(todo) == 0:
                return
        # no placed contact: arrive on the rim of the current picture
        a = self.rng.random(len(todo)) * 2 * np.pi
        alive = model.population.alive_slots()
        rim = np.percentile(np.hypot(*self.pos[alive].T), 95) if len(alive) else 1.0
        self.pos[todo] = np.c_[np.cos(a), np.sin(a)] * rim
        self.known[todo] = True

    def _relax(
        self,
        idx: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        weight: np.ndarray,
        iterations: int,
        hot: bool,
        groups: np.ndarray | None = None,
    ) -> None:
        n = len(idx)
        local = np.full(len(self.known), -1, np.int64)
        local[idx] = np.arange(n)
        lu, lv = local[u], local[v]
        ok = (lu >= 0) & (lv >= 0)
        lu, lv, w = lu[ok], lv[ok], tie_pull(weight[ok]).astype(np.float32)
        g = None  # ecosystem of each member (compact ids, -1: none)
        if groups is not None:
            lab = np.full(n, -1, np.int64)
            known = idx < len(groups)
            lab[known] = np.asarray(groups)[idx[known]]
            if (lab >= 0).any():
                across = (lab[lu] >= 0) & (lab[lv] >= 0) & (lab[lu] != lab[lv])
                w[across] *= np.float32(self.between)  # ties between ecosystems pull less
                g = np.where(lab >= 0, np.unique(lab, return_inverse=True)[1], -1)
        p = self.pos[idx].astype(np.float32)  # single precision: twice as fast, plenty for a picture
        k = np.float32(1.0 / np.sqrt(n))  # ideal distance for an area of about 1
        gravity = 0.6
        for it in range(iterations):
            if hot:  # cool from a large step to a small one
                temp = 0.1 * (1.0 - it / iterations) + 0.2 * k
            else:
                temp = (0.15 + HEAT * self.heat) * k
            disp = self._repulsion(p, k)
            d = p[lv] - p[lu]
            dist = np.hypot(d[:, 0], d[:, 1]) + 1e-9
            f = d * (dist * w / k)[:, None]  # attraction d^2/k along the tie
            disp[:, 0] += (np.bincount(lu, f[:, 0], n) - np.bincount(lv, f[:, 0], n)).astype(np.float32)
            disp[:, 1] += (np.bincount(lu, f[:, 1], n) - np.bincount(lv, f[:, 1], n)).astype(np.float32)
            disp -= gravity * p * (np.hypot(p[:, 0], p[:, 1])[:, None] + 0.1)
            if g is not None and self.cohesion > 0:
                disp += self._cohesion(p, g, k)
            length = np.hypot(disp[:, 0], disp[:, 1]) + 1e-12
            p += disp * (np.minimum(length, temp) / length)[:, None].astype(np.float32)
        self.pos[idx] = p

    def _cohesion(self, p: np.ndarray, g: np.ndarray, k: float) -> np.ndarray:
        """Pull of each member towards the centre of its ecosystem (``g``: -1 for none)."""
        inside = g >= 0
        m = int(g.max()) + 1
        cnt = np.bincount(g[inside], minlength=m).astype(np.float32)
        cx = np.bincount(g[inside], p[inside, 0], m).astype(np.float32) / np.maximum(cnt, 1)
        cy = np.bincount(g[inside], p[inside, 1], m).astype(np.float32) / np.maximum(cnt, 1)
        out = np.zeros_like(p)
        gi = g[inside]
        d = np.c_[cx[gi], cy[gi]] - p[inside]
        dist = np.hypot(d[:, 0], d[:, 1])[:, None]
        out[inside] = np.float32(self.cohesion) * d * dist / np.float32(k)  # like a tie to the centre
        return out

    def _repulsion(self, p: np.ndarray, k: float) -> np.ndarray:
        """Push of every member on every other, ``k^2 / distance`` (sampled when large)."""
        n = len(p)
        x, y = p[:, 0], p[:, 1]
        if n <= EXACT_REPULSION:
            others, scale = np.arange(n), 1.0
        else:  # estimate the push of everyone from a random sample, scaled up
            m = EXACT_REPULSION // 2
            others, scale = self.rng.choice(n, m, replace=False), (n - 1) / m
        dx = x[:, None] - x[None, others]
        dy = y[:, None] - y[None, others]
        d2 = dx * dx + dy * dy
        np.maximum(d2, np.float32(1e-6 * k * k), out=d2)
        d2[others, np.arange(len(others))] = np.inf  # nobody pushes itself
        inv = np.float32(k * k * scale) / d2
        return np.c_[(dx * inv).sum(axis=1), (dy * inv).sum(axis=1)]

    # -- viewing ---------------------------------------------------------
    def view_bounds(
        self, slots: np.ndarray, smooth: float = 0.7, also: np.ndarray | None = None
    ) -> np.ndarray:
        """``[xmin, ymin, xmax, ymax]``, a square framing ``slots``, eased from the previous frame.

        The view eases towards the middle 99% of ``slots`` with a margin, so that the
        picture does not jump with every member on the fringe, but it never leaves one of
        ``slots`` (nor of ``also``, e.g. members fading out) outside: where one lies beyond
        the eased view, the view widens at once to take it in.
        """
        if len(slots) == 0:
            target = np.array([-1.0, -1.0, 1.0, 1.0])
        else:
            p = self.pos[slots]
            lo = np.percentile(p, 0.5, axis=0)
            hi = np.percentile(p, 99.5, axis=0)
            centre = (lo + hi) / 2
            half = max(float((hi - lo).max()) / 2, 1e-3) * 1.08
            target = np.r_[centre - half, centre + half]
        if self._bounds is None or smooth <= 0:
            bounds = target
        else:
            bounds = smooth * self._bounds + (1 - smooth) * target
        every = np.r_[slots, also if also is not None else []].astype(np.int64)
        if len(every):
            p = self.pos[every]
            lo, hi = np.minimum(bounds[:2], p.min(axis=0)), np.maximum(bounds[2:], p.max(axis=0))
            # a square again (the picture has one scale for x and y), about the same centre
            centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2
            bounds = np.r_[centre - half, centre + half]
        self._bounds = bounds
        return bounds
