"""Siting benchmarks (seed 004), side by side in one run.

    python benchmarks/bench_siting.py [--instances 10] [--time-limit 10] [--no-pymoo] [--sections moves,exact,threads]
    python benchmarks/bench_siting.py --sections before --before /path/to/checkout/of/main [--instances 10]

1. Move evaluations per second on the 50-point Changchun case (Table 9 demands, embedded):
   incremental flips (``flip_delta``) against re-evaluating the plan from scratch, both
   compiled, same random moves from a random half-open plan.
2. Time to reach within 0.1 % of the exact optimum (enumeration of 2^20 plans) on random
   20-candidate instances: evcore's SA, GA and ACO (the paper's configurations) and pymoo's GA
   on the same objective (evcore's compiled batch evaluation, so only the search differs).

3. ``threads``: ACO (the only threaded siting kernel: its colony is evaluated in parallel) at
   the paper's configuration on random 20- and 50-candidate instances, with evcore's thread
   choice against its own one-thread run (``EVCORE_THREADS=1``), with the machine as it is and
   with one core kept busy by another process; fresh processes, interleaved.

4. ``before``: this checkout against another one (``--before DIR``, e.g. ``main`` before the
   contract work), each measurement in fresh processes importing evcore from one tree or the
   other, interleaved (order alternating): the move rates of section 1 (``--repeats`` rounds)
   and, per random 20-candidate instance (seeds 0..``--instances``-1), the exact enumeration's
   time, each method's time to 0.1 % and run time, and pymoo's GA on that tree's evaluation
   (stopped at the target), so the ACO-vs-pymoo ratio is compared as well. ACO's time to
   target is reported with the thread policy's first look at the machine (up to 0.1 s, outside
   the search's own clock) added.

Targets (issue 7): >= 1 million SA move evaluations per second on the 50-point case; the
best evcore algorithm reaches the exact optimum on every 20-candidate instance; >= 10x faster
to 0.1 % than the generic baseline. Issue 16.1d: with a core busy, ACO never slower than its
own one-thread run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _table import print_table  # noqa: E402
from bench_queueing import busy_core, paired, run_worker  # noqa: E402

TARGET = 1e-3
METHODS = ("sa", "ga", "aco")


class Siting:
    """The few calls the benchmark needs, on whichever evcore.siting is imported: this tree's
    (contract API) or one from before it (``--before``: ``evcore.siting._kernels``, positional
    seed, (k, 2) traces), so the same measurement runs on both."""

    def __init__(self):
        import importlib.util

        from evcore.siting import changchun_case, random_case, solve

        self.changchun_case, self.random_case, self.solve = changchun_case, random_case, solve
        self.new = importlib.util.find_spec("evcore.siting._arrays") is not None
        if self.new:
            from evcore._compiled import ensure_compiled
            from evcore.siting import _evaluate, _search
            from evcore.siting._arrays import kernel_arrays

            ensure_compiled(_search)
            self._evaluate, self._arrays = _evaluate, kernel_arrays
        else:
            from evcore.siting import _kernels
            from evcore.siting.solve import _problem

            self._kernels, self._problem = _kernels, _problem
        self._clock_started = None
        self._watch_search_clock()

    def _watch_search_clock(self):
        """Note when the search's own clock starts (trace seconds count from there)."""
        import importlib

        module = importlib.import_module("evcore.siting.solve")  # the module (the package's `solve` is the function)

        def noted(function):
            def wrapper(*args, **kwargs):
                self._clock_started = time.perf_counter()
                return function(*args, **kwargs)
            return wrapper

        if self.new:
            module.search_control = noted(module.search_control)
        else:
            for name in ("anneal", "genetic", "ant_colony", "enumerate_plans"):
                setattr(self._kernels, name, noted(getattr(self._kernels, name)))
            module._kernels = self._kernels

    def move_seconds(self, instance, moves: int, seed: int, incremental: bool) -> float:
        """Seconds for ``moves`` random flips from a random half-open plan (kept when improving)."""
        if self.new:
            rng = np.random.default_rng(seed)
            m = instance.num_sites
            plan = np.zeros(m, np.int8)
            plan[rng.choice(m, max(1, m // 2), replace=False)] = 1
            sites = rng.integers(0, m, moves).astype(np.int64)
            return self._evaluate.move_throughput(self._arrays(instance), plan, sites, incremental)
        return self._kernels.move_throughput(self._problem(instance), -1, seed, moves, incremental)

    def batch_evaluator(self, instance):
        """``evaluate(plans int8 (k, m), out (k,))`` on the compiled evaluation."""
        if self.new:
            arrays = self._arrays(instance)
            return lambda plans, out: self._evaluate.evaluate_batch(arrays, plans, out)
        prob = self._problem(instance)
        return lambda plans, out: self._kernels.evaluate_batch(prob, -1, plans, out)

    def run(self, instance, method: str, seed: int = 0, time_limit=None):
        """Solve; returns (result, seconds of the call, seconds before the search clock started,
        trace seconds, trace objective)."""
        started = time.perf_counter()
        self._clock_started = None
        if self.new:
            result = self.solve(instance, method, seed=seed, time_limit=time_limit)
            seconds, objective = result.trace["seconds"], result.trace["objective"]
        else:
            result = self.solve(instance, method, seed, time_limit)
            seconds, objective = result.trace[:, 0], result.trace[:, 1]
        wall = time.perf_counter() - started
        before = (self._clock_started - started) if self._clock_started is not None else 0.0
        return result, wall, before, seconds, objective

    def time_to(self, instance, method: str, target: float, seed: int = 0, time_limit=None):
        """(seconds from the call to the first plan within ``target``, incl. setup before the
        search's clock (nan: never), seconds of the whole call, best objective)."""
        result, wall, before, seconds, objective = self.run(instance, method, seed, time_limit)
        hits = np.flatnonzero(objective <= target)
        hit = before + float(seconds[hits[0]]) if hits.size else float("nan")
        return hit, wall, float(result.objective)

    def warm_up(self):
        """Load every kernel (from the cache) before anything is timed."""
        tiny = self.random_case(8, seed=0)
        self.run(tiny, "exact")
        for method in METHODS:
            self.solve(tiny, method, **({"seed": 0} if self.new else {}), **_small(method))


def _small(method: str) -> dict:
    return {"sa": {"temperature_steps": 3}, "ga": {"population": 8, "generations": 2},
            "aco": {"ants": 8, "iterations": 2}}[method]


def pymoo_ga(siting: Siting, instance, time_limit: float, seed: int, target: float):
    """pymoo's GA on binary site vectors, stopped at ``target`` or ``time_limit``; returns (best
    objective, seconds to target or nan)."""
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.core.callback import Callback
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.pntx import TwoPointCrossover
    from pymoo.operators.mutation.bitflip import BitflipMutation
    from pymoo.operators.sampling.rnd import BinaryRandomSampling
    from pymoo.optimize import minimize

    evaluate = siting.batch_evaluator(instance)
    sites = instance.num_sites

    class SitingProblem(Problem):
        def __init__(self):
            super().__init__(n_var=sites, n_obj=1, xl=0, xu=1, vtype=bool)

        def _evaluate(self, x, out, *args, **kwargs):
            values = np.empty(x.shape[0])
            evaluate(np.ascontiguousarray(x, dtype=np.int8), values)
            out["F"] = values

    class Clock(Callback):
        def __init__(self):
            super().__init__()
            self.started = time.perf_counter()
            self.hit = float("nan")

        def notify(self, algorithm):
            if np.isnan(self.hit) and algorithm.opt.get("F").min() <= target:
                self.hit = time.perf_counter() - self.started
                algorithm.termination.terminate()

    clock = Clock()
    algorithm = GA(pop_size=100, sampling=BinaryRandomSampling(), crossover=TwoPointCrossover(),
                   mutation=BitflipMutation(), eliminate_duplicates=True)
    result = minimize(SitingProblem(), algorithm, ("time", time_limit), seed=seed, callback=clock, verbose=False)
    return float(np.min(result.F)), clock.hit


def has_pymoo() -> bool:
    try:
        import pymoo  # noqa: F401
    except ImportError:
        print("pymoo is not installed (pip install 'evcore[bench]'): skipping the generic baseline")
        return False
    return True


# --------------------------------------------------------------------------- measurements

def measure_moves(siting: Siting, moves: int, seed: int) -> dict:
    instance = siting.changchun_case(0)
    siting.move_seconds(instance, moves, seed + 1, True)  # fill the station-design memo: a long search's steady state
    incremental = siting.move_seconds(instance, moves, seed, True)
    full = siting.move_seconds(instance, moves // 10, seed, False) * 10
    return {"incremental": moves / incremental, "full": moves / full}


def measure_instance(siting: Siting, seed: int, time_limit: float, with_pymoo: bool) -> dict:
    """Exact optimum and time, then each method's time to 0.1 %, on random_case(20, seed)."""
    instance = siting.random_case(20, seed=seed)
    exact, wall, *_ = siting.run(instance, "exact")
    target = exact.objective * (1 + TARGET)
    out = {"optimum": float(exact.objective), "stations": int(np.count_nonzero(exact.piles)), "exact": wall}
    for method in METHODS:
        hit, wall, best = siting.time_to(instance, method, target, 0, time_limit)
        out[method] = hit
        out[f"{method} run"] = wall
        out[f"{method} optimal"] = bool(best <= exact.objective * (1 + 1e-9))
    if with_pymoo:
        best, hit = pymoo_ga(siting, instance, time_limit, 0, target)
        out["pymoo GA"] = hit
        out["pymoo GA optimal"] = bool(best <= exact.objective * (1 + 1e-9))
    return out


def worker(job: dict) -> dict:
    """One measurement in this process (run through ``bench_queueing.run_worker``)."""
    import evcore

    siting = Siting()
    siting.warm_up()
    out = {"evcore": evcore.__file__}
    if job["kind"] == "moves":
        out.update(measure_moves(siting, job["moves"], job["seed"]))
    elif job["kind"] == "instance":
        out.update(measure_instance(siting, job["seed"], job["time_limit"], job["pymoo"]))
    elif job["kind"] == "aco":
        out["seconds"] = siting.run(siting.random_case(job["points"], seed=job["seed"]), "aco")[1]
    else:
        raise ValueError(f"unknown job {job['kind']!r}")
    return out


# --------------------------------------------------------------------------- sections

def section_moves(moves: int) -> None:
    rates = measure_moves(Siting(), moves, 0)
    print_table("Move evaluations per second, Changchun (50 points, Table 9 demands)", ["evaluation", "moves/s", "ratio"],
                [["incremental flip", rates["incremental"], rates["incremental"] / rates["full"]],
                 ["full re-evaluation", rates["full"], 1.0]])


def _median(values) -> float:
    values = np.asarray(values, float)
    return float(np.nanmedian(values)) if not np.all(np.isnan(values)) else float("nan")


def section_exact(instances: int, time_limit: float, with_pymoo: bool) -> None:
    siting = Siting()
    siting.warm_up()
    columns = list(METHODS) + (["pymoo GA"] if with_pymoo else [])
    runs = [measure_instance(siting, seed, time_limit, with_pymoo) for seed in range(instances)]
    print_table(f"Random 20-candidate instances: seconds to within {TARGET:.1%} of the exact optimum "
                f"(nan = not within {time_limit:g} s; from the call, setup included)",
                ["seed", "stations*", "optimum", "exact s", *[f"{m} s" for m in columns]],
                [[seed, r["stations"], r["optimum"], r["exact"], *[r[m] for m in columns]] for seed, r in enumerate(runs)])
    baseline = _median([r["pymoo GA"] for r in runs]) if with_pymoo else float("nan")
    summary = []
    for method in columns:
        median = _median([r[method] for r in runs])
        worst = float(np.max([r[method] for r in runs]))
        reached = f"{sum(r[f'{method} optimal'] for r in runs)}/{instances}" if method in METHODS else "(stops at 0.1%)"
        summary.append([method, reached, median, worst,
                        baseline / median if with_pymoo and median > 0 else float("nan")])
    print_table("Summary", ["method", "reached optimum", "median s to 0.1%", "worst", "speed-up vs pymoo GA (medians)"],
                summary)


def section_threads(instances: int) -> None:
    """ACO with evcore's thread choice against one thread, as is and with a core busy."""
    rows, ratios = [], {"as is": [], "one core busy": []}
    script = Path(__file__)
    for points in (20, 50):
        for seed in range(instances):
            for label, context in (("as is", contextlib.nullcontext), ("one core busy", busy_core)):
                with context():
                    load = os.getloadavg()[0]
                    job = {"kind": "aco", "points": points, "seed": seed}
                    one = run_worker(script, job, None, 1)["seconds"]
                    chosen = run_worker(script, job)["seconds"]
                ratios[label].append(chosen / one)
                rows.append([points, seed, label, f"{load:.1f}", one, chosen, chosen / one])
    print_table("ACO (paper configuration): evcore's thread choice vs one thread, seconds per run "
                "(fresh processes, kernels loaded first)",
                ["points", "seed", "machine", "load avg", "1 thread s", "evcore s", "evcore / 1 thread"], rows)
    print_table("Summary (ratio evcore / one thread; <= 1 means never slower)", ["machine", "median", "worst"],
                [[label, float(np.median(v)), float(np.max(v))] for label, v in ratios.items()])


def section_before(before: str, instances: int, time_limit: float, moves: int, rounds: int, with_pymoo: bool) -> None:
    """This tree against ``before``, interleaved in fresh processes (module docstring, section 4)."""
    script = Path(__file__)
    load = os.getloadavg()[0]
    move_runs = paired(script, {"moves": ({"kind": "moves", "moves": moves, "seed": 0}, None)}, before, rounds)["moves"]
    print(f"before: {move_runs[0][0]['evcore']}\nafter:  {move_runs[1][0]['evcore']}")
    rows = []
    for key, label in (("incremental", "incremental flips/s (Changchun)"), ("full", "full re-evaluations/s")):
        b = np.array([r[key] for r in move_runs[0]])
        a = np.array([r[key] for r in move_runs[1]])
        rows.append([label, float(np.median(b)), float(np.median(a)), float(np.median(a / b)), float(np.min(a / b))])
    jobs = {seed: ({"kind": "instance", "seed": seed, "time_limit": time_limit, "pymoo": with_pymoo}, None)
            for seed in range(instances)}
    runs = paired(script, jobs, before, 1)
    keys = ["exact", *METHODS, *(f"{m} run" for m in METHODS)] + (["pymoo GA"] if with_pymoo else [])
    for key in keys:
        b = np.array([runs[seed][0][0][key] for seed in jobs], float)
        a = np.array([runs[seed][1][0][key] for seed in jobs], float)
        ratio = b / a
        label = {"exact": "exact enumeration, 2^20 plans, s"}.get(key, f"{key} s" + ("" if "run" in key else " to 0.1%"))
        rows.append([label, _median(b), _median(a), _median(ratio), float(np.nanmin(ratio)) if np.any(ratio == ratio) else
                     float("nan")])
    reached = [[m, *(f"{sum(runs[s][side][0][f'{m} optimal'] for s in jobs)}/{instances}" for side in (0, 1))]
               for m in METHODS]
    if with_pymoo:
        for method in METHODS:
            b = np.array([runs[s][0][0]["pymoo GA"] / runs[s][0][0][method] for s in jobs], float)
            a = np.array([runs[s][1][0]["pymoo GA"] / runs[s][1][0][method] for s in jobs], float)
            rows.append([f"pymoo GA / {method} (time to 0.1%)", _median(b), _median(a), _median(a) / _median(b),
                         float(np.nanmin(a)) / float(np.nanmin(b))])
    print_table(f"evcore.siting before/after (load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
                f"moves: {rounds} rounds; instances: random_case(20, seed) for seeds 0..{instances - 1}, "
                f"time limit {time_limit:g} s; speed-up = before/after time or after/before rate, paired per "
                "round or instance; nan = target not reached; for the pymoo rows the worst column is the "
                "ratio of worst cases)",
                ["measurement", "before", "after", "speed-up (median)", "worst"], rows)
    print_table("Reached the exact optimum", ["method", "before", "after"], reached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--moves", type=int, default=2_000_000)
    parser.add_argument("--no-pymoo", action="store_true")
    parser.add_argument("--sections", default="moves,exact,threads")
    parser.add_argument("--thread-instances", type=int, default=3, help="instances per size in the threads section")
    parser.add_argument("--before", help="a checkout to compare with (section 'before')")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the move rates in section 'before'")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    sections = set(args.sections.split(","))
    with_pymoo = not args.no_pymoo and has_pymoo()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if "moves" in sections:
        section_moves(args.moves)
    if "exact" in sections:
        section_exact(args.instances, args.time_limit, with_pymoo)
    if "threads" in sections:
        section_threads(args.thread_instances)
    if "before" in sections:
        if not args.before:
            parser.error("section 'before' needs --before DIR (a checkout to compare with)")
        section_before(args.before, args.instances, args.time_limit, args.moves, args.repeats, with_pymoo)


if __name__ == "__main__":
    main()
