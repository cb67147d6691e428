"""``evcore assign`` and the assign part of ``evcore demo``.

Exit codes (see :mod:`evcore.cli`): 0 an assignment was found; 2 bad flags or input (the
message names the field); 3 the instance is infeasible, or the method found no feasible
assignment (the result is still written, with status ``infeasible``); 4 solver failure.
"""

from __future__ import annotations

import json
from pathlib import Path

from .._output import emit, note, write_csv, write_json
from ..errors import InputError
from ..io._text import read_text
from .model import EVInstance, random_ev_instance, read_orlib_gap
from .solve import METHODS, solve

#: Exit code when no feasible assignment was found (evcore.cli's "infeasible").
EXIT_NOTHING_FEASIBLE = 3


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="assign EVs to charging stations (generalized assignment; seed 003)",
        description="Solve an EV-to-station assignment: an OR-Library GAP file (one problem, or OR-Library's "
        "multi-problem files with --problem), an EV instance in JSON (the fields of evcore.assign.EVInstance), "
        "or a random city from generator flags. Exit codes: 0 solved, 2 bad input, 3 infeasible or no "
        "feasible assignment found, 4 solver failure.",
    )
    parser.add_argument("instance", nargs="?", help="OR-Library GAP file (m n, costs, resources, capacities) "
                        "or an EV instance .json")
    parser.add_argument("--problem", type=int, default=None,
                        help="1-based problem number in a multi-problem OR-Library file (gap1.txt ... hold 5)")
    parser.add_argument("--evs", type=int, default=60, help="random city: number of EVs (default 60)")
    parser.add_argument("--stations", type=int, default=10, help="random city: number of stations (default 10)")
    parser.add_argument("--method", choices=sorted(METHODS), default="best")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="the method's own steps at most (generations, moves, cycles, nodes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("json", "csv"), default="json",
                        help="json: the whole result; csv: one row per EV (job) with its station (agent) id")
    parser.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    parser.add_argument("--progress", action="store_true", help="progress lines on stderr")
    parser.set_defaults(handler=_run)


def _load(args):
    if args.instance is None:
        if args.problem is not None:
            raise InputError("--problem", "needs an instance file")
        return random_ev_instance(args.evs, args.stations, seed=args.seed), f"random city ({args.evs} EVs, " \
            f"{args.stations} stations, seed {args.seed})"
    path = Path(args.instance)
    if path.suffix.lower() == ".json":
        text = read_text(path, what="file")
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"is not valid JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise InputError(str(path), "must hold a JSON object with the fields of EVInstance")
        try:
            return EVInstance(**fields), str(path)
        except TypeError as exc:
            raise InputError(str(path), f"{exc}") from None
    return read_orlib_gap(path, args.problem), str(path)


def _run(args) -> int:
    instance, label = _load(args)
    gap = instance.to_gap() if isinstance(instance, EVInstance) else instance
    result = solve(gap, method=args.method, time_limit=args.time_limit, max_iterations=args.max_iterations,
                   seed=args.seed, progress=bool(args.progress))
    table = result.to_frame("assignment")
    rows = table.to_dict(orient="records")
    payload = {"instance": label, "agents": gap.agents, "jobs": gap.jobs, "seconds": result.wall_time,
               **result.to_dict()}
    code = emit(payload, rows, args.format, args.output)
    if not result.feasible:
        note(f"evcore: {args.method} found no feasible assignment ({result.status}); exit code "
             f"{EXIT_NOTHING_FEASIBLE}")
        return EXIT_NOTHING_FEASIBLE
    return code


def demo(out_dir: Path) -> dict:
    """A 60-EV, 10-station city: the paper's HASP, evcore's best method and the HiGHS optimum."""
    from .analysis import plot_station_loads

    out_dir = Path(out_dir)
    instance = random_ev_instance(60, 10, seed=7)
    gap = instance.to_gap()
    results = {method: solve(gap, method=method, time_limit=2.0, seed=0) for method in ("hasp", "best", "exact")}
    rows = [{"method": m, "objective": r.objective, "feasible": r.feasible, "status": r.status,
             "seconds": round(r.wall_time, 3)} for m, r in results.items()]
    best = results["exact"]
    assignment_rows = results["exact"].to_frame("assignment").to_dict(orient="records")
    files = [write_csv(rows, out_dir / "methods.csv"),
             write_csv(assignment_rows, out_dir / "assignment.csv"),
             write_json({"instance": "random city, 60 EVs, 10 stations, seed 7",
                         "results": {m: r.to_dict() for m, r in results.items()}}, out_dir / "assignment.json")]
    files.append(plot_station_loads(gap, {m: r.assignment for m, r in results.items()}, out_dir / "station_loads.png",
                                    title=f"60 EVs to 10 stations (HiGHS optimum {best.objective:.2f})"))
    optimum = best.objective
    return {
        "headline": "60 EVs to 10 stations: " + ", ".join(
            f"{m} {r.objective:.2f}" for m, r in results.items()) + f" (HiGHS optimum {optimum:.2f})",
        "lines": [f"{m}: {'reaches the optimum' if abs(r.objective - optimum) <= 1e-6 * max(1, optimum) else 'gap ' + format((r.objective - optimum) / optimum, '.3%')} in {_seconds_to(r, optimum):.2f} s"
                  for m, r in results.items() if m != "exact"],
        "files": [str(f) for f in files],
    }


def _seconds_to(result, optimum: float) -> float:
    """Search time (the trace's clock, which starts after the kernels are compiled) at which ``result``
    first reached ``optimum``; its whole wall time when the trace does not show it."""
    trace = result.trace
    if trace is not None and len(trace) and "seconds" in trace.dtype.names:
        hit = abs(trace["objective"] - optimum) <= 1e-6 * max(1.0, abs(optimum))
        if hit.any():
            return float(trace["seconds"][hit.argmax()])
    return float(result.wall_time)
