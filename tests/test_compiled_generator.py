"""The model's generator handed to a kernel as a handle (``simulation.compiled.generator``).

A kernel that takes ``handle(rng)`` must draw exactly what it draws when handed ``rng``
itself, and what numpy draws from the same state, and leave the generator in the same state.
"""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from simulation.compiled.generator import generator, handle  # noqa: E402


@numba.njit
def _draws(rng, n):
    gen = generator(rng)
    out = np.empty(4 * n)
    for i in range(n):
        out[i] = gen.random()
    ints = gen.integers(0, 1000, n)
    for i in range(n):
        out[n + i] = ints[i]
        out[2 * n + i] = gen.poisson(3.5)
    order = np.arange(n)
    gen.shuffle(order)
    for i in range(n):
        out[3 * n + i] = order[i]
    return out


def _numpys(rng: np.random.Generator, n: int) -> np.ndarray:
    first = [rng.random() for _ in range(n)]
    ints = rng.integers(0, 1000, n)
    poisson = [rng.poisson(3.5) for _ in range(n)]
    order = np.arange(n)
    rng.shuffle(order)
    return np.concatenate([first, ints, poisson, order]).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_a_handle_draws_what_the_generator_draws(seed):
    by_handle, by_generator, by_numpy = (np.random.default_rng(seed) for _ in range(3))
    for n in (0, 1, 7, 50):
        got = _draws(handle(by_handle), n)
        assert got.tolist() == _draws(by_generator, n).tolist()
        assert got.tolist() == _numpys(by_numpy, n).tolist()
        assert by_handle.bit_generator.state == by_numpy.bit_generator.state
        assert by_generator.bit_generator.state == by_numpy.bit_generator.state


def test_each_generator_has_its_own_handle_also_after_many():
    """Handles are kept per bit generator; a new generator (more than are kept, some at the
    address of one gone) gets its own and draws its own numbers."""
    seen = set()
    for seed in range(150):
        rng = np.random.default_rng(seed)
        h = handle(rng)
        assert handle(rng) is h  # kept
        seen.add(h)
        want = np.random.default_rng(seed).random(5)
        assert _draws(h, 5)[:5].tolist() == want.tolist()
        assert rng.bit_generator.state != np.random.default_rng(seed).bit_generator.state
    assert len({h[0] for h in seen}) > 1


def test_a_handle_follows_a_generator_whose_state_is_set():
    """Setting a bit generator's state (as restoring a saved model does) keeps its handle good."""
    rng, other = np.random.default_rng(1), np.random.default_rng(2)
    h = handle(rng)
    rng.bit_generator.state = other.bit_generator.state
    assert _draws(h, 10).tolist() == _numpys(other, 10).tolist()


def test_generator_is_for_compiled_code_only():
    with pytest.raises(TypeError, match="compiled code"):
        generator(np.random.default_rng(0))
