"""``evcore siting`` and the siting part of ``evcore demo``."""

from __future__ import annotations

from pathlib import Path

from .._output import emit, write_csv, write_json
from ..errors import InputError
from .model import SitingParameters, changchun_case, random_case
from .solve import METHODS, solve


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="site charging stations with fast and slow piles (queueing-aware costs; seed 004)",
        description="Choose station sites and pile numbers: the Changchun case (demands of Table 9, a "
        "generated layout) or a random case. Writes the plan as JSON (or the station table as CSV); with "
        "--figures also the map, the convergence curve and, with --pareto, the Pareto table and figure.",
    )
    parser.add_argument("--case", choices=("changchun", "random"), default="random")
    parser.add_argument("--demand-file", default=None, help="changchun: CSV point,daily_charging_demand_vehicles "
                        "(default: ../shared/data/changchun_demand_points.csv beside a checkout)")
    parser.add_argument("--points", type=int, default=20, help="random case: demand points = sites (default 20)")
    parser.add_argument("--method", choices=METHODS, default="sa")
    parser.add_argument("--stations", type=int, default=None, help="build exactly this many stations")
    parser.add_argument("--weight", type=float, default=0.5, help="investment weight w (default 0.5)")
    parser.add_argument("--split", choices=("fixed", "optimise"), default="fixed",
                        help="fixed fast/slow shares (paper) or per-station optimised split")
    parser.add_argument("--max-distance-km", type=float, default=float("inf"), help="anxiety range l_max")
    parser.add_argument("--pareto", default=None, metavar="LO-HI",
                        help="also solve for every number of stations LO..HI (e.g. 13-17)")
    parser.add_argument("--seed", type=int, default=0, help="layout and search seed")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--figures", default=None, metavar="DIR", help="write PNG figures into DIR")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    parser.add_argument("--progress", action="store_true")
    parser.set_defaults(handler=_run)


def _instance(args):
    parameters = SitingParameters(investment_weight=args.weight)
    common = dict(parameters=parameters, stations=args.stations, split=args.split,
                  max_distance_km=args.max_distance_km)
    if args.case == "changchun":
        return changchun_case(args.seed, demand_path=args.demand_file, **common)
    return random_case(args.points, seed=args.seed, **common)


def _station_range(text: str) -> range:
    try:
        low, high = (int(v) for v in text.split("-"))
    except ValueError:
        raise InputError("pareto", f"must look like LO-HI (e.g. 13-17), got {text!r}") from None
    if not 1 <= low <= high:
        raise InputError("pareto", f"needs 1 <= LO <= HI, got {text!r}")
    return range(low, high + 1)


def _run(args) -> int:
    from .analysis import pareto_table, plan_table, plot_convergence, plot_pareto, plot_plan

    instance = _instance(args)
    result = solve(instance, args.method, seed=args.seed, time_limit=args.time_limit, progress=args.progress)
    stations = plan_table(instance, result)
    payload = {
        "instance": instance.name, "method": result.method, "status": result.status, "feasible": result.feasible,
        "violations": result.violations, "total_cost": result.total_cost, "investment_cost": result.investment_cost,
        "user_cost": result.user_cost, "objective": result.objective, "cost_breakdown": result.cost_breakdown,
        "units": "10^4 yuan per year", "kva_total": result.kva_total, "open_sites": result.open_sites,
        "stations": stations, "seconds": result.wall_time, "seed": result.seed,
    }
    if args.pareto:
        rows, _ = pareto_table(instance, _station_range(args.pareto), methods=(args.method,), seed=args.seed,
                               time_limit=args.time_limit)
        payload["pareto"] = rows
    if args.figures:
        figures = Path(args.figures)
        payload["figures"] = [str(plot_plan(instance, result, figures / "siting_plan.png")),
                              str(plot_convergence({args.method: result}, figures / "siting_convergence.png"))]
        if args.pareto:
            payload["figures"].append(str(plot_pareto(payload["pareto"], figures / "siting_pareto.png")))
    return emit(payload, stations, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A 20-point random city: the exact optimum and SA, GA and ACO (reduced budgets) against it."""
    from .analysis import pareto_table, plan_table, plot_convergence, plot_pareto, plot_plan

    out_dir = Path(out_dir)
    instance = random_case(20, seed=0)
    budgets = {"sa": {}, "ga": {"population": 500, "generations": 60}, "aco": {"ants": 300, "iterations": 60}}
    results = {"exact": solve(instance, "exact")}
    results.update({m: solve(instance, m, seed=0, **settings) for m, settings in budgets.items()})
    optimum = results["exact"]
    rows, _ = pareto_table(instance, range(2, 7), methods=("sa",), settings=budgets)
    files = [
        write_json({"instance": instance.name, "units": "10^4 yuan per year",
                    "results": {m: {"total_cost": r.total_cost, "investment_cost": r.investment_cost,
                                    "user_cost": r.user_cost, "objective": r.objective, "open_sites": r.open_sites,
                                    "piles": r.piles, "kva_total": r.kva_total, "status": r.status}
                                for m, r in results.items()}}, out_dir / "plans.json"),
        write_csv(plan_table(instance, optimum), out_dir / "stations.csv"),
        write_csv(rows, out_dir / "pareto.csv"),
        plot_plan(instance, optimum, out_dir / "plan.png"),
        plot_convergence({m: results[m] for m in budgets}, out_dir / "convergence.png"),
        plot_pareto(rows, out_dir / "pareto.png"),
    ]

    def verdict(r):
        gap = (r.objective - optimum.objective) / optimum.objective
        return "reaches the optimum" if gap <= 1e-9 else f"gap {gap:.3%}"

    return {
        "headline": f"20 points, 20 candidate sites: optimum {optimum.stations} stations, "
                    f"{int(optimum.piles.sum())} piles, total {optimum.total_cost:,.1f} (10^4 yuan/yr), "
                    f"{optimum.kva_total:,.0f} kVA",
        "lines": [f"{m}: {verdict(r)} in {r.wall_time:.2f} s" for m, r in results.items() if m != "exact"]
        + [f"exact: 2^20 plans enumerated in {optimum.wall_time:.2f} s"],
        "files": [str(f) for f in files],
    }
