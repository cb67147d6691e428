"""The verified enclosure contains the power flow.

Random boxes of charger counts (also numerically extreme: huge counts, large chargers, transformers at their
rating) on the demo feeder and IEEE 13: wherever :func:`enclose` proves an enclosure, evcore's full power flow
at random integer points of the box (and its corners) lies within every bound it gives, pointwise and
uniform; load-model bounds hold at sampled magnitudes; the reduced network agrees with the power flow.
"""

import numpy as np
import pytest

from evcore.grid.placement import check_placement
from evcore.grid.placement._enclosure import enclose, transfer_caps
from evcore.grid.placement._exact import _Search, build_reduction
from evcore.grid.placement._loads import load_terms
from evcore.grid.placement._network import Reference
from evcore.grid._reference import load_admittance

from _place_cases import demo_feeder, ieee13_feeder, random_instance


def _check_boxes(inst, seed, boxes=12, points=4, scale=1.0):
    rng = np.random.default_rng(seed)
    red = build_reduction(inst)
    K = inst.n_candidates
    rows = np.arange(len(red.q0))
    nmax = inst.max_chargers.astype(float)
    u_base = red.solve(np.zeros(K), red.u0)
    proven = 0
    for _ in range(boxes):
        lo = np.floor(rng.uniform(0, 1, K) * nmax * scale)
        hi = np.minimum(nmax, lo + rng.integers(0, 4, K))
        c = np.round((lo + hi) / 2)
        try:
            u_c = red.solve(c, u_base)
        except Exception:  # no power flow at the centre: nothing to enclose
            continue
        ref_at = np.clip(np.round(c + rng.integers(-2, 3, K)), 0, nmax) if rng.random() < 0.5 else c
        try:
            ref = Reference(red, red.solve(ref_at, u_c), ref_at)
        except Exception:
            continue
        enc = enclose(red, ref, lo, hi, c, u_c, rows)
        if enc is None:
            continue
        proven += 1
        corners = [lo, hi] + [rng.integers(lo, hi + 1).astype(float) for _ in range(points)]
        for n in corners:
            check = check_placement(inst, n)
            if check["monitored"] is None:
                raise AssertionError(f"enclosure proven at {lo}..{hi} but no power flow at {n}")
            value = check["monitored"]
            dn = n - c
            t = np.abs(dn)
            upper = enc.upper0 + enc.upper_grad @ dn + enc.upper_t @ t
            lower = enc.lower0 + enc.grad @ dn - enc.lower_t @ t
            outer_hi = enc.outer_upper0 + enc.upper_grad @ dn
            outer_lo = enc.outer_lower0 + enc.grad @ dn
            tol = 1e-8 * np.maximum(1.0, value)  # the checking power flow's own accuracy (mismatch 1e-9 pu)
            assert (value <= upper + tol).all(), (n, (value - upper).max())
            assert (value >= lower - tol).all(), (n, (lower - value).max())
            assert (value <= outer_hi + tol).all() and (value >= outer_lo - tol).all()
            low_box, high_box = enc.range_over_box()
            assert (value <= high_box + tol).all() and (value >= low_box - tol).all()
    return proven


@pytest.mark.parametrize("seed", range(6))
def test_enclosure_contains_power_flow_demo(seed):
    inst = random_instance(demo_feeder(), seed, max_count=8)
    _check_boxes(inst, seed)


@pytest.mark.parametrize("seed", range(3))
def test_enclosure_contains_power_flow_extreme(seed):
    """Huge counts at one candidate, large chargers, tight limits: proven boxes still contain the flow."""
    inst = random_instance(demo_feeder(), 50 + seed, max_count=8, extreme=True)
    _check_boxes(inst, seed, boxes=16, scale=0.2)


def test_enclosure_contains_power_flow_ieee13():
    from evcore.grid import PlacementInstance

    feeder = ieee13_feeder()
    # 634 sits behind XFM1, already over its rating: the limit is held to its base-case current
    inst = PlacementInstance(feeder, ["652", "675", "611", "634"], [40, 40, 40, 40], priority=[1, 1, 1, 1])
    assert any("xfm1" in r["limit"] for r in inst.relaxed_limits)
    assert _check_boxes(inst, 7, boxes=10) > 3


def test_point_enclosure_is_tight():
    inst = random_instance(demo_feeder(), 2, max_count=8)
    red = build_reduction(inst)
    K = inst.n_candidates
    n = np.minimum(inst.max_chargers, 2).astype(float)
    u = red.solve(n, red.u0)
    enc = enclose(red, Reference(red, u, n), n, n, n, u, np.arange(len(red.q0)))
    assert enc is not None
    width = enc.upper0 - enc.lower0
    assert (width <= 1e-9 * np.maximum(1.0, enc.q_abs)).all()
    value = check_placement(inst, n)["monitored"]
    assert np.allclose(value, enc.q_abs, rtol=1e-8, atol=1e-9)


def test_reduced_network_agrees_with_power_flow():
    inst = random_instance(demo_feeder(), 4, max_count=8)
    red = build_reduction(inst)
    rng = np.random.default_rng(0)
    for _ in range(5):
        n = rng.integers(0, inst.max_chargers + 1).astype(float)
        u = red.solve(n, red.u0)
        value = check_placement(inst, n)["monitored"]
        assert np.allclose(np.abs(red.monitored(u, n)), value, rtol=1e-8, atol=1e-9)
    assert red.error_estimate_relative < 1e-9


def test_load_terms_match_power_flow_models_and_bound_their_variation():
    feeder = demo_feeder()
    args = (feeder.load_branch_power_va, feeder.load_branch_base_v, feeder.load_branch_model,
            feeder.load_branch_vmin_pu, feeder.load_branch_vmax_pu, feeder.load_branch_vlow_pu,
            feeder.load_branch_zipv, feeder.load_branch_cvr)
    terms = load_terms(*args)
    rng = np.random.default_rng(1)
    vb = feeder.load_branch_base_v
    for _ in range(200):
        m = vb * rng.uniform(0.2, 1.4, len(vb))
        g, dg = load_admittance(m, *args)
        assert np.allclose(terms.g(m), g, rtol=1e-12, atol=0)
        assert np.allclose(terms.phi(m), dg * m, rtol=1e-10, atol=1e-15)
    for _ in range(100):
        m0 = vb * rng.uniform(0.8, 1.1, len(vb))
        r = vb * rng.uniform(0.0, 0.2, len(vb))
        m1, m2 = np.maximum(m0 - r, 1e-3), m0 + r
        dg, dphi = terms.variation(m1, m2, m0, terms.g(m0), terms.phi(m0))
        cur = terms.current_bound(m1, m2)
        lip = terms.lipschitz(m1, m2)
        for s in np.linspace(0, 1, 21):
            m = m1 + s * (m2 - m1)
            assert (np.abs(terms.g(m) - terms.g(m0)) <= dg * (1 + 1e-9)).all()
            assert (np.abs(terms.phi(m) - terms.phi(m0)) <= dphi * (1 + 1e-9)).all()
            assert (np.abs(terms.g(m)) * m <= cur * (1 + 1e-9)).all()
            # the Jacobian's norm (largest singular value of the real 2x2 block) within the Lipschitz bound
            from evcore.grid.placement._network import branch_jacobian_blocks

            g_m, dg_m = load_admittance(m, *args)
            D = branch_jacobian_blocks(m * np.exp(1j * rng.uniform(-np.pi, np.pi, len(m))), g_m, dg_m)
            assert (np.linalg.norm(D, 2, axis=(1, 2)) <= lip * (1 + 1e-9)).all()


def test_second_order_remainder_bound_holds():
    """|h(w) - h(u) - D(u)(w - u)| <= kappa rho^2 + jump (rho - dist)^+ for random discs (load models with kinks)."""
    feeder = demo_feeder()
    args = (feeder.load_branch_power_va, feeder.load_branch_base_v, feeder.load_branch_model,
            feeder.load_branch_vmin_pu, feeder.load_branch_vmax_pu, feeder.load_branch_vlow_pu,
            feeder.load_branch_zipv, feeder.load_branch_cvr)
    terms = load_terms(*args)
    from evcore.grid.placement._network import branch_jacobian_blocks

    rng = np.random.default_rng(3)
    vb = feeder.load_branch_base_v
    for _ in range(200):
        u = vb * rng.uniform(0.85, 1.1, len(vb)) * np.exp(1j * rng.uniform(-np.pi, np.pi, len(vb)))
        rho = np.abs(u) * rng.uniform(0.0, 0.15, len(vb))
        kappa, jump, dist = terms.curvature(np.abs(u) - rho, np.abs(u) + rho, np.abs(u))
        g, dg = load_admittance(np.abs(u), *args)
        D = branch_jacobian_blocks(u, g, dg)
        for _ in range(5):
            d = rho * rng.uniform(0, 1, len(vb)) * np.exp(1j * rng.uniform(-np.pi, np.pi, len(vb)))
            w = u + d
            gw, _ = load_admittance(np.abs(w), *args)
            lin = D @ np.stack([d.real, d.imag], axis=1)[:, :, None]
            r = gw * w - g * u - (lin[:, 0, 0] + 1j * lin[:, 1, 0])
            bound = kappa * np.abs(d) ** 2 + jump * np.maximum(0, np.abs(d) - dist)
            ok = np.isfinite(kappa)
            assert (np.abs(r)[ok] <= bound[ok] * (1 + 1e-9) + 1e-12 * np.abs(g * u)[ok]).all()


def test_transfer_caps_are_valid():
    """No charger count above the power-transfer cap passes the power flow with its voltage limits."""
    from evcore.grid import PlacementInstance

    inst = PlacementInstance(demo_feeder(), ["n4", "lv", "l3"], [5000, 300, 2000], rating_kw=30.0, connection="wye",
                             priority=[1.0, 1.0, 1.0])
    search = _Search(inst, margin=1e-8, gap=1e-4, time_limit=None, max_nodes=None, reporter=None)
    K = inst.n_candidates
    caps = transfer_caps(search.red, np.zeros(K), inst.max_chargers.astype(float), search.branch_lo_v,
                         search.branch_hi_v)
    assert np.isfinite(caps).any()
    for k in np.flatnonzero(np.isfinite(caps) & (caps < inst.max_chargers)):
        n = np.zeros(K)
        n[k] = np.floor(caps[k]) + 1
        assert not check_placement(inst, n)["ok"]


def test_outer_only_enclosure_holds_at_points_within_the_voltage_limits():
    """Wide boxes where Krawczyk fails: the outer-only enclosure (assuming the voltage limits) bounds every
    point whose power flow meets the voltage limits."""
    results = [_outer_only_case(seed) for seed in range(4)]
    assert sum(r[0] for r in results) >= 10
    assert sum(r[1] for r in results) >= 1  # some enclosures were outer-only (no existence proof)


def _outer_only_case(seed):
    inst = random_instance(demo_feeder(), 70 + seed, max_count=30)
    search = _Search(inst, margin=1e-8, gap=1e-4, time_limit=None, max_nodes=None, reporter=None)
    red = search.red
    K = inst.n_candidates
    rng = np.random.default_rng(seed)
    rows = np.arange(len(red.q0))
    nv = inst.n_monitored_voltages
    u_base = red.solve(np.zeros(K), red.u0)
    ref = Reference(red, u_base, np.zeros(K))
    tested = 0
    outer_only = 0
    for _ in range(8):
        lo = np.zeros(K)
        hi = inst.max_chargers.astype(float)
        c = np.round(hi * rng.uniform(0, 0.5, K))
        try:
            u_c = red.solve(c, u_base, ref)
        except Exception:
            continue
        enc = enclose(red, ref, lo, hi, c, u_c, rows, hypothesis=(search.branch_lo_v, search.branch_hi_v))
        if enc is None:
            continue
        outer_only += not enc.existence
        for _ in range(6):
            n = rng.integers(lo, np.floor(hi / 3) + 1).astype(float)
            check = check_placement(inst, n)
            if check["monitored"] is None:
                continue
            value = check["monitored"]
            volts = value[:nv]
            if not ((volts >= inst.lower_limits[:nv]) & (volts <= inst.upper_limits[:nv])).all():
                continue
            tested += 1
            dn = n - c
            t = np.abs(dn)
            tol = 1e-8 * np.maximum(1.0, value)
            assert (value <= enc.upper0 + enc.upper_grad @ dn + enc.upper_t @ t + tol).all()
            assert (value >= enc.lower0 + enc.grad @ dn - enc.lower_t @ t - tol).all()
    return tested, outer_only
