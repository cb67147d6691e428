"""The C++ power-flow kernel against its numpy twin, and the load models' derivatives."""

import numpy as np
import pytest

from evcore.errors import InputError, SolverError

from evcore.grid import Feeder, power_flow
from evcore.grid._reference import load_admittance
from evcore.grid.powerflow import _system

from _grid_feeders import CASES, FEEDERS, need_feeders, need_opendss

MODELS = (0, 1, 2, 3, 4, 5, 8)


def _branches(rng, count):
    model = np.repeat(MODELS, count // len(MODELS) + 1)[:count]
    power = (rng.uniform(1e3, 5e4, count) + 1j * rng.uniform(-1e4, 3e4, count))
    base = rng.uniform(200.0, 15000.0, count)
    zipv = np.tile([0.3, 0.3, 0.4, 0.2, 0.5, 0.3, 0.0], (count, 1))
    zipv[::2, 6] = 0.6  # drop-out active on half of them
    cvr = np.column_stack([rng.uniform(0.5, 2.5, count), rng.uniform(1.0, 3.5, count)])
    return dict(power_va=power, base_v=base, model=model, vmin_pu=np.full(count, 0.95),
                vmax_pu=np.full(count, 1.05), vlow_pu=np.full(count, 0.5), zipv=zipv, cvr=cvr)


def test_load_admittance_derivative_matches_finite_differences():
    rng = np.random.default_rng(5)
    data = _branches(rng, 700)
    for pu in (0.3, 0.55, 0.8, 0.949, 0.97, 1.0, 1.04, 1.2):  # every region of every model
        m = pu * data["base_v"]
        g, dg = load_admittance(m, **data)
        h = 1e-6 * m
        gp, _ = load_admittance(m + h, **data)
        gm, _ = load_admittance(m - h, **data)
        fd = (gp - gm) / (2 * h)
        scale = np.abs(g) / m + np.abs(dg)
        assert np.all(np.abs(fd - dg) <= 1e-5 * scale), pu


def test_load_models_at_nominal_voltage_draw_nominal_power():
    rng = np.random.default_rng(1)
    data = _branches(rng, 70)
    data["zipv"][:, 6] = 0.0
    g, _ = load_admittance(data["base_v"], **data)
    s = data["base_v"] ** 2 * np.conj(g)  # S = V conj(I) = |V|^2 conj(g)
    assert np.allclose(s, data["power_va"], rtol=1e-12)


@pytest.mark.parametrize("case", ["ieee13", "ieee123"])
def test_native_kernel_equals_numpy_twin(case):
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES[case]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    sysm = _system(feeder)
    rng = np.random.default_rng(7)
    v0 = sysm.initial_voltage()
    for spread in (0.02, 0.4):  # near nominal, and spread over every load-model region
        v = v0 * rng.uniform(1 - spread, 1 + 0.2 * spread, v0.size) * np.exp(1j * rng.normal(0, 0.05, v0.size))
        f_nat, j_nat, i_nat = sysm.assemble(v, "native")
        f_ref, j_ref, i_ref = sysm.assemble(v, "reference")
        assert np.allclose(i_nat, i_ref, rtol=1e-12, atol=0)
        assert np.abs(f_nat - f_ref).max() <= 1e-12 * np.abs(sysm.y_data).max() * np.abs(v).max()
        assert (j_nat != j_ref).nnz == 0 or np.abs((j_nat - j_ref).data).max() <= 1e-12 * np.abs(j_ref.data).max()


def test_reference_engine_solves_to_the_same_voltages():
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee34"]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    a = power_flow(feeder, engine="native")
    b = power_flow(feeder, engine="reference")
    assert np.abs(a.voltage - b.voltage).max() < 1e-10


def test_every_load_model_and_switching_region_equals_opendss(tmp_path):
    """IEEE 13 at 1.6x load (voltages below Vminpu) with extra model 3, 4, 8 loads, through OpenDSS."""
    need_feeders()
    need_opendss()
    from evcore.grid._opendss import opendss_solve

    master = tmp_path / "stressed.dss"
    master.write_text(
        f'compile "{FEEDERS / "ieee13" / "IEEE13Nodeckt.dss"}"\n'
        "New Load.m3 Bus1=675.1 Phases=1 Conn=Wye Model=3 kV=2.4 kW=100 kvar=40\n"
        "New Load.m4 Bus1=680.2 Phases=1 Conn=Wye Model=4 kV=2.4 kW=90 kvar=60 CVRwatts=0.8 CVRvars=2.5\n"
        "New Load.m8 Bus1=645.3 Phases=1 Conn=Wye Model=8 kV=2.4 kW=120 kvar=50 "
        "ZIPV=[0.2 0.3 0.5 0.1 0.4 0.5 0.7]\n"
        "New Load.m8d Bus1=684.1.3 Phases=1 Conn=Delta Model=8 kV=4.16 kW=80 kvar=30 "
        "ZIPV=[0.5 0.2 0.3 0.3 0.3 0.4 0]\n"
        "New Load.m5y Bus1=633 Phases=3 Conn=Wye Model=5 kV=4.16 kW=150 kvar=60\n"
        "set loadmult=1.6\n"
    )
    taps = CASES["ieee13"][1]
    feeder = Feeder.from_opendss(master, regulator_taps=taps)
    result = power_flow(feeder)
    names, volts, base = opendss_solve(master, regulator_taps=taps, tolerance=1e-10)
    ref = volts / base
    assert list(result.node_names) == names
    assert result.magnitude_pu.min() < 0.95  # constant-power loads did switch to impedance
    assert np.abs(np.abs(ref) - result.magnitude_pu).max() <= 1e-6
    assert np.abs(np.angle(ref / result.voltage, deg=True)).max() <= 1e-4


@pytest.fixture(scope="module")
def ieee123_system():
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee123"]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    return feeder, _system(feeder)


def test_native_chord_solve_equals_numpy_twin(ieee123_system):
    from evcore.grid import _reference
    from evcore.grid.powerflow import _native

    feeder, sysm = ieee123_system
    start, _, factors = sysm.chord_start()
    args = sysm.network_args(1000.0)
    v_nat, v_ref = start.copy(), start.copy()
    out_nat = _native().chord_solve(v_nat, *args, *factors, 1e-9, 30)
    out_ref = _reference.chord_solve(v_ref, *args, *factors, 1e-9, 30)
    assert out_nat[0] == out_ref[0] and out_nat[1] and out_ref[1]
    assert np.abs(v_nat - v_ref).max() <= 1e-9 * np.abs(v_ref).max()


def test_native_sweep_equals_numpy_twin(ieee123_system):
    from evcore.grid import _reference
    from evcore.grid.powerflow import _native

    feeder, sysm = ieee123_system
    v = power_flow(feeder).voltage_v
    _, J, _ = sysm.assemble(v)
    factors = sysm.factor_args(sysm.factorise(J))
    args = sysm.network_args(1000.0)
    # ordinary nodes, a single-phase lateral, and the ungrounded 480 V delta (strongly non-linear)
    nodes = np.array([feeder.node_index(s) for s in ("13.1", "65.3", "114.1", "610.1", "610.2")])
    charger = 7200.0 * (1 + 0.33j)
    for linear in (False, True):
        outs = []
        for kernel in (_native().sweep, _reference.sweep):
            out_v = np.empty((len(nodes), sysm.n), dtype=complex)
            it = np.zeros(len(nodes), dtype=np.int64)
            ok = np.zeros(len(nodes), dtype=bool)
            kernel(v, *args, *factors, nodes, charger, np.ascontiguousarray(sysm.base_v[nodes]), 1e-9, 20, 1,
                   linear, out_v, it, ok)
            outs.append((out_v, it, ok))
        (v_nat, it_nat, ok_nat), (v_ref, it_ref, ok_ref) = outs
        assert ok_nat.all() and ok_ref.all()
        assert np.array_equal(it_nat, it_ref)
        assert np.abs(v_nat - v_ref).max() <= 1e-8 * np.abs(v_ref).max()


def test_chord_system_solve_and_sweep_equal_numpy_twins(ieee123_system):
    """The kept C++ ChordSystem (what power_flow calls) against the twins, from a cold and a warm start."""
    from evcore.grid import _reference
    from evcore.grid.powerflow import _native

    feeder, sysm = ieee123_system
    start, _, factors = sysm.chord_start()
    args = sysm.network_args(1000.0)
    solver = _native().ChordSystem(*args, *factors)
    assert solver.n == sysm.n
    v_nat, v_ref = start.copy(), start.copy()
    out_nat = solver.solve(v_nat, 1e-9, 30)
    out_ref = _reference.chord_solve(v_ref, *args, *factors, 1e-9, 30)
    assert out_nat[0] == out_ref[0] and out_nat[1] and out_ref[1]
    assert np.abs(v_nat - v_ref).max() <= 1e-9 * np.abs(v_ref).max()
    # from the converged answer: one mismatch evaluation, no step
    again = v_nat.copy()
    assert solver.solve(again, 1e-9, 30)[:2] == (0, True)
    assert np.array_equal(again, v_nat)
    with pytest.raises(ValueError):
        solver.solve(np.zeros(sysm.n + 1, dtype=complex), 1e-9, 30)
    # the sweep through a ChordSystem built on the base solution's factors
    v = power_flow(feeder).voltage_v
    _, J, _ = sysm.assemble(v)
    base_factors = sysm.factor_args(sysm.factorise(J))
    nodes = np.array([feeder.node_index(s) for s in ("13.1", "65.3", "610.2")])
    charger = 7200.0 * (1 + 0.33j)
    outs = []
    for kernel in (_native().ChordSystem(*args, *base_factors).sweep,
                   lambda *a: _reference.sweep(a[0], *args, *base_factors, *a[1:])):
        out_v = np.empty((len(nodes), sysm.n), dtype=complex)
        it = np.zeros(len(nodes), dtype=np.int64)
        ok = np.zeros(len(nodes), dtype=bool)
        kernel(v, nodes, charger, np.ascontiguousarray(sysm.base_v[nodes]), 1e-9, 20, 1, False, out_v, it, ok)
        outs.append((out_v, it, ok))
    (v_nat, it_nat, ok_nat), (v_ref, it_ref, ok_ref) = outs
    assert ok_nat.all() and ok_ref.all() and np.array_equal(it_nat, it_ref)
    assert np.abs(v_nat - v_ref).max() <= 1e-8 * np.abs(v_ref).max()


@pytest.mark.parametrize("case", ["ieee13", "ieee37"])
def test_warm_resolve_from_the_answer_takes_no_step(case):
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES[case]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    cold = power_flow(feeder)
    warm = power_flow(feeder, initial_voltage=cold.voltage)
    assert warm.iterations == 0
    assert np.abs(warm.voltage - cold.voltage).max() <= 1e-15
    assert warm.element_current("line.650632" if case == "ieee13" else "line.l1").shape[0] > 0


def test_sweep_blocks_and_threads_do_not_change_answers(ieee123_system):
    """Candidates go through the C++ sweep in blocks of 16 and in threads: every split gives the answers of
    the candidates solved one call each."""
    from evcore.grid.powerflow import _native

    feeder, sysm = ieee123_system
    v = power_flow(feeder).voltage_v
    _, J, _ = sysm.assemble(v)
    solver = _native().ChordSystem(*sysm.network_args(1000.0), *sysm.factor_args(sysm.factorise(J)))
    from evcore.grid.sensitivity import candidate_nodes

    names = candidate_nodes(feeder)[::12] + ("610.1",)  # more than one block, and the last one partial
    assert len(names) > 16
    nodes = np.array([feeder.node_index(s) for s in names])
    charger = 7200.0 * (1 + 0.33j)

    def run(idx, threads, linear):
        out_v = np.empty((len(idx), sysm.n), dtype=complex)
        it = np.zeros(len(idx), dtype=np.int64)
        ok = np.zeros(len(idx), dtype=bool)
        solver.sweep(v, nodes[idx], charger, np.ascontiguousarray(sysm.base_v[nodes[idx]]), 1e-9, 20, threads,
                     linear, out_v, it, ok)
        return out_v, it, ok

    for linear in (False, True):
        one_by_one = [run([k], 1, linear) for k in range(len(nodes))]
        for threads in (1, 2, 3):
            out_v, it, ok = run(np.arange(len(nodes)), threads, linear)
            for k, (v1, it1, ok1) in enumerate(one_by_one):
                assert ok[k] and ok1[0] and it[k] == it1[0]
                assert np.abs(out_v[k] - v1[0]).max() <= 1e-12 * np.abs(v1[0]).max()


def test_nan_voltage_is_never_converged(ieee123_system):
    from evcore.grid import NonConvergenceError
    from evcore.grid.powerflow import _native

    feeder, sysm = ieee123_system
    start, _, factors = sysm.chord_start()
    v = start.copy()
    v[5] = np.nan
    iterations, converged, worst, _ = _native().ChordSystem(*sysm.network_args(1000.0), *factors).solve(v, 1e-9, 3)
    assert not converged and not np.isfinite(worst)
    bad = power_flow(feeder).voltage.copy()
    bad[5] = np.nan
    with pytest.raises(InputError, match="initial_voltage"):  # refused as input once the solve cannot use it
        power_flow(feeder, initial_voltage=bad)
    assert issubclass(NonConvergenceError, SolverError)
