"""Station location under logit choice: formulations side by side, in one run.

    python benchmarks/bench_choice.py [--cases N] [--time-limit S]

1. HM14_800_25 (published optima, ../shared/data/mnl): SGI (tangent planes on demand, the
   foundation's cut loop on HiGHS) and evcore's best (tangent plus submodular cuts) against R1 (y = 1/D with McCormick products, one MILP):
   time, rounds, cuts, gap to the published optimum, formulation size (rows, columns,
   non-zeros; the paper's Table I). With PySCIPOpt installed (evcore[scip]) also SCIP-lazy:
   the SGI master in one SCIP tree, planes added as lazy constraints by a constraint handler.
2. R4 (binary expansion of the integer-scaled denominator) on a few HM14 cases, with the
   share of utilities its rounding hides.
3. A multi-stage synthetic city (scenario tree): deterministic, two-stage and multi-stage
   models with SGI, SCIP-lazy (when installed) and R1, and the perfect-information bound.
4. ``--trois-rivieres``: the Trois-Rivieres "Simple" data (317 classes, 10 sites, 6 station types,
   budgets) on a growth tree (``--tr-branching``, default 2,2,2: four years, 8 scenarios), the same
   models and methods (R1 only with ``--tr-r1``; it does not finish there).

    python benchmarks/bench_choice.py --trois-rivieres [--tr-branching 2,2] [--time-limit 900]

Target (issue): SGI >= 10x faster than R1 at the median; every HM14_800_25 case within 60 s.
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

from evcore.choice import perfect_information_bound, read_hm14, solve, synthetic_city  # noqa: E402
from evcore.errors import SolverError  # noqa: E402

try:
    import pyscipopt  # noqa: F401  (the optional extra evcore[scip])

    HAVE_SCIP = True
except ImportError:
    HAVE_SCIP = False

MNL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnl"


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


def section_tree(time_limit: float) -> None:
    city = synthetic_city(40, 8, 1, 4, branching=(2, 2, 2), seed=3, subcentre=True, budget=150.0, growth_sd=0.2)
    rows = []
    for model in ("deterministic", "two-stage", "multi-stage"):
        for method in ("sgi", "scip-lazy", "r1") if HAVE_SCIP else ("sgi", "r1"):
            result = solve(city.instance, model=model, method=method, time_limit=time_limit)
            rows.append([model, method, result.objective, result.status, result.wall_time, result.rounds,
                         f"{result.size['rows']}x{result.size['columns']}"])
    perfect = perfect_information_bound(city.instance)
    rows.append(["perfect information", "sgi", perfect, "bound", float("nan"), "", ""])
    print_table("Synthetic growing city (40 users, 8 sites, 4 years, 8 scenarios, one station a year)",
                ["model", "method", "objective", "status", "seconds", "rounds", "size"], rows)


def section_trois_rivieres(time_limit: float, branching: tuple, with_r1: bool) -> None:
    from dataclasses import replace

    from evcore.choice import read_trois_rivieres
    from evcore.choice.scenarios import growth_tree

    folder = MNL.parent / "trois-rivieres"
    years = len(branching) + 1
    base = read_trois_rivieres(folder, "Simple", years=years, budgets=(550.0, 300.0, 250.0, 500.0)[:years])
    instance = replace(base, tree=growth_tree(base.demand[:, 0], branching, seed=0))
    methods = ["sgi"] + (["scip-lazy"] if HAVE_SCIP else []) + (["r1"] if with_r1 else [])
    rows = []
    for model in ("deterministic", "two-stage", "multi-stage"):
        for method in methods:
            try:
                result = solve(instance, model=model, method=method, time_limit=time_limit)
            except SolverError as exc:
                rows.append([model, method, float("nan"), f"error: {exc.status}", float("nan"), "", ""])
                continue
            rows.append([model, method, result.objective, result.status, result.wall_time, result.rounds,
                         f"{result.size['rows']}x{result.size['columns']}"])
    print_table(f"Trois-Rivieres Simple on a growth tree {branching} ({years} years, "
                f"{int(np.prod(branching))} scenarios, 6 station types, budgets), {time_limit:g} s limit",
                ["model", "method", "objective", "status", "seconds", "rounds", "size"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=9, help="HM14 cases, spread over the 81 (81: all)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sgi-all", action="store_true", help="only: evcore's best on all 81 HM14 cases")
    parser.add_argument("--all-method", help="only: this method on all 81 HM14 cases (e.g. scip-lazy)")
    parser.add_argument("--trois-rivieres", action="store_true", help="only: the Trois-Rivieres scenario tree")
    parser.add_argument("--tr-branching", default="2,2,2", help="Trois-Rivieres tree branching (default 2,2,2)")
    parser.add_argument("--tr-r1", action="store_true", help="include R1 in the Trois-Rivieres section")
    args = parser.parse_args()
    if not MNL.is_dir():
        sys.exit(f"reference data not found at {MNL}")
    if args.trois_rivieres:
        section_trois_rivieres(args.time_limit, tuple(int(b) for b in args.tr_branching.split(",")), args.tr_r1)
        return
    if args.sgi_all or args.all_method:
        section_sgi_all(args.time_limit, args.all_method or "best")
        return
    section_hm14(args.cases, args.time_limit)
    section_r4(min(args.cases, 3), args.time_limit)
    section_tree(args.time_limit)


if __name__ == "__main__":
    main()
