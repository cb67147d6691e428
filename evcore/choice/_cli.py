"""``evcore choice`` and the choice part of ``evcore demo``."""

from __future__ import annotations

from pathlib import Path

from .._output import emit, note, write_csv, write_json
from ..errors import InputError
from .model import read_hm14
from .solve import AVAILABLE_METHODS, AVAILABLE_MODELS, perfect_information_bound, solve
from .synthetic import random_hm14, synthetic_city


def _int_tuple(text: str):
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError("--branching", f"must be integers separated by commas, got {text!r}") from None


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name, help="station location under logit choice and demand growth (seed 001)",
        description="Locate charging stations under multinomial-logit user choice, with a proven optimality gap. "
        "Either an HM14 maximum-capture file (--hm14 FILE --beta --alpha --stations) or a synthetic growing "
        "city. --write-hm14 FILE writes an HM14-format file of random points (HM14's own files come with "
        "Haase & Mueller, EJOR 2014).")
    parser.add_argument("--hm14", default=None, help="HM14 .data file (first instance block)")
    parser.add_argument("--write-hm14", default=None, metavar="FILE",
                        help="write an HM14-format file of random points (--customers, --candidates, --seed) and stop")
    parser.add_argument("--customers", type=int, default=200, help="--write-hm14: customers")
    parser.add_argument("--candidates", type=int, default=25, help="--write-hm14: candidate locations")
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--stations", type=int, default=None, help="exactly this many stations open")
    parser.add_argument("--users", type=int, default=60, help="synthetic city: user nodes")
    parser.add_argument("--sites", type=int, default=10, help="synthetic city: candidate sites")
    parser.add_argument("--types", type=int, default=3, help="synthetic city: station types (outlets 1..types)")
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--branching", type=_int_tuple, default=None, help="children per node per year, e.g. 2,2,2")
    parser.add_argument("--model", choices=AVAILABLE_MODELS, default="deterministic")
    parser.add_argument("--method", choices=AVAILABLE_METHODS, default="best")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds (best plan so far, with its gap)")
    parser.add_argument("--gap", type=float, default=1e-6, help="relative gap at which to stop (default 1e-6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None)
    parser.add_argument("--progress", action="store_true", help="progress lines on stderr")
    parser.set_defaults(handler=_run)


def _run(args) -> int:
    from ..io.hm14 import write

    if args.write_hm14:
        path = write(args.write_hm14, random_hm14(args.customers, args.candidates, seed=args.seed))
        note(f"wrote {path} ({args.customers} customers, {args.candidates} candidate locations, 1 competitor)")
        return 0
    if args.hm14:
        instance = read_hm14(args.hm14, args.beta, args.alpha)
    else:
        instance = synthetic_city(args.users, args.sites, args.types, args.years, branching=args.branching,
                                  seed=args.seed).instance
    result = solve(instance, args.method, stations=args.stations, model=args.model, time_limit=args.time_limit,
                   gap=args.gap, progress=args.progress)
    rows = result.plan_rows()
    payload = {"instance": instance.name, **result.summary(), "size": result.size, "plan": rows,
               "groups": result.group_rows()}
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A growing synthetic city: deterministic, two-stage and multi-stage plans, and their values."""
    from ..plotting import save_figure
    from .analysis import plans_by_scenario_figure

    out_dir = Path(out_dir)
    # One station a year (the budget binds), uncertain growth with a possible new sub-centre.
    city = synthetic_city(40, 8, 1, 3, branching=(2, 2), seed=3, subcentre=True, budget=150.0, growth_sd=0.2)
    instance = city.instance
    results = {model: solve(instance, model=model) for model in ("deterministic", "two-stage", "multi-stage")}
    perfect = perfect_information_bound(instance)
    rows = [{"model": m, "objective": r.objective, "bound": r.bound, "status": r.status, "method": r.method,
             "iterations": r.iterations, "seconds": round(r.wall_time, 3)} for m, r in results.items()]
    rows.append({"model": "perfect information (bound)", "objective": perfect})
    files = [write_csv(rows, out_dir / "models.csv"),
             write_json({m: {"objective": r.objective, "open_site_ids": r.open_site_ids, "plan": r.plan_rows()}
                         for m, r in results.items()}, out_dir / "plans.json")]
    figure = plans_by_scenario_figure(city, results["multi-stage"])
    files.append(save_figure(figure, out_dir / "plans_by_scenario.png"))
    ms, ts = results["multi-stage"].objective, results["two-stage"].objective
    return {
        "headline": f"growing city (40 users, 8 sites, 4 scenarios, one station a year): two-stage {ts:.1f}, "
                    f"multi-stage {ms:.1f} "
                    f"(value of adapting {100 * (ms - ts) / ts:.2f}%), perfect information {perfect:.1f}",
        "lines": [f"{m}: {r.status} ({r.method}, {r.certificate}), {r.iterations} iterations, {r.wall_time:.2f} s"
                  for m, r in results.items()],
        "files": [str(f) for f in files],
    }
