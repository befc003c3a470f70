"""The package installs from a wheel, without the source tree, and works there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from checkout import clean_env, copy_checkout, run, site_packages

pytestmark = pytest.mark.slow


def test_the_wheel_installs_into_a_fresh_environment_and_runs_outside_the_source_tree(tmp_path):
    src = copy_checkout(tmp_path / "src")
    wheels = tmp_path / "wheels"
    env = clean_env()
    # the project environment's setuptools builds it: no index needed
    build = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", wheels, src],
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert "deprecat" not in (build.stdout + build.stderr).lower()
    (wheel,) = wheels.glob("givetake-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "simulation/app/network.vue",
        "simulation/builtin/scenarios/open_mixer.toml",
        "simulation/builtin/scenarios/classic/moran.toml",
        "simulation/builtin/experiments/networking_styles.toml",
    } <= names
    # every file the package reads (built-in files, the app's component...) ships with it
    shipped = {p.relative_to(src).as_posix() for p in (src / "simulation").rglob("*") if p.is_file()}
    assert not shipped - names, f"missing from the wheel: {sorted(shipped - names)}"

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel],
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    # the dependencies come from the test environment, after the fresh environment's own packages
    (purelib,) = (venv / "lib").glob("python3*/site-packages")
    (purelib / "zz_dependencies.pth").write_text(site_packages() + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = run(
        [python, "-c", "import simulation, simulation.app.page; print(simulation.__file__)"],
        cwd=work,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(purelib)

    givetake = venv / "bin" / "givetake"
    listing = run([givetake, "scenarios"], cwd=work, env=env).stdout
    for name in ("open_mixer", "referral_group", "connectors", "nowak_may", "moran"):
        assert name in listing
    assert "no built-in scenarios" not in listing

    out = work / "mixer"
    run([givetake, "run", "open_mixer", "--steps", "5", "--out", out], cwd=work, env=env)
    assert (out / "summary.json").is_file()
    assert (out / "timeseries.parquet").stat().st_size > 0

    experiment = run(
        [
            python,
            "-c",
            "from simulation.experiment import load_experiment; "
            "print(load_experiment('networking_styles').name)",
        ],
        cwd=work,
        env=env,
    )
    assert experiment.stdout.strip() == "networking_styles"

    # there is no docs/ folder to regenerate next to an installed package
    refused = subprocess.run(
        [givetake, "validate", "--quick", "--write-docs"], cwd=work, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "expected a source checkout of givetake" in refused.stderr
    assert not any(work.glob("*/validation.md")) and not (purelib / "docs").exists()
