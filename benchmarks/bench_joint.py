"""Joint investment + assignment (seed 000): every solver side by side on the synthetic city, in one run.

    python benchmarks/bench_joint.py [--sections pipeline,central,admm,scaling] [--zones 201]
        [--highs-solvers ipm,hipo,simplex,pdlp] [--highs-time-limit 900] [--scaling-zones 201,500,1000,2000]
        [--json results.json]

1. pipeline: 1.5 million trip records -> F[i, t] and d_ij (seconds); LP assembly (seconds, size).
2. central: HiGHS with ipm, hipo, simplex and pdlp on the 201 x 672 instance, R = 3 km: wall time and
   peak memory (each in a fresh process; hipo is reported unavailable in the PyPI wheel).
3. admm: the paper's Algorithm 1 (time, gap to the best HiGHS optimum) and evcore's splitting (time to a
   certified 0.1% gap, peak memory), with ratios against HiGHS's best solver.
4. scaling: 201, 500, 1000, 2000 zones x 672 slots: HiGHS's best solver and evcore's splitting, time and
   peak memory, marking where HiGHS exceeds the time limit (10 minutes) or memory.

Measured on this 2-core machine, seed 0, R = 3 km (201 zones: 1,220,553 columns, 270,145 rows, 3,796,329
non-zeros; trip pipeline 1.06 s for 1.5 M trips, LP assembly 0.31 s). HiGHS ipm: optimal 117,866,757 in
229 s (one run with the rest of this table), process peak 1,233 MiB, solve peak 1,040 MiB; simplex and pdlp: no
feasible point in 700 s (session 2); hipo: not in the PyPI wheel. The paper's ADMM: 200 iterations in 1.1 s,
92.7% above the optimum. evcore's splitting: certified gap 9.1e-4 (true 5.2e-4) in 15.9 s, process peak
306 MiB, solve peak 114 MiB, i.e. 14.5x faster, 4.0x (process) and 9.1x (solve) less memory. Scaling (evcore, certified 0.1%,
before the last memory trims): 500 zones 96 s (HiGHS ipm: no feasible point in 600 s, 2,580 MiB),
1000 zones 247 s, 2000 zones 299 s.

Memory: "process" is each child process's maximum resident set size (ru_maxrss), instance building included;
"solve" is the solve's own peak: VmHWM after a clear_refs reset (heap trimmed first) minus what was resident
when the solve began (Linux).
Targets (issue): the splitting reaches 0.1% in <= 1/10 of HiGHS's best wall time and <= 1/4 of its peak
memory at 201 zones, and solves 2000 zones within 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _table import print_table  # noqa: E402


def _child(queue, task):
    """Run one task in a fresh process and report its result and peak memory."""
    resident = None
    try:
        from evcore.joint import _kernels, solve, synthetic_city
        from evcore._compiled import ensure_compiled

        ensure_compiled(_kernels)
        kind, zones, options = task
        started = time.perf_counter()
        instance = synthetic_city(zones=zones, slots=672, seed=0, range_km=3.0)
        build = time.perf_counter() - started
        resident = _start_solve_peak()
        if kind == "highs":
            result = solve(instance, "highs", solver=options["solver"], time_limit=options["time_limit"])
        elif kind == "paper-admm":
            result = solve(instance, "paper-admm", time_limit=options["time_limit"])
        else:
            result = solve(instance, "admm", gap=options["gap"], time_limit=options["time_limit"],
                           progress=options.get("progress", False))
        out = dict(ok=True, status=result.status, total=result.total_cost, lower=result.lower_bound,
                   gap=result.gap, seconds=result.wall_time, iterations=result.iterations, build=build,
                   violation=max(result.violation.values()), pairs=instance.pairs.count)
    except Exception as exc:  # reported in the table, the run goes on
        out = dict(ok=False, error=f"{type(exc).__name__}: {exc}")
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if out.get("ok") and resident is not None:
        out["solve_mib"] = _status_mib("VmHWM") - resident
    queue.put(out)


def _status_mib(field):
    """A VmXXX line of /proc/self/status in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) / 1024
    raise KeyError(field)


def _start_solve_peak():
    """Reset the process's peak resident set (Linux clear_refs 5) and return the resident MiB now, so the
    solve's own peak is VmHWM minus it; None where the kernel does not allow it."""
    import ctypes
    import gc

    gc.collect()
    try:  # hand freed heap pages back first, so that the solve cannot hide in memory the build left resident
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_mib("VmRSS")
    except (OSError, KeyError):
        return None


def run_isolated(task, wall_limit, target=None):
    """``target(queue, task)`` (default :func:`_child`) in a fresh process; its result dict, or why it has none."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target or _child, args=(queue, task))
    started = time.perf_counter()
    process.start()
    process.join(wall_limit)
    if process.is_alive():
        process.terminate()
        process.join()
        return dict(ok=False, error=f"killed after {wall_limit:.0f} s", seconds=time.perf_counter() - started)
    try:
        return queue.get(timeout=5)
    except Exception:
        return dict(ok=False, error=f"process ended with code {process.exitcode} (out of memory?)")


def section_pipeline(zones):
    from evcore.joint import build_lp, synthetic_trips, trips_to_model_data
    from evcore.joint import _kernels
    from evcore._compiled import ensure_compiled

    ensure_compiled(_kernels)
    table, centroids, _ = synthetic_trips(zones, seed=0)
    started = time.perf_counter()
    data = trips_to_model_data(table, centroids)
    pipeline = time.perf_counter() - started
    from evcore.joint import synthetic_city

    instance = synthetic_city(zones=zones, seed=0)
    started = time.perf_counter()
    model = build_lp(instance)
    assembly = time.perf_counter() - started
    rows = [["trip pipeline", f"{data.report.rows} trips", pipeline],
            ["LP assembly", f"{model.num_cols} cols, {model.num_rows} rows, {model.constraint_matrix.nnz} nnz",
             assembly]]
    print_table(f"1. Build ({zones} zones x 672 slots, R = 3 km)", ["step", "size", "seconds"], rows)
    return dict(pipeline_seconds=pipeline, trips=data.report.rows, assembly_seconds=assembly, columns=model.num_cols,
                rows=model.num_rows, nonzeros=int(model.constraint_matrix.nnz))


def section_central(zones, solvers, time_limit):
    from evcore.solvers import available_solvers

    results = {}
    rows = []
    for solver in solvers:
        if solver not in available_solvers():
            results[solver] = dict(ok=False, error="not available in this HiGHS build")
        else:
            results[solver] = run_isolated(("highs", zones, dict(solver=solver, time_limit=time_limit)),
                                           time_limit + 600)
        r = results[solver]
        rows.append([solver, r.get("status", "-") if r["ok"] else r["error"], r.get("total", float("nan")),
                     r.get("seconds", float("nan")), r.get("peak_mib", float("nan")), r.get("solve_mib", float("nan"))])
    print_table(f"2. HiGHS central ({zones} zones x 672 slots, time limit {time_limit:.0f} s)",
                ["solver", "status", "objective", "seconds", "process peak MiB", "solve peak MiB"], rows)
    return results


def section_admm(zones, central, gap, time_limit):
    best = min((r for r in central.values() if r.get("ok") and r.get("status") == "optimal"),
               key=lambda r: r["seconds"], default=None)
    optimum = None if best is None else best["total"]
    paper = run_isolated(("paper-admm", zones, dict(time_limit=time_limit)), time_limit + 600)
    ours = run_isolated(("admm", zones, dict(gap=gap, time_limit=time_limit)), time_limit + 600)
    rows = []
    for name, r in (("paper ADMM (Alg. 1)", paper), (f"evcore splitting (gap {gap:g})", ours)):
        if not r["ok"]:
            rows.append([name, r["error"]] + [float("nan")] * 9)
            continue
        true_gap = float("nan") if optimum is None else (r["total"] - optimum) / optimum
        nan = float("nan")
        rows.append([name, r["status"], r["total"], r["gap"], true_gap, r["seconds"], r["peak_mib"],
                     r.get("solve_mib", nan), nan if best is None else best["seconds"] / r["seconds"],
                     nan if best is None else best["peak_mib"] / r["peak_mib"],
                     nan if best is None else best.get("solve_mib", nan) / r.get("solve_mib", nan)])
    print_table(f"3. Decompositions ({zones} zones x 672 slots; ratios against HiGHS's best solver)",
                ["method", "status", "objective", "certified gap", "gap to HiGHS", "seconds", "process MiB",
                 "solve MiB", "HiGHS time / ours", "HiGHS process MiB / ours", "HiGHS solve MiB / ours"], rows)
    return dict(paper=paper, ours=ours, optimum=optimum)


def section_scaling(zone_list, best_solver, gap, time_limit, highs_max_zones=None):
    rows = []
    out = {}
    highs_failed_at = None
    for zones in zone_list:
        if highs_failed_at is not None or (highs_max_zones is not None and zones > highs_max_zones):
            why = (f"exceeded the limit at {highs_failed_at} zones" if highs_failed_at
                   else "skipped (--scaling-highs-max-zones)")
            highs = dict(ok=False, error=f"not run: {why}")
        else:
            highs = run_isolated(("highs", zones, dict(solver=best_solver, time_limit=time_limit)), time_limit + 900)
            if not (highs.get("ok") and highs.get("status") == "optimal"):
                highs_failed_at = zones
        ours = run_isolated(("admm", zones, dict(gap=gap, time_limit=time_limit)), time_limit + 900)
        out[zones] = dict(highs=highs, ours=ours)

        def cell(r):
            if not r["ok"]:
                return r["error"], float("nan"), r.get("peak_mib", float("nan")), float("nan")
            mark = r["status"] if r["status"] in ("optimal", "gap_reached") else f"{r['status']} (> limit)"
            return mark, r["seconds"], r["peak_mib"], r.get("solve_mib", float("nan"))

        rows.append([zones, ours.get("pairs", "-"), *cell(highs), *cell(ours)])
    print_table(f"4. Scaling (672 slots, R = 3 km, limit {time_limit:.0f} s each)",
                ["zones", "pairs", f"HiGHS {best_solver}", "seconds", "process MiB", "solve MiB", "evcore", "seconds",
                 "process MiB", "solve MiB"], rows)
    return out


# --------------------------------------------------------------------------- cities (issue 16.1)


def _city_child(queue, task):
    """One solve of a benchmark city (pickled by the parent) in a fresh process."""
    import pickle

    kind, path, options = task
    try:
        with open(path, "rb") as f:
            instance = pickle.load(f)
        if kind == "ours":
            out = _run_ours(instance, options)
        elif kind == "highs":
            out = _run_highs(instance, options)
        elif kind == "pdlp":
            out = _run_pdlp(instance, options)
        else:  # "iterations": a fixed number of iterations (threads section)
            out = _run_iterations(instance, options)
    except Exception as exc:  # reported in the table, the run goes on
        out = dict(ok=False, error=f"{type(exc).__name__}: {exc}")
    out["load"] = _loadavg()
    queue.put(out)


def _loadavg():
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def _run_ours(instance, options):
    from evcore._compiled import ensure_compiled
    from evcore.joint import _kernels, _splitting_kernels
    from evcore.joint.splitting import solve_splitting

    ensure_compiled(_kernels)
    ensure_compiled(_splitting_kernels)
    result = solve_splitting(instance, gap=options["gap"], time_limit=options["time_limit"])
    threads = result.info.get("threads", [])
    return dict(ok=True, status=result.status, total=result.total_cost, lower=result.lower_bound, gap=result.gap,
                seconds=result.wall_time, iterations=result.iterations, violation=max(result.violation.values()),
                threads="/".join(str(t) for _, t in threads[:6]))


def _run_highs(instance, options):
    from evcore.joint import solve

    result = solve(instance, "highs", solver=options["solver"], time_limit=options["time_limit"])
    return dict(ok=True, status=result.status, total=result.total_cost, seconds=result.wall_time,
                violation=max(result.violation.values()))


def _run_pdlp(instance, options):
    """OR-Tools' PDLP (2 threads) on the same LP, to the same relative accuracy (its own relative KKT
    criteria at ``gap``). The budget row is dropped when it cannot bind (with it, PDLP's relative criteria
    are met at iteration 0). Feasibility of its answer: the largest violation of (3), (4) and the budget,
    relative to the largest demand (kW) and the budget."""
    import numpy as np
    import scipy.sparse as sp
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    from evcore.joint import build_lp
    from evcore.joint._arrays import kernel_arrays

    a = kernel_arrays(instance)
    model = build_lp(instance, with_budget=a.budget_binds)
    qp = pdlp.QuadraticProgram()
    qp.objective_vector = np.asarray(model.objective, float)
    qp.constraint_matrix = sp.csc_matrix(model.constraint_matrix)
    qp.constraint_lower_bounds = np.asarray(model.row_lower, float)
    qp.constraint_upper_bounds = np.asarray(model.row_upper, float)
    qp.variable_lower_bounds = np.asarray(model.col_lower, float)
    qp.variable_upper_bounds = np.asarray(model.col_upper, float)
    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.num_threads = options.get("threads", 2)
    criteria = params.termination_criteria
    criteria.simple_optimality_criteria.eps_optimal_relative = options["gap"]
    criteria.simple_optimality_criteria.eps_optimal_absolute = 0.0
    criteria.time_sec_limit = options["time_limit"]
    started = time.perf_counter()
    result = pdlp.primal_dual_hybrid_gradient(qp, params)
    seconds = time.perf_counter() - started
    log = result.solve_log
    x = np.asarray(result.primal_solution)
    zones = instance.zones
    capacity = np.maximum(x[:zones], 0.0)
    flows = np.maximum(x[zones:].reshape(instance.slots, -1), 0.0) if instance.pairs.count else \
        np.zeros((instance.slots, 0))
    check = instance.evaluate(capacity, flows)
    beta = instance.power_per_ev_kw
    violation = max(check["capacity_kw"] / max(beta * float(instance.demand_ev.max()), 1e-12),
                    check["supply_ev"] / max(float(instance.demand_ev.max()), 1e-12),
                    check["budget"] / instance.budget if np.isfinite(instance.budget) else 0.0)
    from ortools.pdlp import solve_log_pb2

    status = solve_log_pb2.TerminationReason.Name(log.termination_reason)
    return dict(ok=True, status=status, total=check["total_cost"], seconds=seconds, iterations=int(log.iteration_count),
                violation=violation, feasible=bool(violation <= 1e-6))


def _run_iterations(instance, options):
    import numba

    from evcore._compiled import ensure_compiled
    from evcore.joint import _kernels, _splitting_kernels
    from evcore.joint.splitting import solve_splitting

    ensure_compiled(_kernels)
    ensure_compiled(_splitting_kernels)
    solve_splitting(instance, gap=0.0, max_iterations=options["check_every"], threads=1)  # caches warm
    started, cpu = time.perf_counter(), time.process_time()
    result = solve_splitting(instance, gap=0.0, max_iterations=options["iterations"], threads=options["threads"],
                             check_every=options["check_every"])
    return dict(ok=True, seconds=time.perf_counter() - started, cpu=time.process_time() - cpu,
                layer=numba.threading_layer(), total=result.total_cost,
                threads="/".join(str(t) for _, t in result.info.get("threads", [])[:6]))


class _BusyCore:
    """Another process keeping one core busy (the "loaded" condition), for the duration of a with-block."""

    def __init__(self, busy):
        self.busy = busy
        self.process = None

    def __enter__(self):
        if self.busy:
            import subprocess

            self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def _run_city_task(task, wall_limit, busy, env=None):
    import os

    saved = {k: os.environ.get(k) for k in (env or {})}
    for k, v in (env or {}).items():  # None: unset (libgomp's own default)
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        with _BusyCore(busy):
            return run_isolated(task, wall_limit, target=_city_child)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _city_file(spec, cache_dir):
    """Build the city once (not timed) and pickle it for the child processes."""
    import pickle

    import joint_cities

    path = Path(cache_dir) / f"{spec.name}.pkl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(joint_cities.make_city(spec), f)
    return str(path)


def _reference_time(r, limit):
    """Seconds a reference took to the accuracy asked for, and whether that is only a lower bound."""
    if r is None:
        return float("nan"), False
    if r.get("ok") and r.get("status") in ("optimal", "TERMINATION_REASON_OPTIMAL") and r.get("feasible", True):
        return r["seconds"], False
    return max(r.get("seconds", limit), limit), True  # did not get there within its limit


def section_cities(names, conditions, gap, time_limit, highs_solvers, highs_limit, pdlp_limit, references,
                   cache_dir, previous=None):
    """Every city of the set: evcore's splitting, HiGHS's solvers and PDLP, idle and with a core busy."""
    import statistics

    import joint_cities

    specs = [joint_cities.by_name(n) for n in names]
    previous = previous or {}
    out = {}
    for condition in conditions:
        busy = condition == "loaded"
        rows = []
        ratios = []
        for spec in specs:
            path = _city_file(spec, cache_dir)
            key = f"{condition}/{spec.name}"
            entry = dict(previous.get(key, {}))
            entry["ours"] = _run_city_task(("ours", path, dict(gap=gap, time_limit=time_limit)), time_limit + 600,
                                           busy)
            if "highs" in references:
                for solver in highs_solvers:
                    entry[f"highs-{solver}"] = _run_city_task(
                        ("highs", path, dict(solver=solver, time_limit=highs_limit)), highs_limit + 600, busy)
            if "pdlp" in references:
                entry["pdlp"] = _run_city_task(("pdlp", path, dict(gap=gap, time_limit=pdlp_limit)), pdlp_limit + 600,
                                               busy)
            out[key] = entry
            ours = entry["ours"]
            optimum = min((entry[k]["total"] for k in entry if k.startswith("highs") and entry[k].get("ok")
                           and entry[k].get("status") == "optimal"), default=float("nan"))
            highs = min((_reference_time(entry[k], highs_limit) for k in entry if k.startswith("highs")),
                        default=(float("nan"), False))
            pdlp = _reference_time(entry.get("pdlp"), pdlp_limit)
            best = min((t for t in (highs, pdlp) if t[0] == t[0]), default=(float("nan"), False))
            ok = ours.get("ok") and ours.get("status") == "gap_reached"
            ratio = best[0] / ours["seconds"] if ok else float("nan")
            if ok:
                ratios.append(ratio)
            p = entry.get("pdlp", {})
            rows.append([spec.name, ours.get("status", ours.get("error")), ours.get("seconds", float("nan")),
                         ours.get("iterations", "-"), ours.get("gap", float("nan")),
                         (ours.get("total", float("nan")) - optimum) / optimum, ours.get("threads", "-"),
                         f"{highs[0]:.1f}{'+' if highs[1] else ''}",
                         f"{pdlp[0]:.1f}{'+' if pdlp[1] else ''}" if p else "-",
                         p.get("feasible", "-") if p else "-", f"{ratio:.1f}{'+' if best[1] else ''}",
                         ours.get("load", float("nan"))])
        print_table(f"Cities, {condition} (certified gap {gap:g}; reference seconds with + did not reach it within "
                    f"their limit)", ["city", "status", "seconds", "iterations", "certified gap", "gap to HiGHS",
                                      "threads", "HiGHS best s", "PDLP s", "PDLP feasible", "best ref / ours",
                                      "load avg"], rows)
        if ratios:
            its = [out[f"{condition}/{s.name}"]["ours"].get("iterations", 0) for s in specs]
            secs = [out[f"{condition}/{s.name}"]["ours"].get("seconds", float("nan")) for s in specs]
            print(f"  {condition}: speed-up over the faster reference: median {statistics.median(ratios):.1f}x, worst "
                  f"{min(ratios):.1f}x over {len(ratios)} cities; seconds median {statistics.median(secs):.1f}, "
                  f"worst {max(secs):.1f}; iterations median {statistics.median(its):.0f}, worst {max(its)}")
    return out


def section_threads(city, iterations, conditions, cache_dir, spincounts=()):
    """The splitting for a fixed number of iterations: 1 thread, 2 threads (OpenMP waits passive, libgomp's
    default spinning, and each bounded spin of ``spincounts``, as ``GOMP_SPINCOUNT``) and evcore's policy
    (with evcore's default wait), idle and with a core busy."""
    import joint_cities

    path = _city_file(joint_cities.by_name(city), cache_dir)
    configs = [("1 thread", 1, {}), ("2 threads, passive waits", 2, {"OMP_WAIT_POLICY": "PASSIVE"}),
               ("2 threads, libgomp default", 2, {"OMP_WAIT_POLICY": "", "GOMP_SPINCOUNT": None})]
    configs += [(f"2 threads, GOMP_SPINCOUNT={n}", 2, {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": str(n)})
                for n in spincounts]
    configs += [("policy (evcore._threads)", None, {})]
    out = {}
    rows = []
    for condition in conditions:
        for label, threads, env in configs:
            r = _run_city_task(("iterations", path, dict(iterations=iterations, threads=threads, check_every=80)),
                               3600, condition == "loaded", env)
            out[f"{condition}/{label}"] = r
            rows.append([condition, label, r.get("seconds", float("nan")), r.get("cpu", float("nan")),
                         r.get("threads", r.get("error", "-")), r.get("layer", "-"), r.get("total", float("nan")),
                         r.get("load", float("nan"))])
    print_table(f"Threads: {iterations} iterations of the splitting on {city}",
                ["condition", "threads", "seconds", "CPU seconds", "threads used", "Numba layer", "objective",
                 "load avg"], rows)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="pipeline,central,admm,scaling")
    parser.add_argument("--zones", type=int, default=201)
    parser.add_argument("--highs-solvers", default="ipm,hipo,simplex,pdlp")
    parser.add_argument("--highs-time-limit", type=float, default=900.0)
    parser.add_argument("--time-limit", type=float, default=600.0, help="limit of the decompositions and scaling")
    parser.add_argument("--gap", type=float, default=1e-3)
    parser.add_argument("--scaling-zones", default="201,500,1000,2000")
    parser.add_argument("--scaling-solver", default="ipm")
    parser.add_argument("--scaling-highs-max-zones", type=int, default=None,
                        help="do not run HiGHS above this many zones (it is also skipped once it exceeded the limit)")
    parser.add_argument("--json", default=None, help="also write every number here")
    parser.add_argument("--central-json", default=None,
                        help="reuse the HiGHS results of an earlier --json run instead of solving again")
    parser.add_argument("--cities", default=None, help="cities of benchmarks/joint_cities.py (default: REPORT)")
    parser.add_argument("--conditions", default="idle,loaded", help="idle and/or loaded (one core kept busy)")
    parser.add_argument("--references", default="highs,pdlp", help="reference solvers to run (highs, pdlp; '' none)")
    parser.add_argument("--pdlp-time-limit", type=float, default=900.0)
    parser.add_argument("--city-highs-solvers", default="ipm", help="HiGHS solvers run on every city (the best one)")
    parser.add_argument("--cache-dir", default="/tmp/evcore_joint_cities", help="where the built cities are kept")
    parser.add_argument("--threads-city", default="c80-r3")
    parser.add_argument("--threads-iterations", type=int, default=400)
    parser.add_argument("--spincounts", default="", help="threads section: also 2 threads with these GOMP_SPINCOUNTs")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    results = {}
    if "pipeline" in sections:
        results["pipeline"] = section_pipeline(args.zones)
    central = {}
    if args.central_json and "central" not in sections:
        central = json.loads(Path(args.central_json).read_text())["central"]
        results["central"] = central
    elif "central" in sections or "admm" in sections:
        solvers = [s for s in args.highs_solvers.split(",") if s] if "central" in sections else [args.scaling_solver]
        central = section_central(args.zones, solvers, args.highs_time_limit)
        results["central"] = central
    if "admm" in sections:
        results["admm"] = section_admm(args.zones, central, args.gap, args.time_limit)
    if "scaling" in sections:
        results["scaling"] = section_scaling([int(z) for z in args.scaling_zones.split(",")], args.scaling_solver,
                                             args.gap, args.time_limit, args.scaling_highs_max_zones)
    conditions = [c for c in args.conditions.split(",") if c]
    if "cities" in sections:
        import joint_cities

        names = args.cities.split(",") if args.cities else [spec.name for spec in joint_cities.REPORT]
        highs_solvers = [s for s in args.city_highs_solvers.split(",") if s]
        results["cities"] = section_cities(names, conditions, args.gap, args.time_limit, highs_solvers,
                                           args.highs_time_limit, args.pdlp_time_limit,
                                           set(args.references.split(",")), args.cache_dir)
    if "threads" in sections:
        results["threads"] = section_threads(args.threads_city, args.threads_iterations, conditions, args.cache_dir,
                                             [int(n) for n in args.spincounts.split(",") if n.strip()])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
