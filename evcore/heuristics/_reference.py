"""Plain-Python twins of the heuristics kernels (tests compare them number for number).

:class:`RandomStream` is the twin of the explicit-state generator of
:mod:`evcore.heuristics._rng`. Each operator twin takes ``rng``, anything with a
``random_sample()`` method, and draws the same uniforms in the same order as its kernel: a
:class:`RandomStream` of seed ``s`` follows the operators of :mod:`evcore.heuristics._operators`
given ``rng_state(s)``.
"""

from __future__ import annotations

import math

from ._rng import MASK64, splitmix64

_MULTIPLIER = 0x2545F4914F6CDD1D
_GOLDEN = 0x9E3779B97F4A7C15


class RandomStream:
    """xorshift64* in plain Python: the same stream as the kernels' ``rng`` state array.

    >>> stream = RandomStream(7)
    >>> 0.0 <= stream.random_float() < 1.0
    True
    """

    def __init__(self, seed: int | None = None, *, state: int | None = None):
        if state is None:
            state = splitmix64(int(seed) & MASK64) or _GOLDEN
        self.state = int(state) & MASK64

    @classmethod
    def from_array(cls, rng) -> "RandomStream":
        """The stream continuing from a kernel's state array (uint64, shape (1,))."""
        return cls(state=int(rng[0]))

    def random_u64(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * _MULTIPLIER) & MASK64

    def random_float(self) -> float:
        return (self.random_u64() >> 11) * (1.0 / 9007199254740992.0)

    random_sample = random_float  # the name the operator twins call (as numpy's RandomState)

    def random_below(self, n: int) -> int:
        return min(int(self.random_float() * n), n - 1)

    def spawn_states(self, count: int) -> list[int]:
        """Twin of :func:`evcore.heuristics._rng.spawn_states` (the child states as ints)."""
        return [splitmix64(self.random_u64()) or _GOLDEN for _ in range(count)]


def random_index_reference(rng, n: int) -> int:
    return min(int(rng.random_sample() * n), n - 1)


def minimisation_fitness_reference(values) -> list[float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [0.0] * len(values)
    best, worst = min(finite), max(finite)
    span = worst - best
    return [0.0 if not math.isfinite(v) else (worst - v + span / len(values) if span > 0 else 1.0) for v in values]


def roulette_select_reference(rng, weights) -> int:
    total = sum(weights)
    if not total > 0:
        return random_index_reference(rng, len(weights))
    target = rng.random_sample() * total
    cumulative = 0.0
    last_positive = 0
    for k, weight in enumerate(weights):
        if weight > 0:
            cumulative += weight
            last_positive = k
            if target < cumulative:
                return k
    return last_positive


def tournament_select_reference(rng, values, size: int) -> int:
    drawn = [random_index_reference(rng, len(values)) for _ in range(size)]
    winner = drawn[0]
    for challenger in drawn[1:]:
        if values[challenger] < values[winner]:
            winner = challenger
    return winner


def uniform_crossover_reference(rng, parent_a, parent_b) -> list[int]:
    return [a if rng.random_sample() < 0.5 else b for a, b in zip(parent_a, parent_b)]


def one_point_crossover_reference(rng, parent_a, parent_b) -> list[int]:
    n = len(parent_a)
    cut = 1 + random_index_reference(rng, n - 1) if n > 1 else 1
    return list(parent_a[:cut]) + list(parent_b[cut:])


def random_reset_mutation_reference(rng, vector, rate: float, option_lists) -> list[int]:
    """``option_lists[j]``: the values position ``j`` may take."""
    out = list(vector)
    for j, choices in enumerate(option_lists):
        if rng.random_sample() < rate:
            out[j] = choices[random_index_reference(rng, len(choices))]
    return out


def geometric_temperature_reference(initial: float, ratio: float, step: int) -> float:
    return initial * ratio**step


def metropolis_accept_reference(rng, delta: float, temperature: float) -> bool:
    if delta <= 0:
        return True
    if not temperature > 0:
        return False
    return bool(rng.random_sample() < math.exp(-delta / temperature))


def insert_unique_reference(pool: list[list[int]], pool_values: list[float], candidate, value: float) -> int:
    """Same contract as the kernel, on lists (modified in place)."""
    worst = max(range(len(pool)), key=lambda k: (pool_values[k], -k))
    if not value < pool_values[worst]:
        return -1
    if any(pool_values[k] == value and list(pool[k]) == list(candidate) for k in range(len(pool))):
        return -1
    pool[worst] = list(candidate)
    pool_values[worst] = value
    return worst
