"""Grid-impact sweeps: exact engine against OpenDSS-driven sweeps, linear engine, eqs. (3)-(9)."""

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder
from evcore.grid._cli import DEMO_FEEDER
from evcore.grid.sensitivity import candidate_nodes, compare_engines, grid_impact_index, sensitivity_sweep

from _grid_feeders import CASES, GLM_CASES, need_feeders, need_grid_eco, need_opendss


@pytest.fixture(scope="module")
def ieee13():
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee13"]
    return Feeder.from_opendss(feeders / rel, regulator_taps=taps), feeders / rel, taps


def test_exact_sweep_equals_opendss_driven_sweep(ieee13):
    from evcore.grid._opendss import opendss_sweep

    feeder, path, taps = ieee13
    exact = sensitivity_sweep(feeder, rating_kw=50.0, power_factor=0.9)
    names, ref = opendss_sweep(path, list(exact.candidates), regulator_taps=taps, rating_kw=50.0, power_factor=0.9)
    assert list(feeder.node_names) == names
    assert np.abs(exact.voltage_pu - ref).max() <= 1e-6


def test_linear_engine_is_close_to_exact(ieee13):
    feeder, _, _ = ieee13
    exact = sensitivity_sweep(feeder, rating_kw=7.2, workers=2)
    linear = sensitivity_sweep(feeder, rating_kw=7.2, engine="linear")
    diff = compare_engines(exact, linear)
    assert diff["max_voltage_difference_pu"] < 1e-4  # one 7.2 kW charger: second-order effects only
    assert diff["gi_rank_correlation"] > 0.99
    assert np.isclose(exact.priority.sum(), 1.0) and np.isclose(linear.priority.sum(), 1.0)


def test_candidates_expand_buses_and_reject_unknown(ieee13):
    feeder, _, _ = ieee13
    res = sensitivity_sweep(feeder, candidates=["675", "611.3"], engine="linear")
    assert res.candidates == ("675.1", "675.2", "675.3", "611.3")
    with pytest.raises(InputError):
        sensitivity_sweep(feeder, candidates=["nowhere"])


def test_grid_impact_index_closed_form():
    base_v = np.array([1.0, 0.96])
    volts = np.array([[0.99, 0.94], [1.0, 0.955]])  # candidate 0 pushes node 1 below 0.95
    base_i = np.array([100.0])
    cur = np.array([[130.0], [110.0]])  # rating 120 A: candidate 0 overloads by 10 A
    out = grid_impact_index(volts, base_v, cur, base_i, np.array([120.0]), penalty=10.0)
    vi = np.array([0.01 + 0.02 + 10 * 0.01, 0.005])
    ci = np.array([(30 + 10 * 10) / 120, 10 / 120])
    assert np.allclose(out["vi"], vi) and np.allclose(out["ci"], ci)
    vn, cn = vi / vi.max(), ci / ci.max()
    wv = vi.sum() / (vi.sum() + ci.sum())
    gi = wv * vn + (1 - wv) * cn
    assert np.allclose(out["gi"], gi)
    assert np.allclose(out["priority"], np.exp(-gi) / np.exp(-gi).sum())
    assert out["priority"][1] > out["priority"][0]  # lower impact, higher priority


def test_increase_mode_ignores_violations_already_in_the_base_case():
    base_v = np.array([0.94, 1.0])  # node 0 already below 0.95
    volts = np.array([[0.939, 0.99], [0.94, 0.995]])
    none = np.zeros((2, 0))
    lit = grid_impact_index(volts, base_v, none, np.zeros(0), np.zeros(0), penalty=10.0)
    inc = grid_impact_index(volts, base_v, none, np.zeros(0), np.zeros(0), penalty=10.0, penalty_mode="increase")
    assert np.allclose(lit["vi"], [0.001 + 0.01 + 10 * 0.011, 0.005 + 10 * 0.01])
    assert np.allclose(inc["vi"], [0.001 + 0.01 + 10 * 0.001, 0.005])
    with pytest.raises(InputError):
        grid_impact_index(volts, base_v, none, np.zeros(0), np.zeros(0), penalty_mode="other")


def test_exact_sweep_on_ieee123_including_an_ungrounded_delta_equals_opendss():
    from evcore.grid._opendss import opendss_sweep

    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee123"]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    candidates = ["1.1", "52.2", "76.3", "114.1", "610.1", "610.3", "300.2"]
    exact = sensitivity_sweep(feeder, candidates, rating_kw=7.2, workers=2)
    names, ref = opendss_sweep(feeders / rel, candidates, regulator_taps=taps, rating_kw=7.2)
    assert list(feeder.node_names) == names
    assert np.abs(exact.voltage_pu - ref).max() <= 1e-6
    # a wye charger on the ungrounded delta shifts its neutral: far outside the linear regime
    linear = sensitivity_sweep(feeder, candidates, rating_kw=7.2, engine="linear")
    far = np.abs(linear.voltage_pu - exact.voltage_pu).max(axis=1)
    assert far[4] > 0.1 and far[[0, 1, 2, 3, 6]].max() < 1e-5
    # ... and its huge voltage impact makes those the worst places, not the best
    assert set(np.argsort(exact.gi)[-2:]) == {4, 5}


def test_time_limit_keeps_the_candidates_done(ieee13, capsys):
    feeder, _, _ = ieee13
    full = sensitivity_sweep(feeder, progress=True)
    assert full.status == "optimal" and "[grid.sensitivity]" in capsys.readouterr().err
    records = []
    sensitivity_sweep(feeder, progress=records.append)
    assert records[-1].final and records[-1].iteration == len(full.candidates)
    cut = sensitivity_sweep(feeder, time_limit=1e-9)  # reached before the first chunk
    assert cut.status == "time_limit"
    assert len(cut.candidates) < len(full.candidates) and cut.voltage_pu.shape == (len(cut.candidates),
                                                                                    feeder.n_nodes)


def test_chunks_and_full_newton_fallback_change_no_answer():
    """The sweep hands candidates to C++ in chunks (64 at a time here) and solves those the chord iterations give
    up on by full Newton: a candidate's row is the same in any chunk, alone or among others, and the fallback
    (forced by one chord iteration) lands on the same operating point."""
    need_grid_eco()
    path, taps, _ = GLM_CASES["downtown"]
    feeder = Feeder.from_glm(path, regulator_taps=taps)
    every = list(candidate_nodes(feeder))[:150]
    whole = sensitivity_sweep(feeder, every, workers=1)
    assert whole.trace.shape[0] == 3  # 64 + 64 + 22
    for part in (every[:5], every[60:70], every[140:]):
        alone = sensitivity_sweep(feeder, part, workers=1)
        rows = [every.index(c) for c in part]
        np.testing.assert_array_equal(alone.voltage_pu, whole.voltage_pu[rows])
        np.testing.assert_array_equal(alone.transformer_current_a, whole.transformer_current_a[rows])
    newton = sensitivity_sweep(feeder, every[60:70], workers=1, max_chord_iterations=1)
    assert np.abs(newton.voltage_pu - whole.voltage_pu[60:70]).max() <= 1e-8
    demo = Feeder.from_json(DEMO_FEEDER)
    exact = sensitivity_sweep(demo, rating_kw=500.0)
    forced = sensitivity_sweep(demo, rating_kw=500.0, max_chord_iterations=1)
    assert forced.iterations < exact.iterations  # Newton's steps replaced the chord iterations given up on
    assert np.abs(exact.voltage_pu - forced.voltage_pu).max() <= 1e-8
    np.testing.assert_allclose(forced.gi, exact.gi, atol=1e-8)
