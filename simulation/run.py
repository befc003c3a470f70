"""One run of a scenario: build the model, step it, collect every output.

:func:`run_scenario` returns a :class:`RunResult` in memory;
:func:`write_run` writes it to a directory atomically (``timeseries``,
``summary.json``, ``network.graphml`` and every table a mechanism offers,
e.g. ``ecosystems.parquet``).  ``givetake run`` and the sweeps use both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import interrupts
from .graphml import write_graphml
from .io import atomic_dir, atomic_path, write_json, write_table
from .model import GiveTakeModel
from .scenario import Scenario
from .verdict import VerdictCriteria, judge, judgeable

__all__ = ["RunResult", "run_scenario", "write_run"]


@dataclass
class RunResult:
    model: GiveTakeModel
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def run_scenario(
    scenario: Scenario,
    *,
    steps: int | None = None,
    seed: int | np.random.SeedSequence = 0,
    on_step: Callable[[GiveTakeModel], None] | None = None,
) -> RunResult:
    """Run ``scenario`` for ``steps`` weeks (default: the scenario's ``steps``) from ``seed``."""
    from . import __version__

    steps = scenario.data["steps"] if steps is None else steps
    rng = np.random.default_rng(seed)
    model = GiveTakeModel(scenario, rng=rng)
    for _ in range(steps):
        interrupts.check()  # a Ctrl-C that landed where Python drops it
        model.step()
        if on_step is not None:
            on_step(model)
        if not model.running:  # a mechanism stopped the run (e.g. fixation)
            break
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    final = {k: (v.item() if hasattr(v, "item") else v) for k, v in ts.iloc[-1].to_dict().items()}
    summary: dict[str, Any] = {
        "scenario": scenario.to_dict(),
        "scenario_name": scenario.name,
        "seed": seed if isinstance(seed, int) else repr(seed),
        "steps": steps,
        "steps_run": int(model.steps),
        "version": __version__,
        "final": final,
    }
    tables: dict[str, pd.DataFrame] = {}
    if judgeable(ts):  # runs with metrics = "light" (the classic games) have no verdict
        verdict = judge(ts, VerdictCriteria.from_scenario(scenario))
        if verdict is not None:
            summary.update(verdict.summary())
    for mech in model.pipeline:
        summary.update(mech.summary(model))
        tables.update(mech.tables(model))
    return RunResult(model=model, timeseries=ts, summary=summary, tables=tables)


def write_run(
    result: RunResult,
    out_dir: str | Path,
    fmt: str = "parquet",
    network: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a run's outputs into the folder ``out_dir``, all at once.

    The files are written into a hidden folder beside ``out_dir`` which is
    then renamed to it (:func:`~simulation.io.atomic_dir`): an interrupted
    write leaves no output, and runs writing at the same time never mix
    their files.  An ``out_dir`` that exists and is not empty is refused
    (:class:`~simulation.io.OutputExists`) unless ``overwrite``.
    """
    suffix = "parquet" if fmt == "parquet" else "csv"
    with atomic_dir(out_dir, overwrite=overwrite) as target:
        write_table(target / f"timeseries.{suffix}", result.timeseries, fmt)
        for name, df in result.tables.items():
            write_table(target / f"{name}.{suffix}", df, fmt)
        write_json(target / "summary.json", result.summary)
        if network:
            with atomic_path(target / "network.graphml") as tmp:
                write_graphml(tmp, *result.model.network_columns())
    return Path(out_dir)
