"""What the benchmarks record beside their figures, and how they write them.

Each benchmark writes its figures to ``benchmarks/results/<name>.json`` with
:func:`save` (strict JSON, written atomically: an interrupted benchmark leaves the
last complete file) and notes the machine's load around the measurement with
:func:`machine`, since every figure here is taken on a shared machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["machine", "save"]


def machine(load_start: tuple[float, ...], load_end: tuple[float, ...]) -> dict[str, Any]:
    """The cores and the load average (1, 5, 15 minutes) before and after the measurement."""
    return {
        "cpus": os.cpu_count(),
        "load_average_start": list(load_start),
        "load_average_end": list(load_end),
    }


def save(path: Path, figures: dict[str, Any]) -> Path:
    """Write ``figures`` to ``path`` (strict JSON, atomically) and say where."""
    from simulation.io import write_json

    write_json(path, figures)
    print(f"written {path.relative_to(ROOT)}")
    return path
