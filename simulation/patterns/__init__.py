"""Pattern-oriented validation: the business model against published observations.

Grimm et al. (2005, *Science* 310:987): a model is credible when it
reproduces several patterns observed in real systems at once.  A pattern is
declared in a TOML pattern file (:mod:`simulation.patterns.suite`): its
source, the scenario and settings it runs, how many seeded runs, a measure
over each run's recorded tables (:mod:`simulation.patterns.measures`), how
the runs are combined (:mod:`simulation.patterns.estimates`) and the accepted
range.  The built-in suite is ``simulation/builtin/patterns/published.toml``;
``givetake validate --patterns`` runs it, ``givetake calibrate`` fits
parameters to it (:mod:`simulation.calibration`).
"""

from __future__ import annotations

import importlib

# public name -> submodule; imported on first use so that ``givetake --help``
# (whose ``validate`` parser adds the pattern options) stays light
_LAZY = {
    "Estimate": ".estimates",
    "mean_ci": ".estimates",
    "tipping_point": ".estimates",
    "MEASURES": ".measures",
    "get_measure": ".measures",
    "measure": ".measures",
    "format_table": ".report",
    "write_markdown": ".report",
    "BUILTIN_PATTERNS": ".suite",
    "Pattern": ".suite",
    "PatternCheck": ".suite",
    "PatternSuite": ".suite",
    "load_patterns": ".suite",
    "run_patterns": ".suite",
}


def __getattr__(name: str):
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BUILTIN_PATTERNS",
    "Estimate",
    "MEASURES",
    "Pattern",
    "PatternCheck",
    "PatternSuite",
    "format_table",
    "get_measure",
    "load_patterns",
    "mean_ci",
    "measure",
    "run_patterns",
    "tipping_point",
    "write_markdown",
]
