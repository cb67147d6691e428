"""Erlang B / C and M/M/c figures against outside truth: mpmath, published values, closed forms."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evcore.errors import InputError
from evcore.queueing import erlang_b, erlang_c, min_servers, mmc
from evcore.queueing import _erlang
from evcore.queueing._reference import (
    erlang_b_reference,
    erlang_c_reference,
    min_servers_reference,
    mmc_reference,
)


def erlang_b_mpmath(c: int, a: float) -> mpmath.mpf:
    """B(c, a) = a^c e^{-a} / Gamma(c+1, a): the incomplete-gamma closed form, at 60 digits."""
    with mpmath.workdps(60):
        a = mpmath.mpf(a)
        return a**c * mpmath.exp(-a) / mpmath.gammainc(c + 1, a)


def erlang_c_mpmath(c: int, a: float) -> mpmath.mpf:
    with mpmath.workdps(60):
        b = erlang_b_mpmath(c, a)
        a = mpmath.mpf(a)
        return c * b / (c - a * (1 - b))


def relative_error(value, reference) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


# Loads where B stays far above the double underflow threshold at every size.
GRID = [(c, rho * c) for c in (1, 2, 5, 10, 50, 100, 500, 1000, 2500, 10_000) for rho in (0.8, 0.95, 0.999, 1.0, 1.3, 3.0)]
GRID += [(1, 0.01), (2, 0.3), (5, 1.0), (10, 2.5), (50, 20.0), (100, 60.0), (3, 1e-3), (20, 1e4)]


@pytest.mark.parametrize(("c", "a"), GRID)
def test_erlang_b_matches_mpmath(c, a):
    assert relative_error(erlang_b(c, a), erlang_b_mpmath(c, a)) <= 1e-12


@pytest.mark.parametrize(("c", "a"), [(c, a) for c, a in GRID if a < c])
def test_erlang_c_matches_mpmath(c, a):
    assert relative_error(erlang_c(c, a), erlang_c_mpmath(c, a)) <= 1e-12


@pytest.mark.parametrize(("c", "a"), [(100_000, 99_000.5), (100_000, 120_000.0), (65_537, 65_000.25), (100_000, 98_000.0)])
def test_erlang_b_exact_at_one_hundred_thousand_servers(c, a):
    assert relative_error(erlang_b(c, a), erlang_b_mpmath(c, a)) <= 1e-12


def test_vectorised_matches_mpmath_on_many_sizes():
    c = np.array([c for c, _ in GRID])
    a = np.array([a for _, a in GRID])
    values = erlang_b(c, a)
    for value, ci, ai in zip(values, c, a):
        assert relative_error(value, erlang_b_mpmath(int(ci), float(ai))) <= 1e-12


def test_published_values():
    assert erlang_b(5, 3.0) == pytest.approx(0.1100543478, abs=1e-10)
    assert erlang_c(5, 3.0) == pytest.approx(0.2361516035, abs=1e-10)
    assert erlang_c(1000, 950.0) == pytest.approx(0.06825341538, abs=1e-11)


def test_mm1_closed_forms():
    arrival, service = 0.7, 1.3
    rho = arrival / service
    result = mmc(1, arrival, service)
    assert result.p_wait == pytest.approx(rho, rel=1e-14)
    assert result.wait == pytest.approx(rho / (service - arrival), rel=1e-14)
    assert result.queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-14)
    assert result.utilization == pytest.approx(rho, rel=1e-15)
    assert result.sojourn_time == pytest.approx(1 / (service - arrival), rel=1e-14)
    assert result.system_length == pytest.approx(rho / (1 - rho), rel=1e-14)
    # M/M/1: P(Wq <= t) = 1 - rho exp(-(mu - lambda) t)
    assert result.service_level(2.0) == pytest.approx(1 - rho * math.exp(-(service - arrival) * 2.0), rel=1e-14)


def test_mmc_littles_law_and_reference():
    rng = np.random.default_rng(3)
    c = rng.integers(1, 80, 200)
    service = rng.uniform(0.2, 5.0, 200)
    arrival = rng.uniform(0.0, 1.1, 200) * c * service
    result = mmc(c, arrival, service)
    for i in range(200):
        wait, length, p_wait, utilization = mmc_reference(int(c[i]), float(arrival[i]), float(service[i]))
        assert result.utilization[i] == pytest.approx(utilization, rel=1e-14)
        assert result.p_wait[i] == pytest.approx(p_wait, rel=1e-11)
        if math.isinf(wait):
            assert math.isinf(result.wait[i]) and math.isinf(result.queue_length[i])
        else:
            assert result.wait[i] == pytest.approx(wait, rel=1e-10, abs=1e-300)
            assert result.queue_length[i] == pytest.approx(arrival[i] * result.wait[i], rel=1e-14)


def test_unstable_queue_is_infinite_never_nan():
    result = mmc([2, 3, 4], 6.0, 2.0)  # rho = 1.5, 1.0, 0.75
    assert np.isinf(result.wait[:2]).all() and np.isinf(result.queue_length[:2]).all()
    assert np.isfinite(result.wait[2])
    assert list(result.p_wait[:2]) == [1.0, 1.0]
    assert list(result.stable) == [False, False, True]
    assert not np.isnan(result.service_level(1.0)).any()
    assert list(result.service_level(1.0)[:2]) == [0.0, 0.0]
    assert erlang_c(4, 4.0) == 1.0 and erlang_c(4, 9.5) == 1.0


def test_edge_values():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c(3, 0.0) == 0.0
    assert mmc(3, 0.0, 1.0).wait == 0.0
    assert min_servers(0.0, 1.0, 0.1) == 1


def test_broadcasting_shapes_and_scalar_types():
    c = np.arange(1, 4).reshape(3, 1)
    a = np.array([0.5, 1.0, 2.0, 2.5])
    assert erlang_b(c, a).shape == (3, 4)
    assert erlang_c(c, a).shape == (3, 4)
    assert mmc(c, a, 1.0).wait.shape == (3, 4)
    assert isinstance(erlang_b(5, 3.0), float) and isinstance(erlang_c(np.int64(5), np.float64(3.0)), float)
    assert erlang_b(np.array(5), 3.0) == pytest.approx(erlang_b(5, 3.0), rel=0)
    assert erlang_b(5.0, 3) == erlang_b(5, 3.0)  # integral floats are accepted
    np.testing.assert_allclose(erlang_b(c, a)[2], [erlang_b_reference(3, x) for x in a], rtol=1e-13)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_b(2.5, 1.0), "c"),
        (lambda: erlang_b(-1, 1.0), "c"),
        (lambda: erlang_b(3, -0.1), "a"),
        (lambda: erlang_b(3, float("nan")), "a"),
        (lambda: erlang_b(3, float("inf")), "a"),
        (lambda: erlang_c(0, 1.0), "c"),
        (lambda: erlang_c([1, 2, 2.5], 1.0), "c"),
        (lambda: mmc(2, -1.0, 1.0), "arrival_rate"),
        (lambda: mmc(2, 1.0, 0.0), "service_rate"),
        (lambda: mmc(2, 1.0, [1.0, -2.0]), "service_rate"),
        (lambda: min_servers(1.0, 1.0, 0.0), "target_wait"),
        (lambda: erlang_b([1, 2], [1.0, 2.0, 3.0]), "arguments"),
        (lambda: erlang_b("five", 1.0), "c"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_bad_input_names_the_index():
    with pytest.raises(InputError) as info:
        mmc([1, 2, 3], [0.5, -1.0, 0.5], 1.0)
    assert info.value.index == 1 and "arrival_rate[1]" in str(info.value)


def test_min_servers_against_brute_force():
    rng = np.random.default_rng(11)
    arrival = rng.uniform(0.0, 60.0, 150)
    service = rng.uniform(0.5, 4.0, 150)
    target = rng.uniform(0.001, 0.5, 150)
    found = min_servers(arrival, service, target)
    for i in range(150):
        c = int(found[i])
        assert c == min_servers_reference(float(arrival[i]), float(service[i]), float(target[i]))
        assert mmc(c, arrival[i], service[i]).wait <= target[i]
        if c > 1:
            assert mmc(c - 1, arrival[i], service[i]).wait > target[i]


def test_cython_kernels_match_python_twins():
    rng = np.random.default_rng(5)
    c = rng.integers(0, 2000, 3000)
    c[:1000] = rng.integers(0, 64, 1000)
    a = rng.uniform(0.0, 1.3, 3000) * np.maximum(c, 1)
    out = np.empty(3000)
    _erlang.erlang_b_kernel(c, a, out)
    twin = np.array([erlang_b_reference(int(ci), float(ai)) for ci, ai in zip(c, a)])
    np.testing.assert_allclose(out, twin, rtol=1e-12, atol=0)
    c = np.maximum(c, 1)
    _erlang.erlang_c_kernel(c, a, out)
    twin = np.array([erlang_c_reference(int(ci), float(ai)) for ci, ai in zip(c, a)])
    np.testing.assert_allclose(out, twin, rtol=1e-12, atol=0)
    # The scalar entry points agree with the array kernels bit for bit.
    for ci, ai, value in zip(c[:50], a[:50], out[:50]):
        assert _erlang.erlang_c_scalar(int(ci), float(ai)) == value


def test_parallel_and_serial_paths_agree():
    """Arrays above the OpenMP threshold take the parallel loop; results must not depend on it."""
    rng = np.random.default_rng(8)
    c = rng.integers(1, 300, 20_000)
    a = rng.uniform(0.0, 1.2, 20_000) * c
    whole = erlang_c(c, a)
    pieces = np.concatenate([erlang_c(c[i : i + 1000], a[i : i + 1000]) for i in range(0, 20_000, 1000)])
    assert np.array_equal(whole, pieces)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.floats(0.0, 600.0, allow_nan=False))
def test_properties(c, a):
    b = erlang_b(c, a)
    assert 0.0 <= b <= 1.0
    assert erlang_b(c + 1, a) <= b  # more servers, less blocking
    cw = erlang_c(c, a)
    assert b <= cw * (1 + 1e-12) and cw <= 1.0  # waiting is at least as likely as blocking (up to rounding)
    assert b == pytest.approx(erlang_b_reference(c, a), rel=1e-12, abs=1e-300)
