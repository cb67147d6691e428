"""Queueing kernels side by side with their references, in one run.

    python benchmarks/bench_queueing.py [--quick] [--sections erlang,transient,threads]

1. Erlang C over 10^6 random inputs (c <= 64): evcore's compiled Cython kernel (all cores, and
   one thread) against a plain-Python recursion.
2. M/M/c/c transient at c = 50, 200, 1000 (20 times each): evcore's C++ uniformization against
   scipy.linalg.expm (one dense exponential per time) and scipy.sparse.linalg.expm_multiply.
3. ``threads``: the OpenMP Erlang kernel with evcore's thread choice against its own one-thread
   run, each with the machine as it is and with one core kept busy by another process
   (``python3 -c 'while True: pass'``); fresh processes, interleaved, ``--repeats`` rounds.
   Target (issue 16.1d): with a core busy, never slower than the one-thread run.

Targets from the foundation issue: >= 100x the plain loop; >= 20x expm at c = 200.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import textwrap
import time
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


@contextlib.contextmanager
def busy_core():
    """Keep one core busy with an unrelated process while the block runs (stopped afterwards)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let the scheduler notice it
        yield
    finally:
        spinner.terminate()
        spinner.wait()


def erlang_seconds(size: int, threads: int | None = None, repeat: int = 5) -> float:
    """Best time of the Erlang C kernel in a fresh process; ``threads=1`` pins one thread
    (``EVCORE_THREADS=1``), ``None`` lets evcore choose."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from bench_queueing import erlang_inputs
        from _table import best_time
        from evcore.queueing import erlang_c
        c, a = erlang_inputs({size})
        erlang_c(c, a)
        print(best_time(lambda: erlang_c(c, a), {repeat}))
        """
    )
    env = dict(os.environ)
    env.pop("EVCORE_THREADS", None)
    if threads is not None:
        env.update(EVCORE_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(result.stdout.strip())


def single_thread_seconds(size: int) -> float:
    """Time the kernel in a fresh process limited to one OpenMP thread."""
    return erlang_seconds(size, threads=1)


def bench_threads(size: int, repeats: int) -> None:
    """evcore's thread choice against one thread, with the machine as it is and with a core busy."""
    rows, ratios = [], {"as is": [], "one core busy": []}
    for round_ in range(repeats):
        for label, context in (("as is", contextlib.nullcontext), ("one core busy", busy_core)):
            with context():
                load = os.getloadavg()[0]
                one = erlang_seconds(size, threads=1)
                chosen = erlang_seconds(size)
            ratios[label].append(chosen / one)
            rows.append([round_, label, f"{load:.1f}", one * 1e3, chosen * 1e3, chosen / one])
    print_table(f"Erlang C, {size:,} inputs: evcore's thread choice vs one thread (fresh processes)",
                ["round", "machine", "load avg", "1 thread ms", "evcore ms", "evcore / 1 thread"], rows)
    print_table("Summary (ratio evcore / one thread; <= 1 means never slower)", ["machine", "median", "worst"],
                [[label, float(np.median(v)), float(np.max(v))] for label, v in ratios.items()])


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
    parser.add_argument("--sections", default="erlang,transient,threads")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the threads section")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    erlang_c(np.array([5]), np.array([3.0]))  # load the extension before timing
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if "erlang" in sections:
        bench_erlang(10**5 if args.quick else 10**6)
    if "transient" in sections:
        bench_transient([50, 200] if args.quick else [50, 200, 1000], 5 if args.quick else 20)
    if "threads" in sections:
        bench_threads(10**5 if args.quick else 10**6, 1 if args.quick else args.repeats)


if __name__ == "__main__":
    main()
