"""evcore.solvers against outside truth: scipy's linprog/milp, closed forms, finite differences."""

from __future__ import annotations

import dataclasses
import pickle
import threading

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp

from _solver_instances import hard_knapsack, random_lp, textbook_lp
from evcore.errors import InfeasibleError, InputError, SolverError, UnboundedError
from evcore.solvers import (LIMIT_OUTCOMES, SOLVER_CAPABILITIES, STATUS_TABLE, Model, SolverOptions,
                            available_solvers, solve)
from evcore.solvers._highs import _build_highs

SEEDS = [0, 1, 2]
FEAS_TOL = 1e-7


def _bounds_or_none(lower, upper):
    return [(None if np.isinf(lo) else lo, None if np.isinf(up) else up) for lo, up in zip(lower, upper)]


def linprog_reference(model: Model):
    """Objective and HiGHS-convention row duals of ``model`` computed by scipy's linprog."""
    A = model.constraint_matrix.toarray()
    lower, upper = model.row_lower, model.row_upper
    eq = lower == upper
    le = ~eq & np.isfinite(upper)
    ge = ~eq & np.isfinite(lower)
    sign = 1.0 if model.sense == "min" else -1.0  # linprog minimises sign * objective
    res = linprog(sign * model.objective, A_ub=np.vstack([A[le], -A[ge]]), b_ub=np.r_[upper[le], -lower[ge]],
                  A_eq=A[eq], b_eq=lower[eq], bounds=_bounds_or_none(model.col_lower, model.col_upper),
                  method="highs")
    assert res.status == 0, res.message
    # linprog's marginals are d(sign * objective)/d(b); a >= row entered as -A x <= -l.
    duals = np.zeros(model.num_rows)
    duals[eq] = res.eqlin.marginals
    duals[le] += res.ineqlin.marginals[: le.sum()]
    duals[ge] -= res.ineqlin.marginals[le.sum():]
    return sign * res.fun + model.objective_offset, sign * duals


def assert_feasible(model: Model, x, tol=FEAS_TOL):
    activity = model.constraint_matrix @ x
    assert np.all(activity >= model.row_lower - tol)
    assert np.all(activity <= model.row_upper + tol)
    assert np.all(x >= model.col_lower - tol)
    assert np.all(x <= model.col_upper + tol)


# --- LP ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sense, duals", [("min", [-0.4, -0.2]), ("max", [0.4, 0.2])])
def test_textbook_lp_solution_and_duals(sense, duals):
    result = solve(textbook_lp(sense))
    assert result.status == "optimal"
    assert result.highs_status == "Optimal"
    assert result.objective == pytest.approx(-2.8 if sense == "min" else 2.8, abs=1e-12)
    np.testing.assert_allclose(result.x, [1.6, 1.2], atol=1e-12)
    np.testing.assert_allclose(result.row_activity, [4.0, 6.0], atol=1e-12)
    np.testing.assert_allclose(result.row_duals, duals, atol=1e-12)
    np.testing.assert_allclose(result.reduced_costs, [0.0, 0.0], atol=1e-12)
    assert result.mip_bound is None and result.mip_gap is None
    assert result.iterations["simplex"] > 0 and result.iterations["mip_nodes"] == 0
    assert result.solver == "choose"


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_lp_matches_linprog(seed, sense):
    model = random_lp(seed, sense)
    result = solve(model)
    objective, duals = linprog_reference(model)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
    assert model.evaluate(result.x) == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
    assert_feasible(model, result.x)
    np.testing.assert_allclose(result.row_activity, model.constraint_matrix @ result.x, atol=1e-9)
    np.testing.assert_allclose(result.row_duals, duals, atol=1e-7)


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_lp_duals_are_objective_derivatives(seed, sense):
    # Finite differences need no sign convention: dual_i = d objective / d (active bound of row i).
    model = random_lp(seed, sense)
    result = solve(model)
    step = 1e-6
    for i in range(model.num_rows):
        lower, upper = model.row_lower.copy(), model.row_upper.copy()
        activity = result.row_activity[i]
        if lower[i] == upper[i]:
            lower[i] += step
            upper[i] += step
        elif abs(activity - lower[i]) < abs(activity - upper[i]):
            lower[i] += step
        else:
            upper[i] += step
        moved = solve(dataclasses.replace(model, row_lower=lower, row_upper=upper))
        assert (moved.objective - result.objective) / step == pytest.approx(result.row_duals[i], abs=1e-5)
    for j in np.flatnonzero(np.abs(result.reduced_costs) > 1e-9):
        lower, upper = model.col_lower.copy(), model.col_upper.copy()
        at_lower = abs(result.x[j] - lower[j]) < abs(result.x[j] - upper[j])
        (lower if at_lower else upper)[j] += step
        moved = solve(dataclasses.replace(model, col_lower=lower, col_upper=upper))
        assert (moved.objective - result.objective) / step == pytest.approx(result.reduced_costs[j], abs=1e-5)


@pytest.mark.parametrize("solver", ["simplex", "ipm", "pdlp"])
def test_lp_algorithms_agree_with_linprog(solver):
    model = random_lp(4, "min")
    objective, _ = linprog_reference(model)
    result = solve(model, SolverOptions(solver=solver))
    assert result.status == "optimal"
    assert result.solver == solver
    rel = 1e-6 if solver == "pdlp" else 1e-9
    assert result.objective == pytest.approx(objective, rel=rel, abs=rel)
    assert_feasible(model, result.x, tol=1e-5 if solver == "pdlp" else FEAS_TOL)
    counter = {"simplex": "simplex", "ipm": "ipm", "pdlp": "pdlp"}[solver]
    assert result.iterations[counter] > 0


def test_hipo_follows_the_installed_build():
    build_accepts = highspy.Highs().setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk
    assert ("hipo" in available_solvers()) == build_accepts
    model = random_lp(5, "max")
    if build_accepts:
        objective, _ = linprog_reference(model)
        assert solve(model, SolverOptions(solver="hipo")).objective == pytest.approx(objective, rel=1e-7)
    else:
        with pytest.raises(InputError, match="not available in this HiGHS build") as info:
            solve(model, SolverOptions(solver="hipo"))
        assert info.value.field == "solver"


def test_infeasible_lp_raises_with_highs_status():
    model = Model(objective=[1.0, 1.0], constraint_matrix=[[1.0, 1.0]], row_upper=[-1.0])
    with pytest.raises(InfeasibleError) as info:
        solve(model)
    assert info.value.status == "Infeasible"
    assert "Infeasible" in str(info.value)


def test_unbounded_lp_raises_with_highs_status():
    model = Model(objective=[-1.0, 1.0], constraint_matrix=[[0.0, 1.0]], row_upper=[1.0])
    with pytest.raises(UnboundedError) as info:
        solve(model)
    assert info.value.status == "Unbounded"


def _raw_status(model: Model, **options) -> str:
    highs = _build_highs(model, SolverOptions(**options))
    highs.run()
    return highs.modelStatusToString(highs.getModelStatus())


def test_infeasible_or_unbounded_lp_is_disambiguated():
    # PDLP without presolve cannot tell infeasible from unbounded; evcore re-solves to decide.
    model = Model(objective=[1.0, 1.0], constraint_matrix=[[1.0, 1.0]], row_upper=[-1.0])
    options = dict(solver="pdlp", presolve="off")
    assert _raw_status(model, **options) == "Primal infeasible or unbounded"
    with pytest.raises(InfeasibleError) as info:
        solve(model, SolverOptions(**options))
    assert info.value.status == "Infeasible"


def test_unbounded_mip_is_disambiguated():
    # MIP presolve answers "infeasible or unbounded" for an unbounded MIP.
    model = Model(objective=[-1.0, 0.0], constraint_matrix=[[0.0, 1.0]], row_upper=[1.0],
                  integrality=[1, 1])
    assert _raw_status(model) == "Primal infeasible or unbounded"
    with pytest.raises(UnboundedError) as info:
        solve(model)
    assert info.value.status == "Unbounded"


def test_model_without_variables():
    result = solve(Model(objective=np.zeros(0), constraint_matrix=np.zeros((2, 0)),
                         row_lower=[-1.0, -np.inf], row_upper=[2.0, np.inf], objective_offset=3.5))
    assert result.status == "optimal" and result.highs_status == "Empty"
    assert result.objective == 3.5
    assert result.x.shape == (0,) and result.row_activity.shape == (2,)
    with pytest.raises(InfeasibleError, match="row 0") as info:
        solve(Model(objective=np.zeros(0), constraint_matrix=np.zeros((1, 0)), row_lower=[1.0]))
    assert info.value.status == "Empty"


def test_objective_offset_is_included():
    base = solve(textbook_lp("min")).objective
    shifted = solve(dataclasses.replace(textbook_lp("min"), objective_offset=10.0)).objective
    assert shifted - base == pytest.approx(10.0)


def test_iteration_limit_without_feasible_point_raises():
    with pytest.raises(SolverError, match="iteration limit reached before any feasible solution") as info:
        solve(random_lp(0), SolverOptions(extra={"simplex_iteration_limit": 0}))
    assert info.value.status == "Iteration limit reached"


# --- MIP --------------------------------------------------------------------------------
def milp_objective(model: Model) -> float:
    sign = 1.0 if model.sense == "min" else -1.0
    res = milp(sign * model.objective, integrality=model.integrality.astype(int),
               bounds=Bounds(model.col_lower, model.col_upper),
               constraints=LinearConstraint(model.constraint_matrix, model.row_lower, model.row_upper),
               options={"mip_rel_gap": 0.0})
    assert res.status == 0, res.message
    return sign * res.fun + model.objective_offset


def random_knapsack(seed: int) -> Model:
    rng = np.random.default_rng(seed)
    n, m = 15, 3
    weights = rng.integers(1, 20, size=(m, n)).astype(float)
    integer = rng.uniform(size=n) < 0.7  # some continuous items too
    return Model(objective=rng.integers(1, 30, n).astype(float), constraint_matrix=weights,
                 row_upper=weights.sum(axis=1) * 0.4, col_upper=rng.integers(1, 4, n).astype(float),
                 integrality=integer, sense="max")


def random_assignment(seed: int, size: int = 6) -> Model:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 10, size=(size, size))
    rows = sp.vstack([sp.kron(sp.eye(size), np.ones((1, size))),   # each worker one job
                      sp.kron(np.ones((1, size)), sp.eye(size))])  # each job one worker
    # Plus a side constraint that cuts off the cheapest assignment (so the LP relaxation is
    # no longer integral) but not the one with the least side use (so it stays feasible).
    side = rng.uniform(0, 1, (size, size))
    least = side[linear_sum_assignment(side)].sum()
    cheapest = side[linear_sum_assignment(cost)].sum()
    relaxed = least + 0.3 * (cheapest - least)
    side = side.ravel()
    matrix = sp.vstack([rows, side[None, :]])
    return Model(objective=cost.ravel(), constraint_matrix=matrix,
                 row_lower=np.r_[np.ones(2 * size), -np.inf], row_upper=np.r_[np.ones(2 * size), relaxed],
                 col_upper=np.ones(size * size), integrality=np.ones(size * size, dtype=bool))


@pytest.mark.parametrize("make", [random_knapsack, random_assignment])
@pytest.mark.parametrize("seed", SEEDS)
def test_mip_matches_scipy_milp(make, seed):
    model = make(seed)
    expected = milp_objective(model)
    result = solve(model, SolverOptions(mip_rel_gap=0.0))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, abs=1e-6)
    assert_feasible(model, result.x, tol=1e-6)
    integral = result.x[model.integrality]
    np.testing.assert_allclose(integral, np.round(integral), atol=1e-6)
    assert result.row_duals is None and result.reduced_costs is None
    assert result.mip_bound == pytest.approx(expected, abs=1e-6)
    assert result.mip_gap == pytest.approx(0.0, abs=1e-9)


def test_mip_gap_within_tolerance_is_still_optimal():
    result = solve(hard_knapsack(), SolverOptions(mip_rel_gap=0.05))
    assert result.status == "optimal"
    assert 0.0 <= result.mip_gap <= 0.05
    assert result.mip_bound >= result.objective - 1e-9  # max: the bound is an upper bound


def test_infeasible_mip():
    # 2x + 2y = 1 has real solutions but no integer one.
    model = Model(objective=[1.0, 1.0], constraint_matrix=[[2.0, 2.0]], row_lower=[1.0], row_upper=[1.0],
                  integrality=[True, True])
    assert solve(dataclasses.replace(model, integrality=None)).status == "optimal"
    with pytest.raises(InfeasibleError) as info:
        solve(model)
    assert info.value.status == "Infeasible"


def greedy_start(model: Model) -> np.ndarray:
    weights = model.constraint_matrix.toarray()
    x = np.zeros(model.num_cols)
    for j in np.argsort(-model.objective / weights.sum(axis=0)):
        x[j] = 1.0
        if np.any(weights @ x > model.row_upper):
            x[j] = 0.0
    return x


def test_start_solution_is_used():
    # With no time at all, the only feasible point HiGHS can have is the one we passed.
    model = hard_knapsack()
    start = greedy_start(model)
    result = solve(model, SolverOptions(time_limit=0.0), start=start)
    assert result.status == "time_limit" and result.highs_status == "Time limit reached"
    np.testing.assert_array_equal(result.x, start)
    assert result.objective == pytest.approx(model.evaluate(start))
    assert result.mip_bound >= result.objective


def test_time_limit_without_feasible_point_raises():
    with pytest.raises(SolverError, match="time limit reached before any feasible solution") as info:
        solve(hard_knapsack(), SolverOptions(time_limit=0.0))
    assert info.value.status == "Time limit reached"


def test_time_limit_returns_best_feasible_point():
    model = hard_knapsack()
    start = greedy_start(model)
    result = solve(model, SolverOptions(time_limit=0.2), start=start)
    assert result.status == "time_limit"
    assert result.status in LIMIT_OUTCOMES
    assert_feasible(model, result.x, tol=1e-6)
    np.testing.assert_allclose(result.x, np.round(result.x), atol=1e-6)
    assert result.objective >= model.evaluate(start) - 1e-9
    assert result.mip_bound >= result.objective and result.mip_gap > 0


@pytest.mark.parametrize("extra, outcome", [({"mip_max_improving_sols": 1}, "solution_limit"),
                                            ({"objective_target": 500.0}, "objective_target")])
def test_other_limits_return_their_outcome(extra, outcome):
    result = solve(hard_knapsack(), SolverOptions(extra=extra))
    assert result.status == outcome
    assert_feasible(hard_knapsack(), result.x, tol=1e-6)


# --- QP ---------------------------------------------------------------------------------
def _equality_qp(seed: int, n: int = 6, k: int = 2):
    rng = np.random.default_rng(seed)
    root = rng.normal(size=(n, n))
    hessian = root @ root.T + n * np.eye(n)
    return hessian, rng.normal(size=n), rng.normal(size=(k, n)), rng.normal(size=k)


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("seed", [0, 1])
def test_equality_qp_matches_kkt_solution(seed, sense):
    hessian, cost, E, b = _equality_qp(seed)
    n, k = cost.size, b.size
    # min 0.5 x'Hx + c'x s.t. Ex = b:  Hx + c = E'nu, Ex = b, and nu = d objective / d b.
    kkt = np.block([[hessian, -E.T], [E, np.zeros((k, k))]])
    solution = np.linalg.solve(kkt, np.r_[-cost, b])
    x, nu = solution[:n], solution[n:]
    expected = 0.5 * x @ hessian @ x + cost @ x
    sign = 1.0 if sense == "min" else -1.0  # max of the negated (concave) objective: same point
    model = Model(objective=sign * cost, constraint_matrix=E, row_lower=b, row_upper=b,
                  col_lower=np.full(n, -np.inf), hessian=sign * hessian, sense=sense)
    assert model.is_qp and model.kind == "qp"
    result = solve(model)
    assert result.status == "optimal"
    np.testing.assert_allclose(result.x, x, atol=1e-5)
    assert result.objective == pytest.approx(sign * expected, abs=1e-6)
    np.testing.assert_allclose(result.row_duals, sign * nu, atol=1e-5)
    assert result.iterations["qp"] > 0


def test_bounded_qp_hits_the_bound():
    # min (x - 2)^2 + (y + 1)^2 over the box [0, 1]^2: the answer is the projection (1, 0).
    model = Model(objective=[-4.0, 2.0], hessian=2 * np.eye(2), col_upper=[1.0, 1.0], objective_offset=5.0)
    result = solve(model)
    np.testing.assert_allclose(result.x, [1.0, 0.0], atol=1e-6)
    assert result.objective == pytest.approx(2.0, abs=1e-6)
    np.testing.assert_allclose(result.reduced_costs, [-2.0, 2.0], atol=1e-5)


def test_nonconvex_qp_is_a_solver_error():
    model = Model(objective=[-1.0, -1.0], constraint_matrix=[[1.0, 1.0]], row_upper=[1.0],
                  hessian=-2 * np.eye(2))
    with pytest.raises(SolverError, match="positive semidefinite") as info:
        solve(model)
    assert info.value.status == "Not Set"


def test_miqp_is_refused_by_the_capability_table():
    model = Model(objective=[-1.0, -1.0], constraint_matrix=[[1.0, 1.0]], row_upper=[1.0],
                  hessian=2 * np.eye(2), integrality=[1, 0])
    assert model.kind == "miqp"
    with pytest.raises(InputError, match="mixed-integer QP") as info:
        solve(model)
    assert info.value.field == "solver"


# --- capability and status tables -------------------------------------------------------
def test_capability_table_is_pinned():
    assert dict(SOLVER_CAPABILITIES) == {
        "choose": {"lp", "mip", "qp"},
        "simplex": {"lp", "mip"},
        "ipm": {"lp"},
        "ipx": {"lp"},
        "hipo": {"lp"},
        "pdlp": {"lp"},
        "hipdlp": {"lp"},
        "qpasm": {"qp"},
    }


def test_every_name_highs_accepts_is_declared():
    # The HiGHS option lists its values when given a wrong one; every value but "hipo" (only in
    # builds compiled with it) must be accepted by this build and declared in the table.
    assert available_solvers() <= set(SOLVER_CAPABILITIES)
    assert set(SOLVER_CAPABILITIES) - available_solvers() <= {"hipo", "ipx", "hipdlp", "qpasm"}
    if highspy.Highs().version() >= "1.16":
        assert {"choose", "simplex", "ipm", "ipx", "pdlp", "hipdlp", "qpasm"} <= available_solvers()


MODELS_BY_KIND = {
    "lp": lambda: textbook_lp("min"),
    "mip": lambda: dataclasses.replace(textbook_lp("min"), integrality=[1, 1]),
    "qp": lambda: dataclasses.replace(textbook_lp("min"), hessian=2 * np.eye(2)),
}


#: Which HiGHS iteration counter moves when each algorithm runs.
COUNTER = {"simplex": "simplex", "ipm": "ipm", "ipx": "ipm", "hipo": "ipm", "pdlp": "pdlp", "hipdlp": "pdlp",
           "qpasm": "qp"}


@pytest.mark.parametrize("kind", ["lp", "mip", "qp"])
@pytest.mark.parametrize("solver", sorted(SOLVER_CAPABILITIES))
def test_capability_table_is_enforced(solver, kind):
    if solver not in available_solvers():
        with pytest.raises(InputError, match="not available in this HiGHS build") as info:
            SolverOptions(solver=solver)
        assert info.value.field == "solver" and "available: ['choose', 'simplex'" in str(info.value)
        return
    model = MODELS_BY_KIND[kind]()
    if kind in SOLVER_CAPABILITIES[solver]:
        result = solve(model, SolverOptions(solver=solver))
        assert result.status == "optimal"
        if solver != "choose":
            counter = "mip_nodes" if kind == "mip" else COUNTER[solver]
            assert result.iterations[counter] > 0, result.iterations  # that algorithm really ran
    else:
        with pytest.raises(InputError, match="cannot solve") as info:
            solve(model, SolverOptions(solver=solver))
        assert info.value.field == "solver"
        # ... because HiGHS would have run another algorithm (its counter stays at zero)
        if kind != "mip":
            assert getattr(_raw_iterations(model, solver), f"{COUNTER[solver]}_iteration_count") <= 0


def _raw_iterations(model: Model, solver: str):
    highs = _build_highs(model)  # solver "choose" passes the capability check
    highs.setOptionValue("solver", solver)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo()


@pytest.mark.parametrize("solver", sorted(available_solvers() & {"ipm", "ipx", "pdlp", "hipdlp", "simplex"}))
def test_highs_ignores_lp_algorithms_for_qp(solver):
    # Why the table refuses them: HiGHS runs its active-set QP solver whatever "solver" says.
    info = _raw_iterations(MODELS_BY_KIND["qp"](), solver)
    assert info.qp_iteration_count > 0
    assert max(info.ipm_iteration_count, info.pdlp_iteration_count, info.simplex_iteration_count) <= 0


@pytest.mark.parametrize("solver", sorted(available_solvers() & {"ipm", "ipx", "pdlp", "hipdlp"}))
def test_highs_honours_lp_algorithms_for_lp(solver):
    info = _raw_iterations(MODELS_BY_KIND["lp"](), solver)
    assert getattr(info, f"{COUNTER[solver]}_iteration_count") > 0


@pytest.mark.skipif("qpasm" not in available_solvers(), reason="HiGHS before 1.16 has no qpasm")
def test_highs_ignores_the_qp_solver_for_an_lp():
    info = _raw_iterations(MODELS_BY_KIND["lp"](), "qpasm")
    assert info.simplex_iteration_count > 0 and info.qp_iteration_count <= 0


def test_unknown_or_unavailable_solver_lists_what_is_available():
    for name in ("barrier", [], {}, None, 3):
        with pytest.raises(InputError, match="must be one of") as info:
            SolverOptions(solver=name)
        assert info.value.field == "solver"
        assert str(sorted(available_solvers())[0]) in str(info.value)


def test_simplex_for_a_mip_sets_the_mip_lp_solver():
    highs = _build_highs(MODELS_BY_KIND["mip"](), SolverOptions(solver="simplex"))
    assert highs.getOptionValue("mip_lp_solver")[1] == "simplex"
    assert highs.getOptionValue("solver")[1] == "choose"


def test_status_table_covers_every_highs_status():
    assert set(STATUS_TABLE) == set(highspy.HighsModelStatus.__members__.values())
    assert STATUS_TABLE[highspy.HighsModelStatus.kOptimal] == "optimal"
    assert STATUS_TABLE[highspy.HighsModelStatus.kTimeLimit] == "time_limit"
    assert STATUS_TABLE[highspy.HighsModelStatus.kUnboundedOrInfeasible] == "unbounded_or_infeasible"
    outcomes = set(STATUS_TABLE.values())
    assert LIMIT_OUTCOMES < outcomes
    assert outcomes - LIMIT_OUTCOMES == {"optimal", "infeasible", "unbounded", "unbounded_or_infeasible",
                                         "empty", "error"}


# --- threads ----------------------------------------------------------------------------
def test_changing_threads_between_solves():
    model = random_lp(1)
    for threads in (1, 2, 1, None, 2):
        assert solve(model, SolverOptions(threads=threads)).status == "optimal"


def test_changing_threads_in_another_python_thread():
    # HiGHS keeps one scheduler per OS thread, so evcore's record is per thread too.
    statuses = []

    def work():
        for threads in (2, 1, 2):
            statuses.append(solve(random_lp(2), SolverOptions(threads=threads)).status)

    solve(random_lp(2), SolverOptions(threads=1))
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    statuses.append(solve(random_lp(2), SolverOptions(threads=2)).status)
    assert statuses == ["optimal"] * 4


def test_the_threads_trap_exists_in_raw_highspy():
    # Pins the HiGHS behaviour evcore works around; run in a fresh thread so that its
    # scheduler is not the one the other tests use.
    statuses = []

    def raw(threads):
        highs = _build_highs(textbook_lp("min"))
        highs.setOptionValue("threads", threads)
        highs.run()
        statuses.append(highs.modelStatusToString(highs.getModelStatus()))

    def work():
        raw(1)
        raw(2)
        highspy.Highs.resetGlobalScheduler(True)
        raw(2)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert statuses == ["Optimal", "Not Set", "Optimal"]


# --- input checks -----------------------------------------------------------------------
def test_lower_above_upper_names_field_and_index():
    with pytest.raises(InputError) as info:
        Model(objective=np.ones(2), constraint_matrix=np.ones((5, 2)), row_lower=[0, 0, 0, 5.0, 0],
              row_upper=[1, 1, 1, 2.0, 1])
    assert str(info.value) == "row_lower[3]: greater than row_upper[3] (5.0 > 2.0)"
    assert (info.value.field, info.value.index) == ("row_lower", 3)
    with pytest.raises(InputError, match=r"col_lower\[1\]: greater than col_upper\[1\]"):
        Model(objective=np.ones(2), col_lower=[0.0, 3.0], col_upper=[1.0, 2.0])


@pytest.mark.parametrize("kwargs, field, index", [
    (dict(objective=[1.0, np.nan]), "objective", 1),
    (dict(objective=[[1.0, 2.0]]), "objective", None),
    (dict(objective=[1.0, 2.0], constraint_matrix=np.ones((2, 3))), "constraint_matrix", None),
    (dict(objective=[1.0, 2.0], constraint_matrix=[[1.0, np.inf]]), "constraint_matrix", (0, 1)),
    (dict(objective=[1.0, 2.0], constraint_matrix=np.ones((2, 2)), row_upper=[1.0]), "row_upper", None),
    (dict(objective=[1.0, 2.0], constraint_matrix=np.ones((2, 2)), row_lower=[0.0, np.nan]), "row_lower", 1),
    (dict(objective=[1.0, 2.0], col_lower=[np.inf, 0.0]), "col_lower", 0),
    (dict(objective=[1.0, 2.0], col_upper=[1.0]), "col_upper", None),
    (dict(objective=[1.0, 2.0], integrality=[0, 2]), "integrality", 1),
    (dict(objective=[1.0, 2.0], integrality=[0.5, 1]), "integrality", 0),
    (dict(objective=[1.0, 2.0], sense="minimize"), "sense", None),
    (dict(objective=[1.0, 2.0], objective_offset=np.nan), "objective_offset", None),
    (dict(objective=[1.0, 2.0], hessian=np.eye(3)), "hessian", None),
    (dict(objective=[1.0, 2.0], hessian=[[1.0, 2.0], [0.0, 1.0]]), "hessian", (0, 1)),
])
def test_bad_model_input(kwargs, field, index):
    with pytest.raises(InputError) as info:
        Model(**kwargs)
    assert info.value.field == field
    assert info.value.index == index


def test_model_conversion_and_properties():
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    objective = np.array([1.0, 2.0, 3.0])
    model = Model(objective=objective, constraint_matrix=sp.coo_matrix(dense), row_upper=[1, 2],
                  integrality=[1, 0, 0], hessian=np.zeros((3, 3)))
    assert isinstance(model.constraint_matrix, sp.csr_array)
    assert model.constraint_matrix.dtype == np.float64 and model.constraint_matrix.nnz == 3
    np.testing.assert_array_equal(model.constraint_matrix.toarray(), dense)
    np.testing.assert_array_equal(model.row_lower, [-np.inf, -np.inf])
    np.testing.assert_array_equal(model.col_lower, 0.0)
    np.testing.assert_array_equal(model.col_upper, np.inf)
    assert model.hessian is None  # an all-zero hessian is an LP
    assert (model.num_cols, model.num_rows, model.is_mip, model.is_qp, model.kind) == (3, 2, True, False, "mip")
    objective[0] = 99.0  # the model holds a copy ...
    assert model.objective[0] == 1.0
    with pytest.raises(ValueError):  # ... and a read-only one
        model.objective[0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.sense = "max"
    lp = Model(objective=[1.0], integrality=[False])
    assert (lp.is_mip, lp.kind) == (False, "lp")
    assert pickle.loads(pickle.dumps(model)).constraint_matrix.nnz == 3


def test_bad_start():
    with pytest.raises(InputError) as info:
        solve(textbook_lp(), start=[1.0, 2.0, 3.0])
    assert info.value.field == "start"
    with pytest.raises(InputError) as info:
        solve(textbook_lp(), start=[1.0, np.nan])
    assert (info.value.field, info.value.index) == ("start", 1)
    # HiGHS's setSolution refuses values outside the column bounds; evcore says which.
    with pytest.raises(InputError, match=r"start\[1\]: outside the column bounds \[0.0, inf\], got -1.0"):
        solve(textbook_lp(), start=[1.0, -1.0])


def test_lp_start_gives_the_starting_basis():
    model = random_lp(3)
    cold = solve(model)
    warm = solve(model, start=cold.x)
    assert warm.objective == pytest.approx(cold.objective, abs=1e-9)
    assert warm.iterations["simplex"] < cold.iterations["simplex"]


@pytest.mark.parametrize("kwargs, field, text", [
    (dict(solver="barrier"), "solver", "must be one of"),
    (dict(threads=0), "threads", r"in \[1, 256\]"),
    (dict(threads=10**6), "threads", r"in \[1, 256\]"),
    (dict(threads=True), "threads", "boolean"),
    (dict(solver=[]), "solver", "must be one of"),
    (dict(presolve=[]), "presolve", "must be one of"),
    (dict(mip_rel_gap=np.inf), "mip_rel_gap", "finite"),
    (dict(extra=[("random_seed", 1)]), "extra", "mapping"),
    (dict(extra={"primal_feasibility_tolerance": np.nan}), "extra", "takes a number"),
    (dict(extra={"mip_feasibility_tolerance": "1e-6"}), "extra", "takes a number"),
    (dict(extra={"random_seed": True}), "extra", "takes an integer"),
    (dict(extra={"random_seed": 2.5}), "extra", "takes an integer"),
    (dict(extra={"random_seed": 2**70}), "extra", "rejected the value"),
    (dict(extra={"mip_max_nodes": 1e300}), "extra", "takes an integer"),
    (dict(extra={"log_to_console": 1}), "extra", "takes true or false"),
    (dict(extra={"write_model_file": 3}), "extra", "takes a string"),
    (dict(extra={"random_seed": 1j}), "extra", "takes an integer"),
    (dict(extra={"random_seed": None}), "extra", "takes an integer"),
    (dict(extra={"random_seed": np.array(3)}), "extra", "takes an integer"),
    (dict(extra={3: 1}), "extra", "names must be strings"),
    (dict(threads=1.5), "threads", "integer"),
    (dict(time_limit=-1.0), "time_limit", "non-negative"),
    (dict(mip_rel_gap=-0.1), "mip_rel_gap", "non-negative"),
    (dict(presolve="maybe"), "presolve", "must be one of"),
    (dict(verbose="yes"), "verbose", "bool"),
    (dict(extra={"no_such_option": 1}), "extra", "unknown HiGHS option 'no_such_option'"),
    (dict(extra={"time_limit": 5.0}), "extra", "SolverOptions field"),
    (dict(extra={"simplex_iteration_limit": "many"}), "extra", "'simplex_iteration_limit'"),
    (dict(extra={"primal_feasibility_tolerance": -1.0}), "extra", "'primal_feasibility_tolerance'"),
    (dict(extra={"random_seed": [1]}), "extra", "'random_seed'"),
])
def test_bad_options(kwargs, field, text):
    with pytest.raises(InputError, match=text) as info:
        SolverOptions(**kwargs)
    assert info.value.field == field


def test_options_pass_through_and_normalise():
    options = SolverOptions(time_limit=np.inf, threads=np.int64(2), extra={"random_seed": np.int64(7)})
    assert options.time_limit is None and options.threads == 2
    assert options.extra == {"random_seed": 7} and type(options.extra["random_seed"]) is int
    highs = _build_highs(textbook_lp(), options)
    assert highs.getOptionValue("random_seed")[1] == 7
    assert pickle.loads(pickle.dumps(options)) == options


def test_progress_prints_one_line(capsys):
    solve(textbook_lp(), progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "optimal" in lines[0] and "-2.8" in lines[0]


def test_exceptions_survive_pickling():
    with pytest.raises(SolverError) as info:
        solve(hard_knapsack(), SolverOptions(time_limit=0.0))
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, SolverError) and again.status == "Time limit reached"


def test_resolver_matches_fresh_solves_of_each_member():
    from evcore.solvers import Resolver

    rng = np.random.default_rng(4)
    matrix = sp.random(6, 9, density=0.6, random_state=5, format="csr") + sp.eye(6, 9, format="csr")
    base = Model(objective=rng.uniform(1, 2, 9), constraint_matrix=matrix, row_lower=np.ones(6))
    resolver = Resolver(base)
    for _ in range(5):
        cost = rng.uniform(0.5, 3, 9)
        lower = rng.uniform(0.5, 2, 6)
        fresh = solve(Model(objective=cost, constraint_matrix=matrix, row_lower=lower))
        again = resolver.solve(objective=cost, row_lower=lower)
        assert again.status == "optimal" and np.isclose(again.objective, fresh.objective)
        assert np.isclose(again.row_duals @ lower, again.objective)  # strong duality: duals of this member
        assert np.allclose(again.row_activity, matrix @ again.x) and np.all(again.row_activity >= lower - 1e-9)


# --- issue 12.8: every array checked, HiGHS's conventions made explicit -------------------
@pytest.mark.parametrize("kwargs, field, index", [
    (dict(objective=[np.nan, 1.0]), "objective", 0),
    (dict(objective=[np.inf, 1.0]), "objective", 0),
    (dict(objective=[-1.0]), "objective", None),             # wrong length: a different model
    (dict(objective=[-1.0, -1.0, -1.0]), "objective", None),
    (dict(objective=[[1.0, 1.0]]), "objective", None),
    (dict(objective="ab"), "objective", None),
    (dict(objective=[1j, 1.0]), "objective", None),
    (dict(objective=[True, False]), "objective", None),
    (dict(objective=[1e25, 1.0]), "objective", 0),           # HiGHS's infinite_cost
    (dict(row_upper=[4.0]), "row_upper", None),
    (dict(row_upper=[np.nan, 6.0]), "row_upper", 0),
    (dict(row_upper=[-np.inf, 6.0]), "row_upper", 0),
    (dict(row_lower=[5.0, 0.0]), "row_lower", 0),            # above the kept upper bound 4
    (dict(row_lower=[5.0, 0.0], row_upper=[4.0, 6.0]), "row_lower", 0),
    (dict(row_lower=[1e25, 0.0], row_upper=[np.inf, 6.0]), "row_lower", 0),
    (dict(row_lower=[[0.0, 0.0]]), "row_lower", None),
])
def test_resolver_checks_every_array_and_keeps_its_model(kwargs, field, index):
    from evcore.solvers import Resolver

    resolver = Resolver(textbook_lp())
    with pytest.raises(InputError) as info:
        resolver.solve(**kwargs)
    assert (info.value.field, info.value.index) == (field, index)
    # nothing changed behind the refusal
    again = resolver.solve()
    assert again.status == "optimal" and again.objective == pytest.approx(-2.8)


def test_resolver_keeps_the_other_side_of_row_bounds():
    from evcore.solvers import Resolver

    resolver = Resolver(textbook_lp())
    assert resolver.solve(row_upper=[2.0, 3.0]).objective == pytest.approx(solve(
        dataclasses.replace(textbook_lp(), row_upper=[2.0, 3.0])).objective)
    with pytest.raises(InputError, match=r"row_lower\[1\]: greater than row_upper\[1\] \(5.0 > 3.0\)"):
        resolver.solve(row_lower=[0.0, 5.0])  # checked against the upper bounds now held


@pytest.mark.parametrize("bad", ["x", None, 3, SolverOptions])
def test_entries_refuse_what_is_not_a_model_or_options(bad):
    from evcore.solvers import Resolver, cut_loop

    for call in (lambda: solve(bad), lambda: Resolver(bad), lambda: cut_loop(bad, lambda x: None)):
        with pytest.raises(InputError, match="model"):
            call()
    if bad is not None:
        for call in (lambda: solve(textbook_lp(), bad), lambda: Resolver(textbook_lp(), bad),
                     lambda: cut_loop(textbook_lp(), lambda x: None, bad)):
            with pytest.raises(InputError, match="options"):
                call()


@pytest.mark.parametrize("progress", ["yes", 1, 0.5, [True], lambda: None])
def test_solve_refuses_odd_progress(progress):
    with pytest.raises(InputError, match="progress"):
        solve(textbook_lp(), progress=progress)


def test_solve_progress_callable_gets_one_final_record():
    records = []
    solve(textbook_lp(), progress=records.append)
    assert len(records) == 1 and records[0].final and records[0].objective == pytest.approx(-2.8)
    assert records[0].method == "solvers.solve" and "Optimal" in records[0].message


@pytest.mark.parametrize("kwargs, field, index", [
    (dict(objective=[1e25, 1.0]), "objective", 0),
    (dict(objective=[1.0, -1e300]), "objective", 1),
    (dict(objective=[-1.0, -1.0], constraint_matrix=[[1e16, 1.0]], row_upper=[1.0]), "constraint_matrix", (0, 0)),
    (dict(objective=[1.0, 1.0], col_lower=[1e25, 0.0], col_upper=[1e30, 1.0]), "col_lower", 0),
    (dict(objective=[1.0, 1.0], col_lower=[-1e30, -1e25], col_upper=[1.0, -1e21]), "col_upper", 1),
    (dict(objective=[1.0, 1.0], constraint_matrix=[[1.0, 1.0]], row_lower=[1e21]), "row_lower", 0),
    (dict(objective=[1.0, 1.0], constraint_matrix=[[1.0, 1.0]], row_upper=[-1e21]), "row_upper", 0),
    (dict(objective=[1.0, 1.0], hessian=[[1e16, 0.0], [0.0, 1.0]]), "hessian", (0, 0)),
])
def test_values_highs_would_read_as_infinite_are_refused(kwargs, field, index):
    # Before: a cost of 1e25 came back "optimal" with objective inf; bounds past 1e20 and matrix
    # entries past 1e15 made HiGHS reject the model with status "Not Set".
    with pytest.raises(InputError, match="HiGHS") as info:
        solve(Model(**kwargs))
    assert (info.value.field, info.value.index) == (field, index)
    # ... and still a SolverError for callers that caught HiGHS's refusal before evcore checked
    assert isinstance(info.value, SolverError) and info.value.outcome is None and info.value.status == "Model error"
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and isinstance(again, SolverError)


def test_huge_bounds_on_the_open_side_mean_no_bound():
    model = Model(objective=[1.0], col_lower=[-1e30], col_upper=[1e30], constraint_matrix=[[1.0]], row_lower=[2.0],
                  row_upper=[1e25])
    assert solve(model).objective == pytest.approx(2.0)


def test_limits_follow_the_options():
    options = SolverOptions(extra={"infinite_cost": 1e30})
    assert solve(Model(objective=[1e25], col_upper=[1.0]), options).objective == 0.0


def test_entries_highs_drops_are_logged(caplog):
    model = Model(objective=[-1.0, -1.0], constraint_matrix=[[1e-10, 1.0]], row_upper=[1.0], col_upper=[1.0, 1.0])
    with caplog.at_level("WARNING", logger="evcore.solvers"):
        solve(model)
    assert "constraint_matrix: 1 entries of magnitude <= 1e-09" in caplog.text and "[0, 0]" in caplog.text


@pytest.mark.parametrize("data, text", [(np.array([[True, False]]), "booleans"),
                                        (np.array([[1j, 0.0]]), "complex"),
                                        (np.array([[1.0, np.nan]]), "finite")])
def test_sparse_input_is_checked_like_dense(data, text):
    with pytest.raises(InputError, match=text) as info:
        Model(objective=[1.0, 2.0], constraint_matrix=sp.csr_array(data))
    assert info.value.field == "constraint_matrix"


@pytest.mark.parametrize("x", [[1.0], [1.0, np.nan], "ab", [[1.0, 1.0]], [1j, 1.0]])
def test_evaluate_checks_its_point(x):
    with pytest.raises(InputError) as info:
        textbook_lp().evaluate(x)
    assert info.value.field == "x"


def test_limit_before_a_feasible_point_says_which():
    with pytest.raises(SolverError) as info:
        solve(hard_knapsack(), SolverOptions(time_limit=0.0))
    assert info.value.outcome == "time_limit" and "time limit reached before any feasible solution" in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).outcome == "time_limit"
    with pytest.raises(SolverError) as info:
        solve(random_lp(0), SolverOptions(extra={"simplex_iteration_limit": 0}))
    assert info.value.outcome == "iteration_limit"
    assert SolverError("HiGHS failed", "Solve error").outcome is None


def test_verbose_log_goes_to_stderr(capfd):
    # HiGHS (and cuPDLP-C, by itself) print their logs on file descriptor 1
    for solver in sorted(available_solvers() & {"choose", "pdlp"}):
        solve(random_lp(1), SolverOptions(verbose=True, solver=solver))
    captured = capfd.readouterr()
    assert captured.out == "" and "HiGHS" in captured.err


def test_threads_past_the_cap_are_refused_before_highs_starts():
    # was: a hang (HiGHS starting a million workers); now refused when the options are made
    with pytest.raises(InputError, match=r"threads: must be an integer in \[1, 256\], got 1000000"):
        SolverOptions(threads=10**6)


def test_verbose_solves_in_threads_give_stdout_back(capfd):
    # descriptor 1 is the process's: overlapping redirections must not leave it pointing at stderr
    import os

    def work():
        for _ in range(3):
            solve(random_lp(2), SolverOptions(verbose=True, threads=1))

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    os.write(1, b"still stdout\n")
    captured = capfd.readouterr()
    assert captured.out == "still stdout\n" and "HiGHS" in captured.err
