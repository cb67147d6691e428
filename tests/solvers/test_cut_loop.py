"""cut_loop against the full models (scipy milp) and an analytic optimum."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from _solver_instances import hard_knapsack
from evcore.errors import InfeasibleError, InputError, SolverError
from evcore.solvers import Cuts, Model, SolverOptions, cut_loop


# --- vertex cover: one row per edge, generated when violated -----------------------------
def random_graph(seed: int, n: int = 25, p: float = 0.25):
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, k=1)
    keep = rng.uniform(size=i.size) < p
    edges = np.column_stack([i[keep], j[keep]])
    weights = rng.integers(1, 10, n).astype(float)
    return edges, weights


def edge_rows(edges: np.ndarray, n: int) -> sp.csr_array:
    k = edges.shape[0]
    return sp.csr_array((np.ones(2 * k), (np.repeat(np.arange(k), 2), edges.ravel())), shape=(k, n))


def vertex_cover_reference(edges, weights) -> float:
    n = weights.size
    res = milp(weights, integrality=np.ones(n), bounds=Bounds(0, 1),
               constraints=LinearConstraint(edge_rows(edges, n), 1, np.inf))
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vertex_cover_matches_full_mip(seed):
    edges, weights = random_graph(seed)
    n = weights.size
    model = Model(objective=weights, col_upper=np.ones(n), integrality=np.ones(n, dtype=bool))
    all_rows = edge_rows(edges, n)

    def separate(x):
        # A lazy separator: at most 8 violated edges, plus every satisfied edge (which
        # evcore must drop, or it would add rows twice).
        covered = x[edges[:, 0]] + x[edges[:, 1]] >= 1 - 1e-9
        chosen = np.r_[np.flatnonzero(~covered)[:8], np.flatnonzero(covered)]
        return all_rows[chosen], np.ones(chosen.size), np.full(chosen.size, np.inf)

    result = cut_loop(model, separate, SolverOptions(mip_rel_gap=0.0))
    expected = vertex_cover_reference(edges, weights)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, abs=1e-6)
    assert result.bound == pytest.approx(expected, abs=1e-6)
    assert np.all(result.x[edges[:, 0]] + result.x[edges[:, 1]] >= 1 - 1e-6)
    assert result.max_violation <= 1e-7
    assert len(result.rounds) > 2
    assert [r.round for r in result.rounds] == list(range(1, len(result.rounds) + 1))
    assert all(r.rows_added <= 8 for r in result.rounds) and result.rounds[-1].rows_added == 0
    assert result.rows_added == sum(r.rows_added for r in result.rounds) <= len(edges)
    bounds = [r.bound for r in result.rounds]
    assert bounds == sorted(bounds)  # min: lower bounds only rise
    assert all(r.mip_bound <= expected + 1e-9 for r in result.rounds)  # each one valid
    assert result.x is result.result.x and result.wall_time >= sum(r.wall_time for r in result.rounds)


# --- outer approximation of a concave function by tangent cuts ---------------------------
BUDGET = 4.0
# max sqrt(x1) + log(1 + x2) s.t. x1 + x2 <= B: 1/(2 sqrt(x1)) = 1/(1 + x2), so with
# s = sqrt(x1): s^2 + 2s - (1 + B) = 0.
S = np.sqrt(2.0 + BUDGET) - 1.0
X_OPT = np.array([S * S, BUDGET - S * S])
OPTIMUM = S + np.log1p(BUDGET - S * S)


def tangent_model() -> Model:
    # Variables (t1, t2, x1, x2): max t1 + t2 with t1 <= sqrt(x1), t2 <= log(1 + x2) cut in
    # lazily. The bounds on t keep the first relaxation bounded; x1 >= 0.01 keeps sqrt's
    # slope finite.
    return Model(objective=[1.0, 1.0, 0.0, 0.0], constraint_matrix=[[0.0, 0.0, 1.0, 1.0]],
                 row_upper=[BUDGET], col_lower=[-np.inf, -np.inf, 0.01, 0.0],
                 col_upper=[10.0, 10.0, BUDGET, BUDGET], sense="max")


def tangent_cuts(v):
    _, _, x1, x2 = v
    slope1, slope2 = 0.5 / np.sqrt(x1), 1.0 / (1.0 + x2)
    # t <= f(a) + f'(a) (x - a)  <=>  t - f'(a) x <= f(a) - f'(a) a
    matrix = np.array([[1.0, 0.0, -slope1, 0.0], [0.0, 1.0, 0.0, -slope2]])
    upper = np.array([np.sqrt(x1) - slope1 * x1, np.log1p(x2) - slope2 * x2])
    return Cuts(matrix, np.full(2, -np.inf), upper)


def test_tangent_cuts_reach_the_analytic_optimum():
    result = cut_loop(tangent_model(), tangent_cuts)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(OPTIMUM, abs=1e-6)
    np.testing.assert_allclose(result.x[2:], X_OPT, atol=1e-3)
    assert result.x[0] == pytest.approx(np.sqrt(result.x[2]), abs=1e-6)
    bounds = [r.bound for r in result.rounds]
    assert bounds == sorted(bounds, reverse=True)  # max: upper bounds only fall
    assert all(r.objective >= OPTIMUM - 1e-9 for r in result.rounds)  # each relaxation bounds it
    assert all(r.mip_bound is None for r in result.rounds)
    assert all(r.rows_added <= 2 for r in result.rounds) and result.rounds[-1].rows_added == 0
    assert result.rows_added == sum(r.rows_added for r in result.rounds)
    assert result.rounds[0].objective == pytest.approx(20.0)  # only the bounds on t at first


def test_round_limit_returns_best_answer_so_far():
    result = cut_loop(tangent_model(), tangent_cuts, max_rounds=3)
    assert result.status == "round_limit"
    assert len(result.rounds) == 3 and result.rows_added == sum(r.rows_added for r in result.rounds)
    assert result.max_violation > 1e-7  # x still violates a generated row
    assert result.objective == result.rounds[-1].objective >= OPTIMUM
    assert result.bound >= OPTIMUM and result.bound == result.rounds[-1].bound


def test_time_limit_returns_best_answer_so_far():
    def slow(v):
        time.sleep(0.05)
        return tangent_cuts(v)

    result = cut_loop(tangent_model(), slow, time_limit=0.12)
    assert result.status == "time_limit"
    assert 1 <= len(result.rounds) < 10
    assert result.bound >= OPTIMUM and result.x.shape == (4,)


def test_first_solve_without_feasible_point_raises():
    with pytest.raises(SolverError, match="time limit reached before any feasible solution"):
        cut_loop(hard_knapsack(), lambda x: None, time_limit=0.0)


@pytest.mark.parametrize("nothing", [None, (), Cuts(np.zeros((0, 4)), [], [])])
def test_nothing_to_add_stops_after_one_round(nothing):
    result = cut_loop(tangent_model(), lambda x: nothing)
    assert result.status == "optimal" and len(result.rounds) == 1 and result.rows_added == 0
    assert result.objective == pytest.approx(20.0) and result.max_violation == 0.0


def test_infeasible_relaxation_raises():
    model = Model(objective=[1.0], col_upper=[1.0])
    with pytest.raises(InfeasibleError):
        cut_loop(model, lambda x: ([[1.0]], [2.0], [np.inf]))


def test_progress_prints_one_line_per_round(capsys):
    result = cut_loop(tangent_model(), tangent_cuts, max_rounds=4, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == len(result.rounds) == 4
    assert lines[0].startswith("[solvers.cut_loop]  it        1") and "rows added 2" in lines[0]


@pytest.mark.parametrize("returned, text", [
    (([[1.0, 0.0, 0.0]], [0.0], [1.0]), "3 columns"),
    (([[1.0, 0.0, 0.0, 0.0]], [0.0, 0.0], [1.0]), "returned lower: expected shape"),
    (([[1.0, 0.0, 0.0, 0.0]], [-np.inf], [np.nan]), r"returned upper\[0\]: must be a number"),
    (([[1.0, np.inf, 0.0, 0.0]], [-np.inf], [1.0]), r"returned matrix\[0, 1\]: must be finite"),
    (([[1.0, 0.0, 0.0, 0.0]], [2.0], [1.0]), r"returned lower\[0\]: greater than upper"),
    (([[1.0, np.nan, 0.0, 0.0]], [0.0], [1.0]), r"returned matrix\[0, 1\]: must be finite, got nan"),
    (([[1.0, 0.0, 0.0, 0.0]], [np.nan], [1.0]), r"returned lower\[0\]: must be a number"),
    (([[1.0, 0.0, 0.0, 0.0]], [np.inf], [np.inf]), r"returned lower\[0\]: cannot be inf"),
    (([[1.0, 0.0, 0.0, 0.0]], [-np.inf], [-np.inf]), r"returned upper\[0\]: cannot be -inf"),
    (([[1.0, 0.0, 0.0, 0.0]], [1e25], [np.inf]), r"returned lower\[0\]: .*infinite_bound"),
    (([[1e16, 0.0, 0.0, 0.0]], [0.0], [1.0]), r"returned matrix\[0, 0\]: .*large_matrix_value"),
    (([[1.0, 0.0]], [0.0], [1.0]), "2 columns"),
    (([[1.0, 0.0, 0.0, 0.0], [1.0]], [0.0, 0.0], [1.0, 1.0]), "returned matrix: cannot be read as an array"),
    (([["1", "0", "0", "0"]], [0.0], [1.0]), "returned matrix: must be numbers, got text"),
    (([[1j, 0.0, 0.0, 0.0]], [0.0], [1.0]), "returned matrix: must be real numbers"),
    (([[1.0, 0.0, 0.0, 0.0]], None, [1.0]), "returned lower: must be 1 row bounds"),
    (np.ones(3), "must return None, a Cuts"),
    ({"matrix": 1}, "must return None, a Cuts"),
    ("nope", "must return None, a Cuts"),
    (([[1.0, 0.0, 0.0, 0.0]], [0.0]), "must return None, a Cuts"),
])
def test_malformed_cuts_name_separate(returned, text):
    with pytest.raises(InputError, match=text) as info:
        cut_loop(tangent_model(), lambda x: returned)
    assert info.value.field == "separate"


@pytest.mark.parametrize("kwargs, field", [
    (dict(separate="not callable"), "separate"),
    (dict(max_rounds=0), "max_rounds"),
    (dict(time_limit=-1.0), "time_limit"),
    (dict(tolerance=np.nan), "tolerance"),
])
def test_bad_loop_arguments(kwargs, field):
    arguments = dict(separate=tangent_cuts) | kwargs
    with pytest.raises(InputError) as info:
        cut_loop(tangent_model(), **arguments)
    assert info.value.field == field


def test_cuts_violation():
    cuts = Cuts(sp.csr_array([[1.0, 1.0], [1.0, -1.0]]), [1.0, -np.inf], [np.inf, 0.0])
    np.testing.assert_allclose(cuts.violation(np.array([0.25, 0.25])), [0.5, 0.0])
    np.testing.assert_allclose(cuts.violation(np.array([2.0, 0.5])), [0.0, 1.5])
    assert cuts.num_rows == 2


def test_progress_callable_gets_one_record_per_round():
    records = []
    result = cut_loop(tangent_model(), tangent_cuts, max_rounds=3, progress=records.append)
    assert [r.iteration for r in records] == [r.round for r in result.rounds] == [1, 2, 3]
    assert all(r.method == "solvers.cut_loop" and "rows added" in r.message for r in records)


def test_an_exception_inside_the_separator_propagates_unchanged():
    class Stop(Exception):
        pass

    def separate(x):
        raise Stop("the caller's own")

    with pytest.raises(Stop, match="the caller's own"):
        cut_loop(tangent_model(), separate)


@pytest.mark.parametrize("x", [[1.0], [np.nan, 1.0], "ab"])
def test_cuts_violation_checks_its_point(x):
    cuts = Cuts(sp.csr_array([[1.0, 1.0]]), [1.0], [np.inf])
    with pytest.raises(InputError) as info:
        cuts.violation(x)
    assert info.value.field == "x"
