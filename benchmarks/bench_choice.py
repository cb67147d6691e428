"""Station location under logit choice: evcore's best against SGI and SCIP-lazy, in one run.

    python benchmarks/bench_choice.py                      # trees + examples (no outside data needed)
    python benchmarks/bench_choice.py --busy               # the same with one core kept busy
    python benchmarks/bench_choice.py --trois-rivieres     # Trois-Rivieres on (2, 2, 2) trees (../shared/data)
    python benchmarks/bench_choice.py --trois-rivieres --tr-methods best,sgi,scip-lazy --tr-models multi-stage
    python benchmarks/bench_choice.py --time-limit 30 --no-examples --methods best,sgi   # a shorter tree run
    python benchmarks/bench_choice.py --hm14               # HM14_800_25 sections (../shared/data/mnl)

Sections:

1. ``trees`` (default): the instance set of :func:`tree_instance_set` (seeded, documented;
   synthetic cities with 1-3 station types, binding budgets and scenario trees from (2, 2) to
   (3, 3) and (2, 2, 2), two-stage and multi-stage models), each solved by ``best``, ``sgi``
   and ``scip-lazy`` (when PySCIPOpt is installed) one after the other with the same time
   limit. Per method: runs proven optimal, median and worst wall time and proven gap, and the
   ratio of each method's time to best's (median and worst; a run stopped by the limit counts
   at the limit, so those ratios are lower bounds).
2. ``examples``: every README and CLI example of choice, timed (the CLI in a fresh process,
   imports included); target 10 s each.
3. ``--trois-rivieres``: the Trois-Rivieres data (317 classes, 10 sites, 6 station types, the
   data's budgets) on growth trees (``--tr-branching``, default 2,2,2: four years, 8 scenarios)
   with three tree seeds and both variants, multi-stage with ``best`` (target: 60 s); with
   ``--tr-all`` also two-stage and SGI / SCIP-lazy.
4. ``--hm14``: HM14_800_25 (published optima): SGI, best, SCIP-lazy and R1 side by side, and
   R4 on a few cases (the paper's Table I comparison).

The load average is printed before and after each section: timings on a shared machine are
only comparable within one run.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _table import print_table  # noqa: E402

from evcore.choice import read_hm14, solve, synthetic_city  # noqa: E402
from evcore.errors import SolverError  # noqa: E402

try:
    import pyscipopt  # noqa: F401  (the optional extra evcore[scip])

    HAVE_SCIP = True
except ImportError:
    HAVE_SCIP = False

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MNL = DATA / "mnl"


def section_hm14(cases: int, time_limit: float) -> None:
    with (MNL / "HM14_800_25_optima.csv").open() as handle:
        optima = list(csv.DictReader(handle))
    chosen = optima[:: max(1, len(optima) // cases)][:cases] if cases < len(optima) else optima
    methods = ("sgi", "best", "scip-lazy", "r1") if HAVE_SCIP else ("sgi", "best", "r1")
    names = {"sgi": "SGI", "best": "best", "scip-lazy": "SCIP-lazy", "r1": "R1"}
    rows, times = [], {method: [] for method in methods}
    for row in chosen:
        instance = read_hm14(MNL / "HM14_800_25.data", float(row["beta"]), float(row["alpha"]))
        target = float(row["Z_opt"])
        line = [f"b={row['beta']} a={row['alpha']} r={row['r']}", target]
        for method in methods:
            started = time.perf_counter()
            rounds = [] if method == "r1" else ["-"]
            try:
                result = solve(instance, stations=int(row["r"]), method=method, time_limit=time_limit)
            except SolverError as error:  # R1's numerical trouble is part of the comparison
                times[method].append(float("inf"))
                line += [time.perf_counter() - started, f"error ({error.status})", float("nan"), *rounds, "-"]
                continue
            times[method].append(result.wall_time if result.status == "optimal" else float("inf"))
            rounds = [] if method == "r1" else [f"{result.rounds}/{result.cuts}"]
            line += [result.wall_time, result.status, 100 * (target - result.objective) / target, *rounds,
                     f"{result.size['rows']}x{result.size['columns']} ({result.size['nonzeros']} nz)"]
        rows.append(line)
    header = ["case", "optimum"]
    for method in methods:
        header += [f"{names[method]} s", f"{names[method]} status", f"{names[method]} gap %"]
        header += [] if method == "r1" else [f"{names[method]} rounds/cuts"]
        header += [f"{names[method]} size"]
    print_table(f"HM14_800_25: {len(rows)} cases, {time_limit:g} s limit per method", header, rows)
    ratio = {method: np.array(times[method]) / np.array(times["sgi"]) for method in methods}
    failed = int(np.sum(~np.isfinite(times["r1"])))
    print(f"\nR1 time / SGI time: median {np.median(ratio['r1']):.3g} "
          f"({failed} R1 runs failed or hit the time limit, counted as infinite); "
          f"SGI time / best time: median {np.median(1 / ratio['best']):.3g}")
    if HAVE_SCIP:
        print(f"SGI time / SCIP-lazy time: median {np.median(1 / ratio['scip-lazy']):.3g}; "
              f"best time / SCIP-lazy time: median {np.median(ratio['best'] / ratio['scip-lazy']):.3g} "
              f"(SCIP-lazy: SGI's master in one SCIP tree, planes added by a constraint handler)")


def section_sgi_all(time_limit: float, method: str = "best") -> None:
    """One method (evcore's best by default) on every published HM14_800_25 case: time,
    agreement with the optimum and open set."""
    with (MNL / "HM14_800_25_optima.csv").open() as handle:
        optima = list(csv.DictReader(handle))
    rows, worst_gap, worst_time, matched = [], 0.0, 0.0, 0
    for row in optima:
        instance = read_hm14(MNL / "HM14_800_25.data", float(row["beta"]), float(row["alpha"]))
        result = solve(instance, stations=int(row["r"]), method=method, time_limit=time_limit)
        target = float(row["Z_opt"])
        gap = abs(target - result.objective) / target
        same = result.open_sites.tolist() == [int(x) for x in row["open_locations_0based"].split()]
        worst_gap, worst_time, matched = max(worst_gap, gap), max(worst_time, result.wall_time), matched + same
        rows.append([f"b={row['beta']} a={row['alpha']} r={row['r']}", target, result.objective, gap,
                     result.status, same, result.rounds, result.wall_time])
    print_table(f"{method} on all {len(rows)} HM14_800_25 cases ({time_limit:g} s limit)",
                ["case", "optimum", method, "rel. error", "status", "same open set", "rounds", "seconds"], rows)
    print(f"\nworst relative error {worst_gap:.2e}; same open set {matched}/{len(rows)}; "
          f"slowest {worst_time:.1f} s; median {np.median([r[-1] for r in rows]):.2f} s")


def section_r4(cases: int, time_limit: float) -> None:
    """R4 needs integer utilities: scaled so the largest denominator is about 2^20."""
    with (MNL / "HM14_800_25_optima.csv").open() as handle:
        optima = list(csv.DictReader(handle))
    rows = []
    for row in optima[:: max(1, len(optima) // cases)][:cases]:
        instance = read_hm14(MNL / "HM14_800_25.data", float(row["beta"]), float(row["alpha"]))
        largest = float((instance.opt_out + instance.attraction.max(axis=2).sum(axis=1)).max())
        scale = 2.0**20 / largest
        hidden = float(np.mean(np.rint(scale * instance.attraction) == 0))
        target = float(row["Z_opt"])
        case = f"b={row['beta']} a={row['alpha']} r={row['r']}"
        try:
            result = solve(instance, stations=int(row["r"]), method="r4", time_limit=time_limit, r4_scale=scale)
        except SolverError as error:
            rows.append([case, target, float("nan"), f"error ({error.status})", float("nan"), f"{100 * hidden:.1f}%", "-"])
            continue
        rows.append([case, target, result.wall_time, result.status, 100 * (target - result.objective) / target,
                     f"{100 * hidden:.1f}%", f"{result.size['rows']}x{result.size['columns']}"])
    print_table("R4 on HM14_800_25 (utilities scaled so the largest denominator is ~2^20)",
                ["case", "optimum", "seconds", "status", "gap to optimum %", "utilities rounded to 0", "size"], rows)


# -- the instance set ----------------------------------------------------------------------------
#: Sizes the set draws from (README's example: 40 users, 8 sites, 2 types, (2, 2)).
USERS = (30, 40, 60)
SITES = (6, 8, 10)
TYPES = (1, 2, 3)
BRANCHINGS = ((2, 2), (3, 2), (3, 3), (2, 2, 2))
GROWTH_SDS = (0.1, 0.2, 0.3)


def tree_instance_set(count: int = 12, seed: int = 2026) -> list:
    """The benchmark set: ``count`` synthetic growing cities, one ``(name, instance)`` each.

    City k draws, from ``numpy.random.default_rng([seed, k])``: users from :data:`USERS`,
    sites from :data:`SITES`, station types from :data:`TYPES` (each size of the set is used
    once per ``len(...)`` cities, in a shuffled order, so every value appears), a scenario
    tree's branching from :data:`BRANCHINGS` (years = len(branching) + 1), the growth spread
    from :data:`GROWTH_SDS`, a new sub-centre or not, and the yearly budget as 1-4 times the
    price of a mid-size station (binding). The city's own seed is ``10_000 * seed + k``: none
    of the cities evcore was developed on (the README's seed 0, the demo's seed 3) is in it.
    """
    from evcore.choice import synthetic_city

    rng = np.random.default_rng(seed)
    orders = {name: rng.permutation(np.resize(np.arange(len(values)), count))
              for name, values in (("users", USERS), ("sites", SITES), ("types", TYPES), ("branching", BRANCHINGS))}
    cases = []
    for k in range(count):
        draw = np.random.default_rng([seed, k])
        users, sites, types = USERS[orders["users"][k]], SITES[orders["sites"][k]], TYPES[orders["types"][k]]
        branching = BRANCHINGS[orders["branching"][k]]
        mid_size = 100.0 + 50.0 * (types + 1) / 2
        budget = float(np.round(draw.uniform(1.0, 4.0) * mid_size))
        sd = float(draw.choice(GROWTH_SDS))
        subcentre = bool(draw.integers(2))
        city = synthetic_city(users, sites, types, len(branching) + 1, branching=branching, seed=10_000 * seed + k,
                              budget=budget, growth_sd=sd, subcentre=subcentre)
        name = (f"{users}u {sites}s {types}t tree {'x'.join(map(str, branching))} sd {sd:g}"
                f"{' sub' if subcentre else ''} budget {budget:g}")
        cases.append((name, city.instance))
    return cases


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:  # not Linux
        return "?"


def _run(instance, method, model, time_limit):
    started_cpu = time.process_time()
    try:
        result = solve(instance, method, model=model, time_limit=time_limit)
    except SolverError as error:
        return {"status": f"error ({error.status})", "seconds": float("nan"), "cpu": float("nan"),
                "gap": float("nan"), "objective": float("nan"), "method": method, "done": False}
    return {"status": result.status, "seconds": result.wall_time, "cpu": time.process_time() - started_cpu,
            "gap": float("inf") if result.gap is None else result.gap, "objective": result.objective,
            "method": result.method, "done": result.status == "optimal"}


def _summary(values, done):
    values = np.asarray(values, float)
    marker = "" if all(done) else " (>=)"
    return f"{np.median(values):.3g}{marker}", f"{np.max(values):.3g}{marker}"


def section_trees(count: int, seed: int, time_limit: float, models, methods=None) -> None:
    methods = methods or ["best", "sgi"] + (["scip-lazy"] if HAVE_SCIP else [])
    if methods[0] != "best":
        raise SystemExit("--methods must start with best (the ratios are to best)")
    print(f"\nload average before: {_load()}")
    runs = {method: [] for method in methods}
    rows = []
    for name, instance in tree_instance_set(count, seed):
        for model in models:
            line = [name, model]
            for method in methods:  # interleaved: the same load for every method of a case
                run = _run(instance, method, model, time_limit)
                runs[method].append(run)
                line += [run["seconds"], run["status"] if method != "best" else f"{run['status']} ({run['method']})",
                         run["gap"]]
            best_value = max(runs[m][-1]["objective"] for m in methods)
            line.append(min(runs[m][-1]["objective"] for m in methods) / best_value if best_value else float("nan"))
            rows.append(line)
    header = ["case", "model"]
    for method in methods:
        header += [f"{method} s", f"{method} status", f"{method} gap"]
    header.append("worst/best plan")
    print_table(f"Scenario trees: {len(rows)} runs per method (tree_instance_set(count={count}, seed={seed})), "
                f"{time_limit:g} s limit", header, rows)
    summary = []
    for method in methods:
        seconds = [r["seconds"] if r["done"] else time_limit for r in runs[method]]
        done = [r["done"] for r in runs[method]]
        gaps = [r["gap"] for r in runs[method]]
        ratio = np.array(seconds) / np.array([r["seconds"] for r in runs["best"]])
        summary.append([method, f"{sum(done)}/{len(done)}", *_summary(seconds, done),
                        f"{np.median([r['cpu'] for r in runs[method]]):.3g}", f"{np.median(gaps):.2e}",
                        f"{np.max(gaps):.2e}", f"{np.median(ratio):.3g}", f"{np.min(ratio):.3g}"])
    print_table("Summary (time of a run stopped by the limit = the limit; ratio = method time / best time)",
                ["method", "optimal", "median s", "worst s", "median CPU s", "median gap", "worst gap",
                 "median ratio", "smallest ratio"], summary)
    print(f"load average after: {_load()}")


def section_examples() -> None:
    """The README's and the CLI's choice examples as written there, each timed as a user runs it
    (plus two variants: two-stage, and scip-lazy when installed)."""
    import subprocess
    import tempfile

    from evcore.choice import hm14_instance, random_hm14

    print(f"\nload average before: {_load()}")
    rows = []

    def timed(label, call):
        started, cpu = time.perf_counter(), time.process_time()
        result = call()
        rows.append([label, time.perf_counter() - started, time.process_time() - cpu,
                     getattr(result, "status", ""), getattr(result, "method", "")])

    hm14 = hm14_instance(random_hm14(customers=200, candidates=25, seed=0), beta=1.0, alpha=0.1)
    city = synthetic_city(40, 8, types=2, years=3, branching=(2, 2), seed=0)
    timed("README: solve(HM14 200x25 beta 1 alpha 0.1, stations=5)",
          lambda: solve(hm14, stations=5, time_limit=10))
    timed("README: synthetic_city(40, 8, types=2, years=3, (2, 2)) multi-stage",
          lambda: solve(city.instance, model="multi-stage", time_limit=10))
    timed("README: solve(HM14 200x25, 'sgi', stations=5)", lambda: solve(hm14, "sgi", stations=5, time_limit=10))
    timed("(variant) the city, two-stage", lambda: solve(city.instance, model="two-stage"))
    if HAVE_SCIP:
        timed("(variant) the city, deterministic, scip-lazy", lambda: solve(city.instance, method="scip-lazy"))
    with tempfile.TemporaryDirectory() as folder:
        for argv in (["choice", "--write-hm14", "hm14.data", "--customers", "100", "--candidates", "20", "--seed", "0"],
                     ["choice", "--hm14", "hm14.data", "--beta", "2", "--alpha", "0.1", "--stations", "5",
                      "--time-limit", "10"],
                     ["choice", "--users", "40", "--sites", "8", "--years", "3", "--branching", "2,2", "--model",
                      "multi-stage", "--time-limit", "10"],
                     ["choice", "--users", "40", "--sites", "8", "--years", "3", "--branching", "2,2", "--model",
                      "two-stage"]):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "evcore", *argv], capture_output=True, text=True, cwd=folder)
            rows.append(["CLI: evcore " + " ".join(argv), time.perf_counter() - started, float("nan"),
                         "exit 0" if done.returncode == 0 else f"exit {done.returncode}", "(process, with imports)"])
    print_table("README and CLI examples of choice (target: 10 s each)",
                ["example", "wall s", "CPU s", "status", "method"], rows)
    print(f"load average after: {_load()}")


def section_trois_rivieres(time_limit: float, branching: tuple, everything: bool, seeds=(0, 1, 2),
                           methods=None, models=None) -> None:
    from dataclasses import replace

    from evcore.choice import growth_tree, read_trois_rivieres

    folder = DATA / "trois-rivieres"
    if not folder.is_dir():
        print(f"\nTrois-Rivieres data not found at {folder}: section skipped")
        return
    print(f"\nload average before: {_load()}")
    years = len(branching) + 1
    if methods is None:
        methods = ["best"] + (["sgi"] + (["scip-lazy"] if HAVE_SCIP else []) if everything else [])
    if models is None:
        models = ("two-stage", "multi-stage") if everything else ("multi-stage",)
    rows, times = [], {(model, method): [] for model in models for method in methods}
    for variant in ("Simple", "Distance"):
        base = read_trois_rivieres(folder, variant, years=years, budgets=(550.0, 300.0, 250.0, 500.0)[:years])
        for tree_seed in seeds:
            instance = replace(base, tree=growth_tree(base.demand[:, 0], branching, seed=tree_seed))
            for model in models:
                for method in methods:
                    run = _run(instance, method, model, time_limit)
                    times[model, method].append(run["seconds"] if run["done"] else time_limit)
                    rows.append([variant, tree_seed, model, method, run["method"], run["objective"], run["status"],
                                 run["gap"], run["seconds"], run["cpu"]])
    print_table(f"Trois-Rivieres on growth trees {branching} ({years} years, {int(np.prod(branching))} scenarios, "
                f"6 station types, budgets), {time_limit:g} s limit",
                ["variant", "tree seed", "model", "method", "ran", "objective", "status", "gap", "seconds", "CPU s"],
                rows)
    for (model, method), values in times.items():
        print(f"{model} {method}: median {np.median(values):.3g} s, worst {np.max(values):.3g} s "
              f"over {len(values)} trees (target 60 s)")
    print(f"load average after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--count", type=int, default=12, help="cities in the tree set (default 12)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the tree set (default 2026)")
    parser.add_argument("--models", default="two-stage,multi-stage", help="models solved on the tree set")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with another process meanwhile")
    parser.add_argument("--no-examples", action="store_true", help="skip the README/CLI examples")
    parser.add_argument("--trois-rivieres", action="store_true", help="only: Trois-Rivieres on growth trees")
    parser.add_argument("--tr-branching", default="2,2,2", help="Trois-Rivieres tree branching (default 2,2,2)")
    parser.add_argument("--tr-all", action="store_true", help="Trois-Rivieres: also two-stage, SGI and SCIP-lazy")
    parser.add_argument("--tr-methods", help="Trois-Rivieres: these methods (e.g. best,sgi,scip-lazy)")
    parser.add_argument("--tr-models", help="Trois-Rivieres: these models (e.g. multi-stage)")
    parser.add_argument("--methods", help="tree set: these methods (default best,sgi and scip-lazy if installed)")
    parser.add_argument("--hm14", action="store_true", help="only: the HM14_800_25 sections")
    parser.add_argument("--cases", type=int, default=9, help="HM14 cases, spread over the 81 (81: all)")
    parser.add_argument("--sgi-all", action="store_true", help="only: evcore's best on all 81 HM14 cases")
    parser.add_argument("--all-method", help="only: this method on all 81 HM14 cases (e.g. scip-lazy)")
    args = parser.parse_args()
    busy = None
    if args.busy:
        import subprocess

        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        print(f"one core kept busy by process {busy.pid}")
    try:
        if args.trois_rivieres:
            section_trois_rivieres(args.time_limit, tuple(int(b) for b in args.tr_branching.split(",")), args.tr_all,
                                   methods=args.tr_methods.split(",") if args.tr_methods else None,
                                   models=tuple(args.tr_models.split(",")) if args.tr_models else None)
        elif args.hm14 or args.sgi_all or args.all_method:
            if not MNL.is_dir():
                sys.exit(f"reference data not found at {MNL}")
            if args.sgi_all or args.all_method:
                section_sgi_all(args.time_limit, args.all_method or "best")
            else:
                section_hm14(args.cases, args.time_limit)
                section_r4(min(args.cases, 3), args.time_limit)
        else:
            if not args.no_examples:
                section_examples()
            section_trees(args.count, args.seed, args.time_limit, tuple(args.models.split(",")),
                          args.methods.split(",") if args.methods else None)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


if __name__ == "__main__":
    main()
