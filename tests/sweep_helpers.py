"""Shared by the sweep and report tests."""

#: a script that registers a mechanism which breaks runs on demand, then runs the CLI
TRIPWIRE = '''
import sys
from simulation.mechanisms import Mechanism, mechanism
from simulation.params import Param


@mechanism
class Tripwire(Mechanism):
    """Raises at week 3 when ``fail`` is set: a run that breaks."""

    name = "tripwire"
    PARAMS = {"fail": Param(False, "raise at week 3")}

    def step(self, model):
        if self.fail and model.steps >= 3:
            raise RuntimeError("tripwire went off")


if __name__ == "__main__":
    from simulation.cli import main

    sys.exit(main(sys.argv[1:]))
'''
