"""``evcore siting`` and the siting part of ``evcore demo``."""

from __future__ import annotations

import json
from pathlib import Path

from .._output import emit, write_csv, write_json
from ..errors import InputError
from ..queueing._cli import one_line_errors
from ._result import COST_UNIT
from .cases import changchun_case, random_case
from .model import SitingParameters
from .solve import METHODS, solve


def register(subparsers, name: str) -> None:
    parser = one_line_errors(subparsers.add_parser(
        name,
        help="site charging stations with fast and slow piles (queueing-aware costs; seed 004)",
        description="Choose station sites and pile numbers: the Changchun case (the paper's Table 9 demands, "
        "embedded in evcore, on a generated layout) or a random case. Writes the plan as JSON (or the station "
        "table as CSV); with --figures also the map, the convergence curve and, with --pareto, the Pareto "
        "table and figure; with --geojson the sites and points as GeoJSON. Sites and points are named by id.",
    ))
    parser.add_argument("--case", choices=("changchun", "random"), default="random")
    parser.add_argument("--demand-file", default=None, help="changchun: use this CSV "
                        "point,daily_charging_demand_vehicles instead of the embedded Table 9")
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
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="cap on SA temperature steps / GA generations / ACO rounds / plans enumerated")
    parser.add_argument("--figures", default=None, metavar="DIR", help="write PNG figures into DIR")
    parser.add_argument("--geojson", default=None, metavar="FILE", help="write sites and points as GeoJSON "
                        "(the Changchun layout is placed on the city; a random case has no geographic origin)")
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


def _rows(columns: dict) -> list[dict]:
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _run(args) -> int:
    from .analysis import pareto_table, plot_convergence, plot_pareto, plot_plan

    instance = _instance(args)
    pareto_range = _station_range(args.pareto) if args.pareto else None
    result = solve(instance, args.method, seed=args.seed, time_limit=args.time_limit,
                   max_iterations=args.max_iterations, progress=args.progress)
    stations = _rows(result._station_columns())
    payload = {"units": COST_UNIT, **result.to_dict()}
    if pareto_range is not None:
        rows, _ = pareto_table(instance, pareto_range, methods=(args.method,), seed=args.seed,
                               time_limit=args.time_limit)
        payload["pareto"] = rows
    if args.figures:
        figures = Path(args.figures)
        payload["figures"] = [str(plot_plan(instance, result, figures / "siting_plan.png")),
                              str(plot_convergence({args.method: result}, figures / "siting_convergence.png"))]
        if pareto_range is not None:
            payload["figures"].append(str(plot_pareto(payload["pareto"], figures / "siting_pareto.png")))
    if args.geojson:
        target = Path(args.geojson)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result.to_geojson()) + "\n")
        payload["geojson"] = str(target)
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
        write_json({"instance": instance.name, "units": COST_UNIT,
                    "results": {m: r.summary() | {"open_site_ids": list(r.open_site_ids)}
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
                    f"{optimum.total_capacity_kva:,.0f} kVA",
        "lines": [f"{m}: {verdict(r)} in {r.wall_time:.2f} s" for m, r in results.items() if m != "exact"]
        + [f"exact: 2^20 plans enumerated in {optimum.wall_time:.2f} s"],
        "files": [str(f) for f in files],
    }
