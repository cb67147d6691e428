// M/M/c/c (Erlang loss) transient probabilities by uniformization.
//
// Bound to Python as evcore.queueing._native. The plain-Python twin is
// evcore.queueing._reference.uniformization_transient; tests check that both agree.
//
// The chain: states k = 0..c busy servers, births at rate lambda while k < c, deaths at
// rate k*mu. With Lambda = lambda + c*mu the uniformized jump matrix P = I + Q/Lambda is
// tridiagonal with non-negative entries, so every product below is a sum of non-negative
// terms (no cancellation) and each iterate stays a probability vector.
//
//   p(t) = sum_n Pois(n; Lambda t) * p0 P^n
//
// Poisson weights are built in log space relative to the mode, never forming
// exp(-Lambda t) (which underflows for Lambda t > 745), then normalised by their sum.
// Truncation bounds the neglected Poisson mass on each side by `truncation` using the
// geometric bound of the tail ratios.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace py = pybind11;

namespace {

struct PoissonWindow {
    std::int64_t first = 0;      // index of weights[0]
    std::vector<double> weights; // normalised, weights[k - first] ~ Pois(k; mean)
};

// Poisson(mean) weights on [first, last] holding all but `truncation` of the mass per side.
PoissonWindow poisson_window(double mean, double truncation) {
    PoissonWindow window;
    if (mean <= 0.0) {
        window.first = 0;
        window.weights.assign(1, 1.0);
        return window;
    }
    const std::int64_t mode = static_cast<std::int64_t>(std::floor(mean));
    const double log_mean = std::log(mean);

    // Right of the mode: log w_{k+1} = log w_k + log(mean) - log(k+1), with w_mode = 1.
    std::vector<double> right{0.0};
    double sum_right = 1.0;
    for (std::int64_t k = mode;; ++k) {
        const double ratio = mean / static_cast<double>(k + 1);
        const double log_next = right.back() + log_mean - std::log(static_cast<double>(k + 1));
        const double w = std::exp(right.back());
        // Tail after k is at most w * ratio / (1 - ratio) once the ratio is below 1.
        if (ratio < 1.0 && w * ratio / (1.0 - ratio) <= truncation * sum_right) break;
        right.push_back(log_next);
        sum_right += std::exp(log_next);
    }
    // Left of the mode: log w_{k-1} = log w_k + log(k) - log(mean).
    std::vector<double> left;  // left[i] is log w_{mode-1-i}
    double last_log = 0.0;
    double sum_left = 0.0;
    for (std::int64_t k = mode; k > 0; --k) {
        const double ratio = static_cast<double>(k) / mean;
        const double w = std::exp(last_log);
        if (ratio < 1.0 && w * ratio / (1.0 - ratio) <= truncation * (sum_right + sum_left)) break;
        last_log += std::log(static_cast<double>(k)) - log_mean;
        left.push_back(last_log);
        sum_left += std::exp(last_log);
    }
    const double total = sum_left + sum_right;
    window.first = mode - static_cast<std::int64_t>(left.size());
    window.weights.reserve(left.size() + right.size());
    for (auto it = left.rbegin(); it != left.rend(); ++it) window.weights.push_back(std::exp(*it) / total);
    for (double lw : right) window.weights.push_back(std::exp(lw) / total);
    return window;
}

struct BirthDeath {
    // Uniformized jump probabilities: up[k] = P[k,k+1], down[k] = P[k,k-1], stay[k] = P[k,k].
    std::vector<double> up, down, stay;
    double uniformization_rate = 0.0;
};

BirthDeath loss_chain(std::int64_t servers, double arrival_rate, double service_rate) {
    BirthDeath chain;
    const std::size_t n = static_cast<std::size_t>(servers) + 1;
    chain.up.assign(n, 0.0);
    chain.down.assign(n, 0.0);
    chain.stay.assign(n, 1.0);
    chain.uniformization_rate = arrival_rate + static_cast<double>(servers) * service_rate;
    if (chain.uniformization_rate <= 0.0) return chain;
    for (std::size_t k = 0; k < n; ++k) {
        const double birth = (static_cast<std::int64_t>(k) < servers) ? arrival_rate : 0.0;
        const double death = static_cast<double>(k) * service_rate;
        chain.up[k] = birth / chain.uniformization_rate;
        chain.down[k] = death / chain.uniformization_rate;
        // (Lambda - birth - death) / Lambda directly: subtracting from 1 would lose digits.
        chain.stay[k] = (chain.uniformization_rate - birth - death) / chain.uniformization_rate;
    }
    return chain;
}

// next = v P (forward: row vector, distribution) or next = P v (backward: column vector).
void step(const BirthDeath& chain, const std::vector<double>& v, std::vector<double>& next, bool backward) {
    const std::size_t n = v.size();
    if (n == 1) {
        next[0] = v[0];
        return;
    }
    if (!backward) {
        next[0] = v[0] * chain.stay[0] + v[1] * chain.down[1];
        for (std::size_t j = 1; j + 1 < n; ++j)
            next[j] = v[j - 1] * chain.up[j - 1] + v[j] * chain.stay[j] + v[j + 1] * chain.down[j + 1];
        next[n - 1] = v[n - 2] * chain.up[n - 2] + v[n - 1] * chain.stay[n - 1];
    } else {
        next[0] = chain.stay[0] * v[0] + chain.up[0] * v[1];
        for (std::size_t i = 1; i + 1 < n; ++i)
            next[i] = chain.down[i] * v[i - 1] + chain.stay[i] * v[i] + chain.up[i] * v[i + 1];
        next[n - 1] = chain.down[n - 1] * v[n - 2] + chain.stay[n - 1] * v[n - 1];
    }
}

// out[t, :] = sum_n w_t(n) * v_n with v_0 = start and v_{n+1} = step(v_n).
void uniformize(const BirthDeath& chain, const double* start, std::size_t n_states, const double* times,
                std::size_t n_times, double truncation, bool backward, double* out) {
    std::fill(out, out + n_times * n_states, 0.0);
    std::vector<PoissonWindow> windows(n_times);
    std::int64_t last_step = 0;
    for (std::size_t t = 0; t < n_times; ++t) {
        windows[t] = poisson_window(chain.uniformization_rate * times[t], truncation);
        last_step = std::max<std::int64_t>(last_step, windows[t].first + windows[t].weights.size() - 1);
    }
    // Visit times in order of their window start; keep the ones whose window holds step n.
    std::vector<std::size_t> by_first(n_times);
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(),
              [&](std::size_t a, std::size_t b) { return windows[a].first < windows[b].first; });
    std::vector<std::size_t> active;
    std::size_t next_to_open = 0;

    std::vector<double> v(start, start + n_states), next(n_states);
    for (std::int64_t n = 0; n <= last_step; ++n) {
        while (next_to_open < n_times && windows[by_first[next_to_open]].first <= n)
            active.push_back(by_first[next_to_open++]);
        std::size_t kept = 0;
        for (std::size_t a = 0; a < active.size(); ++a) {
            const std::size_t t = active[a];
            const PoissonWindow& w = windows[t];
            const std::int64_t offset = n - w.first;
            if (offset >= static_cast<std::int64_t>(w.weights.size())) continue;  // window closed
            const double weight = w.weights[offset];
            double* row = out + t * n_states;
            for (std::size_t k = 0; k < n_states; ++k) row[k] += weight * v[k];
            active[kept++] = t;
        }
        active.resize(kept);
        if (n < last_step) {
            step(chain, v, next, backward);
            v.swap(next);
        }
    }
}

void check_common(std::int64_t servers, double arrival_rate, double service_rate, double truncation) {
    if (servers < 0) throw std::invalid_argument("servers must be non-negative");
    if (!(arrival_rate >= 0.0) || !std::isfinite(arrival_rate))
        throw std::invalid_argument("arrival_rate must be finite and non-negative");
    if (!(service_rate >= 0.0) || !std::isfinite(service_rate))
        throw std::invalid_argument("service_rate must be finite and non-negative");
    if (!(truncation > 0.0 && truncation < 1.0)) throw std::invalid_argument("truncation must lie in (0, 1)");
}

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Forward equation: rows are the state distribution at each time, starting from `initial`.
py::array_t<double> loss_transient(std::int64_t servers, double arrival_rate, double service_rate,
                                   DoubleArray times, DoubleArray initial, double truncation) {
    check_common(servers, arrival_rate, service_rate, truncation);
    const std::size_t n_states = static_cast<std::size_t>(servers) + 1;
    if (times.ndim() != 1) throw std::invalid_argument("times must be one-dimensional");
    if (initial.ndim() != 1 || static_cast<std::size_t>(initial.shape(0)) != n_states)
        throw std::invalid_argument("initial distribution must have servers + 1 entries");
    const std::size_t n_times = static_cast<std::size_t>(times.shape(0));
    py::array_t<double> out({n_times, n_states});
    const BirthDeath chain = loss_chain(servers, arrival_rate, service_rate);
    const double* t_ptr = times.data();
    const double* p0 = initial.data();
    double* o = out.mutable_data();
    {
        py::gil_scoped_release release;
        uniformize(chain, p0, n_states, t_ptr, n_times, truncation, false, o);
    }
    return out;
}

// Backward equation: out[t, i] = P(X_t = target | X_0 = i) for every initial state i at once.
py::array_t<double> loss_hitting_probability(std::int64_t servers, double arrival_rate, double service_rate,
                                             DoubleArray times, std::int64_t target_state, double truncation) {
    check_common(servers, arrival_rate, service_rate, truncation);
    if (target_state < 0 || target_state > servers)
        throw std::invalid_argument("target_state must lie in [0, servers]");
    if (times.ndim() != 1) throw std::invalid_argument("times must be one-dimensional");
    const std::size_t n_states = static_cast<std::size_t>(servers) + 1;
    const std::size_t n_times = static_cast<std::size_t>(times.shape(0));
    std::vector<double> indicator(n_states, 0.0);
    indicator[static_cast<std::size_t>(target_state)] = 1.0;
    py::array_t<double> out({n_times, n_states});
    const BirthDeath chain = loss_chain(servers, arrival_rate, service_rate);
    const double* t_ptr = times.data();
    double* o = out.mutable_data();
    {
        py::gil_scoped_release release;
        uniformize(chain, indicator.data(), n_states, t_ptr, n_times, truncation, true, o);
    }
    return out;
}

py::tuple poisson_weights(double mean, double truncation) {
    if (!(mean >= 0.0) || !std::isfinite(mean)) throw std::invalid_argument("mean must be finite and non-negative");
    PoissonWindow w = poisson_window(mean, truncation);
    py::array_t<double> weights(static_cast<py::ssize_t>(w.weights.size()));
    std::copy(w.weights.begin(), w.weights.end(), weights.mutable_data());
    return py::make_tuple(w.first, weights);
}

}  // namespace

PYBIND11_MODULE(_native, m) {
    m.doc() = "evcore.queueing native core (C++): M/M/c/c transients by uniformization";
    m.def("loss_transient", &loss_transient, py::arg("servers"), py::arg("arrival_rate"), py::arg("service_rate"),
          py::arg("times"), py::arg("initial"), py::arg("truncation"),
          "State distribution of the M/M/c/c queue at each time (forward equation), shape (len(times), c+1).");
    m.def("loss_hitting_probability", &loss_hitting_probability, py::arg("servers"), py::arg("arrival_rate"),
          py::arg("service_rate"), py::arg("times"), py::arg("target_state"), py::arg("truncation"),
          "P(X_t = target | X_0 = i) for every initial state i (backward equation), shape (len(times), c+1).");
    m.def("poisson_weights", &poisson_weights, py::arg("mean"), py::arg("truncation"),
          "Truncated, normalised Poisson weights: (first index, weights).");
}
