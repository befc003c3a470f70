"""Helpers shared by the networking-style mechanisms (not a mechanism itself)."""

from __future__ import annotations

import numpy as np

__all__ = ["WEEKS_PER_YEAR", "grow_to", "random_members_of", "public_report"]

#: a step is a week
WEEKS_PER_YEAR = 52


def grow_to(arr: np.ndarray, n: int, fill=0) -> np.ndarray:
    """``arr`` grown (never shrunk) to at least ``n`` rows, new rows set to ``fill``."""
    if len(arr) >= n:
        return arr
    out = np.full((max(n, 2 * len(arr)), *arr.shape[1:]), fill, arr.dtype)
    out[: len(arr)] = arr
    return out


def random_members_of(groups: np.ndarray, members: np.ndarray, wanted: np.ndarray, gen) -> np.ndarray:
    """For each group id in ``wanted``, one random member of ``members`` whose group is that id.

    ``groups[k]`` is the group of ``members[k]``; every wanted group must have a member.
    """
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    lo = np.searchsorted(sorted_groups, wanted, side="left")
    hi = np.searchsorted(sorted_groups, wanted, side="right")
    pick = lo + (gen.random(len(wanted)) * (hi - lo)).astype(np.int64)
    return members[order[np.minimum(pick, len(order) - 1)]]


def public_report(model, gifts: np.ndarray, refusals: np.ndarray, chance: float) -> None:
    """Add gifts and refusals (giver slots) to the public record, each with ``chance``."""
    pop, rng = model.population, model.rng
    np.add.at(pop.public_gifts, gifts[rng.random(len(gifts)) < chance], 1)
    np.add.at(pop.public_refusals, refusals[rng.random(len(refusals)) < chance], 1)
