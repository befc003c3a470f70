"""The compiled weekly step: whether it is used, and its kernels.

Some stages of the week have a compiled twin (numba kernels in :mod:`.kernels`,
:mod:`.favours` and :mod:`.encounters`; the contact index and removal of ties in
:mod:`.index`, the weekly measurements in :mod:`.measure`, churn in :mod:`.churn`) over the
same struct-of-arrays state as the numpy code, which stays the reference and the path
for anything the kernels do not implement (a user-defined subclass of a mechanism, say).
Both paths draw the same random numbers from the model's generator in the same order and
do the same floating-point operations in the same order, so a run is bit-for-bit the
same whichever path each stage takes (``tests/test_compiled.py``).

The kernels are used when numba can be imported, unless the environment variable
``GIVETAKE_COMPILED`` is ``0`` (or ``false``, ``no``, ``off``) or the model is built with
``compiled=False``.  Without numba the project runs the numpy path, slower.  Compiled
code is cached on disk (numba's ``cache=True``, in ``__pycache__`` beside this package
or numba's cache directory, ``NUMBA_CACHE_DIR``), so a fresh process loads the kernels
instead of compiling them again.

Importing this package does not import numba; :func:`load` does.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["ENV", "wanted", "load", "active"]

#: the environment variable that turns the kernels off (``0``) or on (anything else)
ENV = "GIVETAKE_COMPILED"

_OFF = {"0", "false", "no", "off"}
_loaded: ModuleType | None | bool = False  # False: not tried yet


def wanted() -> bool:
    """Whether the environment asks for the compiled kernels (the default: yes)."""
    return os.environ.get(ENV, "1").strip().lower() not in _OFF


def load(compiled: bool | None = None) -> ModuleType | None:
    """The kernels module, or ``None`` for the numpy path.

    ``compiled=None`` follows the environment (:data:`ENV`) and uses the kernels where
    numba is installed; ``False`` is the numpy path; ``True`` insists on the kernels
    (``RuntimeError`` if numba cannot be imported).
    """
    global _loaded
    if compiled is False or (compiled is None and not wanted()):
        return None
    if _loaded is False:
        try:
            from . import kernels as found
        except ImportError:  # numba missing or broken: the numpy path
            found = None
        _loaded = found
    if _loaded is None and compiled:
        raise RuntimeError(f"compiled kernels asked for, but numba cannot be imported (set {ENV}=0)")
    return _loaded


def active() -> ModuleType:
    """The kernels module (for stages of a model whose ``compiled`` is on); loaded on first use."""
    if not _loaded:
        return load(True)
    return _loaded
