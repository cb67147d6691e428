"""``evcore assign`` and the assign part of ``evcore demo``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._output import emit, write_csv, write_json
from ..errors import InputError
from .model import EVInstance, random_ev_instance, read_orlib_gap
from .solve import METHODS, solve_gap


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="assign EVs to charging stations (generalized assignment; seed 003)",
        description="Solve an EV-to-station assignment: an OR-Library GAP file, an EV instance in JSON "
        "(the fields of evcore.assign.EVInstance), or a random city from generator flags.",
    )
    parser.add_argument("instance", nargs="?", help="OR-Library GAP file (m n, costs, resources, capacities) "
                        "or an EV instance .json")
    parser.add_argument("--evs", type=int, default=60, help="random city: number of EVs (default 60)")
    parser.add_argument("--stations", type=int, default=10, help="random city: number of stations (default 10)")
    parser.add_argument("--method", choices=sorted(METHODS), default="best")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    parser.add_argument("--progress", action="store_true")
    parser.set_defaults(handler=_run)


def _load(args):
    if args.instance is None:
        return random_ev_instance(args.evs, args.stations, seed=args.seed), f"random city ({args.evs} EVs, " \
            f"{args.stations} stations, seed {args.seed})"
    path = Path(args.instance)
    if not path.is_file():
        raise InputError("instance", f"no such file: {path}")
    if path.suffix.lower() == ".json":
        try:
            fields = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError("instance", f"{path} is not valid JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise InputError("instance", f"{path} must hold a JSON object with the fields of EVInstance")
        try:
            return EVInstance(**fields), str(path)
        except TypeError as exc:
            raise InputError("instance", f"{path}: {exc}") from None
    return read_orlib_gap(path), str(path)


def _run(args) -> int:
    instance, label = _load(args)
    gap = instance.to_gap() if isinstance(instance, EVInstance) else instance
    result = solve_gap(gap, method=args.method, time_limit=args.time_limit, seed=args.seed, progress=args.progress)
    costs = gap.cost[result.assignment, np.arange(gap.jobs)]
    rows = [{"job": j, "agent": int(a), "cost": float(c)} for j, (a, c) in enumerate(zip(result.assignment, costs))]
    payload = {
        "instance": label, "agents": gap.agents, "jobs": gap.jobs, "method": result.method, "status": result.status,
        "objective": result.objective, "feasible": result.feasible, "bound": result.bound, "gap": result.gap,
        "seconds": result.wall_time, "seed": result.seed, "assignment": result.assignment,
    }
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A 60-EV, 10-station city: the paper's HASP, evcore's best method and the HiGHS optimum."""
    from .analysis import plot_station_loads

    out_dir = Path(out_dir)
    instance = random_ev_instance(60, 10, seed=7)
    gap = instance.to_gap()
    results = {method: solve_gap(gap, method=method, time_limit=2.0, seed=0) for method in ("hasp", "best", "exact")}
    rows = [{"method": m, "objective": r.objective, "feasible": r.feasible, "status": r.status,
             "seconds": round(r.wall_time, 3)} for m, r in results.items()]
    best = results["exact"]
    files = [write_csv(rows, out_dir / "methods.csv"),
             write_json({"instance": "random city, 60 EVs, 10 stations, seed 7",
                         "results": {m: {"objective": r.objective, "status": r.status, "assignment": r.assignment}
                                     for m, r in results.items()}}, out_dir / "assignment.json")]
    files.append(plot_station_loads(gap, {m: r.assignment for m, r in results.items()}, out_dir / "station_loads.png",
                                    title=f"60 EVs to 10 stations (HiGHS optimum {best.objective:.2f})"))
    optimum = best.objective
    return {
        "headline": "60 EVs to 10 stations: " + ", ".join(
            f"{m} {r.objective:.2f}" for m, r in results.items()) + f" (HiGHS optimum {optimum:.2f})",
        "lines": [f"{m}: {'reaches the optimum' if abs(r.objective - optimum) <= 1e-6 * max(1, optimum) else 'gap ' + format((r.objective - optimum) / optimum, '.3%')} in {r.wall_time:.2f} s"
                  for m, r in results.items() if m != "exact"],
        "files": [str(f) for f in files],
    }
