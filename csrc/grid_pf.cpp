// Current-injection power flow kernel: load-branch currents, current mismatch and real Jacobian.
//
// Bound to Python as evcore.grid._native. The plain numpy twin is evcore.grid._reference.assemble
// (same arguments, same outputs); tests check that both agree.
//
// Voltages are complex node-to-ground phasors (V). A load branch between nodes a and b (b = -1 is
// ground) draws i = g(|v_ab|) v_ab, with g the OpenDSS load model (see load_admittance). The
// mismatch is F = Y v - I_source + A i (A scatters +i to a, -i to b). The Jacobian works on
// x = (Re v_0, Im v_0, Re v_1, ...): its admittance part is constant (jac_base) and each branch
// adds a 2x2 block D = d i / d v_ab at (a,a), -D at (a,b) and (b,a), D at (b,b), whose positions in
// the CSR data array were computed once in Python (jac_pos, -1 where the block touches ground).
//
// The GIL is released while computing, so sweeps can run several solves in threads.
//
// chord_solve and sweep run whole chord-Newton solves in C++: the Jacobian is factorised once in Python
// (SuperLU, its L and U factors and permutations handed over), and each iteration evaluates the
// mismatch and applies the fixed factors (forward and back substitution) until every node's current
// mismatch is within tolerance. sweep repeats this for many candidate chargers (one extra load branch
// each, whose own Jacobian is added to every step by a rank-2 Woodbury update), in threads, without
// the GIL; its second step takes the mismatch from the load branches alone (the admittance part cancels
// after the first step), convergence is judged on the true mismatch; the triangular solves of 16
// candidates share one pass over the factors. ChordSystem keeps the arrays of both for repeated calls.
// Numpy twins: evcore.grid._reference.chord_solve and .sweep.

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <atomic>
#include <thread>
#include <vector>
#include <limits>
#include <algorithm>

namespace py = pybind11;
using cd = std::complex<double>;

namespace {

// |z| without hypot's overflow guards (voltages and currents are far from overflow): several times faster.
inline double mag(const cd& z) { return std::sqrt(z.real() * z.real() + z.imag() * z.imag()); }

// a * b without the C99 Annex G infinity recovery that std::complex's operator* calls out for
// (__muldc3, several times slower); a NaN or infinity still propagates to the mismatch checks.
inline cd cmul(const cd& a, const cd& b) {
    return cd(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}

template <class T>
using in_array = py::array_t<T, py::array::c_style | py::array::forcecast>;
template <class T>
using out_array = py::array_t<T, py::array::c_style>;

struct Branch {
    cd power;      // W + j var at base_v
    double base_v; // V
    std::int64_t model;
    double vmin, vmax, vlow;
    const double* zipv; // 7 values
    double cvr_w, cvr_q;
};

// g(m) and dg/dm of one branch (OpenDSS Load.pas semantics; numpy twin: load_admittance).
void load_admittance(double m, const Branch& b, cd& g, cd& dg) {
    const double w = b.power.real(), q = b.power.imag(), vb = b.base_v;
    const cd s_conj(w, -q);
    const double ms = m > 0.0 ? m : 1.0;
    dg = 0.0;
    if (b.model == 0) {  // evcore's pure constant power
        g = s_conj / (ms * ms);
        dg = -2.0 * s_conj / (ms * ms * ms);
        return;
    }
    if (b.model == 9) {  // pure constant current magnitude at the power factor of the nominal power
        g = s_conj / (b.base_v * ms);
        dg = -g / ms;
        return;
    }
    const cd yeq = s_conj / (vb * vb);
    if (b.model == 2) {
        g = yeq;
        return;
    }
    const double v_low = b.vlow * vb, v95 = b.vmin * vb, v105 = b.vmax * vb;
    if (m <= v_low) {
        g = yeq;
        return;
    }
    const bool interp = m <= v95;
    const bool high = !interp && m > v105;
    // The switching constants are needed only outside the normal band (or for ZIP), so they are
    // computed there: most loads sit in the band and cost a few flops.
    cd yeq105 = 0.0, yeq105i = 0.0, i_low = 0.0, m95 = 0.0, m95i = 0.0;
    if (high || b.model == 8) {
        yeq105 = yeq / (b.vmax * b.vmax);
        yeq105i = yeq / b.vmax;
    }
    if (interp) {
        const cd yeq95 = b.vmin != 0.0 ? yeq / (b.vmin * b.vmin) : cd(0.0);
        i_low = yeq * v_low;
        const double span = (v95 - v_low) != 0.0 ? (v95 - v_low) : 1.0;
        m95 = (yeq95 * v95 - i_low) / span;
        m95i = (yeq * vb - i_low) / span;
    }
    auto interpolated = [&](const cd& slope, cd& gi, cd& dgi) {
        const cd c = i_low + slope * (ms - v_low);
        gi = c / ms;
        dgi = slope / ms - c / (ms * ms);
    };

    switch (b.model) {
        case 1:
        case 3:
        case 4:
        case 5: {
            if (interp) {
                interpolated(b.model == 5 ? m95i : m95, g, dg);
            } else if (high) {
                g = b.model == 5 ? yeq105i : yeq105;
            } else if (b.model == 1) {
                g = s_conj / (ms * ms);
                dg = -2.0 * g / ms;
            } else if (b.model == 3) {
                g = cd(w / (ms * ms), yeq.imag());
                dg = cd(-2.0 * w / (ms * ms * ms), 0.0);
            } else if (b.model == 4) {
                const double vr = ms / vb;
                const double pw = w * std::pow(vr, b.cvr_w), pq = q * std::pow(vr, b.cvr_q);
                g = cd(pw, -pq) / (ms * ms);
                dg = cd(pw * (b.cvr_w - 2.0), -pq * (b.cvr_q - 2.0)) / (ms * ms * ms);
            } else {  // 5: constant current magnitude
                g = s_conj / (vb * ms);
                dg = -g / ms;
            }
            return;
        }
        case 8: {
            const double* z = b.zipv;
            const cd gz(z[0] * yeq.real(), z[3] * yeq.imag());
            auto mix = [&](const cd& p, const cd& i) { return cd(z[2] * p.real() + z[1] * i.real(),
                                                                 z[5] * p.imag() + z[4] * i.imag()); };
            if (interp) {
                cd gp, dgp, gi, dgi;
                interpolated(m95, gp, dgp);
                interpolated(m95i, gi, dgi);
                g = gz + mix(gp, gi);
                dg = mix(dgp, dgi);
            } else if (high) {
                g = gz + mix(yeq105, yeq105i);
            } else {
                const cd g_i = cd(w * z[1], -q * z[4]) / (vb * ms);
                const cd g_p = cd(w * z[2], -q * z[5]) / (ms * ms);
                g = gz + g_i + g_p;
                dg = -g_i / ms - 2.0 * g_p / ms;
            }
            if (z[6] > 0.0) {
                const double vx = 500.0 * (ms / vb - z[6]);
                if (vx < 20.0) {
                    const double t = std::tanh(vx);
                    const double yv = 0.5 * (1.0 + t);
                    const double dyv = 0.5 * (1.0 - t * t) * 500.0 / vb;
                    dg = dg * yv + g * dyv;
                    g = g * yv;
                }
            }
            return;
        }
        default:
            throw std::invalid_argument("unknown load model " + std::to_string(b.model));
    }
}

// Current of one load branch at v_ab and its 2x2 real Jacobian d = [dIre/dx, dIre/dy; dIim/dx, dIim/dy]
// (x, y = real and imaginary part of v_ab).
inline void branch_eval(const cd& vab, const Branch& b, cd& cur, double* d) {
    const double m = mag(vab);
    cd g, dg;
    load_admittance(m, b, g, dg);
    cur = cmul(g, vab);
    const double ms = m > 0.0 ? m : 1.0;
    const cd gv = cmul(dg, vab);
    const double u = vab.real() / ms, w = vab.imag() / ms;
    d[0] = g.real() + gv.real() * u;
    d[1] = -g.imag() + gv.real() * w;
    d[2] = g.imag() + gv.imag() * u;
    d[3] = g.real() + gv.imag() * w;
}

void assemble(in_array<cd> v, in_array<std::int64_t> y_indptr, in_array<std::int64_t> y_indices,
              in_array<cd> y_data, in_array<cd> i_source, in_array<std::int64_t> branch_from,
              in_array<std::int64_t> branch_to, in_array<cd> power_va, in_array<double> base_v,
              in_array<std::int64_t> model, in_array<double> vmin_pu, in_array<double> vmax_pu,
              in_array<double> vlow_pu, in_array<double> zipv, in_array<double> cvr, in_array<double> jac_base,
              in_array<std::int64_t> jac_pos, out_array<cd> out_mismatch, out_array<double> out_jac,
              out_array<cd> out_current) {
    const std::int64_t n = v.shape(0);
    const std::int64_t nb = branch_from.shape(0);
    const std::int64_t nnz = jac_base.shape(0);
    if (y_indptr.shape(0) != n + 1 || i_source.shape(0) != n || out_mismatch.shape(0) != n)
        throw std::invalid_argument("node arrays disagree on the number of nodes");
    if (branch_to.shape(0) != nb || power_va.shape(0) != nb || base_v.shape(0) != nb || model.shape(0) != nb ||
        vmin_pu.shape(0) != nb || vmax_pu.shape(0) != nb || vlow_pu.shape(0) != nb || zipv.size() != 7 * nb ||
        cvr.size() != 2 * nb || jac_pos.size() != 16 * nb || out_current.shape(0) != nb)
        throw std::invalid_argument("load-branch arrays disagree on the number of branches");
    if (out_jac.shape(0) != nnz) throw std::invalid_argument("out_jac must have the size of jac_base");

    const cd* vv = v.data();
    const std::int64_t* ip = y_indptr.data();
    const std::int64_t* ix = y_indices.data();
    const cd* yd = y_data.data();
    const cd* isrc = i_source.data();
    const std::int64_t* bf = branch_from.data();
    const std::int64_t* bt = branch_to.data();
    const cd* pw = power_va.data();
    const double* bv = base_v.data();
    const std::int64_t* md = model.data();
    const double* vmn = vmin_pu.data();
    const double* vmx = vmax_pu.data();
    const double* vlw = vlow_pu.data();
    const double* zp = zipv.data();
    const double* cv = cvr.data();
    const double* jb = jac_base.data();
    const std::int64_t* jp = jac_pos.data();
    cd* mis = out_mismatch.mutable_data();
    double* jac = out_jac.mutable_data();
    cd* cur = out_current.mutable_data();

    py::gil_scoped_release release;
    for (std::int64_t i = 0; i < n; ++i) {
        cd acc = 0.0;
        for (std::int64_t k = ip[i]; k < ip[i + 1]; ++k) acc += cmul(yd[k], vv[ix[k]]);
        mis[i] = acc - isrc[i];
    }
    for (std::int64_t k = 0; k < nnz; ++k) jac[k] = jb[k];
    for (std::int64_t k = 0; k < nb; ++k) {
        const std::int64_t a = bf[k], b = bt[k];
        const cd vab = vv[a] - (b >= 0 ? vv[b] : cd(0.0));
        Branch br{pw[k], bv[k], md[k], vmn[k], vmx[k], vlw[k], zp + 7 * k, cv[2 * k], cv[2 * k + 1]};
        cd i;
        double d[4];
        branch_eval(vab, br, i, d);
        cur[k] = i;
        mis[a] += i;
        if (b >= 0) mis[b] -= i;
        const std::int64_t* pos = jp + 16 * k;
        for (int blk = 0; blk < 4; ++blk) {
            const double sign = (blk == 0 || blk == 3) ? 1.0 : -1.0;
            for (int e = 0; e < 4; ++e) {
                const std::int64_t p = pos[4 * blk + e];
                if (p >= 0) jac[p] += sign * d[e];
            }
        }
    }
}

// ---------------------------------------------------------------------------------- chord solves

struct Network {
    std::int64_t n;
    const std::int64_t* ip;
    const std::int64_t* ix;
    const cd* yd;
    const double* ay;  // |Y| entries
    const cd* isrc;
    const double* current_base;  // A per unit, per node
    const double* row_terms;     // rounding-bound multiplier per node
    std::int64_t nb;
    const std::int64_t* bf;
    const std::int64_t* bt;
    const cd* pw;
    const double* bv;
    const std::int64_t* md;
    const double* vmn;
    const double* vmx;
    const double* vlw;
    const double* zp;
    const double* cv;
};

struct Factors {  // P_r J P_c = L U (SuperLU): strictly lower L and strictly upper U (CSC), 1 / diag(U)
    std::int64_t n2;
    const std::int64_t* lp;
    const std::int32_t* li;
    const double* lx;
    const std::int64_t* up;
    const std::int32_t* ui;
    const double* ux;
    const double* u_inv_diag;
    const std::int64_t* perm_r;
    const std::int64_t* perm_c;
};

struct Extra {  // one more load branch (a candidate charger); node < 0: none
    std::int64_t node = -1;
    Branch branch{};
};

// Mismatch at v; returns the largest scaled mismatch, sets ok when every node is within
// max(tolerance, its rounding bound) and worst_node. The rounding bound of a node is computed only
// while no node has been found beyond both (so far from convergence it costs nothing).
double residual(const Network& net, const Extra& extra, const cd* v, cd* mis, double tol, bool& ok,
                std::int64_t& worst_node) {
    const double eps = std::numeric_limits<double>::epsilon();
    for (std::int64_t i = 0; i < net.n; ++i) {
        cd acc = 0.0;
        for (std::int64_t k = net.ip[i]; k < net.ip[i + 1]; ++k) acc += cmul(net.yd[k], v[net.ix[k]]);
        mis[i] = acc - net.isrc[i];
    }
    auto add_branch = [&](std::int64_t a, std::int64_t b, const Branch& br) {
        const cd vab = v[a] - (b >= 0 ? v[b] : cd(0.0));
        cd g, dg;
        load_admittance(mag(vab), br, g, dg);
        const cd i = cmul(g, vab);
        mis[a] += i;
        if (b >= 0) mis[b] -= i;
    };
    for (std::int64_t k = 0; k < net.nb; ++k) {
        Branch br{net.pw[k], net.bv[k], net.md[k], net.vmn[k], net.vmx[k], net.vlw[k], net.zp + 7 * k,
                  net.cv[2 * k], net.cv[2 * k + 1]};
        add_branch(net.bf[k], net.bt[k], br);
    }
    if (extra.node >= 0) add_branch(extra.node, -1, extra.branch);
    // Compared in squares, without a square root or a division per node (scaled^2 = |mis|^2 / base^2; the
    // largest is tracked as a fraction worst_num / worst_den).
    ok = true;
    double worst_num = 0.0, worst_den = 1.0;
    worst_node = 0;
    for (std::int64_t i = 0; i < net.n; ++i) {
        const double a2 = mis[i].real() * mis[i].real() + mis[i].imag() * mis[i].imag();
        const double cb = net.current_base[i];
        if (!(a2 * worst_den <= worst_num * (cb * cb))) {  // also catches NaN
            if (std::isnan(a2) || std::isinf(a2)) {
                worst_num = std::numeric_limits<double>::infinity();
                worst_den = 1.0;
            } else {
                worst_num = a2;
                worst_den = cb * cb;
            }
            worst_node = i;
        }
        const double t = tol * cb;
        if (ok && !(a2 <= t * t)) {  // beyond the tolerance (or NaN): within the rounding bound?
            double bound = mag(net.isrc[i]);
            for (std::int64_t k = net.ip[i]; k < net.ip[i + 1]; ++k) bound += net.ay[k] * mag(v[net.ix[k]]);
            bound *= net.row_terms[i] * eps;
            if (!(std::sqrt(a2) <= bound)) ok = false;
        }
    }
    return std::isinf(worst_num) ? worst_num : std::sqrt(worst_num / worst_den);
}

// x = J^-1 rhs with the fixed factors; work has size n2.
void lu_solve(const Factors& f, const double* rhs, double* x, double* work) {
    const std::int64_t n2 = f.n2;
    for (std::int64_t i = 0; i < n2; ++i) work[f.perm_r[i]] = rhs[i];
    for (std::int64_t j = 0; j < n2; ++j) {  // L (unit diagonal implied)
        const double yj = work[j];
        if (yj == 0.0) continue;
        for (std::int64_t k = f.lp[j]; k < f.lp[j + 1]; ++k) work[f.li[k]] -= f.lx[k] * yj;
    }
    for (std::int64_t j = n2 - 1; j >= 0; --j) {  // U
        const double yj = work[j] * f.u_inv_diag[j];
        work[j] = yj;
        if (yj == 0.0) continue;
        for (std::int64_t k = f.up[j]; k < f.up[j + 1]; ++k) work[f.ui[k]] -= f.ux[k] * yj;
    }
    for (std::int64_t i = 0; i < n2; ++i) x[i] = work[f.perm_c[i]];
}

constexpr int kBlock = 16;  // candidates per block of triangular solves

// Forward and back substitution of R right-hand sides at once: w (n2 x R, row-major) holds the row-permuted
// right-hand sides on entry and the solutions before the column permutation on exit. Each column gets the
// same operations as in lu_solve (a row of w that is zero in every column is skipped).
template <int R>
void lu_substitute_block(const Factors& f, double* w) {
    const std::int64_t n2 = f.n2;
    for (std::int64_t j = 0; j < n2; ++j) {  // L (unit diagonal implied)
        const double* y = w + j * R;
        bool any = false;
        for (int c = 0; c < R; ++c) any |= (y[c] != 0.0);
        if (!any) continue;
        double yj[R];
        for (int c = 0; c < R; ++c) yj[c] = y[c];
        for (std::int64_t k = f.lp[j]; k < f.lp[j + 1]; ++k) {
            double* t = w + static_cast<std::int64_t>(f.li[k]) * R;
            const double l = f.lx[k];
            for (int c = 0; c < R; ++c) t[c] -= l * yj[c];
        }
    }
    for (std::int64_t j = n2 - 1; j >= 0; --j) {  // U
        double* y = w + j * R;
        double yj[R];
        bool any = false;
        for (int c = 0; c < R; ++c) {
            yj[c] = y[c] * f.u_inv_diag[j];
            y[c] = yj[c];
            any |= (yj[c] != 0.0);
        }
        if (!any) continue;
        for (std::int64_t k = f.up[j]; k < f.up[j + 1]; ++k) {
            double* t = w + static_cast<std::int64_t>(f.ui[k]) * R;
            const double uu = f.ux[k];
            for (int c = 0; c < R; ++c) t[c] -= uu * yj[c];
        }
    }
}

// x_c = J^-1 rhs_c for c < count <= kBlock (rhs and x: count contiguous vectors of n2); work: n2 kBlock.
void lu_solve_block(const Factors& f, const double* rhs, int count, double* x, double* work) {
    constexpr int R = kBlock;
    const std::int64_t n2 = f.n2;
    for (std::int64_t i = 0; i < n2; ++i) {
        double* t = work + f.perm_r[i] * R;
        for (int c = 0; c < R; ++c) t[c] = c < count ? rhs[c * n2 + i] : 0.0;
    }
    lu_substitute_block<R>(f, work);
    for (int c = 0; c < count; ++c)
        for (std::int64_t i = 0; i < n2; ++i) x[c * n2 + i] = work[f.perm_c[i] * R + c];
}

// For each node a = nodes[c], c < count <= kBlock: the columns J^-1 e_{2a} and J^-1 e_{2a+1}, written to
// z + c * 2 n2 and z + c * 2 n2 + n2; work: n2 * 2 kBlock.
void lu_solve_unit_block(const Factors& f, const std::int64_t* nodes, int count, double* z, double* work) {
    constexpr int R = 2 * kBlock;
    const std::int64_t n2 = f.n2;
    std::fill(work, work + n2 * R, 0.0);
    for (int c = 0; c < count; ++c) {
        work[f.perm_r[2 * nodes[c]] * R + 2 * c] = 1.0;
        work[f.perm_r[2 * nodes[c] + 1] * R + 2 * c + 1] = 1.0;
    }
    lu_substitute_block<R>(f, work);
    for (int c = 0; c < count; ++c) {
        double* z0 = z + c * 2 * n2;
        double* z1 = z0 + n2;
        for (std::int64_t i = 0; i < n2; ++i) {
            const double* t = work + f.perm_c[i] * R;
            z0[i] = t[2 * c];
            z1[i] = t[2 * c + 1];
        }
    }
}

struct ChordOutcome {
    std::int64_t iterations;
    bool converged;
    double worst;
    std::int64_t worst_node;
};

// dx <- (J + E_a D E_a^T)^-1 J dx for the extra branch at node a (D: its own 2x2 Jacobian at v), from
// za = the columns J^-1 e_{2a}, J^-1 e_{2a+1} (Woodbury).
void woodbury(const Extra& extra, const double* za, const cd* v, double* dx, std::int64_t n2) {
    const std::int64_t a = extra.node;
    const cd va = v[a];
    const double m = mag(va);
    cd g, dg;
    load_admittance(m, extra.branch, g, dg);
    const double ms = m > 0.0 ? m : 1.0;
    const cd gv = cmul(dg, va);
    const double u = va.real() / ms, w = va.imag() / ms;
    const double d00 = g.real() + gv.real() * u, d01 = -g.imag() + gv.real() * w;
    const double d10 = g.imag() + gv.imag() * u, d11 = g.real() + gv.imag() * w;
    const double* z0 = za;       // J^-1 e_{2a}
    const double* z1 = za + n2;  // J^-1 e_{2a+1}
    // M = I + D Zaa, Zaa = [[z0[2a], z1[2a]], [z0[2a+1], z1[2a+1]]]
    const double a00 = z0[2 * a], a01 = z1[2 * a], a10 = z0[2 * a + 1], a11 = z1[2 * a + 1];
    const double m00 = 1.0 + d00 * a00 + d01 * a10, m01 = d00 * a01 + d01 * a11;
    const double m10 = d10 * a00 + d11 * a10, m11 = 1.0 + d10 * a01 + d11 * a11;
    const double w0 = d00 * dx[2 * a] + d01 * dx[2 * a + 1];
    const double w1 = d10 * dx[2 * a] + d11 * dx[2 * a + 1];
    const double det = m00 * m11 - m01 * m10;
    const double c0 = (m11 * w0 - m01 * w1) / det, c1 = (m00 * w1 - m10 * w0) / det;
    for (std::int64_t i = 0; i < n2; ++i) dx[i] -= z0[i] * c0 + z1[i] * c1;
}

// Chord Newton from v. With za (the two columns J^-1 e_{2a}, J^-1 e_{2a+1} of the extra branch's
// node a), each step solves with J + E_a D E_a^T instead (Woodbury), D the extra branch's own 2x2
// Jacobian at the current voltage: the candidate charger's non-linearity is then followed exactly.
ChordOutcome chord(const Network& net, const Factors& f, const Extra& extra, cd* v, double tol,
                   std::int64_t max_iter, std::vector<cd>& mis, std::vector<double>& rhs, std::vector<double>& dx,
                   std::vector<double>& work, const double* za = nullptr, int patience = 1,
                   double* trace = nullptr) {
    ChordOutcome out{0, false, std::numeric_limits<double>::infinity(), 0};
    const std::int64_t n2 = 2 * net.n;
    double best = std::numeric_limits<double>::infinity();
    int idle = 0;  // iterations without a 10 % improvement of the best mismatch
    for (std::int64_t it = 0; it <= max_iter; ++it) {
        bool ok;
        std::int64_t worst_node;
        const double worst = residual(net, extra, v, mis.data(), tol, ok, worst_node);
        out = ChordOutcome{it, ok, worst, worst_node};
        if (trace != nullptr) trace[it] = worst;
        if (ok || it == max_iter || !std::isfinite(worst)) return out;
        if (worst < 0.9 * best) {
            best = worst;
            idle = 0;
        } else if (++idle >= patience) {
            return out;  // stalled
        }
        for (std::int64_t i = 0; i < net.n; ++i) {
            rhs[2 * i] = -mis[i].real();
            rhs[2 * i + 1] = -mis[i].imag();
        }
        lu_solve(f, rhs.data(), dx.data(), work.data());
        if (za != nullptr) woodbury(extra, za, v, dx.data(), n2);
        for (std::int64_t i = 0; i < net.n; ++i) v[i] += cd(dx[2 * i], dx[2 * i + 1]);
    }
    return out;
}

struct Inputs {
    Network net;
    Factors f;
};

Inputs make_inputs(in_array<std::int64_t>& y_indptr, in_array<std::int64_t>& y_indices, in_array<cd>& y_data,
                   in_array<double>& abs_y, in_array<cd>& i_source, in_array<double>& current_base,
                   in_array<double>& row_terms,
                   in_array<std::int64_t>& branch_from, in_array<std::int64_t>& branch_to, in_array<cd>& power_va,
                   in_array<double>& base_v, in_array<std::int64_t>& model, in_array<double>& vmin_pu,
                   in_array<double>& vmax_pu, in_array<double>& vlow_pu, in_array<double>& zipv, in_array<double>& cvr,
                   in_array<std::int64_t>& l_indptr, in_array<std::int32_t>& l_indices, in_array<double>& l_data,
                   in_array<std::int64_t>& u_indptr, in_array<std::int32_t>& u_indices, in_array<double>& u_data,
                   in_array<double>& u_inv_diag, in_array<std::int64_t>& perm_r, in_array<std::int64_t>& perm_c) {
    const std::int64_t n = i_source.shape(0);
    const std::int64_t nb = branch_from.shape(0);
    if (y_indptr.shape(0) != n + 1 || current_base.shape(0) != n || row_terms.shape(0) != n)
        throw std::invalid_argument("node arrays disagree on the number of nodes");
    if (abs_y.shape(0) != y_data.shape(0) || y_indices.shape(0) != y_data.shape(0))
        throw std::invalid_argument("admittance arrays disagree on the number of entries");
    if (branch_to.shape(0) != nb || power_va.shape(0) != nb || base_v.shape(0) != nb || model.shape(0) != nb ||
        vmin_pu.shape(0) != nb || vmax_pu.shape(0) != nb || vlow_pu.shape(0) != nb || zipv.size() != 7 * nb ||
        cvr.size() != 2 * nb)
        throw std::invalid_argument("load-branch arrays disagree on the number of branches");
    if (l_indptr.shape(0) != 2 * n + 1 || u_indptr.shape(0) != 2 * n + 1 || perm_r.shape(0) != 2 * n ||
        perm_c.shape(0) != 2 * n || u_inv_diag.shape(0) != 2 * n)
        throw std::invalid_argument("LU factors must be of order 2n");
    Network net{n, y_indptr.data(), y_indices.data(), y_data.data(), abs_y.data(), i_source.data(), current_base.data(),
                row_terms.data(), nb, branch_from.data(), branch_to.data(), power_va.data(), base_v.data(),
                model.data(), vmin_pu.data(), vmax_pu.data(), vlow_pu.data(), zipv.data(), cvr.data()};
    Factors f{2 * n, l_indptr.data(), l_indices.data(), l_data.data(), u_indptr.data(), u_indices.data(),
              u_data.data(), u_inv_diag.data(), perm_r.data(), perm_c.data()};
    return Inputs{net, f};
}

py::tuple chord_solve(out_array<cd> v, in_array<std::int64_t> y_indptr, in_array<std::int64_t> y_indices,
                      in_array<cd> y_data, in_array<double> abs_y, in_array<cd> i_source,
                      in_array<double> current_base,
                      in_array<double> row_terms, in_array<std::int64_t> branch_from, in_array<std::int64_t> branch_to,
                      in_array<cd> power_va, in_array<double> base_v, in_array<std::int64_t> model,
                      in_array<double> vmin_pu, in_array<double> vmax_pu, in_array<double> vlow_pu,
                      in_array<double> zipv, in_array<double> cvr, in_array<std::int64_t> l_indptr,
                      in_array<std::int32_t> l_indices, in_array<double> l_data, in_array<std::int64_t> u_indptr,
                      in_array<std::int32_t> u_indices, in_array<double> u_data, in_array<double> u_inv_diag,
                      in_array<std::int64_t> perm_r,
                      in_array<std::int64_t> perm_c, double tolerance, std::int64_t max_iterations) {
    Inputs in = make_inputs(y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from,
                            branch_to,
                            power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr, l_indices,
                            l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c);
    if (v.shape(0) != in.net.n) throw std::invalid_argument("v must have one entry per node");
    cd* vv = v.mutable_data();
    ChordOutcome out;
    {
        py::gil_scoped_release release;
        const std::int64_t n = in.net.n;
        std::vector<cd> mis(n);
        std::vector<double> rhs(2 * n), dx(2 * n), work(2 * n);
        out = chord(in.net, in.f, Extra{}, vv, tolerance, max_iterations, mis, rhs, dx, work);
    }
    return py::make_tuple(out.iterations, out.converged, out.worst, out.worst_node);
}

// The candidate loop of sweep (and of ChordSystem.sweep), on prepared inputs.
void run_sweep(const Inputs& in, in_array<cd>& v_base, in_array<std::int64_t>& nodes, cd charger_va,
               in_array<double>& charger_base_v, double tolerance, std::int64_t max_iterations, int threads,
               bool linear, out_array<cd>& out_v, out_array<std::int64_t>& out_iterations,
               out_array<bool>& out_converged) {
    const std::int64_t n = in.net.n;
    const std::int64_t k_count = nodes.shape(0);
    if (v_base.shape(0) != n) throw std::invalid_argument("v_base must have one entry per node");
    if (charger_base_v.shape(0) != k_count || out_v.shape(0) != k_count || out_v.shape(1) != n ||
        out_iterations.shape(0) != k_count || out_converged.shape(0) != k_count)
        throw std::invalid_argument("candidate arrays disagree on the number of candidates");
    const std::int64_t* nd = nodes.data();
    for (std::int64_t k = 0; k < k_count; ++k)
        if (nd[k] < 0 || nd[k] >= n) throw std::invalid_argument("candidate node out of range");
    const cd* vb = v_base.data();
    const double* cbv = charger_base_v.data();
    cd* ov = out_v.mutable_data();
    std::int64_t* oi = out_iterations.mutable_data();
    bool* oc = out_converged.mutable_data();
    static const double no_zip[7] = {0, 0, 0, 0, 0, 0, 0};
    // For the exact engine, the base case once: its true mismatch, and every load branch's voltage, current
    // and 2x2 Jacobian there. After the first step dx (which solved J_base dx + E_a D dx_a = -E_a i_c
    // exactly up to rounding) the mismatch is F_base + sum_k [i_k(v) - i_k(v_base) - D_k dv_k] + [i_c(v) -
    // i_c(v_base) - D dv_a]: the admittance part cancels, so the second step's right-hand side costs
    // O(branches) instead of a product with Y. It only steers that step; convergence is then judged on the
    // true mismatch as always.
    const Network& net = in.net;
    std::vector<cd> f_base, base_vab, base_cur;
    std::vector<double> base_jac;
    if (!linear) {
        f_base.resize(n);
        bool ok_base;
        std::int64_t node_base;
        residual(net, Extra{}, vb, f_base.data(), tolerance, ok_base, node_base);
        base_vab.resize(net.nb);
        base_cur.resize(net.nb);
        base_jac.resize(4 * net.nb);
        for (std::int64_t k = 0; k < net.nb; ++k) {
            const std::int64_t a = net.bf[k], b = net.bt[k];
            const cd vab = vb[a] - (b >= 0 ? vb[b] : cd(0.0));
            Branch br{net.pw[k], net.bv[k], net.md[k], net.vmn[k], net.vmx[k], net.vlw[k], net.zp + 7 * k,
                      net.cv[2 * k], net.cv[2 * k + 1]};
            base_vab[k] = vab;
            branch_eval(vab, br, base_cur[k], base_jac.data() + 4 * k);
        }
    }
    // Candidates go through in blocks of kBlock: their triangular solves share one pass over the LU factors
    // (kBlock x 2 unit columns, then kBlock right-hand sides), which reads each factor entry once per
    // block instead of once per candidate and lets the compiler vectorise across the columns.
    struct Buffers {
        std::vector<cd> mis;
        std::vector<double> rhs, dx, work, block_work, za, rhs_block, dx_block;
        explicit Buffers(std::int64_t n)
            : mis(n), rhs(2 * n), dx(2 * n), work(2 * n), block_work(2 * n * 2 * kBlock), za(kBlock * 4 * n),
              rhs_block(kBlock * 2 * n), dx_block(kBlock * 2 * n) {}
    };
    auto run = [&](std::int64_t first, std::int64_t last, Buffers& buf) {
        const std::int64_t n2 = 2 * n;
        std::vector<cd>& mis = buf.mis;
        std::vector<double>&rhs = buf.rhs, &dx = buf.dx, &work = buf.work, &block_work = buf.block_work;
        std::vector<double>&za = buf.za, &rhs_block = buf.rhs_block, &dx_block = buf.dx_block;
        for (std::int64_t k0 = first; k0 < last; k0 += kBlock) {
            const int count = static_cast<int>(std::min<std::int64_t>(kBlock, last - k0));
            // Columns J^-1 e_{2a}, J^-1 e_{2a+1} of every candidate a of the block (za, 2 n2 each): each
            // step then solves with the charger's own 2x2 Jacobian added (Woodbury), so the candidate's
            // non-linearity is followed exactly and only the second-order response of the other loads is
            // left to the chord iterations.
            lu_solve_unit_block(in.f, nd + k0, count, za.data(), block_work.data());
            for (int c = 0; c < count; ++c) {
                const std::int64_t k = k0 + c;
                const std::int64_t a = nd[k];
                const Branch charger{charger_va, cbv[k], 1, 0.95, 1.05, 0.5, no_zip, 1.0, 2.0};
                cd* v = ov + k * n;
                std::copy(vb, vb + n, v);
                // First step without evaluating the mismatch: at the base solution it is (to the base
                // tolerance) the charger's current alone, -e_a i, so J^-1 of it is -Z i, and the step with
                // the charger's Jacobian added is -Z (i + c), c = (I + D Zaa)^-1 D (-Zaa i).
                const cd va = v[a];
                const double m = mag(va);
                cd g, dg;
                load_admittance(m, charger, g, dg);
                const cd cur = cmul(g, va);
                const double ms = m > 0.0 ? m : 1.0;
                const cd gv = cmul(dg, va);
                const double u = va.real() / ms, w = va.imag() / ms;
                const double d00 = g.real() + gv.real() * u, d01 = -g.imag() + gv.real() * w;
                const double d10 = g.imag() + gv.imag() * u, d11 = g.real() + gv.imag() * w;
                const double* z0 = za.data() + c * 2 * n2;
                const double* z1 = z0 + n2;
                const double a00 = z0[2 * a], a01 = z1[2 * a], a10 = z0[2 * a + 1], a11 = z1[2 * a + 1];
                const double ya0 = -(a00 * cur.real() + a01 * cur.imag());
                const double ya1 = -(a10 * cur.real() + a11 * cur.imag());
                const double m00 = 1.0 + d00 * a00 + d01 * a10, m01 = d00 * a01 + d01 * a11;
                const double m10 = d10 * a00 + d11 * a10, m11 = 1.0 + d10 * a01 + d11 * a11;
                const double w0 = d00 * ya0 + d01 * ya1, w1 = d10 * ya0 + d11 * ya1;
                const double det = m00 * m11 - m01 * m10;
                const double c0 = (m11 * w0 - m01 * w1) / det, c1 = (m00 * w1 - m10 * w0) / det;
                const double q0 = cur.real() + c0, q1 = cur.imag() + c1;
                for (std::int64_t i = 0; i < n; ++i)
                    v[i] -= cd(z0[2 * i] * q0 + z1[2 * i] * q1, z0[2 * i + 1] * q0 + z1[2 * i + 1] * q1);
                if (linear) continue;
                // right-hand side of the second step, from the estimated mismatch (see above)
                std::copy(f_base.begin(), f_base.end(), mis.begin());
                for (std::int64_t j = 0; j < net.nb; ++j) {
                    const std::int64_t p = net.bf[j], q = net.bt[j];
                    const cd vab = v[p] - (q >= 0 ? v[q] : cd(0.0));
                    Branch br{net.pw[j], net.bv[j], net.md[j], net.vmn[j], net.vmx[j], net.vlw[j],
                              net.zp + 7 * j, net.cv[2 * j], net.cv[2 * j + 1]};
                    cd cj;
                    double dj[4];
                    branch_eval(vab, br, cj, dj);
                    const cd dv = vab - base_vab[j];
                    const double* d = base_jac.data() + 4 * j;
                    const cd r = cj - base_cur[j] -
                                 cd(d[0] * dv.real() + d[1] * dv.imag(), d[2] * dv.real() + d[3] * dv.imag());
                    mis[p] += r;
                    if (q >= 0) mis[q] -= r;
                }
                const cd va1 = v[a];
                cd g1, dg1;
                load_admittance(mag(va1), charger, g1, dg1);
                const cd dva = va1 - va;
                mis[a] += cmul(g1, va1) - cur -
                          cd(d00 * dva.real() + d01 * dva.imag(), d10 * dva.real() + d11 * dva.imag());
                double* r_c = rhs_block.data() + c * n2;
                for (std::int64_t i = 0; i < n; ++i) {
                    r_c[2 * i] = -mis[i].real();
                    r_c[2 * i + 1] = -mis[i].imag();
                }
            }
            if (linear) {  // that step is the first-order response to the charger
                for (int c = 0; c < count; ++c) {
                    oi[k0 + c] = 1;
                    oc[k0 + c] = true;
                }
                continue;
            }
            lu_solve_block(in.f, rhs_block.data(), count, dx_block.data(), block_work.data());
            for (int c = 0; c < count; ++c) {
                const std::int64_t k = k0 + c;
                Extra extra;
                extra.node = nd[k];
                extra.branch = Branch{charger_va, cbv[k], 1, 0.95, 1.05, 0.5, no_zip, 1.0, 2.0};
                cd* v = ov + k * n;
                const double* zc = za.data() + c * 2 * n2;
                double* dxc = dx_block.data() + c * n2;
                woodbury(extra, zc, v, dxc, n2);
                for (std::int64_t i = 0; i < n; ++i) v[i] += cd(dxc[2 * i], dxc[2 * i + 1]);
                // then chord iterations on the true mismatch (usually one evaluation that confirms it)
                ChordOutcome out = chord(in.net, in.f, extra, v, tolerance, max_iterations, mis, rhs, dx, work, zc, 8);
                oi[k] = out.iterations + 2;
                oc[k] = out.converged;
            }
        }
    };
    py::gil_scoped_release release;
    const int workers = std::max(1, std::min<int>(threads, static_cast<int>(k_count)));
    if (workers == 1) {
        Buffers buf(n);
        run(0, k_count, buf);
        return;
    }
    // Dynamic schedule: each thread takes the next block of candidates when it is free, so a thread that
    // shares its core with another process does less of the work instead of holding everyone up (a static
    // split made two threads no faster than one with a core busy).
    std::atomic<std::int64_t> next{0};
    auto worker = [&]() {
        Buffers buf(n);
        for (;;) {
            const std::int64_t first = next.fetch_add(kBlock);
            if (first >= k_count) return;
            run(first, std::min(k_count, first + kBlock), buf);
        }
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
}

void sweep(in_array<cd> v_base, in_array<std::int64_t> y_indptr, in_array<std::int64_t> y_indices,
           in_array<cd> y_data, in_array<double> abs_y, in_array<cd> i_source, in_array<double> current_base,
           in_array<double> row_terms,
           in_array<std::int64_t> branch_from, in_array<std::int64_t> branch_to, in_array<cd> power_va,
           in_array<double> base_v, in_array<std::int64_t> model, in_array<double> vmin_pu, in_array<double> vmax_pu,
           in_array<double> vlow_pu, in_array<double> zipv, in_array<double> cvr, in_array<std::int64_t> l_indptr,
           in_array<std::int32_t> l_indices, in_array<double> l_data, in_array<std::int64_t> u_indptr,
           in_array<std::int32_t> u_indices, in_array<double> u_data, in_array<double> u_inv_diag,
           in_array<std::int64_t> perm_r,
           in_array<std::int64_t> perm_c, in_array<std::int64_t> nodes, cd charger_va, in_array<double> charger_base_v,
           double tolerance, std::int64_t max_iterations, int threads, bool linear, out_array<cd> out_v,
           out_array<std::int64_t> out_iterations, out_array<bool> out_converged) {
    Inputs in = make_inputs(y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from,
                            branch_to,
                            power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr, l_indices,
                            l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c);
    run_sweep(in, v_base, nodes, charger_va, charger_base_v, tolerance, max_iterations, threads, linear, out_v,
              out_iterations, out_converged);
}

// A feeder's network, loads and LU factors converted once and kept (with references to the arrays), so
// that a power flow or a sweep on them costs one call with the voltages only: passing some 30 arrays
// through pybind11 at every call took longer than a whole warm re-solve.
class ChordSystem {
  public:
    ChordSystem(in_array<std::int64_t> y_indptr, in_array<std::int64_t> y_indices, in_array<cd> y_data,
                in_array<double> abs_y, in_array<cd> i_source, in_array<double> current_base,
                in_array<double> row_terms, in_array<std::int64_t> branch_from, in_array<std::int64_t> branch_to,
                in_array<cd> power_va, in_array<double> base_v, in_array<std::int64_t> model,
                in_array<double> vmin_pu, in_array<double> vmax_pu, in_array<double> vlow_pu, in_array<double> zipv,
                in_array<double> cvr, in_array<std::int64_t> l_indptr, in_array<std::int32_t> l_indices,
                in_array<double> l_data, in_array<std::int64_t> u_indptr, in_array<std::int32_t> u_indices,
                in_array<double> u_data, in_array<double> u_inv_diag, in_array<std::int64_t> perm_r,
                in_array<std::int64_t> perm_c)
        : in_(make_inputs(y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from,
                          branch_to, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr,
                          l_indices, l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c)),
          keep_{y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to,
                power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr, l_indices, l_data,
                u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c} {}

    std::int64_t n() const { return in_.net.n; }

    // Same as the free chord_solve on these arrays.
    py::tuple solve(out_array<cd> v, double tolerance, std::int64_t max_iterations) const {
        if (v.ndim() != 1 || v.shape(0) != in_.net.n) throw std::invalid_argument("v must have one entry per node");
        cd* vv = v.mutable_data();
        ChordOutcome out;
        {
            py::gil_scoped_release release;
            const std::int64_t n = in_.net.n;
            std::vector<cd> mis(n);
            std::vector<double> rhs(2 * n), dx(2 * n), work(2 * n);
            out = chord(in_.net, in_.f, Extra{}, vv, tolerance, max_iterations, mis, rhs, dx, work);
        }
        return py::make_tuple(out.iterations, out.converged, out.worst, out.worst_node);
    }

    // solve() that also writes the largest scaled mismatch of every iteration into trace[0..iterations].
    py::tuple solve_traced(out_array<cd> v, double tolerance, std::int64_t max_iterations,
                           out_array<double> trace) const {
        if (v.ndim() != 1 || v.shape(0) != in_.net.n) throw std::invalid_argument("v must have one entry per node");
        if (max_iterations < 0 || trace.ndim() != 1 || trace.shape(0) < max_iterations + 1)
            throw std::invalid_argument("trace needs max_iterations + 1 entries");
        cd* vv = v.mutable_data();
        double* tr = trace.mutable_data();
        ChordOutcome out;
        {
            py::gil_scoped_release release;
            const std::int64_t n = in_.net.n;
            std::vector<cd> mis(n);
            std::vector<double> rhs(2 * n), dx(2 * n), work(2 * n);
            out = chord(in_.net, in_.f, Extra{}, vv, tolerance, max_iterations, mis, rhs, dx, work, nullptr, 1, tr);
        }
        return py::make_tuple(out.iterations, out.converged, out.worst, out.worst_node);
    }

    // Same as the free sweep on these arrays (the factors must be those of the Jacobian at v_base).
    void sweep(in_array<cd> v_base, in_array<std::int64_t> nodes, cd charger_va, in_array<double> charger_base_v,
               double tolerance, std::int64_t max_iterations, int threads, bool linear, out_array<cd> out_v,
               out_array<std::int64_t> out_iterations, out_array<bool> out_converged) const {
        run_sweep(in_, v_base, nodes, charger_va, charger_base_v, tolerance, max_iterations, threads, linear, out_v,
                  out_iterations, out_converged);
    }

  private:
    Inputs in_;
    std::vector<py::object> keep_;  // owners of the memory in_ points to
};
}  // namespace

PYBIND11_MODULE(_native, m) {
    m.doc() = "evcore.grid native core (C++): current-injection power-flow mismatch and Jacobian";
    m.def("assemble", &assemble, py::arg("v"), py::arg("y_indptr"), py::arg("y_indices"), py::arg("y_data"),
          py::arg("i_source"), py::arg("branch_from"), py::arg("branch_to"), py::arg("power_va"), py::arg("base_v"),
          py::arg("model"), py::arg("vmin_pu"), py::arg("vmax_pu"), py::arg("vlow_pu"), py::arg("zipv"),
          py::arg("cvr"), py::arg("jac_base"), py::arg("jac_pos"), py::arg("out_mismatch"), py::arg("out_jac"),
          py::arg("out_current"),
          "Current mismatch (A), real Jacobian values on the fixed pattern and load-branch currents at v.");
    m.def("chord_solve", &chord_solve,
          "Chord-Newton solve in place from v with fixed LU factors: (iterations, converged, worst pu, worst node).");
    m.def("sweep", &sweep,
          "Chord-Newton solves with one extra constant-power charger branch per candidate node, in threads "
          "(linear=True: one Woodbury-Newton step each, the first-order response).");
    py::class_<ChordSystem>(m, "ChordSystem",
                            "Network, loads and LU factors (the arguments of chord_solve after v, before the "
                            "tolerance) kept for repeated solves and sweeps.")
        .def(py::init<in_array<std::int64_t>, in_array<std::int64_t>, in_array<cd>, in_array<double>, in_array<cd>,
                      in_array<double>, in_array<double>, in_array<std::int64_t>, in_array<std::int64_t>,
                      in_array<cd>, in_array<double>, in_array<std::int64_t>, in_array<double>, in_array<double>,
                      in_array<double>, in_array<double>, in_array<double>, in_array<std::int64_t>,
                      in_array<std::int32_t>, in_array<double>, in_array<std::int64_t>, in_array<std::int32_t>,
                      in_array<double>, in_array<double>, in_array<std::int64_t>, in_array<std::int64_t>>())
        .def_property_readonly("n", &ChordSystem::n)
        .def("solve", &ChordSystem::solve, py::arg("v"), py::arg("tolerance"), py::arg("max_iterations"),
             "chord_solve in place from v: (iterations, converged, worst pu, worst node).")
        .def("solve_traced", &ChordSystem::solve_traced, py::arg("v"), py::arg("tolerance"), py::arg("max_iterations"),
             py::arg("trace"),
             "solve, writing the largest scaled mismatch of iteration k into trace[k] (k = 0..iterations).")
        .def("sweep", &ChordSystem::sweep, py::arg("v_base"), py::arg("nodes"), py::arg("charger_va"),
             py::arg("charger_base_v"), py::arg("tolerance"), py::arg("max_iterations"), py::arg("threads"),
             py::arg("linear"), py::arg("out_v"), py::arg("out_iterations"), py::arg("out_converged"),
             "sweep with these factors (of the Jacobian at v_base).");
}
