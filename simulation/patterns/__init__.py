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

from .estimates import Estimate, mean_ci, tipping_point
from .measures import MEASURES, get_measure, measure
from .report import format_table, write_markdown
from .suite import BUILTIN_PATTERNS, Pattern, PatternCheck, PatternSuite, load_patterns, run_patterns

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
