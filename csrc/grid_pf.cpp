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

#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace py = pybind11;
using cd = std::complex<double>;

namespace {

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
    const cd yeq = s_conj / (vb * vb);
    if (b.model == 2) {
        g = yeq;
        return;
    }
    const cd yeq95 = b.vmin != 0.0 ? yeq / (b.vmin * b.vmin) : cd(0.0);
    const cd yeq105 = yeq / (b.vmax * b.vmax);
    const cd yeq105i = yeq / b.vmax;
    const double v_low = b.vlow * vb, v95 = b.vmin * vb, v105 = b.vmax * vb;
    const cd i_low = yeq * v_low;
    const double span = (v95 - v_low) != 0.0 ? (v95 - v_low) : 1.0;
    const cd m95 = (yeq95 * v95 - i_low) / span;
    const cd m95i = (yeq * vb - i_low) / span;

    if (m <= v_low) {
        g = yeq;
        return;
    }
    auto interpolated = [&](const cd& slope, cd& gi, cd& dgi) {
        const cd c = i_low + slope * (ms - v_low);
        gi = c / ms;
        dgi = slope / ms - c / (ms * ms);
    };
    const bool interp = m <= v95;
    const bool high = !interp && m > v105;

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
        for (std::int64_t k = ip[i]; k < ip[i + 1]; ++k) acc += yd[k] * vv[ix[k]];
        mis[i] = acc - isrc[i];
    }
    for (std::int64_t k = 0; k < nnz; ++k) jac[k] = jb[k];
    for (std::int64_t k = 0; k < nb; ++k) {
        const std::int64_t a = bf[k], b = bt[k];
        const cd vab = vv[a] - (b >= 0 ? vv[b] : cd(0.0));
        const double m = std::abs(vab);
        Branch br{pw[k], bv[k], md[k], vmn[k], vmx[k], vlw[k], zp + 7 * k, cv[2 * k], cv[2 * k + 1]};
        cd g, dg;
        load_admittance(m, br, g, dg);
        const cd i = g * vab;
        cur[k] = i;
        mis[a] += i;
        if (b >= 0) mis[b] -= i;
        const double ms = m > 0.0 ? m : 1.0;
        const cd gv = dg * vab;
        const double u = vab.real() / ms, w = vab.imag() / ms;
        const double d[4] = {g.real() + gv.real() * u, -g.imag() + gv.real() * w, g.imag() + gv.imag() * u,
                             g.real() + gv.imag() * w};
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

}  // namespace

PYBIND11_MODULE(_native, m) {
    m.doc() = "evcore.grid native core (C++): current-injection power-flow mismatch and Jacobian";
    m.def("assemble", &assemble, py::arg("v"), py::arg("y_indptr"), py::arg("y_indices"), py::arg("y_data"),
          py::arg("i_source"), py::arg("branch_from"), py::arg("branch_to"), py::arg("power_va"), py::arg("base_v"),
          py::arg("model"), py::arg("vmin_pu"), py::arg("vmax_pu"), py::arg("vlow_pu"), py::arg("zipv"),
          py::arg("cvr"), py::arg("jac_base"), py::arg("jac_pos"), py::arg("out_mismatch"), py::arg("out_jac"),
          py::arg("out_current"),
          "Current mismatch (A), real Jacobian values on the fixed pattern and load-branch currents at v.");
}
