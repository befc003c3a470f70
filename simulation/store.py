"""The results folder of a sweep: one Parquet file per run and table, a manifest, failures.

Layout of a store ``DIR``::

    DIR/manifest.json              versions, git commit, experiment hash, seeds, sessions
    DIR/experiment.toml            a copy of the experiment file
    DIR/data/summary/<run>.parquet one row per run: tags, parameters, final metrics, verdict
    DIR/data/timeseries/<run>.parquet  one row per step, tagged with run, scenario, parameters
    DIR/data/members/<run>.parquet one row per member alive at the end: strategy, wealth, ...
    DIR/data/<table>/<run>.parquet any extra table a mechanism offers (``ecosystems``, ``events``)
    DIR/failures/<run>.json        a run that raised: error, traceback, seed
    DIR/log.jsonl                  one line per finished run: times, duration, worker, and
                                   each file's size and SHA-256 (also in the manifest's ``files``)

Every file is written atomically (to a hidden temporary file, then renamed).
A run's ``summary`` file is written last and marks the run as done: a run is
done exactly when ``data/summary/<run>.parquet`` exists, so a sweep killed at
any moment loses at most the runs in flight, and ``--resume`` redoes just
those (tables of an unfinished run are removed when the sweep starts again).
Each file's size and SHA-256 are recorded when it is written; :meth:`Store.verify`
finds files that were truncated, changed or deleted since, and ``--resume``
runs those runs again.
A sweep's workers write their own runs' files (the same bytes as the parent would)
when they see the store: the sweep holding the store's lock writes a token of its
own into ``.lock`` and a worker writes only if it reads that token there (a worker
on a machine without the folder, or left over from an earlier sweep, sends its
tables back instead).  The sweep process alone writes the manifest, the log and
failures.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = Store(tempfile.mkdtemp())
>>> files = store.write_run("a-p0000-r0000", {"summary": pd.DataFrame({"run_id": ["a-p0000-r0000"], "x": [1.5]})})
>>> sorted(store.done_ids()), store.load("summary")["x"].tolist(), store.verify()
(['a-p0000-r0000'], [1.5], {})
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .io import atomic_path, write_json

__all__ = ["Store", "MANIFEST", "git_commit", "now"]

MANIFEST = "manifest.json"
#: the table whose file marks a run as done; written last
DONE_TABLE = "summary"


def now() -> str:
    """The current UTC time as ISO 8601 text."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def git_commit() -> str | None:
    """The git commit of the source tree the package runs from (``+dirty`` if modified), or None."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", "simulation"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


class Store:
    """A results folder: write runs as they finish, read them back as tidy tables."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data = self.path / "data"
        self.failures_dir = self.path / "failures"

    # -- manifest ---------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        """The manifest, or ``{}`` for a folder without one."""
        if not self.exists():
            return {}
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(f"{self.manifest_path}: unreadable manifest ({err})") from None
        expected = {"identity": dict, "runs": dict, "files": dict, "sessions": list}
        if not isinstance(manifest, dict):
            raise InputError(f"{self.manifest_path}: expected a JSON object, got {type(manifest).__name__}")
        for key, kind in expected.items():
            if key in manifest and not isinstance(manifest[key], kind):
                raise InputError(
                    f"{self.manifest_path}: {key}: expected a JSON {'object' if kind is dict else 'array'}, "
                    f"got {type(manifest[key]).__name__} (was the file edited by hand?)"
                )
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path, manifest)

    @contextmanager
    def lock(self) -> Iterator[str]:
        """Hold the store's lock: only one sweep writes to a store at a time.

        Yields a token, new each time, written into the lock file while it is held:
        :meth:`holds` tells a worker whether it is writing for the sweep that holds it.
        """
        import secrets

        self.path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path / ".lock", "a+")  # not truncated: another sweep may hold it
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(f"{self.path}: another sweep is writing to this folder") from None
            token = secrets.token_hex(16)
            fh.seek(0)
            fh.truncate()
            fh.write(token)
            fh.flush()
            try:
                yield token
            finally:
                fh.truncate(0)  # workers still running now write nothing
        finally:
            fh.close()

    def holds(self, token: str) -> bool:
        """Whether the sweep that holds this store's lock is the one that gave out ``token``."""
        try:
            return (self.path / ".lock").read_text() == token
        except OSError:
            return False

    # -- runs -------------------------------------------------------------
    def _file(self, table: str, run_id: str) -> Path:
        return self.data / table / f"{run_id}.parquet"

    def done_ids(self) -> set[str]:
        """Runs whose results are complete."""
        folder = self.data / DONE_TABLE
        if not folder.is_dir():
            return set()
        return {p.stem for p in folder.glob("*.parquet") if not p.name.startswith(".")}

    def failed_ids(self) -> set[str]:
        """Runs whose last attempt raised (and that have not succeeded since)."""
        if not self.failures_dir.is_dir():
            return set()
        return {
            p.stem for p in self.failures_dir.glob("*.json") if not p.name.startswith(".")
        } - self.done_ids()

    def tables(self) -> list[str]:
        """Names of the stored tables (``summary``, ``timeseries``, ``members``, ...)."""
        if not self.data.is_dir():
            return []
        return sorted(p.name for p in self.data.iterdir() if p.is_dir())

    def write_run(self, run_id: str, tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
        """Write one finished run; ``summary`` goes last and marks it done.

        Returns each file's size and SHA-256, ``{table: {"bytes": n, "sha256": hex}}``,
        for the record that :meth:`verify` checks.
        """
        files = {}
        for name, df in tables.items():
            if name != DONE_TABLE:
                files[name] = _write_parquet(self._file(name, run_id), df)
        files[DONE_TABLE] = _write_parquet(self._file(DONE_TABLE, run_id), tables[DONE_TABLE])
        failure = self.failures_dir / f"{run_id}.json"
        if failure.exists():
            failure.unlink()
        return files

    def recorded_files(self) -> dict[str, dict[str, dict[str, Any]]]:
        """What each run's files should be (size, SHA-256): the manifest's ``files``,
        completed by the log, whose lines are written as runs are stored (a sweep that
        was killed updated no manifest)."""
        files = dict(self.manifest().get("files") or {})
        log = self.path / "log.jsonl"
        if log.is_file():
            for line in log.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a kill
                    continue
                if isinstance(record, dict) and record.get("ok") and isinstance(record.get("files"), dict):
                    files[str(record.get("run_id"))] = record["files"]
        return files

    def verify(self, checksums: bool = True) -> dict[str, str]:
        """Check every done run's files against their record; returns ``{run_id: what is wrong}``.

        A file that is missing, has another size or (with ``checksums``)
        another SHA-256 than when it was written makes its run corrupt.  Runs
        without a record (stored by an older version) are checked for whole
        Parquet files.
        """
        import pyarrow.parquet as pq

        recorded = self.recorded_files()
        problems: dict[str, str] = {}
        folders = [f for f in self.data.iterdir() if f.is_dir()] if self.data.is_dir() else []
        for run_id in sorted(self.done_ids()):
            files = recorded.get(run_id)
            if not isinstance(files, dict):
                for folder in folders:
                    f = folder / f"{run_id}.parquet"
                    try:
                        if f.exists():
                            pq.read_metadata(f)
                    except Exception:  # noqa: BLE001 - whatever pyarrow makes of a damaged file
                        problems[run_id] = f"{f.relative_to(self.path)}: not a whole Parquet file"
                        break
                continue
            for table, want in sorted(files.items()):
                problem = _check_file(self._file(table, run_id), want, checksums)
                if problem:
                    problems[run_id] = f"{self._file(table, run_id).relative_to(self.path)}: {problem}"
                    break
        return problems

    def forget(self, run_ids: Iterable[str]) -> None:
        """Remove the stored files of ``run_ids`` (corrupt runs), so that they are run again."""
        for run_id in run_ids:
            self._remove_run_files(run_id)

    def write_failure(self, run_id: str, info: dict[str, Any]) -> None:
        """Record a run that raised; any partial tables of it are removed."""
        self._remove_run_files(run_id)
        write_json(self.failures_dir / f"{run_id}.json", info)

    def _remove_run_files(self, run_id: str) -> None:
        if self.data.is_dir():
            for folder in self.data.iterdir():
                f = folder / f"{run_id}.parquet"
                if f.exists():
                    f.unlink()

    def tidy(self) -> int:
        """Remove what an interrupted sweep left behind: temporary files and tables of
        unfinished runs.  Returns the number of files removed."""
        if not self.data.is_dir():
            return 0
        done = self.done_ids()
        removed = 0
        for folder in [*self.data.iterdir(), self.failures_dir, self.path]:
            if not folder.is_dir():
                continue
            for f in folder.iterdir():
                stale_tmp = f.name.startswith(".") and f.name.endswith(".tmp")
                orphan = folder.parent == self.data and f.suffix == ".parquet" and f.stem not in done
                if f.is_file() and (stale_tmp or orphan):
                    f.unlink()
                    removed += 1
        return removed

    def log(self, record: dict[str, Any]) -> None:
        """Append one line to ``log.jsonl`` (informational: run times and workers)."""
        with open(self.path / "log.jsonl", "a") as fh:
            fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")

    # -- reading ----------------------------------------------------------
    def load(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """All runs' rows of ``table`` as one DataFrame (done runs only), sorted by ``run_id``.

        Columns missing from some runs (e.g. a verdict only some scenarios
        produce) are filled with nulls.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = self.data / table
        done = self.done_ids()
        files = (
            sorted(f for f in folder.glob("*.parquet") if not f.name.startswith(".") and f.stem in done)
            if folder.is_dir()
            else []
        )
        if not files:
            return pd.DataFrame()
        parts = []
        for f in files:
            t = pq.read_table(f)
            if columns is not None:
                t = t.select([c for c in columns if c in t.column_names])
            parts.append(t)
        return pa.concat_tables(parts, promote_options="permissive").to_pandas()

    def failures(self) -> pd.DataFrame:
        """Failed runs (that have not succeeded since): run_id, scenario, error, traceback."""
        rows = []
        for run_id in sorted(self.failed_ids()):
            try:
                rows.append(json.loads((self.failures_dir / f"{run_id}.json").read_text()))
            except (OSError, json.JSONDecodeError):
                rows.append({"run_id": run_id, "error": "unreadable failure record"})
        return pd.DataFrame(rows)

    def copy_experiment(self, text: str, name: str = "experiment.toml") -> None:
        with atomic_path(self.path / name) as tmp:
            tmp.write_text(text)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


def _fingerprint(path: Path) -> dict[str, Any]:
    """A file's size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _check_file(path: Path, want: Any, checksums: bool) -> str | None:
    """What is wrong with ``path`` given its record ``want``, or None."""
    if not isinstance(want, dict):
        return "its record in the manifest is not an object"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    if size != want.get("bytes"):
        return f"{size} bytes, {want.get('bytes')} when written"
    if checksums and _fingerprint(path)["sha256"] != want.get("sha256"):
        return "its SHA-256 differs from the one recorded when it was written"
    return None


def _write_parquet(path: Path, df: pd.DataFrame) -> dict[str, Any]:
    """Write ``df`` atomically as a compact Parquet file.

    A run's tables are small and many: column statistics and the pandas
    metadata would make up most of each file (a one-row summary of 150
    columns shrinks from about 80 kB to 30 kB without them).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, write_statistics=False)
        return _fingerprint(tmp)
