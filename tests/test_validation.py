"""The validation package: studies (running, judging) apart from the report (table, figures, page)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_validation_studies_run_without_the_report_side():
    """The studies are importable and runnable without plotting: figures belong to the report."""
    code = (
        "import sys; from simulation.validation import studies; "
        "r = studies.moran_study.__module__; "
        "assert 'matplotlib' not in sys.modules, 'studies imported matplotlib'; print(r)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "simulation.validation.studies"


def test_validate_rejects_an_unknown_study_before_running_any():
    from simulation.validation import validate

    with pytest.raises(ValueError, match="unknown validation study 'nowak'"):
        validate(quick=True, executor="serial", studies=["moran", "nowak"])
