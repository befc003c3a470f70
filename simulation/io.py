"""Atomic file writes: a reader sees the old file or the whole new one, never half.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_path(d / "x.txt") as tmp:
...     _ = tmp.write_text("hello")
>>> (d / "x.txt").read_text(), sorted(p.name for p in d.iterdir())
('hello', ['x.txt'])
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "OutputExists",
    "check_out_folder",
    "atomic_path",
    "atomic_dir",
    "remove_stale_temporaries",
    "write_json",
    "write_table",
]

#: hidden folders being written: ``.givetake-tmp-<pid>@<host>@<random>`` beside their target
TMP_DIR_PREFIX = ".givetake-tmp-"


def check_out_folder(path: str | Path, label: str) -> None:
    """Refuse, before anything runs, an output folder that cannot be made: ``path`` or one
    of its parents is a file.  Raises :class:`~simulation.errors.InputError` naming
    ``label`` (the option, e.g. ``--out 'x'``); a folder still to be made is fine.

    >>> check_out_folder(Path(__file__) / "sub", "--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simulation.errors.InputError: --out: .../io.py is a file, not a folder; expected a folder to write into
    """
    from .errors import InputError

    path = Path(path)
    for p in [path, *path.parents]:
        if p.exists():
            if not p.is_dir():
                what = "exists and is not a folder" if p == path else f"{p} is a file, not a folder"
                raise InputError(f"{label}: {what}; expected a folder to write into")
            return


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are ordinary files
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


class OutputExists(FileExistsError):
    """An output folder that exists and is not empty (and may not be overwritten)."""


@contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary folder beside ``path``; on success it is renamed to ``path``.

    The folder appears with all its files at once, or not at all.  A ``path``
    that exists and is not empty is refused (:class:`OutputExists`, also
    when another process fills it first) unless ``overwrite``, when it is
    replaced as a whole.  Temporary folders left by processes that died
    (on this machine) are removed first.
    """
    import shutil
    import socket

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    if not overwrite and _not_empty(path):
        raise OutputExists(errno.EEXIST, "exists and is not empty", str(path))
    tag = f"{TMP_DIR_PREFIX}{os.getpid()}@{socket.gethostname()}@"
    tmp = Path(tempfile.mkdtemp(prefix=tag, dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes folders private; results are ordinary
        try:
            os.rename(tmp, path)  # replaces a missing or empty folder, atomically
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            if not overwrite:
                raise OutputExists(errno.EEXIST, "exists and is not empty", str(path)) from None
            old = Path(tempfile.mkdtemp(prefix=tag, dir=path.parent))
            os.rename(path, old / "old")
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _not_empty(path: Path) -> bool:
    if not path.is_dir():
        return path.exists()
    return any(path.iterdir())


def remove_stale_temporaries(folder: str | Path) -> int:
    """Remove the temporary folders in ``folder`` of processes on this machine that have died
    (a run killed while writing).  Returns how many were removed."""
    import shutil
    import socket

    folder = Path(folder)
    if not folder.is_dir():
        return 0
    host = socket.gethostname()
    removed = 0
    for p in folder.glob(f"{TMP_DIR_PREFIX}*"):
        pid_text, _, rest = p.name[len(TMP_DIR_PREFIX) :].partition("@")
        if not pid_text.isdigit() or rest.rpartition("@")[0] != host or _alive(int(pid_text)):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as strict JSON, atomically.

    Numbers that are not finite (``inf``, ``nan``; JSON has no such values)
    are written as ``null``; a dictionary then lists where under
    ``"non_finite_as_null"``.
    """

    def dumps(x: Any) -> str:
        return json.dumps(x, indent=2, sort_keys=True, default=_jsonable, allow_nan=False) + "\n"

    try:
        text = dumps(obj)  # nearly always every number is finite: no copy to make (a manifest is large)
    except ValueError:  # a number that is not finite somewhere
        replaced: list[str] = []
        clean = _finite(obj, "", replaced)
        if replaced and isinstance(clean, dict):
            clean["non_finite_as_null"] = replaced
        text = dumps(clean)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def _finite(obj: Any, where: str, replaced: list[str]) -> Any:
    """``obj`` with every non-finite number replaced by None (their places noted in ``replaced``)."""
    import math

    import numpy as np

    if isinstance(obj, float | np.floating):
        if not math.isfinite(float(obj)):
            replaced.append(where or "(value)")
            return None
        return obj
    if isinstance(obj, dict):
        return {k: _finite(v, f"{where}.{k}" if where else str(k), replaced) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v, f"{where}[{i}]", replaced) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
        return _finite(obj.tolist(), where, replaced)
    return obj


def write_table(path: str | Path, df, fmt: str = "parquet") -> Path:
    """Write a DataFrame as Parquet or CSV (by ``fmt``), atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        elif fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            raise ValueError(f"format: expected 'parquet' or 'csv', got {fmt!r}")
    return path


def _jsonable(x: Any) -> Any:
    import numpy as np

    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
