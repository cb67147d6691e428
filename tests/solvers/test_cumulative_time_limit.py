"""HiGHS's time_limit is on the object's cumulative run time: re-solves must add what was spent."""

import numpy as np

from evcore.solvers import Model, SolverOptions
from evcore.solvers._highs import _build_highs, _run_and_read
from evcore.solvers._cut_loop import RowGenerationLP


def small_lp():
    return Model(objective=[1.0, 1.0], constraint_matrix=[[1.0, 2.0], [3.0, 1.0]], row_upper=[4.0, 6.0],
                 col_upper=[10.0, 10.0], sense="max")


def test_re_solve_limit_counts_from_the_time_already_spent():
    highs = _build_highs(small_lp(), SolverOptions())
    for _ in range(3):
        highs.clearSolver()
        _run_and_read(highs, SolverOptions(), "lp", 0.0, time_limit=5.0)
        spent = highs.getRunTime()
        assert spent > 0
    highs.clearSolver()
    before = highs.getRunTime()
    _run_and_read(highs, SolverOptions(), "lp", 0.0, time_limit=5.0)
    limit = highs.getOptionValue("time_limit")[1]
    assert before + 5.0 <= limit <= highs.getRunTime() + 5.0


def test_row_generation_lp_limit_counts_from_the_time_already_spent():
    lp = RowGenerationLP(small_lp())
    for _ in range(3):
        state = lp.solve(time_limit=5.0)
        assert state.status == "optimal"
    before = lp._highs.getRunTime()
    lp.solve(time_limit=5.0)
    assert lp._highs.getOptionValue("time_limit")[1] >= before + 5.0
    np.testing.assert_allclose(lp.solve().objective, 2.8)


def test_a_mip_re_solve_gets_its_own_limit_not_more():
    """A MIP's limit is on the current run only (HiGHS 1.16): re-solves must not add the time spent, or the
    n-th re-run of a hard MIP at a 0.3 s limit would run about n x 0.3 s."""
    import time

    import scipy.sparse as sp

    from evcore.solvers import Resolver

    rng = np.random.default_rng(0)
    n, m = 120, 15
    a = rng.integers(1, 100, (m, n)).astype(float)
    model = Model(objective=-rng.integers(1, 100, n).astype(float), constraint_matrix=sp.csr_array(a),
                  row_lower=np.full(m, -np.inf), row_upper=a.sum(axis=1) / 2, col_lower=np.zeros(n),
                  col_upper=np.ones(n), integrality=np.ones(n, dtype=np.int8))
    resolver = Resolver(model, SolverOptions(time_limit=0.3, threads=1))
    for _ in range(3):
        started = time.perf_counter()
        result = resolver.solve()
        seconds = time.perf_counter() - started
    assert result.status == "time_limit"  # the MIP is hard enough to hit the limit each time
    assert resolver._highs.getOptionValue("time_limit")[1] == 0.3 and seconds < 0.8
