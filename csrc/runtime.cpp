// Small runtime services for evcore's Numba kernels, bound as evcore._runtime.
//
// Numba's nopython mode cannot read a clock, yet every search kernel honours a time limit.
// This module exposes the address of a C function returning monotonic seconds; the Python
// side (evcore.heuristics.clock) registers it with llvmlite under a fixed symbol name so
// that cached kernels link to it by name.

#include <pybind11/pybind11.h>

#include <chrono>
#include <cstdint>

namespace {

extern "C" double evcore_monotonic_seconds() {
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

}  // namespace

PYBIND11_MODULE(_runtime, m) {
    m.doc() = "evcore runtime services for compiled kernels (C++)";
    m.def("monotonic_seconds", &evcore_monotonic_seconds, "Seconds of a monotonic clock (steady_clock).");
    m.def("monotonic_seconds_address", []() { return reinterpret_cast<std::uintptr_t>(&evcore_monotonic_seconds); },
          "Address of the C function double evcore_monotonic_seconds(void).");
}
