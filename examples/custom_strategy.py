"""A user-defined strategy in a few lines: the *grudger*.

A grudger helps anyone it trusts at least as much as on the day they met,
and never again anyone who let it down (a refusal lowers trust).  It cuts a
tie once it has given four gifts more than it got back.

Run it:  python examples/custom_strategy.py
"""

import numpy as np

from simulation import GiveTakeModel, Strategy, strategy
from simulation.params import Param


@strategy
class Grudger(Strategy):
    """Helps those it still trusts; holds a grudge after being refused."""

    name = "grudger"
    classifier = {
        "gives_unconditionally": False,
        "uses_reputation": False,
        "uses_memory": True,
        "introduces": False,
    }
    PARAMS = {"min_trust": Param(0.45, "trust below which the grudger refuses", 0.0, 1.0)}
    tolerance = 4.0  # gifts given beyond gifts received before the tie is cut
    cuts_distrusted = True

    def gives(self, ctx) -> np.ndarray:
        # ctx holds one batch of requests; every field is an aligned array
        return ctx.trust >= self.min_trust


if __name__ == "__main__":
    model = GiveTakeModel(
        {"population": {"size": 500, "mix": {"grudger": 0.4, "matcher": 0.3, "taker": 0.3}}},
        rng=1,
    )
    model.run_for(100)
    df = model.datacollector.get_model_vars_dataframe()
    print(
        df[["step", "members", "fulfilment_rate", "n_grudger", "wealth_grudger", "wealth_taker"]].iloc[::20]
    )
