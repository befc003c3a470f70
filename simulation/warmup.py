"""``python -m simulation.warmup``: compile the kernels once and leave them in the cache.

A fresh install has an empty cache, so the first process that runs a model on the compiled
path compiles the kernels it meets (tens of seconds of CPU), and every other process started
before that one has written the cache compiles them too: a sweep's workers, the tests'
workers.  Running this first (``make install`` does) compiles each kernel once, by running
every built-in scenario for a few weeks at a small size; later processes load the
kernels from the cache.
"""

from __future__ import annotations

import sys
import time


def warm(weeks: int = 12, size: int = 60) -> dict[str, bool]:
    """Run each built-in scenario ``weeks`` weeks at ``size`` members with the kernels on;
    for each, whether its model had them on (every stage with a compiled twin used it)."""
    from .model import GiveTakeModel
    from .scenario_files import builtin_scenarios, load_scenario

    ran = {}
    for name in sorted(builtin_scenarios()):
        model = GiveTakeModel(load_scenario(name, {"population.size": size}), rng=1, compiled=True)
        model.run_for(weeks)
        ran[name] = model.compiled
    return ran


def main() -> int:
    from .compiled import load

    if load() is None:
        print(
            "givetake: the compiled kernels are off (numba missing or GIVETAKE_COMPILED=0); nothing to compile"
        )
        return 0
    start = time.perf_counter()
    ran = warm()
    print(
        f"givetake: kernels compiled and cached ({len(ran)} built-in scenarios run, "
        f"{time.perf_counter() - start:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
