"""Start-up: the command line's help answers without the heavy libraries, and the
package's public names still import (on first use)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"mesa", "pandas", "networkx", "scipy", "matplotlib", "pyarrow", "igraph", "dask", "solara"}


def imported_after(code: str) -> tuple[set[str], str]:
    """Run ``code`` in a fresh interpreter; the heavy libraries it imported and what it printed."""
    probe = f"{code}\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}}), file=sys.stderr)"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT)
    loaded = set(ast.literal_eval(out.stderr.strip().splitlines()[-1]))
    return loaded & HEAVY, out.stdout


def test_help_imports_no_heavy_library():
    code = "import simulation.cli as c\ntry:\n    c.main(['--help'])\nexcept SystemExit:\n    pass"
    heavy, out = imported_after(code)
    assert "usage: givetake" in out
    assert heavy == set()


@pytest.mark.parametrize(
    "command", ["run", "sweep", "validate", "scenarios", "report", "app", "classroom", "calibrate"]
)
def test_command_help_imports_no_heavy_library(command):
    code = (
        f"import simulation.cli as c\ntry:\n    c.main([{command!r}, '--help'])\nexcept SystemExit:\n    pass"
    )
    heavy, out = imported_after(code)
    assert f"usage: givetake {command}" in out
    assert heavy == set()


def test_bad_option_value_answers_before_the_heavy_imports(capsys):
    from simulation.cli import main

    assert main(["run", "default", "--steps", "x"]) == 2
    assert "--steps 'x': expected a non-negative integer" in capsys.readouterr().err
    heavy, _ = imported_after("import simulation.cli as c\nc.main(['run', 'default', '--steps', 'x'])")
    assert heavy == set()


def test_public_names_import_on_first_use():
    import simulation
    from simulation import MECHANISMS, STRATEGIES, GiveTakeModel, Scenario, ScenarioError, __version__
    from simulation.model import GiveTakeModel as direct

    assert GiveTakeModel is direct
    assert issubclass(ScenarioError, ValueError)
    assert isinstance(Scenario.from_dict({}), Scenario)
    assert "giver" in STRATEGIES and "exchange" in MECHANISMS
    assert __version__
    assert set(simulation.__all__) <= set(dir(simulation))
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        simulation.nonexistent  # noqa: B018


def test_version_option_prints_the_installed_version(capsys):
    from simulation import __version__
    from simulation.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"givetake {__version__}"
