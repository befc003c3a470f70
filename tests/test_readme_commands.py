"""The README's commands, run from a copy of the checkout, leave the source tree as it was.

Outputs go to ``results/`` (git-ignored); nothing else in the checkout changes,
and nothing new appears outside ``results/`` (``__pycache__`` aside).  Only
``--write-docs`` rewrites a committed file, because it is asked to.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from checkout import ROOT, clean_env, copy_checkout, run

GIT_USER = ["-c", "user.name=givetake tests", "-c", "user.email=tests@givetake.invalid"]

#: calls the command line once per command, in one process, stopping at the first failure;
#: ``validate`` may exit 1, its documented code for "a pattern or study was not reproduced"
#: (a result of the model, not a failure of the command)
DRIVER = textwrap.dedent(
    """
    import json, shlex, sys
    from simulation.cli import main

    for command in json.loads(sys.argv[1]):
        print("$ givetake " + command, flush=True)
        try:
            code = main(shlex.split(command))
        except SystemExit as done:  # --help
            code = done.code
        allowed = (0, 1) if command.startswith("validate") else (0,)
        if code not in allowed:
            sys.exit(f"givetake {command}: exit code {code}")
    """
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed copy of this checkout (the working tree as it is now)."""
    dest = copy_checkout(tmp_path / "repo")
    git = ["git", "-C", str(dest)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, *GIT_USER, "commit", "-q", "--no-verify", "-m", "snapshot"], check=True)
    assert changes(dest) == []
    return dest


def changes(repo: Path) -> list[str]:
    """``git status`` lines, plus ignored files written anywhere but ``results/`` (caches aside)."""
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--ignored", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return [
        line
        for line in status
        if not (line.startswith("!! ") and (line[3:].startswith("results/") or "__pycache__/" in line))
    ]


def givetake(repo: Path, *commands: str, timeout: float = 300) -> str:
    """Run ``givetake`` commands with the copy's package, from the copy's root; their output."""
    env = clean_env(PYTHONPATH=str(repo))
    return run(
        [sys.executable, "-c", DRIVER, json.dumps(commands)], cwd=repo, env=env, timeout=timeout
    ).stdout


def readme_commands() -> list[str]:
    """The ``.venv/bin/givetake ...`` lines of the README, without comments."""
    text = (ROOT / "README.md").read_text()
    return [m.group(1).strip() for m in re.finditer(r"^\.venv/bin/givetake ([^#\n]*)", text, re.M)]


def test_the_commands_named_here_are_the_readmes():
    listed = readme_commands()
    for expected in (
        "--help",
        "scenarios",
        "run referral_group",
        "run open_mixer --steps 100 --seed 7 --set population.size=2000",
        "sweep networking_styles --workers 2 --out results/styles",
        "report results/styles",
        "run nowak_may --set game.b=1.85 --steps 200",
        "validate --quick",
        "validate --patterns",
    ):
        assert expected in listed, f"README no longer lists `givetake {expected}`; update this test"


def test_readme_run_commands_write_only_under_results(repo):
    out = givetake(
        repo,
        "--help",
        "scenarios",
        "scenarios referral_group",
        "run referral_group --steps 3 --quiet",
        "run open_mixer --steps 3 --seed 7 --set population.size=2000 --quiet",
        # the README's lattice is 200 x 200; a small one keeps the test short
        "run nowak_may --set game.b=1.85 --steps 3 --set network.width=40 --set network.height=40 --quiet",
        # the README's pattern validation, one pattern in its quick form
        "validate --patterns --quick --pattern decay_start --executor serial",
    )
    assert "sweep" in out and "open_mixer" in out and "pipeline:" in out
    folders = [p for p in (repo / "results").iterdir() if p.is_dir()]
    assert sorted(p.name.split("-")[0] for p in folders) == [
        "nowak_may",
        "open_mixer",
        "patterns",
        "referral_group",
    ]
    assert len(list((repo / "results").glob("patterns-*/patterns.md"))) == 1
    assert all((p / "summary.json").is_file() for p in folders if not p.name.startswith("patterns-"))
    assert changes(repo) == []


@pytest.mark.slow
def test_readme_sweep_and_report_write_only_under_results(repo):
    givetake(
        repo,
        # the README's sweep with one short replication, in this process
        "sweep networking_styles --executor serial --out results/styles --replications 1 --steps 3 --quiet "
        "--no-report",
        "report results/styles",
    )
    assert (repo / "results" / "styles" / "report" / "report.html").is_file()
    assert changes(repo) == []


@pytest.mark.slow
def test_python_example_and_validate_write_under_results_unless_asked_to_write_the_docs(repo):
    # the README's Python example, for 3 weeks instead of 100
    snippet = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert "model.run_for(100)" in snippet
    run(
        [sys.executable, "-c", snippet.replace("model.run_for(100)", "model.run_for(3)")],
        cwd=repo,
        env=clean_env(PYTHONPATH=str(repo)),
    )
    assert (repo / "results" / "network.graphml").is_file()

    givetake(repo, "validate --quick --only moran --executor serial")
    (report,) = (repo / "results").glob("validation-*/validation.md")
    assert (report.parent / "figures" / "validation_moran.png").is_file()
    assert changes(repo) == []

    givetake(repo, "validate --quick --only moran --executor serial --write-docs")
    assert changes(repo) == [" M docs/figures/validation_moran.png", " M docs/validation.md"]
    assert "`givetake validate --quick --write-docs`" in (repo / "docs" / "validation.md").read_text()
