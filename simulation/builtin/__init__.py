"""The built-in scenario and experiment files, installed with the package.

``scenarios/`` holds the networking styles (``open_mixer.toml``, ...) and
``scenarios/classic/`` the classic games; ``experiments/`` holds experiment
files; ``patterns/`` the published patterns the business model is checked
against (``givetake validate --patterns``).  Each is named by its file stem: ``givetake run open_mixer``,
``givetake sweep networking_styles``.  Copy one to start your own.

>>> (SCENARIO_DIR / "open_mixer.toml").is_file(), (EXPERIMENT_DIR / "networking_styles.toml").is_file()
(True, True)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXPERIMENT_DIR", "PATTERN_DIR", "SCENARIO_DIR"]

_HERE = Path(__file__).resolve().parent

#: the folder holding the built-in scenarios (sub-folders included)
SCENARIO_DIR = _HERE / "scenarios"

#: the folder holding the built-in experiment files
EXPERIMENT_DIR = _HERE / "experiments"

#: the folder holding the built-in pattern files
PATTERN_DIR = _HERE / "patterns"
