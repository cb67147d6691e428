"""``evcore choice`` and the choice part of ``evcore demo``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._output import emit, write_csv, write_json
from .model import read_hm14
from .solve import AVAILABLE_METHODS, AVAILABLE_MODELS, perfect_information_bound, solve
from .synthetic import synthetic_city


def _int_tuple(text: str):
    return tuple(int(part) for part in text.split(",") if part.strip())


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name, help="station location under logit choice and demand growth (seed 001)",
        description="Locate charging stations under multinomial-logit user choice, exactly on HiGHS. Either an "
        "HM14 maximum-capture file (--hm14 FILE --beta --alpha --stations) or a synthetic growing city.")
    parser.add_argument("--hm14", default=None, help="HM14 .data file (first instance block)")
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
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None)
    parser.add_argument("--progress", action="store_true")
    parser.set_defaults(handler=_run)


def _run(args) -> int:
    if args.hm14:
        instance = read_hm14(args.hm14, args.beta, args.alpha)
    else:
        instance = synthetic_city(args.users, args.sites, args.types, args.years, branching=args.branching,
                                  seed=args.seed).instance
    result = solve(instance, stations=args.stations, model=args.model, method=args.method,
                   time_limit=args.time_limit, progress=args.progress)
    rows = [{"group": g, "site": int(j), "type": int(k)} for g in range(result.plan.shape[2])
            for j, k in zip(*np.nonzero(result.plan[:, :, g]))]
    payload = {"instance": instance.name, "model": args.model, "method": result.method, "status": result.status,
               "objective": result.objective, "bound": result.bound, "gap": result.gap,
               "open_sites": result.open_sites, "rounds": result.rounds, "cuts": result.cuts, "size": result.size,
               "seconds": result.wall_time, "plan": rows}
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A growing synthetic city: deterministic, two-stage and multi-stage plans, and their values."""
    from ..plotting import new_figure, save_figure

    out_dir = Path(out_dir)
    # One station a year (the budget binds), uncertain growth with a possible new sub-centre.
    city = synthetic_city(40, 8, 1, 3, branching=(2, 2), seed=3, subcentre=True, budget=150.0, growth_sd=0.2)
    instance = city.instance
    results = {model: solve(instance, model=model) for model in ("deterministic", "two-stage", "multi-stage")}
    perfect = perfect_information_bound(instance)
    rows = [{"model": m, "objective": r.objective, "bound": r.bound, "status": r.status, "rounds": r.rounds,
             "cuts": r.cuts, "seconds": round(r.wall_time, 3)} for m, r in results.items()]
    rows.append({"model": "perfect information (bound)", "objective": perfect})
    files = [write_csv(rows, out_dir / "models.csv"),
             write_json({m: {"objective": r.objective, "open_sites": r.open_sites, "plan": r.plan}
                         for m, r in results.items()}, out_dir / "plans.json")]
    tree = instance.tree
    fig, axes = new_figure(10.0, 4.0)
    fig.delaxes(axes)
    scenarios = [0, len(tree.scenarios) - 1]  # no sub-centre vs sub-centre in every branch
    multi = results["multi-stage"]
    for panel, scenario in enumerate(scenarios):
        ax = fig.add_subplot(1, 2, panel + 1)
        demand = tree.demand[tree.paths[scenario, -1]]
        ax.scatter(city.user_xy[:, 0], city.user_xy[:, 1], s=demand / demand.max() * 60, color="0.6",
                   label="user nodes (size = final demand)")
        for year, node in enumerate(tree.paths[scenario]):
            built = multi.plan[:, :, node].any(axis=1)
            ax.scatter(city.site_xy[built, 0], city.site_xy[built, 1], s=160 - 40 * year, marker="s",
                       facecolors="none", edgecolors=f"C{year}", linewidths=2, label=f"open in year {year + 1}")
        ax.scatter(city.site_xy[:, 0], city.site_xy[:, 1], s=12, marker="x", color="black", label="candidate sites")
        ax.set_title("no sub-centre" if panel == 0 else "new sub-centre (north-east)")
        ax.set_aspect("equal")
        if panel == 0:
            ax.legend(fontsize=7, loc="lower left")
    fig.suptitle("Multi-stage plan along two scenarios")
    files.append(save_figure(fig, out_dir / "plans_by_scenario.png"))
    ms, ts = results["multi-stage"].objective, results["two-stage"].objective
    return {
        "headline": f"growing city (40 users, 8 sites, 4 scenarios, one station a year): two-stage {ts:.1f}, "
                    f"multi-stage {ms:.1f} "
                    f"(value of adapting {100 * (ms - ts) / ts:.2f}%), perfect information {perfect:.1f}",
        "lines": [f"{m}: {r.status}, {r.rounds} rounds, {r.cuts} cuts, {r.wall_time:.2f} s" for m, r in results.items()],
        "files": [str(f) for f in files],
    }
