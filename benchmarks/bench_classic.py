"""Classic games: givetake against Mesa's own pd_grid example and a numpy ceiling.

Nowak & May's rules (weak prisoner's dilemma R=1, T=b=1.85, S=P=0; 8 neighbours plus
self; synchronous imitate-the-best) on periodic lattices of 100x100 and 200x200, in
one run, milliseconds per step:

(a) ``mesa.examples.advanced.pd_grid`` as shipped, with Simultaneous activation, as a
    user would run it (its payoffs accumulate over rounds; no self-interaction);
(b) the same example adapted to Nowak & May: payoff of the current round only,
    self-interaction included;
(c) givetake: ``GiveTakeModel`` with the built-in ``nowak_may`` scenario, the whole
    step (Mesa's step, ``play`` and ``update``, metrics and the DataCollector);
(d) a minimal hand-written numpy kernel on a padded 2-D array: the ceiling.

Then the throughput of fixation runs (runs per second) for the Moran set-up
(N=100, complete graph, r=1.1) and the Ohtsuki set-up (N=100, k=4 random regular,
death-birth, w=0.01, b/c=6): serial in this process, and with the sweep's process
executor.

Run:  python benchmarks/bench_classic.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

B = 1.85


# -- (b) Mesa's example adapted to Nowak & May ------------------------------------------------
def adapted_pd_grid(width: int, height: int, seed: int):
    from mesa.examples.advanced.pd_grid.agents import PDAgent
    from mesa.examples.advanced.pd_grid.model import PdGrid

    class NowakMayAgent(PDAgent):
        """Scores only the current round and plays itself too (Nowak & May 1992)."""

        def advance(self):
            self.move = self.next_move
            self.score = self.increment_score() + self.model.payoff[(self.move, self.move)]

    class NowakMayGrid(PdGrid):
        payoff = {("C", "C"): 1, ("C", "D"): 0, ("D", "C"): B, ("D", "D"): 0}

        def __init__(self, width, height, rng=None):
            import mesa
            from mesa.discrete_space import OrthogonalMooreGrid

            mesa.Model.__init__(self, rng=rng)
            self.activation_order = "Simultaneous"
            self.grid = OrthogonalMooreGrid((width, height), torus=True, random=self.random)
            NowakMayAgent.create_agents(self, len(self.grid.all_cells.cells), cell=self.grid.all_cells.cells)
            for agent in self.agents:
                agent.move = "C" if self.random.random() < 0.9 else "D"
            self.datacollector = mesa.DataCollector(
                {"Cooperating_Agents": lambda m: len([a for a in m.agents if a.move == "C"])}
            )
            self.running = True
            self.datacollector.collect(self)

    return NowakMayGrid(width, height, rng=seed)


# -- (d) the numpy ceiling --------------------------------------------------------------------
class NumpyLattice:
    """Nowak & May on a periodic lattice: neighbourhood sums and maxima over 9 shifted slices."""

    SHIFTS = [(dy, dx) for dy in (0, 1, 2) for dx in (0, 1, 2)]

    def __init__(self, side: int, seed: int):
        self.coop = np.random.default_rng(seed).random((side, side)) < 0.9
        self.side = side

    def _neigh(self, a: np.ndarray, op) -> np.ndarray:
        p = np.pad(a, 1, mode="wrap")
        s = self.side
        out = p[1 : s + 1, 1 : s + 1].copy()  # self
        for dy, dx in self.SHIFTS:
            if (dy, dx) != (1, 1):
                op(out, p[dy : dy + s, dx : dx + s], out=out)
        return out

    def step(self) -> None:
        coop = self.coop
        n_coop = self._neigh(coop.astype(np.float64), np.add)  # cooperators among the 9
        pay = np.where(coop, n_coop, B * n_coop)
        best_c = self._neigh(np.where(coop, pay, -np.inf), np.maximum)
        best_d = self._neigh(np.where(coop, -np.inf, pay), np.maximum)
        self.coop = np.where(best_c > best_d, True, np.where(best_d > best_c, False, coop))


def givetake_model(side: int, seed: int):
    from simulation.model import GiveTakeModel
    from simulation.scenario_files import load_scenario

    s = load_scenario("nowak_may", {"network.width": side, "network.height": side, "game.b": B})
    return GiveTakeModel(s, rng=seed)


def ms_per_step(step, steps: int, warmup: int = 1, blocks: int = 1) -> float:
    """Milliseconds per step: the best of ``blocks`` timed blocks (least disturbed by other load)."""
    for _ in range(warmup):
        step()
    per_block = max(1, steps // blocks)
    best = float("inf")
    for _ in range(blocks):
        t = time.perf_counter()
        for _ in range(per_block):
            step()
        best = min(best, (time.perf_counter() - t) / per_block)
    return best * 1000


def lattice_bench(side: int, mesa_steps: int, fast_steps: int) -> dict[str, float]:
    from mesa.examples.advanced.pd_grid.model import PdGrid

    out = {}
    m = PdGrid(width=side, height=side, activation_order="Simultaneous", rng=1)
    out["a"] = ms_per_step(m.step, mesa_steps, blocks=mesa_steps)
    m = adapted_pd_grid(side, side, seed=1)
    out["b"] = ms_per_step(m.step, mesa_steps, blocks=mesa_steps)
    g = givetake_model(side, seed=1)
    play, update = g.mechanism("play"), g.mechanism("update")
    k = NumpyLattice(side, seed=1)
    # (c) and (d) in alternating blocks, so that both see the same machine load
    runs: dict[str, list[float]] = {"c": [], "c_kernel": [], "d": []}
    for _ in range(5):
        runs["c"].append(ms_per_step(g.step, fast_steps // 5, warmup=1))
        runs["c_kernel"].append(ms_per_step(lambda: (play.step(g), update.step(g)), fast_steps // 5))
        runs["d"].append(ms_per_step(k.step, fast_steps // 5, warmup=1))
    out.update({key: min(v) for key, v in runs.items()})
    return out


# -- fixation throughput ------------------------------------------------------------------------
def fixation_scenarios():
    from simulation.scenario_files import load_scenario

    moran = load_scenario("moran", {"population.size": 100, "game.R": 1.1, "game.S": 1.1})
    ohtsuki = load_scenario("ohtsuki_death_birth", {"game.b": 6.0, "game.c": 1.0})
    return {"moran": moran, "ohtsuki": ohtsuki}


def fixation_throughput(runs: int, workers: int) -> dict[str, dict[str, float]]:
    from simulation.executors import make_executor
    from simulation.validation.studies import _batches, _fixation_batch

    out = {}
    for name, scenario in fixation_scenarios().items():
        t = time.perf_counter()
        _fixation_batch((name, scenario, [7], 0, runs))
        serial = runs / (time.perf_counter() - t)
        with make_executor("process", workers=workers) as ex:
            list(ex.imap(_fixation_batch, _batches(name, scenario, [8], 2 * workers, 1)))  # start the pool
            t = time.perf_counter()
            list(ex.imap(_fixation_batch, _batches(name, scenario, [9], runs * workers, 25)))
            pooled = runs * workers / (time.perf_counter() - t)
        out[name] = {"serial": serial, "process": pooled}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer steps and runs")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    mesa_steps, fast_steps, runs = (2, 20, 100) if args.quick else (3, 100, 400)

    print("Nowak & May rules, periodic lattice, ms per step (lower is better)")
    print(
        f"{'lattice':>9} {'(a) pd_grid':>12} {'(b) adapted':>12} {'(c) givetake':>13} "
        f"{'(c) kernel':>11} {'(d) numpy':>10} {'a/c':>7} {'b/c':>7} {'c/d':>6}"
    )
    for side in (100, 200):
        r = lattice_bench(side, mesa_steps, fast_steps)
        print(
            f"{side}x{side:<5} {r['a']:12.1f} {r['b']:12.1f} {r['c']:13.2f} {r['c_kernel']:11.2f} "
            f"{r['d']:10.2f} {r['a'] / r['c']:6.0f}x {r['b'] / r['c']:6.0f}x {r['c'] / r['d']:5.2f}x",
            flush=True,
        )
    print("targets: a/c and b/c >= 50x; c/d <= 2x")
    print()
    print(f"Fixation runs per second ({runs} runs serial; {runs} per worker with {args.workers} workers)")
    for name, r in fixation_throughput(runs, args.workers).items():
        print(
            f"{name:>8}: serial {r['serial']:7.1f} runs/s   process executor ({args.workers} workers) "
            f"{r['process']:7.1f} runs/s   speed-up {r['process'] / r['serial']:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
