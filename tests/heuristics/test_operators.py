"""Generic search operators against their plain-Python twins, draw for draw.

The explicit-state operators (``_operators``) draw from an ``rng_state`` array; their twin stream is
:class:`RandomStream`.
"""

import math

import numpy as np
import pytest

from evcore.heuristics import _operators as ops
from evcore.heuristics import _reference as ref
from evcore.heuristics import RandomStream, rng_state


class Stream:
    """The explicit-state operators, with the state bound ."""

    def __init__(self, seed):
        self.rng = rng_state(seed)
        self.twin = RandomStream(seed)

    def __getattr__(self, name):
        function = getattr(ops, name)
        if name in ("minimisation_fitness", "geometric_temperature", "insert_unique"):
            return function
        return lambda *args: function(self.rng, *args)


FLAVOURS = {"stream": Stream}


def twin_rng(seed, flavour="stream"):
    """(operators with their generator seeded, twin stream producing the same uniforms)."""
    k = FLAVOURS[flavour](seed)
    return k, k.twin


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("seed", range(4))
def test_selection_matches_twin(seed, flavour):
    k, rng = twin_rng(seed, flavour)
    values = np.random.default_rng(seed).uniform(0, 100, 12)
    values[3] = np.inf
    fitness = np.empty_like(values)
    k.minimisation_fitness(values, fitness)
    np.testing.assert_allclose(fitness, ref.minimisation_fitness_reference(list(values)), rtol=1e-14)
    assert fitness[3] == 0.0 and fitness[np.argmin(values)] == fitness.max()
    for _ in range(50):
        assert k.roulette_select(fitness) == ref.roulette_select_reference(rng, list(fitness))
        assert k.tournament_select(values, 3) == ref.tournament_select_reference(rng, list(values), 3)
    zeros = np.zeros(5)
    assert k.roulette_select(zeros) == ref.roulette_select_reference(rng, list(zeros))


def test_fitness_of_equal_values():
    k = ops
    fitness = np.empty(3)
    k.minimisation_fitness(np.full(3, 7.0), fitness)
    assert list(fitness) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_roulette_distribution(flavour):
    k, _ = twin_rng(11, flavour)
    weights = np.array([1.0, 0.0, 3.0, 6.0])
    draws = 20000
    counts = np.bincount([k.roulette_select(weights) for _ in range(draws)], minlength=4)
    expected = weights / weights.sum() * draws
    assert counts[1] == 0
    # Chi-square with 2 degrees of freedom: 13.8 is the 0.999 quantile.
    chi2 = sum((counts[i] - expected[i]) ** 2 / expected[i] for i in (0, 2, 3))
    assert chi2 < 13.8


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("seed", range(4))
def test_crossover_and_mutation_match_twin(seed, flavour):
    k, rng = twin_rng(seed, flavour)
    gen = np.random.default_rng(seed)
    n = 15
    a = gen.integers(0, 5, n)
    b = gen.integers(0, 5, n)
    child = np.empty(n, np.int64)
    for _ in range(20):
        k.uniform_crossover(a, b, child)
        assert list(child) == ref.uniform_crossover_reference(rng, list(a), list(b))
        assert all(c in (x, y) for c, x, y in zip(child, a, b))
        k.one_point_crossover(a, b, child)
        assert list(child) == ref.one_point_crossover_reference(rng, list(a), list(b))
    option_lists = [sorted(gen.choice(7, size=gen.integers(1, 5), replace=False).tolist()) for _ in range(n)]
    option_start = np.concatenate([[0], np.cumsum([len(o) for o in option_lists])]).astype(np.int64)
    options = np.concatenate(option_lists).astype(np.int64)
    vector = np.array([o[0] for o in option_lists], np.int64)
    for rate in (0.0, 0.3, 1.0):
        expected = ref.random_reset_mutation_reference(rng, list(vector), rate, option_lists)
        changed = k.random_reset_mutation(vector, rate, option_start, options)
        assert list(vector) == expected
        assert rate > 0 or changed == 0
        assert all(v in o for v, o in zip(vector, option_lists))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_annealing_matches_twin(flavour):
    k, rng = twin_rng(5, flavour)
    for step in range(0, 200, 7):
        temperature = k.geometric_temperature(50.0, 0.97, step)
        assert temperature == pytest.approx(ref.geometric_temperature_reference(50.0, 0.97, step), rel=1e-14)
        for delta in (-1.0, 0.0, 2.0, 40.0):
            assert k.metropolis_accept(delta, temperature) == ref.metropolis_accept_reference(rng, delta, temperature)
    assert not k.metropolis_accept(1.0, 0.0)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_metropolis_rate(flavour):
    k, _ = twin_rng(3, flavour)
    accepted = sum(k.metropolis_accept(1.0, 1.0) for _ in range(20000))
    assert accepted / 20000 == pytest.approx(math.exp(-1.0), abs=0.015)


def test_insert_unique_matches_twin():
    k = ops
    gen = np.random.default_rng(8)
    pool = np.zeros((4, 3), np.int64)
    pool_values = np.full(4, np.inf)
    twin_pool = [list(row) for row in pool]
    twin_values = list(pool_values)
    for _ in range(200):
        candidate = gen.integers(0, 3, 3)
        value = float(candidate.sum())  # duplicates of value and vector are common
        slot = k.insert_unique(pool, pool_values, candidate, value)
        assert slot == ref.insert_unique_reference(twin_pool, twin_values, list(candidate), value)
        assert pool.tolist() == twin_pool and list(pool_values) == twin_values
    # The pool ends as the 4 best distinct vectors: all of value 0 or 1 (there are exactly 4).
    assert sorted(pool_values) == [0.0, 1.0, 1.0, 1.0]
    assert len({tuple(row) for row in pool.tolist()}) == 4
