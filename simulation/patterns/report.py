"""The pattern table on the console and in ``patterns.md``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .measures import MEASURES
from .suite import PatternCheck, PatternSuite

__all__ = ["format_table", "write_markdown"]


FORMAT = """\
## Writing your own patterns

A pattern file is TOML.  Top level: `name`, `description`, `seed` (master seed), `seeds` (runs
per scenario, default 10), `steps` (weeks per run; 0 or absent: each scenario's own), and an
optional `[quick]` table (`seeds`, `steps`, `set`, `levels`, `params`) that `--quick` applies
to every pattern.  Each `[[pattern]]` table:

| key | meaning |
|---|---|
| `name` | a short name (letters, digits, `_`, `-`) |
| `title`, `claim` | what the pattern says, in words |
| `reference` | the published source (required) |
| `scenarios` | built-in scenario names or paths (relative to the file); one result row each |
| `set` | settings for these runs, dotted keys as in `--set` (a whole `population.mix` table replaces the mix) |
| `steps`, `seeds` | weeks per run and runs per scenario (and level) for this pattern |
| `measure`, `params` | a measure from the table below (or `module:function`) and its parameters |
| `aggregate` | `mean` (Student-t 95% interval over runs) or `tipping_point` (logistic fit, bootstrap interval) |
| `target` | the published value (optional; required to calibrate) |
| `accept` | the accepted range `[low, high]` (`inf`, `-inf` for no bound), or `tolerance` around `target` |
| `vary_share` | `{ strategy = "taker", levels = [...] }`: run each level of that strategy's share (the other shares keep their proportions) |
| `quick` | what `--quick` changes for this pattern |

A run's seed is spawned from the master seed and a hash of its settings and weeks, so patterns
that need the same runs share them, and adding a pattern never changes another's numbers.  A
measure is a function of one run's recorded tables (`timeseries`, `members`, `summary` and the
mechanisms' tables) returning a number, registered with `simulation.patterns.measure`; a
measure that needs a recorder mechanism (e.g. `tie_census`) gets it added to the pipeline.

### Calibration files

`givetake calibrate FILE` fits parameters to several patterns at once by ABC-SMC (Toni et al.
2009; pyabc, Klinger et al. 2018; install the extra: `make install` does, or `pip install 'pyabc>=0.13'`).  FILE is
a pattern file with a `[calibrate]` table, or the name of a built-in one (`calibration`, the
calibration of the defaults; `calibration_platform`, which set none).  Keys: `patterns` (a built-in pattern file's name such as
`"published"`, a path, or absent for the file's own `[[pattern]]` tables), `fit` (pattern names,
or `pattern/scenario` to fit one scenario of a pattern that has several; default every pattern
with a target), `population` (particles per generation), `generations`, `seeds` (runs per pattern
and scenario for each particle, seeded from the particle's own draw: the particle's value is their
mean; patterns that need the same runs share them), `steps` and `set`
(weeks and settings replacing the fitted patterns' own in every one of their runs, e.g. to make
particles cheaper), `seed`, `min_epsilon`, `db` (SQLite file; default
`results/calibration/NAME.db`, reused only by `--resume`) and `[calibrate.parameters]`: a uniform prior `[low, high]` per dotted key (an integer
setting draws every integer in the range with equal chance).  A key `setting@scenario` (e.g.
`"mechanisms.maintenance.decay@online_platform"`) fits one value of the setting in that scenario
alone, which must be a scenario of the fitted patterns: the other scenarios keep their own value,
so settings that scenarios set for themselves can be fitted side by side.  The distance is the root mean
square of `(reproduced - target) / scale` over the fitted patterns and their scenarios, `scale`
being half the accepted range.  `--executor serial|process|dask` (and `--scheduler ADDRESS`)
choose pyabc's single-core, multi-process or Dask sampler (a local Dask cluster, or the given
scheduler's).  The posterior (weighted mean, sd, median and 95% range of every parameter) is
printed and written next to the history as `NAME.toml`; `--summarize DB` runs nothing and
summarises the last completed generation of an existing history (a calibration stopped early),
`--resume` continues such a history up to `generations` (the file's patterns, priors, `population`
and `seeds` must be the history's; [calibration.md](calibration.md#stopping-and-resuming)),
`--workers N` sets the multi-process sampler's workers, `--db PATH` the history's file.  Generation 0 is the first `population`
draws from the priors; each later generation's tolerance is the median distance of the one
before.  The serial sampler repeats a calibration exactly from `seed`, resumed or not; pyabc's
multi-process sampler reseeds its workers, so its runs differ by chance.  The committed calibrations, their
settings and what they found: [calibration.md](calibration.md); the rows of the built-in suite
fitted by the calibration of the defaults are marked *fitted* in the table above.
"""


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.3f}"
    return f"{v:.3g}"


def _interval(c: PatternCheck) -> str:
    e = c.estimate
    if e.separated:
        return f"between {_fmt(e.low)} and {_fmt(e.high)} (runs separate)"
    if math.isnan(e.low) or math.isnan(e.high):
        return _fmt(e.value)
    return f"{_fmt(e.value)} [{_fmt(e.low)}, {_fmt(e.high)}]"


def _result(c: PatternCheck) -> str:
    if c.passed:
        return "pass (borderline)" if c.borderline else "pass"
    return "FAIL (borderline)" if c.borderline else "FAIL"


def format_table(checks: list[PatternCheck]) -> str:
    """Plain-text table: pattern, scenario, target, accepted range, reproduced [95% CI], runs, result."""
    rows = [("pattern", "scenario", "target", "accepted", "reproduced [95% CI]", "runs", "result")]
    for c in checks:
        rows.append(
            (
                c.pattern.name,
                c.scenario,
                _fmt(c.pattern.target),
                c.pattern.accept_text(),
                _interval(c),
                str(c.runs),
                _result(c),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"{c.pattern.name} ({c.scenario}): {c.estimate.note}" for c in checks if c.estimate.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def _settings(p) -> str:
    parts = [f"{p.seeds} runs" + (" per level" if p.share_strategy else "") + " per scenario"]
    parts.append(f"{p.steps} weeks" if p.steps else "the scenario's weeks")
    if p.settings:
        parts.append(", ".join(f"`{k} = {v}`" for k, v in p.settings.items()))
    if p.share_strategy:
        parts.append(f"{p.share_strategy} share at {', '.join(f'{x:g}' for x in p.levels)}")
    params = ", ".join(f"{k} = {v}" for k, v in p.params.items())
    parts.append(f"measure `{p.measure}`" + (f" ({params})" if params else ""))
    if p.aggregate == "tipping_point":
        parts.append("logistic fit in the share, crossing of 1/2, 95% nonparametric bootstrap interval")
    else:
        parts.append("mean over runs, 95% Student-t interval")
    return "; ".join(parts)


def write_markdown(
    checks: list[PatternCheck],
    suite: PatternSuite,
    info: dict[str, Any],
    path: str | Path,
    command: str,
    fitted: set[tuple[str, str]] | frozenset = frozenset(),
) -> Path:
    """Write the pattern report (``patterns.md``) to ``path``, atomically.

    ``fitted``: the (pattern, scenario) rows a calibration of the defaults fits, marked as such
    (their defaults were chosen to meet them, so they are no independent check)."""
    from .. import __version__
    from ..io import atomic_path

    path = Path(path)
    n_pass = sum(c.passed for c in checks)
    checked = [c for c in checks if (c.pattern.name, c.scenario) not in fitted]
    lines = [
        "# Patterns: the business model against published observations",
        "",
        "A model is credible when it reproduces several patterns observed in real systems at once, at",
        "different levels, with one set of parameters (pattern-oriented modelling: Grimm et al. 2005,",
        "*Science* 310:987).  This page is written by",
        f"`{command}`; each row runs a built-in scenario over seeded runs and compares the",
        "reproduced value (with its 95% interval) with the published one.  A pattern passes when the",
        "reproduced value lies in the accepted range (a value the runs only place between two levels,",
        "*runs separate*: when that whole interval does); *borderline* means its interval reaches across an",
        "edge of that range.  Failures are reported as they are: they say where the model does not",
        "(yet) behave like the networks it describes.  Why each pattern runs where it does, the",
        "modelling decisions behind those scenarios and what the failures say:",
        "[pattern_notes.md](pattern_notes.md).",
        "",
        f"- version: givetake {__version__}; pattern file: `{Path(suite.source).name}`"
        f"{' (quick: fewer, shorter, smaller runs)' if suite.quick else ''}; master seed {suite.seed}",
        f"- patterns passed: **{n_pass} of {len(checks)}**; {info.get('runs', '?')} runs in "
        f"{info.get('seconds', 0):.0f} s on {info.get('executor', '?')}",
        *(
            [
                f"- rows marked *fitted* ({len(checks) - len(checked)}): the calibration of the defaults "
                "([calibration.md](calibration.md)) chose settings to meet them, so they are no independent "
                f"check; every other row is one, and of those **{sum(c.passed for c in checked)} of "
                f"{len(checked)}** pass"
            ]
            if len(checked) < len(checks)
            else []
        ),
        "",
        "| pattern | scenario | target | accepted | reproduced [95% CI] | runs | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c.pattern.name} | {c.scenario} | {_fmt(c.pattern.target)} | {c.pattern.accept_text()} | "
            f"{_interval(c)} | {c.runs} | {'pass' if c.passed else '**FAIL**'}"
            f"{' (borderline)' if c.borderline else ''}"
            f"{' *fitted*' if (c.pattern.name, c.scenario) in fitted else ''} |"
        )
    for p in suite.patterns:
        mine = [c for c in checks if c.pattern is p]
        lines += ["", f"## {p.name}: {p.title}", "", f"Source: {p.reference}", ""]
        if p.claim:
            lines += [p.claim, ""]
        lines += [f"Settings: {_settings(p)}.", ""]
        for c in mine:
            text = f"- {c.scenario}: {_interval(c)} from {c.runs} runs"
            if c.estimate.dropped:
                text += f" ({c.estimate.dropped} runs had nothing to measure)"
            if c.failed_runs:
                text += f"; {c.failed_runs} runs failed"
            if c.by_level:
                text += "; mean by level: " + ", ".join(f"{k:g}: {_fmt(v)}" for k, v in c.by_level.items())
            if c.estimate.note:
                text += f"; {c.estimate.note}"
            text += f" — **{'pass' if c.passed else 'FAIL'}**"
            if (c.pattern.name, c.scenario) in fitted:
                text += " (fitted by the calibration of the defaults)"
            lines.append(text)
    lines += [
        "",
        "## Reproducing",
        "",
        "```",
        "givetake validate --patterns                   # the full suite: results/patterns-<time>/patterns.md",
        "givetake validate --patterns --quick           # fewer, shorter, smaller runs (checks the machinery)",
        "givetake validate --patterns --seeds 20 --write-docs  # regenerates docs/patterns.md (make patterns)",
        "givetake validate --patterns my_patterns.toml  # your own pattern file",
        "givetake validate --patterns --set mechanisms.maintenance.decay=0.01  # other settings in every run",
        "```",
        "",
        *FORMAT.splitlines(),
        "",
        "### Measures",
        "",
        "| measure | what it computes |",
        "|---|---|",
        *(
            f"| `{m.name}` | {m.describe}{' (adds the `' + '`, `'.join(m.needs) + '` recorder)' if m.needs else ''} |"
            for m in sorted(MEASURES.values(), key=lambda m: m.name)
        ),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines))
    return path
