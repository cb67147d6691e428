"""One explicit-state random generator for every search kernel: xorshift64* with its state in an array.

Kernels that draw random numbers take ``rng``, a ``uint64`` array of shape ``(1,)`` holding the
generator's state, and advance it in place. The state travels with the search (no hidden global
generator), so a run is reproducible from its seed whatever else runs in the process or thread,
parallel blocks can each own a stream (:func:`spawn_states`), and a search stopped for a progress
report resumes exactly where it was.

Generator: xorshift64* (Marsaglia's xorshift with shifts 12, 25, 27 and Vigna's multiplier),
period ``2**64 - 1``; its high 53 bits make a double in ``[0, 1)``. Seeds are spread by
SplitMix64, so nearby seeds (0, 1, 2) start far apart, and the state is never zero.

The plain-Python twin :class:`evcore.heuristics._reference.RandomStream` produces the same
stream from the same seed, number for number.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "rng_state",
    "random_u64",
    "random_float",
    "random_below",
    "spawn_states",
    "splitmix64",
    "MASK64",
]

MASK64 = (1 << 64) - 1
_MULTIPLIER = np.uint64(0x2545F4914F6CDD1D)
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
#: 2**-53: turns the 53 high bits of a draw into a double in [0, 1).
_UNIT = 1.0 / 9007199254740992.0


def splitmix64(value: int) -> int:
    """SplitMix64's output for the state ``value`` (a Python int; 64-bit arithmetic)."""
    z = (int(value) + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & MASK64
    return z ^ (z >> 31)


def rng_state(seed: int) -> np.ndarray:
    """The generator state for ``seed`` (an int in ``[0, 2**64)``): a ``uint64`` array of shape (1,).

    Validate user seeds with :func:`evcore._validate.check_seed` first; this only maps them.
    """
    state = splitmix64(int(seed) & MASK64)
    return np.array([state or _GOLDEN], dtype=np.uint64)


@njit(cache=True)
def random_u64(rng):
    """Advance the state ``rng`` (uint64, shape (1,)) and return 64 random bits."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * _MULTIPLIER


@njit(cache=True)
def random_float(rng):
    """A double uniform in ``[0, 1)`` (the 53 high bits of one draw)."""
    return float(random_u64(rng) >> np.uint64(11)) * _UNIT


@njit(cache=True)
def random_below(rng, n):
    """An integer uniform in ``[0, n)`` from one draw (``n >= 1``): ``floor(u * n)``."""
    index = int(random_float(rng) * n)
    return index if index < n else n - 1


@njit(cache=True)
def _splitmix64_jit(value):
    z = value + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def spawn_states(rng, count):
    """``count`` independent child states drawn from ``rng`` (shape (count, 1), uint64).

    For parallel blocks: spawn the children before the parallel loop and give block ``b``
    ``children[b]``; the answer then does not depend on how many threads run the blocks.
    """
    children = np.empty((count, 1), np.uint64)
    for k in range(count):
        state = _splitmix64_jit(random_u64(rng))
        children[k, 0] = state if state != np.uint64(0) else np.uint64(_GOLDEN)
    return children


def warm_up():
    """Compile every kernel of this module (benchmarks/bench_compile.py)."""
    rng = rng_state(0)
    random_u64(rng)
    random_float(rng)
    random_below(rng, 3)
    spawn_states(rng, 2)
