"""Queueing kernels side by side with their references, in one run.

    python benchmarks/bench_queueing.py [--quick]

1. Erlang C over 10^6 random inputs (c <= 64): evcore's compiled Cython kernel (all cores, and
   one thread) against a plain-Python recursion.
2. M/M/c/c transient at c = 50, 200, 1000 (20 times each): evcore's C++ uniformization against
   scipy.linalg.expm (one dense exponential per time) and scipy.sparse.linalg.expm_multiply.

Targets from the foundation issue: >= 100x the plain loop; >= 20x expm at c = 200.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.linalg import expm
from scipy.sparse.linalg import expm_multiply

sys.path.insert(0, str(Path(__file__).parent))
from _table import best_time, print_table  # noqa: E402

from evcore.queueing import erlang_c, loss_transient  # noqa: E402
from evcore.queueing._reference import erlang_c_reference, loss_generator  # noqa: E402


def erlang_inputs(size: int):
    rng = np.random.default_rng(2026)
    servers = rng.integers(1, 65, size)
    load = rng.uniform(0.0, 1.0, size) * servers  # stable queues, rho in [0, 1)
    return servers, load


def single_thread_seconds(size: int) -> float:
    """Time the kernel in a fresh process limited to one OpenMP thread."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from bench_queueing import erlang_inputs
        from _table import best_time
        from evcore.queueing import erlang_c
        c, a = erlang_inputs({size})
        print(best_time(lambda: erlang_c(c, a), 5))
        """
    )
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(result.stdout.strip())


def bench_erlang(size: int) -> None:
    servers, load = erlang_inputs(size)
    evcore_seconds = best_time(lambda: erlang_c(servers, load), 5)
    one_thread = single_thread_seconds(size)
    pairs = list(zip(servers.tolist(), load.tolist()))
    python_values = []
    python_seconds = best_time(lambda: python_values.__setitem__(
        slice(None), [erlang_c_reference(c, a) for c, a in pairs]), 1)
    values = erlang_c(servers, load)
    reference = np.array(python_values)
    error = float(np.max(np.abs(values - reference) / np.maximum(reference, 1e-300)))
    print_table(
        f"Erlang C, {size:,} random inputs, c <= 64 ({os.cpu_count()} cores)",
        ["method", "seconds", "per input (ns)", "speed-up", "max rel. error"],
        [
            ["plain Python recursion", python_seconds, python_seconds / size * 1e9, 1.0, 0.0],
            ["evcore (Cython, 1 thread)", one_thread, one_thread / size * 1e9, python_seconds / one_thread, error],
            ["evcore (Cython, all cores)", evcore_seconds, evcore_seconds / size * 1e9,
             python_seconds / evcore_seconds, error],
        ],
    )


def bench_transient(sizes, n_times: int) -> None:
    rows = []
    for servers in sizes:
        service = 1.0
        arrival = 0.9 * servers * service
        times = np.linspace(0.1, 2.0, n_times)
        initial = np.zeros(servers + 1)
        initial[0] = 1.0
        generator = loss_generator(servers, arrival, service)
        ours = best_time(lambda: loss_transient(servers, arrival, service, times, 0), 3)
        law = loss_transient(servers, arrival, service, times, 0)
        dense_reference = []
        dense_seconds = best_time(
            lambda: dense_reference.__setitem__(slice(None), [initial @ expm(generator * t) for t in times]), 1
        )
        dense_reference = np.array(dense_reference)
        sparse_generator_t = sp.csc_matrix(generator.T)
        krylov = expm_multiply(sparse_generator_t, initial, start=times[0], stop=times[-1], num=n_times, endpoint=True)
        krylov_seconds = best_time(
            lambda: expm_multiply(sparse_generator_t, initial, start=times[0], stop=times[-1], num=n_times,
                                  endpoint=True), 1)
        rows.append([
            servers, ours, dense_seconds, dense_seconds / ours, krylov_seconds, krylov_seconds / ours,
            float(np.max(np.abs(law - dense_reference))), float(np.max(np.abs(krylov - dense_reference))),
        ])
    print_table(
        f"M/M/c/c transient, {n_times} times in [0.1, 2] / mu, lambda = 0.9 c mu, from empty",
        ["c", "evcore (s)", "expm (s)", "x expm", "expm_multiply (s)", "x expm_multiply",
         "max |evcore - expm|", "max |expm_multiply - expm|"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    erlang_c(np.array([5]), np.array([3.0]))  # load the extension before timing
    bench_erlang(10**5 if args.quick else 10**6)
    bench_transient([50, 200] if args.quick else [50, 200, 1000], 5 if args.quick else 20)


if __name__ == "__main__":
    main()
