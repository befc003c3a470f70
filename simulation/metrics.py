"""Model-level metrics, computed once per step (definitions in ``docs/metrics.md``).

Examples
--------
>>> import numpy as np
>>> float(gini(np.array([1.0, 1.0, 1.0, 1.0])))
0.0
>>> round(float(gini(np.array([0.0, 0.0, 0.0, 4.0]))), 3)
0.75
"""

from __future__ import annotations

import copy
import types
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from .model import GiveTakeModel

__all__ = ["ExtraMetrics", "gini", "adjacency", "compute_metrics", "metric_names", "sampled_clustering"]

#: wedges sampled per step to estimate clustering (standard error below 0.012)
CLUSTERING_SAMPLES = 2000


class ExtraMetrics(dict):
    """The columns mechanisms add to the weekly metrics (``model.extra_metrics``): name ->
    function of the model.

    A mechanism often registers a function that reads its own state, ``lambda m: self.count``.
    ``copy.deepcopy`` leaves functions as they are, so a copied model's function would go on
    reading the *original's* mechanism; here each function is copied with the model: its
    closure and defaults are copied along (the copied mechanism in place of the original), as
    pickling by value (cloudpickle) copies them; other callables, bound methods included, are
    deep-copied as usual.

    Examples
    --------
    >>> class Counter:  # a mechanism that reports a count of its own
    ...     def __init__(self, metrics):
    ...         self.count = 0
    ...         metrics["counted"] = lambda m: self.count
    >>> metrics = ExtraMetrics()
    >>> counter = Counter(metrics)
    >>> copied_counter, copied_metrics = copy.deepcopy((counter, metrics))
    >>> copied_counter.count = 5
    >>> metrics["counted"](None), copied_metrics["counted"](None)
    (0, 5)
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> ExtraMetrics:
        out = type(self)()
        memo[id(self)] = out
        for name, fn in self.items():
            out[name] = (
                _copy_function(fn, memo) if isinstance(fn, types.FunctionType) else copy.deepcopy(fn, memo)
            )
        return out


def _copy_function(fn: types.FunctionType, memo: dict[int, Any]) -> types.FunctionType:
    """``fn`` with its closure cells and defaults deep-copied through ``memo`` (a cell shared
    by several functions stays shared by their copies)."""
    if not fn.__closure__ and not fn.__defaults__ and not fn.__kwdefaults__:
        return fn  # nothing of its own to copy
    cells = None
    if fn.__closure__:
        cells = []
        for cell in fn.__closure__:
            if id(cell) not in memo:
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell (a name not yet bound)
                    memo[id(cell)] = types.CellType()
                else:
                    memo[id(cell)] = types.CellType(copy.deepcopy(contents, memo))
            cells.append(memo[id(cell)])
        cells = tuple(cells)
    out = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, copy.deepcopy(fn.__defaults__, memo), cells
    )
    out.__kwdefaults__ = copy.deepcopy(fn.__kwdefaults__, memo)
    out.__qualname__, out.__module__, out.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    out.__dict__.update(copy.deepcopy(fn.__dict__, memo))
    return out


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (negative values count as 0)."""
    x = np.sort(np.clip(np.asarray(values, float), 0.0, None))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / total)) / n)


def adjacency(model: GiveTakeModel, weight: np.ndarray | None = None) -> sp.csr_matrix:
    """Symmetric sparse adjacency matrix over member slots (live ties only).

    ``weight`` is a per-tie array (e.g. ``model.ties.strength``); default 1.
    """
    n = model.population.size
    view = model.ties.directed(n)
    data = np.ones(len(view.dst)) if weight is None else weight[view.edge]
    return sp.csr_matrix((data, view.dst, view.start), shape=(n, n))


def sampled_clustering(model: GiveTakeModel, alive: np.ndarray, samples: int) -> float:
    """Average local clustering coefficient, estimated by wedge sampling.

    Draws ``samples`` members with at least two contacts, and for each two
    distinct random contacts; the share of such pairs that are tied
    estimates the members' mean local clustering (Schank & Wagner 2005,
    *J. Graph Algorithms Appl.* 9:265).  Members with fewer than two
    contacts count as 0, as in ``networkx.average_clustering``.
    """
    view = model.ties.directed(model.population.size)
    if model.compiled:
        from .compiled.measure import closed_wedges, eligible_centres

        eligible = eligible_centres(view.start, alive)
        if len(eligible) == 0:
            return 0.0
        closed = closed_wedges(*_wedge_draws(model.metrics_rng, eligible, samples), view.start, view.dst)
        return float(closed / samples * len(eligible) / len(alive))
    deg = view.degree()[alive]
    eligible = alive[deg >= 2]
    if len(eligible) == 0:
        return 0.0
    rng = model.metrics_rng
    centre = eligible[rng.integers(0, len(eligible), samples)]
    lo = view.start[centre]
    d = view.start[centre + 1] - lo
    first = (rng.random(samples) * d).astype(np.int64)
    second = (rng.random(samples) * (d - 1)).astype(np.int64)
    second += second >= first  # a distinct second contact
    closed = model.ties.has(view.dst[lo + first], view.dst[lo + second])
    return float(closed.mean() * len(eligible) / len(alive))


def _wedge_draws(rng: np.random.Generator, eligible: np.ndarray, samples: int):
    """The compiled path's draws for :func:`sampled_clustering`: ``samples`` centres among
    ``eligible`` and two uniforms each, which pick its two distinct contacts in the kernel."""
    centre = eligible[rng.integers(0, len(eligible), samples)]
    return centre, rng.random(samples), rng.random(samples)


LIGHT = ["step", "members", "ties", "mean_wealth"]


#: the week's counts kept on the Tick that are also metrics, in column order
TICK_COUNTS = (
    "joined",
    "left",
    "failed",
    "expelled",
    "ties_made",
    "ties_cut",
    "ties_dissolved",
    "introductions",
    "referrals",
)


def metric_names(strategy_names: list[str], level: str = "full") -> list[str]:
    """Column names of the per-step table, in order (without extra metrics)."""
    if level == "light":
        return LIGHT + [f"n_{s}" for s in strategy_names] + [f"wealth_{s}" for s in strategy_names]
    base = [
        "step",
        "members",
        "ties",
        "mean_degree",
        "clustering",
        "giant_component",
        "needs",
        "requests",
        "gifts",
        "refusals",
        "fulfilment_rate",
        "welfare",
        "gini",
        "mean_wealth",
        "mean_trust",
        "mean_strength",
        *TICK_COUNTS,
    ]
    return base + [f"n_{s}" for s in strategy_names] + [f"wealth_{s}" for s in strategy_names]


def compute_metrics(model: GiveTakeModel) -> dict[str, float]:
    pop, ties = model.population, model.ties
    alive = pop.alive_slots()
    n = len(alive)
    m: dict[str, float] = {"step": model.steps, "members": n, "ties": ties.count}
    k = len(model.strategies)
    if model.metric_level == "full" and model.compiled and n:
        mean_wealth, counts, sums = _network_and_exchange_compiled(model, alive, m)
        m["mean_wealth"] = mean_wealth
    else:
        if model.metric_level == "full":
            _network_and_exchange(model, alive, m)
        wealth = pop.wealth[alive]
        m["mean_wealth"] = float(wealth.mean()) if n else 0.0
        strat = pop.strategy[alive]
        counts = np.bincount(strat, minlength=k)
        sums = np.bincount(strat, weights=wealth, minlength=k)
    for i, s in enumerate(model.strategy_names):
        m[f"n_{s}"] = int(counts[i])
        m[f"wealth_{s}"] = float(sums[i] / counts[i]) if counts[i] else 0.0
    for name, fn in model.extra_metrics.items():
        m[name] = fn(model)
    return m


def _network_and_exchange_compiled(model: GiveTakeModel, alive: np.ndarray, m: dict[str, float]):
    """:func:`_network_and_exchange`, the mean wealth and the members and wealth of each
    strategy, with the arrays read by one compiled kernel
    (:func:`simulation.compiled.measure.week_measures`, which also makes the same draws from
    the metrics' generator): the same values.  Returns the mean wealth and the per-strategy counts and sums."""
    from .compiled.generator import handle
    from .compiled.measure import week_measures

    pop, ties, tick = model.population, model.ties, model.tick
    n = len(alive)
    m["mean_degree"] = 2.0 * ties.count / n
    view = ties.directed(pop.size)
    closed, eligible, giant, gini_, wealth_sum, trust_sum, strength_sum, n_live, counts, sums = week_measures(
        handle(model.metrics_rng),
        CLUSTERING_SAMPLES,
        view.start,
        view.dst,
        pop.alive[: pop.size],
        alive,
        pop.wealth,
        pop.strategy,
        len(model.strategies),
        ties.live(),
        ties.trust,
        ties.strength,
    )
    m["clustering"] = float(closed / CLUSTERING_SAMPLES * eligible / n) if eligible else 0.0
    m["giant_component"] = float(giant / n)
    _exchange_counts(tick, m)
    m["gini"] = float(gini_)
    m["mean_trust"] = float(trust_sum / (2 * n_live)) if n_live else 0.0
    m["mean_strength"] = float(strength_sum / n_live) if n_live else 0.0
    for name in TICK_COUNTS:
        m[name] = getattr(tick, name)
    return float(wealth_sum / n), counts, sums


def _exchange_counts(tick, m: dict[str, float]) -> None:
    """The week's needs, requests, gifts, refusals, share of needs met and value created."""
    gifts = len(tick.gifts)
    m["needs"] = tick.needs
    m["requests"] = tick.requests
    m["gifts"] = gifts
    m["refusals"] = len(tick.refusals)
    m["fulfilment_rate"] = gifts / tick.needs if tick.needs else 0.0
    m["welfare"] = tick.welfare


def _network_and_exchange(model: GiveTakeModel, alive: np.ndarray, m: dict[str, float]) -> None:
    """The full level's network and exchange measures on the numpy path (the compiled path's
    twin: :func:`_network_and_exchange_compiled`), and for a model with no members."""
    pop, ties, tick = model.population, model.ties, model.tick
    n = len(alive)
    m["mean_degree"] = 2.0 * ties.count / n if n else 0.0
    m["clustering"] = sampled_clustering(model, alive, CLUSTERING_SAMPLES) if n else 0.0
    if n:
        adj = adjacency(model)
        # the matrix is symmetric, so strong components are the components; this
        # variant skips the transpose the undirected one builds
        _, labels = connected_components(adj, directed=True, connection="strong")
        m["giant_component"] = float(np.bincount(labels[alive]).max() / n)
    else:
        m["giant_component"] = 0.0
    _exchange_counts(tick, m)
    m["gini"] = gini(pop.wealth[alive])
    e = ties.live()
    # np.take copies the same rows as ties.trust[e], several times faster
    m["mean_trust"] = float(np.take(ties.trust, e, axis=0).mean()) if len(e) else 0.0
    m["mean_strength"] = float(ties.strength[e].mean()) if len(e) else 0.0
    for name in TICK_COUNTS:
        m[name] = getattr(tick, name)
