// Kernels of the seed's placement method (evcore.grid.placement._paper): interval propagation of linear
// equality rows and the McCormick envelope rows of bilinear products.
//
// Bound to Python as evcore.grid.placement._native. Plain Python/numpy twins: evcore.grid.placement._reference
// (propagate_rows, mccormick_rows): same arguments, same results (the propagation visits rows and columns in the
// same order and updates the bounds in place as it goes, so both compute bit-identical bounds).

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace py = pybind11;

namespace {

template <class T>
using in_array = py::array_t<T, py::array::c_style | py::array::forcecast>;

// For every row r with rows_lower[r] == rows_upper[r] (= rhs): each column c of the row gets
// vals[c] * z_c = rhs - sum of the others, whose interval follows from the others' bounds; lo/hi are tightened
// (with a relative slack of 1e-9) wherever the others' sum is finite. Rounds repeat the sweep. Returns the number
// of bound changes.
std::int64_t propagate_rows(in_array<std::int64_t> indptr, in_array<std::int64_t> indices, in_array<double> data,
                            in_array<double> rhs, in_array<std::int64_t> rows, py::array_t<double> lo_arr,
                            py::array_t<double> hi_arr, int rounds) {
    auto ip = indptr.unchecked<1>();
    auto ix = indices.unchecked<1>();
    auto dv = data.unchecked<1>();
    auto rh = rhs.unchecked<1>();
    auto rw = rows.unchecked<1>();
    auto lo = lo_arr.mutable_unchecked<1>();
    auto hi = hi_arr.mutable_unchecked<1>();
    const double inf = std::numeric_limits<double>::infinity();
    std::int64_t changes = 0;
    std::vector<double> tlo, thi;
    py::gil_scoped_release release;
    for (int round = 0; round < rounds; ++round) {
        for (py::ssize_t q = 0; q < rw.shape(0); ++q) {
            const std::int64_t r = rw(q);
            const std::int64_t s = ip(r), e = ip(r + 1);
            const std::int64_t len = e - s;
            tlo.assign(len, 0.0);
            thi.assign(len, 0.0);
            double sum_lo = 0.0, sum_hi = 0.0;
            int inf_lo = 0, inf_hi = 0;
            for (std::int64_t k = 0; k < len; ++k) {
                const double v = dv(s + k);
                const std::int64_t c = ix(s + k);
                const double a = v > 0 ? v * lo(c) : v * hi(c);
                const double b = v > 0 ? v * hi(c) : v * lo(c);
                tlo[k] = a;
                thi[k] = b;
                if (std::isfinite(a)) sum_lo += a; else ++inf_lo;
                if (std::isfinite(b)) sum_hi += b; else ++inf_hi;
            }
            for (std::int64_t k = 0; k < len; ++k) {
                const bool own_lo_inf = !std::isfinite(tlo[k]);
                const bool own_hi_inf = !std::isfinite(thi[k]);
                if (inf_lo - (own_lo_inf ? 1 : 0) > 0 || inf_hi - (own_hi_inf ? 1 : 0) > 0) continue;
                const double rest_lo = own_lo_inf ? sum_lo : sum_lo - tlo[k];
                const double rest_hi = own_hi_inf ? sum_hi : sum_hi - thi[k];
                const double v = dv(s + k);
                const std::int64_t c = ix(s + k);
                const double x = (rh(r) - rest_hi) / v, y = (rh(r) - rest_lo) / v;
                const double new_lo = std::min(x, y), new_hi = std::max(x, y);
                const double slack = 1e-9 * std::max(1.0, std::max(std::fabs(new_lo), std::fabs(new_hi)));
                if (new_lo - slack > lo(c)) { lo(c) = new_lo - slack; ++changes; }
                if (new_hi + slack < hi(c)) { hi(c) = new_hi + slack; ++changes; }
            }
        }
    }
    (void)inf;
    return changes;
}

// McCormick rows of products z[w] = z[a] * z[b] for the bounds lo, hi: four inequalities per product with finite
// factor bounds, or for a square (a == b) three tangents (at l, u and the midpoint) and the secant. Returns
// (row, col, val) triplets and the row bounds.
py::tuple mccormick_rows(in_array<std::int64_t> products, in_array<double> lo_arr, in_array<double> hi_arr) {
    auto p = products.unchecked<2>();
    auto lo = lo_arr.unchecked<1>();
    auto hi = hi_arr.unchecked<1>();
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<std::int64_t> rows, cols;
    std::vector<double> vals, rlo, rhi;
    std::int64_t r = 0;
    for (py::ssize_t i = 0; i < p.shape(0); ++i) {
        const std::int64_t w = p(i, 0), a = p(i, 1), b = p(i, 2);
        const double la = lo(a), ua = hi(a), lb = lo(b), ub = hi(b);
        if (!(std::isfinite(la) && std::isfinite(ua) && std::isfinite(lb) && std::isfinite(ub))) continue;
        if (a == b) {
            const double m = 0.5 * (la + ua);
            const double ts[3] = {la, ua, m};
            for (double t : ts) {
                rows.push_back(r); cols.push_back(w); vals.push_back(1.0);
                rows.push_back(r); cols.push_back(a); vals.push_back(-2.0 * t);
                rlo.push_back(-t * t); rhi.push_back(inf);
                ++r;
            }
            rows.push_back(r); cols.push_back(w); vals.push_back(1.0);
            rows.push_back(r); cols.push_back(a); vals.push_back(-(la + ua));
            rlo.push_back(-inf); rhi.push_back(-la * ua);
            ++r;
            continue;
        }
        const double cx[4] = {lb, ub, lb, ub};
        const double cy[4] = {la, ua, ua, la};
        const double cst[4] = {la * lb, ua * ub, ua * lb, la * ub};
        for (int j = 0; j < 4; ++j) {
            rows.push_back(r); cols.push_back(w); vals.push_back(1.0);
            rows.push_back(r); cols.push_back(a); vals.push_back(-cx[j]);
            rows.push_back(r); cols.push_back(b); vals.push_back(-cy[j]);
            if (j < 2) { rlo.push_back(-cst[j]); rhi.push_back(inf); }
            else { rlo.push_back(-inf); rhi.push_back(-cst[j]); }
            ++r;
        }
    }
    auto to_np = [](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
    };
    return py::make_tuple(to_np(rows), to_np(cols), to_np(vals), to_np(rlo), to_np(rhi), r);
}

}  // namespace

PYBIND11_MODULE(_native, m) {
    m.doc() = "Kernels of the seed's placement method (numpy twins: evcore.grid.placement._reference)";
    m.def("propagate_rows", &propagate_rows, py::arg("indptr"), py::arg("indices"), py::arg("data"), py::arg("rhs"),
          py::arg("rows"), py::arg("lo"), py::arg("hi"), py::arg("rounds"));
    m.def("mccormick_rows", &mccormick_rows, py::arg("products"), py::arg("lo"), py::arg("hi"));
}
