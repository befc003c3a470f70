"""Small vectorised helpers used across mechanisms.

Examples
--------
>>> import numpy as np
>>> rank_in_groups(np.array([3, 3, 5, 7, 7, 7])).tolist()
[0, 1, 0, 0, 1, 2]
"""

from __future__ import annotations

import numpy as np

__all__ = ["rank_in_groups", "powers", "sum_of_copies"]


def rank_in_groups(groups: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (``groups`` sorted)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, np.int64)
    first = np.ones(n, bool)
    first[1:] = groups[1:] != groups[:-1]
    starts = np.flatnonzero(first)
    run = np.cumsum(first) - 1
    return np.arange(n) - starts[run]


#: ``x ** arange(n)`` as numpy computes it, by ``x`` (kernels are given powers computed by
#: numpy, so both paths use the same ``pow``)
_POWERS: dict[float, np.ndarray] = {}


def powers(x: float, n: int) -> np.ndarray:
    """``x ** arange(m)`` for some ``m >= n``, kept for the next call with the same ``x``."""
    table = _POWERS.get(x)
    if table is None or len(table) < n:
        table = _POWERS[x] = x ** np.arange(max(n, 16))
    return table


#: ``(n, amount) -> sum``, see :func:`sum_of_copies`
_SUMS: dict[tuple[int, str], float] = {}


def sum_of_copies(n: int, amount: float) -> float:
    """The sum numpy gives of ``n`` copies of ``amount`` (what ``model.pay`` adds to the week's
    welfare when it pays ``amount`` to ``n`` members), kept for the next call with the same
    ``n`` and ``amount`` (the key tells ``-0.0`` from ``0.0``)."""
    amount = float(amount)
    key = (n, amount.hex())
    total = _SUMS.get(key)
    if total is None:
        if len(_SUMS) > 4096:
            _SUMS.clear()
        total = _SUMS[key] = float(np.broadcast_to(np.asarray(amount, float), (n,)).sum())
    return total
