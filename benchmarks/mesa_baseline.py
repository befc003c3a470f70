"""The engine's weekly step written the idiomatic Mesa way: a reference baseline.

What the engine does, written per agent the way a Mesa user would: every
member is a :class:`mesa.Agent` holding its own state in plain attributes,
its contacts in a ``dict`` (contact -> :class:`Tie`), and methods that loop
over its own contacts in plain Python.  Ties are small Python objects shared
by their two ends.  The model runs the same pipeline of mechanisms as
:class:`simulation.model.GiveTakeModel`, reading every parameter from the same
:class:`simulation.scenario.Scenario`, and collects the same metric columns
with a :class:`mesa.DataCollector`.

Nothing here calls the engine's vectorised code: strategies decide request by
request, metrics are computed by loops (the giant component by breadth-first
search over the contact dicts, clustering by the same wedge-sampling
estimator).  Random streams differ from the engine's, so runs are compared
as distributions (``benchmarks/bench_engine_vs_mesa.py``).

Supported: the built-in mechanisms of the weekly dynamics (any order in
``pipeline``), the built-in strategies, and the non-lattice initial networks.
The ``ecosystems`` stage only observes the network (community detection
every few steps, adding its own columns) and is left out.

Examples
--------
>>> model = MesaBaselineModel(rng=1, population__size=60, network__mean_degree=6)
>>> model.run_for(3)
>>> df = model.datacollector.get_model_vars_dataframe()
>>> df["step"].tolist()
[0, 1, 2, 3]
>>> bool(len(model.agents) == df["members"].iloc[-1])
True
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import mesa
import networkx as nx

from simulation.metrics import CLUSTERING_SAMPLES, metric_names
from simulation.scenario import Scenario
from simulation.strategies import BUILTIN

__all__ = ["MesaBaselineModel", "Person", "Tie", "Rules", "make_rules"]


# -- strategies: one decision per request --------------------------------------


class Rules:
    """A give/take strategy as plain Python: how widely to ask, whom to give to, when to cut."""

    name = ""
    asks_factor = 1.0
    tolerance = math.inf  # gifts given beyond those received before cutting the tie
    cuts_distrusted = False
    introduces = False

    def __init__(self, **params: Any):
        for key, value in params.items():
            setattr(self, key, value)

    def gives(self, giver: Person, asker: Person, tie: Tie) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GiverRules(Rules):
    name = "giver"

    def gives(self, giver, asker, tie):
        return True


class OtherishRules(Rules):
    name = "otherish_giver"
    tolerance = 8.0
    cuts_distrusted = True
    min_reputation = 0.3
    max_imbalance = 4
    forgive = 1 / 3
    good_standing = 0.5

    def gives(self, giver, asker, tie):
        balance = tie.given[giver] - tie.given[asker]
        standing = asker.reputation
        if standing < self.min_reputation:  # screened out by standing: not forgiven
            return False
        if standing >= self.good_standing or balance < self.max_imbalance:
            return True
        return self.forgive > 0 and giver.random.random() < self.forgive  # owes it: forgiven at times


class MatcherRules(Rules):
    """The core model's matcher: credit whenever ledger and standing allow (the engine's
    ``follows_beliefs`` and ``discriminates`` are off in :func:`core`)."""

    name = "matcher"
    tolerance = 2.0
    cuts_distrusted = True
    credit = 1
    min_standing = 0.4

    def gives(self, giver, asker, tie):
        balance = tie.given[giver] - tie.given[asker]
        return balance < 0 or (balance < self.credit and asker.reputation >= self.min_standing)


class TakerRules(Rules):
    name = "taker"
    asks_factor = 2.0

    def gives(self, giver, asker, tie):
        return False


class ConnectorRules(OtherishRules):
    name = "connector"
    introduces = True


RULES = {r.name: r for r in (GiverRules, OtherishRules, MatcherRules, TakerRules, ConnectorRules)}


def make_rules(name: str, params: dict[str, Any]) -> Rules:
    """The plain-Python rules of the built-in strategy ``name`` with the scenario's parameters."""
    if name not in RULES:
        raise ValueError(f"the Mesa baseline knows only the built-in strategies, not {name!r}")
    return RULES[name](**params)


# -- ties and members -----------------------------------------------------------


class Tie:
    """A relationship between two members, seen the same from both ends.

    ``trust[x]`` is how much ``x`` trusts the other end; ``given[x]`` how many
    gifts ``x`` has given the other end.
    """

    __slots__ = ("a", "b", "strength", "trust", "given", "last_used", "born", "alive")

    def __init__(self, a: Person, b: Person, strength: float, trust: float, step: int):
        self.a, self.b = a, b
        self.strength = strength
        self.trust = {a: trust, b: trust}
        self.given = {a: 0, b: 0}
        self.last_used = step
        self.born = step
        self.alive = True

    def other(self, member: Person) -> Person:
        return self.b if member is self.a else self.a


class Person(mesa.Agent):
    """A business person with a give/take strategy, a few skills and its own contacts."""

    model: MesaBaselineModel

    def __init__(self, model: MesaBaselineModel, rules: Rules, wealth: float):
        super().__init__(model)
        self.rules = rules
        self.wealth = wealth
        self.skills: set[int] = set()
        self.interests: set[int] = set()
        self.rank = 0
        self.contacts: dict[Person, Tie] = {}
        self.need: int | None = None
        self.line: list[tuple[Person, Tie]] = []  # whom to ask this week, in order
        self.served = False
        self.capacity_left = 0
        self.public_gifts = 0.0
        self.public_refusals = 0.0
        self.gifts_given = 0
        self.gifts_received = 0
        self.refusals = 0
        self.joined = model.steps
        self.alive = True

    @property
    def strategy(self) -> str:
        return self.rules.name

    @property
    def reputation(self) -> float:
        """Laplace estimate of the known share of requests met (0.5 with no record)."""
        return (self.public_gifts + 1.0) / (self.public_gifts + self.public_refusals + 2.0)

    def random_contact(self) -> Person:
        return self.random.choice(list(self.contacts))

    # needs
    def draw_need(self, p_need: float, n_skills: int) -> None:
        self.need = None
        self.line = []
        self.served = False
        if self.random.random() < p_need:
            self.need = self.random.choice([s for s in range(n_skills) if s not in self.skills])

    # asking
    def line_up(self, asks: int, exploration: float) -> None:
        """Rank the contacts who have the needed skill: my trust x tie strength + noise."""
        if self.need is None:
            return
        scored = []
        for contact, tie in self.contacts.items():
            if self.need in contact.skills:
                score = tie.trust[self] * tie.strength + exploration * self.random.random()
                scored.append((score, contact, tie))
        scored.sort(key=lambda x: -x[0])
        limit = round(asks * self.rules.asks_factor)
        self.line = [(contact, tie) for _, contact, tie in scored[:limit]]

    # giving
    def answer(self, asker: Person, tie: Tie) -> str:
        """'gift', 'refusal' or 'busy' (willing but out of time this week)."""
        if not self.rules.gives(self, asker, tie):
            return "refusal"
        if self.capacity_left <= 0:
            return "busy"
        self.capacity_left -= 1
        return "gift"

    # maintenance
    def decay_ties(self, decay: float, min_strength: float) -> list[Tie]:
        """Unused ties weaken; returns those now too weak to last.  Each tie is handled by its first end."""
        weak = []
        step = self.model.steps
        for tie in self.contacts.values():
            if tie.a is not self:
                continue
            if tie.last_used < step:
                tie.strength -= decay
            if tie.strength < min_strength:
                weak.append(tie)
        return weak

    def wants_to_cut(self, tie: Tie, cut_trust: float) -> bool:
        """Given more than my strategy tolerates without return, or (if wary) trust too low."""
        other = tie.other(self)
        if tie.given[self] - tie.given[other] > self.rules.tolerance:
            return True
        return self.rules.cuts_distrusted and tie.trust[self] < cut_trust

    # meeting
    def propose_meetings(self, cfg: dict, everyone: list[Person], attach_cum: list[float], out: list) -> None:
        rnd = self.random
        if rnd.random() < cfg["p_triadic"] and self.contacts:
            mid = self.random_contact()
            if mid.contacts:
                out.append((self, mid.random_contact()))
        if rnd.random() < cfg["p_random"]:
            out.append((self, rnd.choice(everyone)))
        if rnd.random() < cfg["p_attach"]:
            out.append((self, rnd.choices(everyone, cum_weights=attach_cum)[0]))

    # introductions
    def ask_for_introduction(self, p_ask: float, tries: int, out: list) -> None:
        if self.need is None or not self.contacts or self.random.random() >= p_ask:
            return
        ties = list(self.contacts.values())
        weights = [max(t.strength, 1e-12) for t in ties]
        best = self.random.choices(ties, weights=weights)[0].other(self)
        for _ in range(tries):
            cand = best.random_contact()
            if cand is not self and self.need in cand.skills:
                out.append((self, cand))
                return

    def broker(self, p_broker: float, tries: int, out: list) -> None:
        if not self.rules.introduces or len(self.contacts) < 2 or self.random.random() >= p_broker:
            return
        for _ in range(tries):
            x, y = self.random_contact(), self.random_contact()
            if x is y:
                continue
            if (x.need is not None and x.need in y.skills) or (y.need is not None and y.need in x.skills):
                out.append((x, y))

    # learning
    def compare(self, beta: float) -> tuple[Person, Rules] | None:
        other = self.random_contact()
        diff = other.wealth - self.wealth
        p = 1.0 / (1.0 + math.exp(max(-700.0, min(700.0, -beta * diff))))
        if self.random.random() < p:
            return self, other.rules
        return None


# -- the model --------------------------------------------------------------------

MECHANISM_NAMES = (
    "needs",
    "asking",
    "giving",
    "exchange",
    "reputation",
    "maintenance",
    "meeting",
    "introductions",
    "churn",
    "learning",
)

#: stages that only observe the network (community detection); the baseline leaves them out
OBSERVERS = ("ecosystems",)

#: the settings under which the engine runs the model this baseline implements: the core
#: pipeline, with the behaviours the baseline does not implement switched off (indirect
#: reciprocity by tie images, referrals, time budgets, voluntary exit and attraction)
CORE: dict[str, Any] = {
    "pipeline": list(MECHANISM_NAMES),
    "mechanisms": {
        "giving": {"choose": "random"},
        "maintenance": {"tie_time": 0.0},
        "churn": {"p_quit": 0.0, "arrival_rate": 0.0, "replace": True},
    },
    "strategies": {"matcher": {"follows_beliefs": False, "discriminates": False}},
}


def core(scenario: dict[str, Any] | None = None) -> dict[str, Any]:
    """``scenario`` (a partial dict) on top of :data:`CORE`, tables merged key by key."""

    def merge(base: dict, top: dict) -> dict:
        out = dict(base)
        for k, v in top.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    return merge(CORE, scenario or {})


class MesaBaselineModel(mesa.Model):
    """What the engine does, written per agent the way a Mesa user would.

    Same constructor as :class:`simulation.model.GiveTakeModel`: a scenario
    (``Scenario``, partial dict or ``None`` for the default), Mesa's ``rng``
    and ``__``-separated overrides.
    """

    def __init__(self, scenario: Scenario | dict | None = None, *, rng=None, **overrides: Any):
        if scenario is None:
            scenario = Scenario.from_dict({})
        elif isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        if overrides:
            scenario = scenario.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
        super().__init__(rng=rng)
        self.config = scenario  # (Mesa's Model already has a `scenario` attribute)
        data = scenario.data
        self.pop_cfg = data["population"]
        self.pipeline = [m for m in data["pipeline"] if m not in OBSERVERS]
        unknown = [m for m in self.pipeline if m not in MECHANISM_NAMES]
        off = {
            "mechanisms.giving.choose": "random",
            "mechanisms.maintenance.tie_time": 0.0,
            "mechanisms.churn.p_quit": 0.0,
            "strategies.matcher.follows_beliefs": False,
            "strategies.matcher.discriminates": False,
        }
        if any(scenario.get(k) != v for k, v in off.items()):
            raise ValueError(f"the Mesa baseline implements the core model only: needs {off} (see core())")
        if unknown:
            raise ValueError(f"the Mesa baseline has no per-agent version of {unknown}")
        self.mech = {name: dict(data["mechanisms"][name]) for name in MECHANISM_NAMES}
        net = data["network"]
        self.max_ties = net["max_ties"]
        self.newcomer_tie = (net["new_tie_strength"], net["new_tie_trust"])
        self.newcomer_bias = net["attachment_bias"]

        self.strategy_names = list(BUILTIN) + [s for s in scenario.mix if s not in BUILTIN]
        self.rules = {s: make_rules(s, data["strategies"].get(s, {})) for s in self.strategy_names}
        self.mix = [(s, scenario.mix.get(s, 0.0)) for s in self.strategy_names]
        self.metrics_random = type(self.random)(self.random.getrandbits(64))

        self.n_ties = 0
        self.tick: dict[str, float] = {}
        self.new_tick()
        net = data["network"]
        if net["kind"] == "lattice":
            raise ValueError("the Mesa baseline does not build lattices")
        self.initial_size = self.pop_cfg["size"]
        self.attraction = 1.0  # running average of the weekly fulfilment rate (churn)
        people = self.add_people(self.initial_size)
        self.build_network(people, net)

        self.metric_level = data["metrics"]
        self.metrics: dict[str, float] = {}
        self.datacollector = self.new_datacollector()
        self.measure()

    def new_datacollector(self) -> mesa.DataCollector:
        return mesa.DataCollector(
            model_reporters={
                k: (lambda m, k=k: m.metrics[k]) for k in metric_names(self.strategy_names, self.metric_level)
            }
        )

    @classmethod
    def from_engine(cls, engine, *, rng=None) -> MesaBaselineModel:
        """A baseline model in the state an engine model is in now, for step-by-step comparisons.

        Copies the live members (strategy, wealth, skills, interests, rank,
        records), every live tie (strength, trust and ledger per direction,
        last use) and the step counter; reads the engine, never changes it.
        The copy continues with its own random stream ``rng``.
        """
        config = engine.config
        data = config.data
        small = config.with_overrides(
            {"population.size": 2, "network.kind": "empty", "network.mean_degree": 0}
        )
        model = cls(small, rng=rng)
        model.config = config
        model.pop_cfg = data["population"]
        model.initial_size = engine.initial_size
        for person in list(model.agents):
            model.leave(person)
        pop, ties = engine.population, engine.ties
        people: dict[int, Person] = {}
        for slot in pop.alive_slots().tolist():
            name = engine.strategy_names[pop.strategy[slot]]
            person = Person(model, model.rules[name], float(pop.wealth[slot]))
            person.skills = {int(k) for k in pop.skills[slot].nonzero()[0]}
            person.interests = {int(k) for k in pop.interests[slot].nonzero()[0]}
            person.rank = int(pop.rank[slot])
            person.public_gifts = float(pop.public_gifts[slot])
            person.public_refusals = float(pop.public_refusals[slot])
            person.gifts_given = int(pop.gifts_given[slot])
            person.gifts_received = int(pop.gifts_received[slot])
            person.refusals = int(pop.refusals[slot])
            person.joined = int(pop.joined[slot])
            people[slot] = person
        for e in ties.live().tolist():
            u, v = people[int(ties.u[e])], people[int(ties.v[e])]
            tie = model.add_tie(u, v, float(ties.strength[e]), 0.0)
            tie.trust[u], tie.trust[v] = float(ties.trust[e, 0]), float(ties.trust[e, 1])
            tie.given[u], tie.given[v] = int(ties.ledger[e, 0]), int(ties.ledger[e, 1])
            tie.last_used, tie.born = int(ties.last_used[e]), int(ties.born[e])
        model.steps = engine.steps  # (Mesa's clock keeps its own time; only the step counter is read)
        model.new_tick()
        model.datacollector = model.new_datacollector()
        model.measure()
        return model

    def new_tick(self) -> None:
        self.tick = dict(needs=0, requests=0, gifts=0, refusals=0, welfare=0.0, joined=0, left=0, failed=0)
        self.tick.update(expelled=0, ties_made=0, ties_cut=0, ties_dissolved=0, introductions=0, referrals=0)
        self.gift_list: list[tuple[Person, Person, Tie]] = []
        self.refusal_list: list[tuple[Person, Person, Tie]] = []

    # -- the step ----------------------------------------------------------------
    def step(self) -> None:
        self.new_tick()
        for name in self.pipeline:
            getattr(self, f"do_{name}")()
        self.measure()

    def do_needs(self) -> None:
        p = self.mech["needs"]["p_need"]
        self.agents.shuffle_do("draw_need", p, self.pop_cfg["skills"])
        self.tick["needs"] = sum(1 for a in self.agents if a.need is not None)

    def do_asking(self) -> None:
        cfg = self.mech["asking"]
        self.agents.do("line_up", cfg["asks"], cfg["exploration"])

    def do_giving(self) -> None:
        """Rounds of asking: in round r every unmet asker asks its r-th contact (askers in random order)."""
        capacity = self.mech["giving"]["capacity"]
        for person in self.agents:
            person.capacity_left = capacity
        askers = [a for a in self.agents if a.line]
        r = 0
        while True:
            this_round = [a for a in askers if not a.served and len(a.line) > r]
            if not this_round:
                break
            self.random.shuffle(this_round)
            self.tick["requests"] += len(this_round)
            for asker in this_round:
                giver, tie = asker.line[r]
                answer = giver.answer(asker, tie)
                if answer == "gift":
                    asker.served = True
                    self.gift_list.append((giver, asker, tie))
                elif answer == "refusal":
                    self.refusal_list.append((giver, asker, tie))
            r += 1
        self.tick["gifts"] = len(self.gift_list)
        self.tick["refusals"] = len(self.refusal_list)

    def pay(self, person: Person, amount: float) -> None:
        person.wealth += amount
        self.tick["welfare"] += amount

    def do_exchange(self) -> None:
        cfg = self.mech["exchange"]
        b, c = cfg["b"], cfg["c"]
        for giver, asker, tie in self.gift_list:
            self.pay(giver, -c)
            self.pay(asker, b)
            tie.given[giver] += 1
            tie.trust[asker] += cfg["trust_gain"] * (1.0 - tie.trust[asker])
            tie.strength += cfg["strength_gain"] * (1.0 - tie.strength)  # every gift strengthens
            tie.last_used = self.steps
            asker.need = None
            giver.gifts_given += 1
            asker.gifts_received += 1
        for giver, asker, tie in self.refusal_list:
            tie.trust[asker] *= 1.0 - cfg["trust_loss"]  # the asker trusts the refuser less
            tie.trust[giver] *= 1.0 - cfg["trust_loss"]  # and the refuser expects little of the asker
            giver.refusals += 1

    def do_reputation(self) -> None:
        cfg = self.mech["reputation"]
        if cfg["forgetting"]:
            for person in self.agents:
                person.public_gifts *= 1.0 - cfg["forgetting"]
                person.public_refusals *= 1.0 - cfg["forgetting"]
        for giver, _, _ in self.gift_list:
            if self.random.random() < cfg["gossip"]:
                giver.public_gifts += 1
        for giver, _, _ in self.refusal_list:
            if self.random.random() < cfg["gossip"]:
                giver.public_refusals += 1

    def do_maintenance(self) -> None:
        """Decay and dissolution of weak ties; cutting of ties something happened on this week."""
        cfg = self.mech["maintenance"]
        weak: list[Tie] = []
        for person in self.agents:
            weak += person.decay_ties(cfg["decay"], cfg["min_strength"])
        # a member reconsiders a tie when a gift or a refusal happened on it this week
        touched = dict.fromkeys(tie for _, _, tie in self.gift_list + self.refusal_list)
        cut = [
            tie
            for tie in touched
            if tie.alive
            and (tie.a.wants_to_cut(tie, cfg["cut_trust"]) or tie.b.wants_to_cut(tie, cfg["cut_trust"]))
        ]
        for tie in cut:
            self.drop_tie(tie)
        dissolved = [tie for tie in weak if tie.alive]
        for tie in dissolved:
            self.drop_tie(tie)
        self.tick["ties_cut"], self.tick["ties_dissolved"] = len(cut), len(dissolved)

    def do_meeting(self) -> None:
        cfg = self.mech["meeting"]
        everyone = list(self.agents)
        if len(everyone) < 2:
            return
        attach_cum = self.attachment_cum_weights(everyone, self.newcomer_bias)
        proposals: list[tuple[Person, Person]] = []
        self.agents.shuffle_do("propose_meetings", cfg, everyone, attach_cum, proposals)
        self.connect(proposals, *self.newcomer_tie)

    def do_introductions(self) -> None:
        cfg = self.mech["introductions"]
        pairs: list[tuple[Person, Person]] = []
        self.agents.shuffle_do("ask_for_introduction", cfg["p_ask"], cfg["tries"], pairs)
        self.agents.shuffle_do("broker", cfg["p_broker"], cfg["tries"], pairs)
        self.tick["introductions"] = self.connect(pairs, cfg["strength"], cfg["trust"])

    def do_churn(self) -> None:
        cfg = self.mech["churn"]
        if cfg["upkeep"]:
            for person in self.agents:
                self.pay(person, -cfg["upkeep"])
        failed = [p for p in self.agents if p.wealth < cfg["failure_wealth"]]
        exits = [
            p
            for p in self.agents
            if p.wealth >= cfg["failure_wealth"] and self.random.random() < cfg["p_exit"]
        ]
        for person in failed + exits:
            self.leave(person)
        self.tick["failed"] = len(failed)
        self.tick["left"] = len(failed) + len(exits)

        n_new = len(failed) + len(exits) if cfg["replace"] else 0
        fulfilment = self.tick["gifts"] / self.tick["needs"] if self.tick["needs"] else 1.0
        self.attraction += cfg["memory"] * (fulfilment - self.attraction)
        if cfg["arrival_rate"]:
            n_new += int(self.rng.poisson(cfg["arrival_rate"] * self.initial_size * self.attraction))
        if n_new:
            newcomers = self.add_people(n_new)
            self.introduce_newcomers(newcomers, cfg["initial_contacts"])
            self.tick["joined"] = n_new

        for person in self.agents:
            if self.random.random() < cfg["p_skill_change"]:
                self.give_skills(person)
        movers = [p for p in self.agents if self.random.random() < cfg["p_relocate"]]
        decided = set()
        for person in movers:
            for tie in list(person.contacts.values()):
                if tie in decided:
                    continue
                decided.add(tie)
                if self.random.random() >= cfg["relocate_keep"]:
                    self.drop_tie(tie)

    def do_learning(self) -> None:
        cfg = self.mech["learning"]
        if cfg["p_learn"] <= 0:
            return
        learners = [p for p in self.agents if self.random.random() < cfg["p_learn"] and p.contacts]
        switches = [s for s in (p.compare(cfg["beta"]) for p in learners) if s is not None]
        for person, rules in switches:  # everyone compares first, then switches
            person.rules = rules
        self.tick["switched"] = len(switches)

    # -- services ----------------------------------------------------------------
    def draw_strategies(self, n: int) -> list[str]:
        """Strategies for ``n`` newcomers: exact counts from the mix by largest remainder, shuffled."""
        raw = [(name, share * n) for name, share in self.mix]
        counts = {name: math.floor(x) for name, x in raw}
        remainders = {name: x - counts[name] for name, x in raw}
        for _ in range(n - sum(counts.values())):
            names = [k for k, v in remainders.items() if v > 0]
            pick = self.random.choices(names, weights=[remainders[k] for k in names])[0]
            counts[pick] += 1
            remainders[pick] = 0.0
        out = [name for name, _ in self.mix for _ in range(counts[name])]
        self.random.shuffle(out)
        return out

    def add_people(self, n: int) -> list[Person]:
        cfg = self.pop_cfg
        people = []
        for name in self.draw_strategies(n):
            person = Person(self, self.rules[name], cfg["initial_wealth"])
            self.give_skills(person)
            person.interests = set(self.random.sample(range(cfg["interests"]), cfg["interests_per_member"]))
            person.rank = self.random.randrange(cfg["rank_levels"])
            people.append(person)
        return people

    def give_skills(self, person: Person) -> None:
        cfg = self.pop_cfg
        person.skills = set(self.random.sample(range(cfg["skills"]), cfg["skills_per_member"]))

    def build_network(self, people: list[Person], cfg: dict) -> None:
        n, k, kind = len(people), cfg["mean_degree"], cfg["kind"]
        if kind == "complete":
            g = nx.complete_graph(n)
        elif kind == "empty" or k == 0:
            g = nx.empty_graph(n)
        elif kind == "powerlaw_cluster":
            g = nx.powerlaw_cluster_graph(n, max(1, k // 2), cfg["triangle_p"], seed=self.random)
        elif kind == "erdos_renyi":
            g = nx.gnm_random_graph(n, n * k // 2, seed=self.random)
        elif kind == "watts_strogatz":
            g = nx.watts_strogatz_graph(n, max(2, k), cfg["triangle_p"], seed=self.random)
        elif kind == "barabasi_albert":
            g = nx.barabasi_albert_graph(n, max(1, k // 2), seed=self.random)
        elif kind == "random_regular":
            g = nx.random_regular_graph(k, n, seed=self.random)
        else:
            raise ValueError(f"the Mesa baseline does not build {kind!r} networks")
        for i, j in g.edges():
            self.add_tie(people[i], people[j], cfg["strength"], cfg["trust"])

    def add_tie(self, a: Person, b: Person, strength: float, trust: float) -> Tie:
        tie = Tie(a, b, strength, trust, self.steps)
        a.contacts[b] = tie
        b.contacts[a] = tie
        self.n_ties += 1
        return tie

    def drop_tie(self, tie: Tie) -> None:
        if tie.alive:
            tie.alive = False
            del tie.a.contacts[tie.b]
            del tie.b.contacts[tie.a]
            self.n_ties -= 1

    def connect(self, pairs: list[tuple[Person, Person]], strength: float, trust: float) -> int:
        """Tie up pairs of live members, in order; every earlier proposal naming a member holds
        one of its places below the degree cap (degrees as before the batch)."""
        cap = self.max_ties
        ok = [(a, b) for a, b in pairs if a is not b and a.alive and b.alive]
        before = {p: len(p.contacts) for pair in ok for p in pair}
        held = dict.fromkeys(before, 0)
        room = []
        for a, b in ok:
            room.append(before[a] + held[a] < cap and before[b] + held[b] < cap)
            held[a] += 1
            held[b] += 1
        added = 0
        for (a, b), fits in zip(ok, room, strict=True):
            if fits and b not in a.contacts:
                self.add_tie(a, b, strength, trust)
                added += 1
        self.tick["ties_made"] += added
        return added

    @staticmethod
    def attachment_cum_weights(people: list[Person], bias: float) -> list[float]:
        """Cumulative weights reputation ** bias x (1 + degree), for ``random.choices``."""
        total, out = 0.0, []
        for p in people:
            total += p.reputation**bias * (1 + len(p.contacts))
            out.append(total)
        return out

    def introduce_newcomers(self, newcomers: list[Person], contacts: int) -> None:
        if contacts == 0:
            return
        new = set(newcomers)
        old = [p for p in self.agents if p not in new]
        if not old:
            return
        strength, trust = self.newcomer_tie
        cum = self.attachment_cum_weights(old, self.newcomer_bias)
        pairs = [(p, q) for p in newcomers for q in self.random.choices(old, cum_weights=cum, k=contacts)]
        self.connect(pairs, strength, trust)

    def leave(self, person: Person) -> None:
        for tie in list(person.contacts.values()):
            self.drop_tie(tie)
        person.alive = False
        person.need = None
        person.remove()

    # -- metrics -----------------------------------------------------------------
    def measure(self) -> None:
        self.metrics = self.compute_metrics()
        self.datacollector.collect(self)

    def compute_metrics(self) -> dict[str, float]:
        people = list(self.agents)
        n = len(people)
        m: dict[str, float] = {"step": self.steps, "members": n, "ties": self.n_ties}
        t = self.tick
        if self.metric_level == "full":
            m["mean_degree"] = 2.0 * self.n_ties / n if n else 0.0
            m["clustering"] = self.sampled_clustering(people, CLUSTERING_SAMPLES) if n else 0.0
            m["giant_component"] = self.giant_component(people) / n if n else 0.0
            m["needs"], m["requests"] = t["needs"], t["requests"]
            m["gifts"], m["refusals"] = t["gifts"], t["refusals"]
            m["fulfilment_rate"] = t["gifts"] / t["needs"] if t["needs"] else 0.0
            m["welfare"] = t["welfare"]
            m["gini"] = gini([p.wealth for p in people])
            trust_sum = strength_sum = 0.0
            for p in people:
                for tie in p.contacts.values():
                    if tie.a is p:
                        trust_sum += tie.trust[tie.a] + tie.trust[tie.b]
                        strength_sum += tie.strength
            m["mean_trust"] = trust_sum / (2 * self.n_ties) if self.n_ties else 0.0
            m["mean_strength"] = strength_sum / self.n_ties if self.n_ties else 0.0
            for name in (
                "joined",
                "left",
                "failed",
                "expelled",
                "ties_made",
                "ties_cut",
                "ties_dissolved",
                "introductions",
                "referrals",
            ):
                m[name] = t[name]
        m["mean_wealth"] = sum(p.wealth for p in people) / n if n else 0.0
        count = dict.fromkeys(self.strategy_names, 0)
        total = dict.fromkeys(self.strategy_names, 0.0)
        for p in people:
            count[p.strategy] += 1
            total[p.strategy] += p.wealth
        for s in self.strategy_names:
            m[f"n_{s}"] = count[s]
            m[f"wealth_{s}"] = total[s] / count[s] if count[s] else 0.0
        return m

    def sampled_clustering(self, people: list[Person], samples: int) -> float:
        """Mean local clustering by wedge sampling (members below two contacts count 0)."""
        eligible = [p for p in people if len(p.contacts) >= 2]
        if not eligible:
            return 0.0
        rnd = self.metrics_random
        closed = 0
        for _ in range(samples):
            centre = eligible[rnd.randrange(len(eligible))]
            contacts = list(centre.contacts)
            d = len(contacts)
            first = int(rnd.random() * d)
            second = int(rnd.random() * (d - 1))
            if second >= first:
                second += 1
            if contacts[second] in contacts[first].contacts:
                closed += 1
        return closed / samples * len(eligible) / len(people)

    @staticmethod
    def giant_component(people: list[Person]) -> int:
        """Size of the largest connected group, by breadth-first search over the contact dicts."""
        seen: set[int] = set()
        best = 0
        for start in people:
            if start.unique_id in seen:
                continue
            seen.add(start.unique_id)
            queue, size = deque([start]), 0
            while queue:
                p = queue.popleft()
                size += 1
                for q in p.contacts:
                    if q.unique_id not in seen:
                        seen.add(q.unique_id)
                        queue.append(q)
            best = max(best, size)
        return best


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative values (negative values count as 0)."""
    xs = sorted(max(v, 0.0) for v in values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return 0.0
    cum = running = 0.0
    for x in xs:
        running += x
        cum += running
    return (n + 1 - 2 * (cum / total)) / n
