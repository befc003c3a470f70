"""Weighted draws that give exactly what ``numpy.random.Generator.choice`` gives, faster.

``Generator.choice(a, size, p=p)`` checks its arguments at length (a compensated sum of
``p``, its sign, its shape) before drawing, which costs tens of microseconds for a handful
of draws.  The functions here draw the same uniforms from the generator and turn them
into the same picks by the same arithmetic as numpy's ``choice`` does, for
probabilities the caller has built itself (non-negative, normalised); anything else is
handed to ``Generator.choice``, which raises as it always did.  ``tests/test_compiled.py``
checks them against ``Generator.choice`` (picks and the generator's state after).

Examples
--------
>>> import numpy as np
>>> p = np.array([0.1, 0.2, 0.3, 0.4])
>>> a, b = np.random.default_rng(5), np.random.default_rng(5)
>>> choice_weighted(a, np.arange(10, 14), 6, p).tolist() == b.choice(np.arange(10, 14), 6, p=p).tolist()
True
>>> choice_distinct(a, 4, 2, p).tolist() == b.choice(4, 2, replace=False, p=p).tolist()
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["choice_weighted", "choice_distinct", "pick_by_cdf", "SUM_TOLERANCE"]

#: how far from 1 probabilities may sum for ``Generator.choice`` to take them without a word
#: (half its ``atol`` for float64)
SUM_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps)) * 0.5


def _plain(p: np.ndarray) -> bool:
    """Whether ``p`` is what ``Generator.choice`` accepts without a word: a 1-D float64 array
    of non-negative numbers summing to 1."""
    if p.dtype != np.float64 or p.ndim != 1 or len(p) == 0:
        return False
    total = float(p.sum())
    return abs(total - 1.0) <= SUM_TOLERANCE and not (p < 0).any()


def choice_weighted(rng: np.random.Generator, a: np.ndarray, size: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(a, size=size, p=p)`` for a 1-D array ``a`` (with replacement)."""
    a = np.asarray(a)
    p = np.asarray(p)
    if a.ndim != 1 or len(a) != len(p) or not _plain(p):
        return rng.choice(a, size=size, p=p)
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return pick_by_cdf(rng, a, size, cdf)


def pick_by_cdf(rng: np.random.Generator, a: np.ndarray, size: int, cdf: np.ndarray) -> np.ndarray:
    """``size`` picks from ``a`` by the normalised cumulative weights ``cdf``, one uniform
    each, as ``Generator.choice`` turns its uniforms into picks."""
    return a.take(cdf.searchsorted(rng.random(size), side="right"))


def choice_distinct(rng: np.random.Generator, n: int, size: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(n, size=size, replace=False, p=p)``: ``size`` distinct indices below ``n``."""
    p = np.asarray(p)
    if len(p) != n or size > n or size < 0 or not _plain(p) or np.count_nonzero(p > 0) < size:
        return rng.choice(n, size=size, replace=False, p=p)
    # numpy's sampler without replacement: draw as many uniforms as picks are missing,
    # weights of the indices already picked set to 0; a round keeps the first draw of each
    # index, in the order drawn, until there are enough
    weights = p.copy()
    picked = np.zeros(size, dtype=np.int64)
    done = 0
    while done < size:
        u = rng.random((size - done,))
        if done:
            weights[picked[:done]] = 0
        cdf = np.cumsum(weights)
        cdf /= cdf[-1]
        seen = set()
        for k in cdf.searchsorted(u, side="right").tolist():  # first draws of each, in order
            if k not in seen:
                seen.add(k)
                picked[done] = k
                done += 1
    return picked
