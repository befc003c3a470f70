"""numba kernels of :class:`simulation.mechanisms.churn.Churn` (its numpy code is the reference).

| kernel | numpy twin, in ``Churn.step`` |
|---|---|
| :func:`settle` | upkeep (``model.pay``), the running income, who fails and who is unhappy |
| :func:`smallest_per_row` | ``GiveTakeModel._random_subsets`` (the ``size`` smallest uniforms of each row) |
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["settle", "smallest_per_row"]


@njit(cache=True, nogil=True)
def settle(
    alive_slots,
    wealth,
    last_wealth,
    joined,
    income,
    steps,
    upkeep,
    memory,
    failure_wealth,
    grace,
    exit_below,
):  # pragma: no cover - compiled
    """Each member pays ``upkeep`` (if not 0) and updates its running income; returns the
    members who fail, the rest (both ascending) and which of the rest have been in the
    network ``grace`` weeks and earn less than ``exit_below``."""
    n = len(alive_slots)
    if upkeep:
        minus = -upkeep
        for i in alive_slots:
            wealth[i] += minus
    n_failed = 0
    for j in range(n):
        i = alive_slots[j]
        change = wealth[i] - last_wealth[i]
        if joined[i] == steps:
            change = 0.0
        income[i] = income[i] + memory * (change - income[i])
        if wealth[i] < failure_wealth:
            n_failed += 1
    failed = np.empty(n_failed, np.int64)
    rest = np.empty(n - n_failed, np.int64)
    unhappy = np.empty(n - n_failed, np.bool_)
    a = 0
    b = 0
    for i in alive_slots:
        if wealth[i] < failure_wealth:
            failed[a] = i
            a += 1
        else:
            rest[b] = i
            unhappy[b] = steps - joined[i] >= grace and income[i] < exit_below
            b += 1
    return failed, rest, unhappy


@njit(cache=True, nogil=True)
def smallest_per_row(draws, size):  # pragma: no cover - compiled
    """For each row of ``draws``, ``True`` at its ``size`` smallest values."""
    n, k = draws.shape
    out = np.zeros((n, k), np.bool_)
    for r in range(n):
        for _ in range(size):
            best = -1
            for c in range(k):
                if not out[r, c] and (best < 0 or draws[r, c] < draws[r, best]):
                    best = c
            out[r, best] = True
    return out
