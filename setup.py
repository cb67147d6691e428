"""Build of evcore's compiled extensions (metadata lives in pyproject.toml).

- evcore._runtime: C++ (csrc/runtime.cpp), a clock for Numba kernels
- evcore.queueing._native: C++ (csrc/queueing.cpp) through pybind11
- evcore.grid._native: C++ (csrc/grid_pf.cpp) through pybind11
- evcore.grid.placement._native: C++ (csrc/grid_place.cpp) through pybind11
- evcore.queueing._erlang: Cython (evcore/queueing/_erlang.pyx)
"""

import sys

from Cython.Build import cythonize
from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import Extension, setup

# The Erlang kernels split long arrays across cores; gcc and clang on Linux take -fopenmp.
OPENMP_FLAGS = ["-fopenmp"] if sys.platform.startswith("linux") else []

cpp_extensions = [
    Pybind11Extension("evcore._runtime", ["csrc/runtime.cpp"], cxx_std=17, extra_compile_args=["-O2"]),
    Pybind11Extension(
        "evcore.queueing._native",
        ["csrc/queueing.cpp"],
        cxx_std=17,
        extra_compile_args=["-O3"],
    ),
    Pybind11Extension("evcore.grid._native", ["csrc/grid_pf.cpp"], cxx_std=17, extra_compile_args=["-O3"]),
    Pybind11Extension("evcore.grid.placement._native", ["csrc/grid_place.cpp"], cxx_std=17,
                      extra_compile_args=["-O3"]),
]

cython_extensions = cythonize(
    [
        Extension(
            "evcore.queueing._erlang",
            ["evcore/queueing/_erlang.pyx"],
            extra_compile_args=["-O3", *OPENMP_FLAGS],
            extra_link_args=OPENMP_FLAGS,
        )
    ],
    compiler_directives={"language_level": "3"},
)

setup(ext_modules=cpp_extensions + cython_extensions, cmdclass={"build_ext": build_ext})
