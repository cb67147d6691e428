"""Queueing kernels side by side with their references, in one run.

    python benchmarks/bench_queueing.py [--quick] [--sections erlang,transient,threads]
    python benchmarks/bench_queueing.py --sections before --before /path/to/built/checkout/of/main

1. Erlang C over 10^6 random inputs (c <= 64): evcore's compiled Cython kernel (all cores, and
   one thread) against a plain-Python recursion.
2. M/M/c/c transient at c = 50, 200, 1000 (20 times each): evcore's C++ uniformization against
   scipy.linalg.expm (one dense exponential per time) and scipy.sparse.linalg.expm_multiply.
3. ``threads``: the OpenMP Erlang kernel with evcore's thread choice against its own one-thread
   run, each with the machine as it is and with one core kept busy by another process
   (``python3 -c 'while True: pass'``); fresh processes, interleaved, ``--repeats`` rounds.
   Target (issue 16.1d): with a core busy, never slower than the one-thread run.
4. ``before``: this checkout against another one (``--before DIR``, a built checkout, e.g. of
   ``main``): Erlang C arrays (evcore's thread choice and one thread), scalar calls (``erlang_b``,
   ``erlang_c``, ``mmc``, ``min_servers``: the size checks sit on this path) and the transient,
   each in fresh processes that import evcore from one tree or the other, interleaved (order
   alternating by round), ``--repeats`` rounds; ratios after/before per round, median and worst,
   and each tree's speed-up over the plain-Python references measured in the same run.

Targets from the foundation issue: >= 100x the plain loop; >= 20x expm at c = 200.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
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


HERE = Path(__file__).resolve().parent


def tree_env(tree=None, threads: int | None = None) -> dict:
    """Environment of a fresh process importing evcore from ``tree`` (a checkout; None: this one).

    Another tree's Numba cache goes to a directory of its own under the temp dir, so the
    benchmark writes nothing into that checkout."""
    import tempfile

    env = dict(os.environ)
    env.pop("EVCORE_THREADS", None)
    root = HERE.parent if tree is None else Path(tree).resolve()
    env["PYTHONPATH"] = str(root)
    if tree is not None and root != HERE.parent:
        tag = hashlib.sha1(str(root).encode()).hexdigest()[:10]
        env["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"evcore-bench-numba-{tag}")
    if threads is not None:
        env.update(EVCORE_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return env


def run_worker(script, job: dict, tree=None, threads: int | None = None) -> dict:
    """Run ``script --worker JOB`` in a fresh process on ``tree``; returns the JSON it prints last."""
    done = subprocess.run([sys.executable, str(script), "--worker", json.dumps(job)], capture_output=True,
                          text=True, env=tree_env(tree, threads))
    if done.returncode != 0:
        raise RuntimeError(f"worker {job} on {tree or 'this tree'} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def paired(script, jobs, before, rounds: int):
    """Run every job on both trees, ``rounds`` times, interleaved (order alternating by round).

    Returns {job name: ([before results], [after results])}."""
    results = {name: ([], []) for name in jobs}
    for round_ in range(rounds):
        for name, (job, threads) in jobs.items():
            order = ((0, before), (1, None)) if round_ % 2 == 0 else ((1, None), (0, before))
            for side, tree in order:
                results[name][side].append(run_worker(script, job, tree, threads))
    return results


def ratio_rows(results, key: str, scale: float = 1.0, lower_is_better: bool = True):
    """Rows: name, median before, median after, after/before median and worst (paired by round)."""
    rows = []
    for name, (before, after) in results.items():
        b = np.array([r[key] for r in before]) * scale
        a = np.array([r[key] for r in after]) * scale
        ratio = a / b
        worst = ratio.max() if lower_is_better else ratio.min()
        rows.append([name, float(np.median(b)), float(np.median(a)), float(np.median(ratio)), float(worst)])
    return rows


def worker(job: dict) -> dict:
    """One measurement in this process (run through :func:`run_worker`)."""
    import evcore
    from evcore.queueing import erlang_b, min_servers, mmc

    out = {"evcore": evcore.__file__}
    kind = job["kind"]
    if kind == "erlang":
        c, a = erlang_inputs(job["size"])
        erlang_c(c, a)
        out["seconds"] = best_time(lambda: erlang_c(c, a), job.get("repeat", 5))
    elif kind == "scalar":
        calls = job.get("calls", 20_000)
        functions = {"erlang_b": lambda: erlang_b(10, 7.5), "erlang_c": lambda: erlang_c(10, 7.5),
                     "mmc": lambda: mmc(10, 7.5, 1.0), "min_servers": lambda: min_servers(7.5, 1.0, 0.1)}
        function = functions[job["function"]]
        function()

        def loop():
            for _ in range(calls):
                function()

        out["seconds"] = best_time(loop, 3) / calls
    elif kind == "transient":
        servers = job["servers"]
        times = np.linspace(0.1, 2.0, job.get("times", 20))
        loss_transient(servers, 0.9 * servers, 1.0, times, 0)
        out["seconds"] = best_time(lambda: loss_transient(servers, 0.9 * servers, 1.0, times, 0), 3)
    else:
        raise ValueError(f"unknown job {kind!r}")
    return out


def bench_before(before, rounds: int, quick: bool) -> None:
    """This checkout against ``before`` (see the module docstring, section 4)."""
    size = 10**5 if quick else 10**6
    servers = [50, 200] if quick else [50, 200, 1000]
    jobs = {f"erlang_c array {size:,}, evcore's threads": ({"kind": "erlang", "size": size}, None),
            f"erlang_c array {size:,}, 1 thread": ({"kind": "erlang", "size": size}, 1)}
    jobs.update({f"{f} scalar call": ({"kind": "scalar", "function": f}, None)
                 for f in ("erlang_b", "erlang_c", "mmc", "min_servers")})
    jobs.update({f"loss_transient c={c}, 20 times": ({"kind": "transient", "servers": c}, None) for c in servers})
    load = os.getloadavg()[0]
    results = paired(Path(__file__), jobs, before, rounds)
    first = next(iter(results.values()))
    print(f"before: {first[0][0]['evcore']}\nafter:  {first[1][0]['evcore']}")
    # the references, once, in this process
    c, a = erlang_inputs(size)
    pairs = list(zip(c.tolist(), a.tolist()))
    plain = best_time(lambda: [erlang_c_reference(s, x) for s, x in pairs], 1)
    reference = {f"erlang_c array {size:,}, evcore's threads": plain, f"erlang_c array {size:,}, 1 thread": plain}
    for servers_ in servers:
        times = np.linspace(0.1, 2.0, 20)
        generator = loss_generator(servers_, 0.9 * servers_, 1.0)
        initial = np.zeros(servers_ + 1)
        initial[0] = 1.0
        reference[f"loss_transient c={servers_}, 20 times"] = best_time(
            lambda: [initial @ expm(generator * t) for t in times], 1)
    rows = []
    for row in ratio_rows(results, "seconds"):
        ref = reference.get(row[0])
        speedups = [ref / row[1], ref / row[2]] if ref else ["", ""]
        rows.append(row + speedups)
    print_table(f"evcore.queueing before/after ({rounds} rounds, fresh processes, interleaved; load average "
                f"{load:.1f} at start, {os.getloadavg()[0]:.1f} at end; x ref = plain-Python loop for Erlang C, "
                "scipy expm for the transient)",
                ["measurement", "before s", "after s", "after/before median", "worst", "x ref before", "x ref after"],
                rows)


def erlang_seconds(size: int, threads: int | None = None, repeat: int = 5) -> float:
    """Best time of the Erlang C kernel in a fresh process; ``threads=1`` pins one thread
    (``EVCORE_THREADS=1``), ``None`` lets evcore choose."""
    return run_worker(Path(__file__), {"kind": "erlang", "size": size, "repeat": repeat}, None, threads)["seconds"]


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
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the threads and before sections")
    parser.add_argument("--before", help="a built checkout to compare with (section 'before')")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    sections = set(args.sections.split(","))
    erlang_c(np.array([5]), np.array([3.0]))  # load the extension before timing
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if "erlang" in sections:
        bench_erlang(10**5 if args.quick else 10**6)
    if "transient" in sections:
        bench_transient([50, 200] if args.quick else [50, 200, 1000], 5 if args.quick else 20)
    if "threads" in sections:
        bench_threads(10**5 if args.quick else 10**6, 1 if args.quick else args.repeats)
    if "before" in sections:
        if not args.before:
            parser.error("section 'before' needs --before DIR (a built checkout to compare with)")
        bench_before(args.before, args.repeats, args.quick)


if __name__ == "__main__":
    main()
