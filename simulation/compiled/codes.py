"""The codes by which the favours kernels (:mod:`.favours`) know the built-in strategies.

Kept apart from the kernels so the strategies can name their code without importing numba.
"""

from __future__ import annotations

__all__ = ["GIVES", "OTHERISH", "MATCHES", "NEVER", "N_PARAMS"]

#: strategy codes: gives whenever asked; the otherish giver's rule; the matcher's; never gives
GIVES, OTHERISH, MATCHES, NEVER = 0, 1, 2, 3
#: parameters in a row of the strategy table (after the code)
N_PARAMS = 6
