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

    Attributes
    ----------
    pos : (capacity, 2) positions by slot, roughly within the unit disc.
    known : which slots have a position.
    gone : frame at which each slot was seen to have left (-1 while present).
    """

    def __init__(self, seed: int | None = 0, iterations: int = 3, warmup: int = 60):
        self.rng = np.random.default_rng(seed)
        self.iterations = iterations
        self.warmup = warmup
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
    def update(self, model: GiveTakeModel, iterations: int | None = None) -> None:
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
        if iterations is None:
            iterations = self.warmup if first else self.iterations
        if len(idx) > 1 and iterations > 0:
            e = ties.live()
            self._relax(idx, ties.u[e], ties.v[e], ties.strength[e], iterations, hot=first)
        self.frame += 1

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
    ) -> None:
        n = len(idx)
        local = np.full(len(self.known), -1, np.int64)
        local[idx] = np.arange(n)
        lu, lv = local[u], local[v]
        ok = (lu >= 0) & (lv >= 0)
        lu, lv, w = lu[ok], lv[ok], tie_pull(weight[ok]).astype(np.float32)
        p = self.pos[idx].astype(np.float32)  # single precision: twice as fast, plenty for a picture
        k = np.float32(1.0 / np.sqrt(n))  # ideal distance for an area of about 1
        gravity = 0.6
        for it in range(iterations):
            if hot:  # cool from a large step to a small one
                temp = 0.1 * (1.0 - it / iterations) + 0.2 * k
            else:
                temp = 0.15 * k
            disp = self._repulsion(p, k)
            d = p[lv] - p[lu]
            dist = np.hypot(d[:, 0], d[:, 1]) + 1e-9
            f = d * (dist * w / k)[:, None]  # attraction d^2/k along the tie
            disp[:, 0] += (np.bincount(lu, f[:, 0], n) - np.bincount(lv, f[:, 0], n)).astype(np.float32)
            disp[:, 1] += (np.bincount(lu, f[:, 1], n) - np.bincount(lv, f[:, 1], n)).astype(np.float32)
            disp -= gravity * p * (np.hypot(p[:, 0], p[:, 1])[:, None] + 0.1)
            length = np.hypot(disp[:, 0], disp[:, 1]) + 1e-12
            p += disp * (np.minimum(length, temp) / length)[:, None].astype(np.float32)
        self.pos[idx] = p

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
    def view_bounds(self, slots: np.ndarray, smooth: float = 0.7) -> np.ndarray:
        """``[xmin, ymin, xmax, ymax]`` framing ``slots``, eased from the previous frame."""
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
            self._bounds = target
        else:
            self._bounds = smooth * self._bounds + (1 - smooth) * target
        return self._bounds
