"""GiveTakeModel: members with give/take strategies on an evolving network.

The model owns the random generator, the member arrays
(:class:`~simulation.population.Population`), the tie graph
(:class:`~simulation.ties.TieGraph`) and the pipeline of mechanisms.  Members
are real ``mesa.Agent`` objects (:class:`~simulation.members.Member`) that read
and write through the arrays, so Mesa's ``AgentSet``, ``DataCollector`` and
visualisation work, while every mechanism runs vectorised.

Examples
--------
>>> model = GiveTakeModel(rng=1, population__size=60, network__mean_degree=6)
>>> model.run_for(3)
>>> df = model.datacollector.get_model_vars_dataframe()
>>> df["step"].tolist()
[0, 1, 2, 3]
>>> len(model.agents) == int(df["members"].iloc[-1])
True
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np

from .arrays import sum_of_copies
from .compiled import load as load_kernels
from .graphml import write_graphml
from .mechanisms import Mechanism, get_mechanism
from .mechanisms.fused import stages as fused_stages
from .members import Member
from .metrics import ExtraMetrics, compute_metrics, metric_names
from .population import Population
from .scenario import BUILTIN_STRATEGIES, Scenario
from .strategies import CHOICES, ChoiceContext, DecisionContext, get_strategy
from .tick import Requests, Tick
from .ties import TieGraph
from .topology import initial_edges, network_size

__all__ = ["GiveTakeModel", "Tick", "Requests"]


#: values mesa's DataCollector stores as they are (its deepcopy gives the same object back)
_ATOMIC = (int, float, bool, str, type(None))


class MetricsCollector(mesa.DataCollector):
    """mesa's ``DataCollector`` with a reporter per metric (``model.metrics[name]``), as a
    ``DataCollector(model_reporters=...)`` of those lambdas would be; collecting appends the
    week's values straight from ``model.metrics`` instead of calling the reporters one by
    one (the same values).  Reporters added or changed later are collected by mesa's own code."""

    def __init__(self, names: list[str]):
        super().__init__(model_reporters={k: (lambda m, k=k: m.metrics[k]) for k in names})
        self._own = dict(self.model_reporters)

    def collect(self, model) -> None:
        if (
            not getattr(self, "_validated", False)
            or self.model_reporters != self._own
            or self.agent_reporters
            or self.agenttype_reporters
        ):
            return super().collect(model)
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        metrics, model_vars = model.metrics, self.model_vars
        for name in self._own:
            value = metrics[name]
            model_vars[name].append(value if type(value) in _ATOMIC else deepcopy(value))


class GiveTakeModel(mesa.Model):
    """A seeded social business networking model.

    Parameters
    ----------
    scenario : Scenario, dict or None
        The world to build; ``None`` is the default scenario (1,000 members,
        all five built-in strategies).  A dict is a partial scenario, checked.
    rng : seed or numpy Generator
        Every random draw of the run comes from this (Mesa's ``rng``).
    compiled : bool or None
        Whether stages with a compiled twin run it (``simulation.compiled``): ``None``
        follows the environment variable ``GIVETAKE_COMPILED`` (on unless ``0``) and
        numba's presence (and is the numpy path when no stage of the pipeline has a
        compiled twin, as in the classic games: ``Mechanism.compiled_twin``), ``False``
        runs the numpy code throughout.  Results are the same either way.
    **overrides
        Single settings with ``__`` for dots, e.g. ``population__size=200``
        or ``mechanisms__exchange__b=4.0``.

    Raises
    ------
    ValueError
        Invalid parameters, naming the key and the allowed range, before any step runs.
    """

    def __init__(
        self,
        scenario: Scenario | dict | None = None,
        *,
        rng=None,
        compiled: bool | None = None,
        **overrides: Any,
    ):
        if scenario is None:
            scenario = Scenario.from_dict({})
        elif isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        elif not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, a dict or None, not {type(scenario).__name__}")
        if overrides:
            scenario = scenario.with_overrides(
                {k.replace("__", "."): v for k, v in overrides.items()}, source="GiveTakeModel()"
            )
        super().__init__(rng=rng)
        self.config = scenario
        data = scenario.data
        popcfg = data["population"]

        # strategies: the built-ins always (stable columns), then any others in the mix
        names = list(BUILTIN_STRATEGIES) + [s for s in scenario.mix if s not in BUILTIN_STRATEGIES]
        self.strategy_names = names
        self.strategies = [get_strategy(s)(**data["strategies"].get(s, {})) for s in names]
        self.mix = np.array([scenario.mix.get(s, 0.0) for s in names])
        self.asks_factor = np.array([s.asks_factor for s in self.strategies])
        self.tolerance = np.array([s.tolerance for s in self.strategies], float)
        self.spares_good_standing = np.array([s.spares_good_standing for s in self.strategies], bool)
        self.cuts_distrusted = np.array([s.cuts_distrusted for s in self.strategies])
        # what a strategy does is read from its classifier, as Axelrod's players are
        self.introduces = np.array([bool(s.classifier["introduces"]) for s in self.strategies])
        #: choice kind -> which strategies make that choice themselves (Strategy.chooses)
        self.chooses = {kind: np.array([kind in s.chooses for s in self.strategies]) for kind in CHOICES}

        self.pipeline: list[Mechanism] = [
            get_mechanism(name)(**data["mechanisms"].get(name, {})) for name in data["pipeline"]
        ]
        #: the network's own rules, read by every mechanism that makes ties (contacts.connect)
        self.max_ties = data["network"]["max_ties"]
        self.uses_standing = any(m.name == "standing" for m in self.pipeline)
        self.metrics_rng = np.random.default_rng(self.rng.integers(2**63))
        #: columns the mechanisms add (a copy of the model gets functions reading its own)
        self.extra_metrics: dict[str, Callable[[GiveTakeModel], float]] = ExtraMetrics()

        # a lattice's size is width x height, whatever population.size says
        self.initial_size = network_size(data["network"], popcfg["size"])
        self.population = Population(
            popcfg["skills"], popcfg["interests"], 1, capacity=int(self.initial_size * 1.25)
        )
        self.ties = TieGraph(capacity=int(self.initial_size * data["network"]["mean_degree"] * 0.75) + 16)
        #: stages with a compiled twin run it (``simulation.compiled``); same results either way
        if compiled is None and not any(m.compiled_twin for m in self.pipeline):
            compiled = False  # no stage would use the kernels: numba is not even imported
        self.compiled = load_kernels(compiled) is not None
        self.ties.compiled = self.compiled
        self.members: list[Member] = []
        self.tick = Tick()
        self.add_members(self.initial_size, initial=True)
        self._build_network(data["network"])
        for mech in self.pipeline:
            mech.setup(self)

        self.metric_level = data["metrics"]
        names_all = metric_names(self.strategy_names, self.metric_level)
        self.metrics: dict[str, float] = {}
        names_all += [k for k in self.extra_metrics if k not in names_all]
        self.datacollector = MetricsCollector(names_all)
        self._measure()

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a model saved in another process (a class resumed, a pickled copy sent to a
        # worker): its compiled twins are loaded here, or it takes the numpy path
        self.__dict__.update(state)
        if not isinstance(self.extra_metrics, ExtraMetrics):  # saved before extra_metrics was one
            self.extra_metrics = ExtraMetrics(self.extra_metrics)
        # saved before a strategy could spare members in good standing: the rule as it is now
        if "spares_good_standing" not in state:
            self.spares_good_standing = np.array([s.spares_good_standing for s in self.strategies], bool)
        if self.compiled:
            self.compiled = load_kernels(None) is not None
            self.ties.compiled = self.compiled

    # -- the step ---------------------------------------------------------
    def step(self) -> None:
        """One week: run every mechanism of the pipeline, then measure.

        Dead ties are compacted away here, between weeks, so that every tie index a
        mechanism records during the week keeps naming the same pair of members.
        """
        self.ties.compact_if_sparse()
        self.tick = Tick()
        for stage in self._stages():
            stage.step(self)
        self._measure()

    def _stages(self) -> list:
        """The pipeline as it runs: runs of stages that can go together in one compiled call
        made one (:func:`simulation.mechanisms.fused.stages`), kept until the pipeline changes."""
        key = tuple(map(id, self.pipeline))
        cached = self.__dict__.get("_stage_cache")
        if cached is None or cached[0] != key:
            cached = self._stage_cache = (key, fused_stages(self.pipeline))
        return cached[1]

    def _measure(self) -> None:
        self.metrics = compute_metrics(self)
        self.datacollector.collect(self)

    def mechanism(self, name: str) -> Mechanism | None:
        """The pipeline's mechanism called ``name``, or None."""
        for mech in self.pipeline:
            if mech.name == name:
                return mech
        return None

    # -- services used by mechanisms ----------------------------------------
    def uses_builtin(self, *names: str) -> bool:
        """Whether the model's methods ``names`` are those of :class:`GiveTakeModel` (no
        subclass changed them): a compiled stage that does their work itself asks first."""
        cls = type(self)
        return all(getattr(cls, name) is getattr(GiveTakeModel, name) for name in names)

    def decide(self, ctx: DecisionContext) -> np.ndarray:
        """Ask each giver's strategy about its requests; boolean array aligned with ``ctx``."""
        out = np.zeros(len(ctx), bool)
        strat = self.population.strategy[ctx.giver]
        present = np.flatnonzero(np.bincount(strat, minlength=len(self.strategies)))
        if len(present) == 1:
            out[:] = self.strategies[present[0]].gives(ctx)
            return out
        for i in present:
            sel = np.flatnonzero(strat == i)
            out[sel] = self.strategies[i].gives(DecisionContext.subset(ctx, sel))
        return out

    def choosers(self, kind: str, members: np.ndarray) -> np.ndarray:
        """Which of ``members`` make choices of ``kind`` themselves (their strategy's
        :attr:`~simulation.strategies.Strategy.chooses`); boolean array."""
        if not self.chooses[kind].any():
            return np.zeros(len(members), bool)
        return self.chooses[kind][self.population.strategy[members]]

    def choose(self, ctx: ChoiceContext) -> np.ndarray:
        """Preferences for the candidates in ``ctx``: each choosing member's strategy
        decides (:meth:`~simulation.strategies.Strategy.choose`), the others keep the
        mechanism's own ``ctx.score``."""
        out = np.array(ctx.score, float, copy=True)
        mine = self.chooses[ctx.kind]
        if not mine.any() or len(ctx) == 0:
            return out
        strat = self.population.strategy[ctx.member]
        for i in np.flatnonzero(mine):
            sel = np.flatnonzero(strat == i)
            if len(sel):
                out[sel] = self.strategies[i].choose(ctx.take(sel))
        return out

    def standing_of(self, subject: np.ndarray, viewer: np.ndarray, edge: np.ndarray) -> np.ndarray:
        """How each ``viewer[k]`` sees ``subject[k]`` (tied by ``edge[k]``), in ``[0, 1]``.

        With the ``standing`` mechanism in the pipeline this is the viewer's own image
        of the subject, learnt first-hand and by gossip; without it, the public record
        (:meth:`Population.reputation`), as if everyone knew everything that became public.
        """
        if self.uses_standing:
            return self.ties.image[edge, self.ties.direction(edge, viewer)]
        return self.population.reputation(subject)

    def pay(self, slots: np.ndarray, amount: float | np.ndarray) -> None:
        """Change members' wealth; every change of value goes through here (welfare)."""
        amounts = np.broadcast_to(np.asarray(amount, float), np.shape(slots))
        np.add.at(self.population.wealth, slots, amounts)
        self.tick.welfare += float(amounts.sum())

    def paid(self, n: int, amount: float) -> None:
        """Count in the week's welfare what :meth:`pay` of ``amount`` to ``n`` members counts,
        for a compiled stage that has changed their wealth itself (the same sum)."""
        self.tick.welfare += sum_of_copies(n, amount)

    def strategy_table(self):
        """The built-in strategies' codes and parameters for the compiled favours
        (:func:`simulation.strategies.builtin.strategy_table`), or ``None`` when a stage
        that asks the strategies must take the numpy path: a strategy that is not a
        built-in, or a subclass whose ``decide`` or ``standing_of`` is its own."""
        if not self.uses_builtin("decide", "standing_of"):
            return None
        from .strategies.builtin import strategy_table

        return strategy_table(self.strategies)

    def draw_strategies(self, n: int) -> np.ndarray:
        """Strategy indices for ``n`` members drawn from the scenario's mix (exact counts
        by largest remainder, then shuffled)."""
        if self.compiled:  # the same draws in one compiled call, where it draws them itself
            from .compiled.churn import strategies
            from .compiled.generator import handle
            from .draws import SUM_TOLERANCE

            drawn, plain = strategies(handle(self.rng), np.asarray(self.mix, np.float64), n, SUM_TOLERANCE)
            if plain:
                return drawn.astype(np.int16)
        raw = self.mix * n
        counts = np.floor(raw).astype(np.int64)
        short = n - counts.sum()
        if short:
            rem = raw - counts
            if self.compiled:  # the same draws, without Generator.choice's checks
                from .draws import choice_distinct

                extra = choice_distinct(self.rng, len(rem), short, rem / rem.sum())
            else:
                extra = self.rng.choice(len(rem), size=short, replace=False, p=rem / rem.sum())
            counts[extra] += 1
        strat = np.repeat(np.arange(len(self.mix)), counts)
        return self.rng.permutation(strat).astype(np.int16)

    def add_members(self, n: int, strategies: np.ndarray | None = None, initial: bool = False) -> np.ndarray:
        """Create ``n`` members (Mesa agents and array slots); returns their slots."""
        cfg = self.config.data["population"]
        if strategies is None:
            strategies = self.draw_strategies(n)
        pop = self.population
        slots = pop.add(n, strategy=strategies, step=self.steps, wealth=cfg["initial_wealth"])
        self.assign_skills(slots)
        pop.interests[slots] = self._random_subsets(len(slots), pop.n_interests, cfg["interests_per_member"])
        pop.rank[slots] = self.rng.integers(0, cfg["rank_levels"], len(slots))
        return self._welcome(slots, initial)

    def _add_drawn(
        self, strategies: np.ndarray, skills: np.ndarray, interests: np.ndarray, rank: np.ndarray
    ) -> np.ndarray:
        """:meth:`add_members` for newcomers whose strategies, skills, interests and rank a
        compiled stage has drawn as it draws them (``compiled.churn.leave``); returns their slots."""
        pop = self.population
        n = len(strategies)
        slots = pop.add(
            n, strategy=strategies, step=self.steps, wealth=self.config.data["population"]["initial_wealth"]
        )
        first = pop.size - n
        pop.skills[first : pop.size] = skills
        pop.interests[first : pop.size] = interests
        pop.rank[first : pop.size] = rank
        return self._welcome(slots, False)

    def _welcome(self, slots: np.ndarray, initial: bool) -> np.ndarray:
        """The Mesa agents of the new ``slots``; unless ``initial``, count them and tell the mechanisms."""
        for slot in slots:
            self.members.append(Member(self, int(slot)))
        if not initial:
            self.tick.joined += len(slots)
            for mech in self.pipeline:
                mech.on_join(self, slots)
        return slots

    def assign_skills(self, slots: np.ndarray) -> None:
        pop = self.population
        pop.skills[slots] = self._random_subsets(
            len(slots), pop.n_skills, self.config.data["population"]["skills_per_member"]
        )

    def _random_subsets(self, n: int, k: int, size: int) -> np.ndarray:
        out = np.zeros((n, k), bool)
        if n and self.compiled:
            from .compiled.churn import random_subsets
            from .compiled.generator import handle

            return random_subsets(handle(self.rng), n, k, size)
        if n:
            pick = np.argpartition(self.rng.random((n, k)), size - 1, axis=1)[:, :size]
            np.put_along_axis(out, pick, True, axis=1)
        return out

    def remove_members(self, slots: np.ndarray) -> None:
        """Members leave: their ties go, their agents are removed from Mesa."""
        if len(slots) == 0:
            return
        self.tick.left += len(slots)
        self.ties.remove_members(slots, self.population.size)
        self.population.remove(slots, self.steps)
        for slot in slots:
            self.members[slot].remove()

    def _build_network(self, cfg: dict[str, Any]) -> None:
        edges = initial_edges(self, cfg, self.initial_size)
        self.ties.add(edges[:, 0], edges[:, 1], strength=cfg["strength"], trust=cfg["trust"], step=0)

    # -- views -----------------------------------------------------------
    def member(self, slot: int) -> Member:
        return self.members[slot]

    def network_columns(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The current network as columns: ``(nodes, edges)``.

        ``nodes`` maps ``id`` (the member slot) and each node attribute (``unique_id,
        strategy, wealth, reputation, rank, skills, joined, gifts_given, gifts_received``)
        to an array with a row per member; ``edges`` maps ``source, target`` and each edge
        attribute (``strength, weight, trust_uv, trust_vu, ledger_uv, ledger_vu``; ``uv``:
        from ``source`` to ``target``, ``weight`` = strength) to an array with a row per
        tie.  What :meth:`to_networkx` and :meth:`export_network` are made of.
        """
        pop, ties = self.population, self.ties
        alive = pop.alive_slots()
        names = np.array(self.strategy_names, dtype=object)
        nodes = {
            "id": alive,
            "unique_id": np.array([self.members[i].unique_id for i in alive], dtype=np.int64),
            "strategy": names[pop.strategy[alive]],
            "wealth": pop.wealth[alive].astype(float),
            "reputation": np.asarray(pop.reputation(alive), dtype=float),
            "rank": pop.rank[alive].astype(np.int64),
            "skills": np.array(
                [",".join(map(str, np.flatnonzero(pop.skills[i]))) for i in alive], dtype=object
            ),
            "joined": pop.joined[alive].astype(np.int64),
            "gifts_given": pop.gifts_given[alive].astype(np.int64),
            "gifts_received": pop.gifts_received[alive].astype(np.int64),
        }
        e = ties.live()
        edges = {
            "source": ties.u[e].astype(np.int64),
            "target": ties.v[e].astype(np.int64),
            "strength": ties.strength[e].astype(float),
            "weight": ties.strength[e].astype(float),
            "trust_uv": ties.trust[e, 0].astype(float),
            "trust_vu": ties.trust[e, 1].astype(float),
            "ledger_uv": ties.ledger[e, 0].astype(np.int64),
            "ledger_vu": ties.ledger[e, 1].astype(np.int64),
        }
        return nodes, edges

    def to_networkx(self) -> nx.Graph:
        """A snapshot of the current network with member and tie attributes (the columns of
        :meth:`network_columns`: nodes are member slots)."""
        nodes, edges = self.network_columns()
        g = nx.Graph()
        node_keys = [k for k in nodes if k != "id"]
        g.add_nodes_from(
            (int(i), dict(zip(node_keys, values)))
            for i, *values in zip(nodes["id"].tolist(), *(nodes[k].tolist() for k in node_keys))
        )
        edge_keys = [k for k in edges if k not in ("source", "target")]
        g.add_edges_from(
            (u, v, dict(zip(edge_keys, values)))
            for u, v, *values in zip(
                edges["source"].tolist(), edges["target"].tolist(), *(edges[k].tolist() for k in edge_keys)
            )
        )
        return g

    def export_network(self, path: str | Path) -> Path:
        """Write the current network as GraphML (``.graphml``) or GEXF (``.gexf``), making its
        folder if need be (``model.export_network("results/network.graphml")`` works anywhere)."""
        path = Path(path)
        if path.suffix in (".graphml", ".gexf"):
            path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".graphml":
            write_graphml(path, *self.network_columns())
        elif path.suffix == ".gexf":
            nx.write_gexf(self.to_networkx(), path)
        else:
            raise ValueError(f"{path}: expected a .graphml or .gexf file name")
        return path
