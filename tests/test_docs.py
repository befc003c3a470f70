"""The reference docs list what the code has: every mechanism in its module, every strategy
with its label and colour."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from simulation.mechanisms import DEFAULT_PIPELINE, MECHANISMS
from simulation.strategies import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulation"


def table_rows(doc: str, first_column: str) -> list[list[str]]:
    """Rows (cells, stripped) of every markdown table in ``docs/<doc>`` whose header starts
    with ``first_column``."""
    rows, inside = [], False
    for line in (ROOT / "docs" / doc).read_text().splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == first_column:
            inside = True
        elif inside and not set(cells[0]) <= set("-"):
            rows.append(cells)
    return rows


def ticked(cell: str) -> str:
    return re.fullmatch(r"`([^`]+)`", cell).group(1)


def test_every_mechanism_is_listed_in_the_module_of_its_name():
    numbered = table_rows("mechanisms.md", "#")
    others = table_rows("mechanisms.md", "mechanism")
    listed = {ticked(r[1]): ticked(r[2]) for r in numbered} | {ticked(r[0]): ticked(r[1]) for r in others}
    builtin = {
        name: Path(inspect.getfile(cls)).relative_to(PACKAGE).as_posix()
        for name, cls in MECHANISMS.items()
        if cls.__module__.startswith("simulation.")
    }
    assert listed == builtin
    assert all(Path(path).stem == name for name, path in builtin.items())
    assert [ticked(r[1]) for r in numbered] == DEFAULT_PIPELINE


def test_every_strategy_is_listed_with_its_label_and_colour():
    # the strategies `import simulation` registers (this process may hold others)
    out = subprocess.run(
        [sys.executable, "-c", "import simulation; print(*simulation.STRATEGIES)"],
        capture_output=True,
        text=True,
        check=True,
    )
    registered = out.stdout.split()
    rows = table_rows("strategies.md", "name")
    order = [ticked(r[0]) for r in rows if r[2].startswith("`#")]
    assert order == registered
    for r in rows:
        if r[2].startswith("`#"):
            cls = REGISTRY[ticked(r[0])]
            assert r[1] == cls.label and ticked(r[2].split()[0]) == cls.colour
    described = [ticked(r[0]) for r in rows if not r[2].startswith("`#")]
    assert described == registered


def test_the_experiment_file_shown_in_experiments_md_loads(tmp_path):
    """The example of "The experiment file", with the scenario file it names beside it,
    is a valid experiment: every scenario and design point builds (a share of the mix set
    alone in ``[vary.values]`` once made it refused: the mix no longer summed to 1)."""
    from simulation.experiment import load_experiment

    text = (ROOT / "docs" / "experiments.md").read_text()
    section = text[text.index("## The experiment file") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    (tmp_path / "my_worlds").mkdir()
    (tmp_path / "my_worlds" / "coworking.toml").write_text('extends = "open_mixer"\n')
    path = tmp_path / "styles_and_generosity.toml"
    path.write_text(example)
    experiment = load_experiment(path)
    assert [e.label for e in experiment.scenarios] == ["open_mixer", "coworking", "small_chapters"]
    assert experiment.varied == ["mechanisms.exchange.b", "network.mean_degree"]
    assert len(experiment.points) == 6


def test_the_main_experiment_is_described_as_its_file_is():
    """ "The main experiment" in experiments.md gives the styles, levels, replications, size,
    weeks and runs of networking_styles.toml (it said seven styles, 20 replications of 300
    members over 200 weeks, 140 runs, long after the file had changed)."""
    from simulation.experiment import load_experiment

    text = (ROOT / "docs" / "experiments.md").read_text()
    section = text[text.index("## The main experiment") :]
    section = " ".join(section.split())  # the sentence wraps
    experiment = load_experiment("networking_styles")
    labels = [e.label for e in experiment.scenarios]
    assert re.findall(r"`(\w+)`", section[: section.index("each with its ordinary mix")])[1:] == labels
    shares = [f"{round(100 * p['share.taker'])}%" for p in experiment.points if p]
    assert shares[0] == "0%" and f"takers at none, {', '.join(shares[1:-1])} and {shares[-1]} of" in section
    runs = experiment.runs()
    size = runs[0].scenario.data["population"]["size"]
    said = f"{experiment.replications} replications of {size} members over {runs[0].steps} weeks: {len(runs)} runs"
    assert said in section


def test_every_repository_path_the_docs_name_exists():
    """A path in backticks under simulation/, docs/, tests/, benchmarks/ or examples/ in the
    README or docs/ names a file or folder of the repository (scenarios.md sent readers to a
    simulation/mechanisms/styles.py that is a folder of one module per mechanism)."""
    named = re.compile(r"`((?:simulation|docs|tests|benchmarks|examples)/[A-Za-z0-9_./*-]*)`")
    missing = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path in named.findall(page.read_text()):
            found = any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()
            if not found:
                missing.append(f"{page.name}: {path}")
    assert not missing


def test_the_week_in_architecture_md_names_every_mechanism_of_the_default_pipeline_in_order():
    """The "One week" table walks through the default pipeline (it left out standing and referrals)."""
    # the layers' table also has a row "mechanism": the week's rows name mechanisms in backticks
    rows = [r for r in table_rows("architecture.md", "mechanism") if r[0].startswith("`")]
    listed = [re.fullmatch(r"`([^`]+)`", name.strip()).group(1) for r in rows for name in r[0].split(",")]
    assert listed == DEFAULT_PIPELINE
