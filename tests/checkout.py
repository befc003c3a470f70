"""A copy of this checkout in a temporary folder, for tests that build or run it from outside."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

#: the repository this test suite belongs to
ROOT = Path(__file__).resolve().parents[1]


def copy_checkout(dest: Path) -> Path:
    """Copy the tracked and untracked-but-not-ignored files of the working tree to ``dest``.

    The copy holds what ``git status`` would see (uncommitted edits included),
    without ``.venv``, ``results/`` contents or caches.
    """
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = Path(os.fsdecode(raw))
        src = ROOT / rel
        if src.is_file():  # a tracked file deleted in the working tree is not copied
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without ``PYTHONPATH`` (so nothing points at the source tree), plus ``extra``.

    A copy runs the numpy path of the weekly step (``GIVETAKE_COMPILED=0``) unless ``extra``
    says otherwise: with the kernels on, every fresh copy would first compile them (many
    seconds of CPU, numba's cache being per source folder), and both paths give the same
    results (``tests/test_compiled.py``).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["MPLBACKEND"] = "Agg"
    env["GIVETAKE_COMPILED"] = "0"
    env.update(extra)
    return env


def site_packages() -> str:
    """The site-packages folder of the interpreter running the tests (where the dependencies are)."""
    return sysconfig.get_paths()["purelib"]


def run(
    cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``cmd``; fail the test with its output when it exits non-zero."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}"
            f"\n--- stderr\n{proc.stderr[-3000:]}"
        )
    return proc


__all__ = ["ROOT", "clean_env", "copy_checkout", "run", "site_packages"]
