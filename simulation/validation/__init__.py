"""Validation against landmark results of evolutionary game theory on graphs.

:func:`validate` runs three studies with the engine's classic games
(:mod:`simulation.games`), using the built-in classic scenarios (``moran``, ``nowak_may``, ``ohtsuki_death_birth``),
and compares each with its published value:

* **Nowak & May 1992** (*Nature* 359:826): the weak prisoner's dilemma on a
  periodic lattice, 8 neighbours plus self, synchronous imitate-the-best, 10%
  defectors at random.  The cooperator share averaged over generations 500--999
  fluctuates around 12 ln 2 - 8 = 0.318 for 1.8 < b < 2 and collapses above 2.
* **The Moran process** (Moran 1958): one mutant of constant relative fitness
  ``r`` among ``N - 1`` residents fixes with probability
  ``(1 - 1/r) / (1 - 1/r^N)`` (``1/N`` when ``r = 1``).
* **Ohtsuki, Hauert, Lieberman & Nowak 2006** (*Nature* 441:502): donation game,
  death--birth updating, weak selection (w = 0.01) on random regular graphs of
  degree k: a single cooperator fixes with probability above ``1/N`` once
  ``b/c`` exceeds about ``k``; for finite ``N`` the threshold is
  ``(N - 2) / (N/k - 2)``.

Two modules: :mod:`~simulation.validation.studies` runs the studies and judges
each :class:`Check` (published value, reproduced value with a confidence
interval from :mod:`simulation.stats`, pass/fail);
:mod:`~simulation.validation.report` writes them up: :func:`format_table` for
the console, :func:`write_report` for ``validation.md`` with its figures
(``givetake validate`` writes them under ``results/``, ``--write-docs``
regenerates ``docs/validation.md``).  ``givetake validate --quick`` runs a
reduced version in well under a minute.

Examples
--------
>>> sorted(STUDIES)
['moran', 'nowak_may', 'ohtsuki']
>>> round(moran_exact(2.0, 10), 4)
0.5005
"""

from .report import format_table, kaleidoscope, write_report
from .studies import (
    STUDIES,
    Check,
    StudyResult,
    moran_exact,
    moran_study,
    nowak_may_study,
    ohtsuki_study,
    ohtsuki_threshold,
    validate,
)

__all__ = [
    "Check",
    "StudyResult",
    "STUDIES",
    "moran_exact",
    "ohtsuki_threshold",
    "nowak_may_study",
    "moran_study",
    "ohtsuki_study",
    "validate",
    "write_report",
    "format_table",
    "kaleidoscope",
]
