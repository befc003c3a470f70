"""The model's random generator handed to a kernel by its addresses, not as the ``Generator``.

numba takes a ``numpy.random.Generator`` argument at a cost of about 9 microseconds a call:
it types the object in Python (``typeof``, not its fast path) and unboxes it with three
``ctypes.cast`` calls, one for each of the bit generator's functions.  A kernel called every
week with the model's generator pays that on every call.  :func:`handle` gives the same
generator as a tuple of five integers (the bit generator's state and the addresses of its
``next_double``, ``next_uint64`` and ``next_uint32``, as numba's unboxing reads them), found
once for each bit generator and kept; numba takes a tuple of integers in well under a
microsecond.  Inside the kernel, :func:`generator` makes numba's own generator of it, which
draws through the same functions on the same state: the same numbers, in the same order, as
the ``Generator`` itself would give (``tests/test_compiled_generator.py``).

A kernel that takes a generator calls ``gen = generator(rng)`` first, so it takes either a
handle or a ``Generator`` (tests hand it one).  A handle is only good while its bit generator
lives: the kept handles hold their bit generators, and a handle is taken from the model's
generator just before the call that uses it.
"""

from __future__ import annotations

import ctypes

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload
from numba.np.random.generator_core import _bit_gen_type

__all__ = ["handle", "generator"]

#: id of a bit generator -> (the bit generator, its handle); the bit generator is held, so
#: its id is not reused while it is here
_HANDLES: dict[int, tuple[object, tuple[int, int, int, int, int]]] = {}
_KEEP = 64

_GENERATOR = types.NumPyRandomGeneratorType("generator")


def handle(rng: np.random.Generator) -> tuple[int, int, int, int, int]:
    """``rng`` as a kernel takes it cheaply (:func:`generator` inside the kernel): the
    addresses of its bit generator's state and functions."""
    bits = rng.bit_generator
    kept = _HANDLES.get(id(bits))
    if kept is not None and kept[0] is bits:
        return kept[1]
    c = bits.ctypes

    def address(fn) -> int:
        return ctypes.cast(fn, ctypes.c_void_p).value

    out = (
        int(c.state_address),
        int(c.state.value),
        address(c.next_double),
        address(c.next_uint64),
        address(c.next_uint32),
    )
    if len(_HANDLES) >= _KEEP:
        _HANDLES.clear()
    _HANDLES[id(bits)] = (bits, out)
    return out


def _is_handle(x) -> bool:
    return (
        isinstance(x, types.UniTuple)
        and x.count == 5
        and isinstance(x.dtype, types.Integer)
        and x.dtype.bitwidth == 64
    )


@intrinsic
def _from_handle(typingctx, addresses):
    """numba's generator over the bit generator at ``addresses`` (a :func:`handle`): the
    fields numba's unboxing of a ``Generator`` fills, without the Python object (``parent``
    and the reference-counted ``meminfo`` left empty: the kernel neither returns nor keeps it)."""
    if not _is_handle(addresses):
        return None

    def codegen(context, builder, sig, args):
        (tup,) = args
        bits = cgutils.create_struct_proxy(_bit_gen_type)(context, builder)
        bits.parent = cgutils.get_null_value(bits.parent.type)
        bits.state_address = builder.extract_value(tup, 0)
        bits.state = builder.extract_value(tup, 1)
        bits.fnptr_next_double = builder.extract_value(tup, 2)
        bits.fnptr_next_uint64 = builder.extract_value(tup, 3)
        bits.fnptr_next_uint32 = builder.extract_value(tup, 4)
        bits.bit_generator = cgutils.get_null_value(bits.bit_generator.type)
        gen = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
        gen.bit_generator = bits._getvalue()
        gen.meminfo = cgutils.get_null_value(gen.meminfo.type)
        gen.parent = cgutils.get_null_value(gen.parent.type)
        return gen._getvalue()

    return _GENERATOR(addresses), codegen


def generator(rng):
    """Inside a kernel: numba's generator for ``rng``, a :func:`handle` or a ``Generator``."""
    raise TypeError("generator() is for compiled code; pass the Generator itself")


@overload(generator)
def _generator(rng):
    if isinstance(rng, types.NumPyRandomGeneratorType):
        return lambda rng: rng
    if _is_handle(rng):
        return lambda rng: _from_handle(rng)
    return None
