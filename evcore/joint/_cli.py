"""``evcore joint`` and the joint part of ``evcore demo``."""

from __future__ import annotations

import json
from pathlib import Path

from .._output import emit, write_csv, write_json
from ..errors import InputError

#: Options a config file (JSON) may set; flags given on the command line win.
CONFIG_KEYS = ("zones", "slots", "seed", "range_km", "budget", "method", "gap", "time_limit", "backend", "solver",
               "sweep", "figures", "trips", "centroids", "max_iterations", "blocks", "ray_address")


def _ranges(text: str):
    return tuple(float(part) for part in str(text).split(",") if part.strip())


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name, help="capacity investment + spatio-temporal EV assignment (seed 000)",
        description="Joint charging-capacity investment and EV assignment over a week of 15-minute slots: "
        "centrally with HiGHS, with evcore's convergent splitting (certified gap) or the paper's ADMM. Data: a "
        "trip table (--trips CSV/Parquet with --centroids CSV of lat,lon) or the synthetic Chengdu-like city.")
    parser.add_argument("--config", default=None, help="JSON file with any of: " + ", ".join(CONFIG_KEYS))
    parser.add_argument("--trips", default=None, help="trip table (.csv or .parquet)")
    parser.add_argument("--centroids", default=None, help="zone centroids CSV with columns lat,lon")
    parser.add_argument("--zones", type=int, default=None, help="synthetic city: zones (default 201)")
    parser.add_argument("--slots", type=int, default=None, help="slots per week (default 672 = 15 minutes)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--range-km", type=float, default=None, help="assignment range R (default 3)")
    parser.add_argument("--budget", type=float, default=None, help="budget B (default 2e10)")
    parser.add_argument("--method", choices=("highs", "admm", "paper-admm"), default=None)
    parser.add_argument("--solver", default=None, help="HiGHS algorithm for --method highs")
    parser.add_argument("--gap", type=float, default=None)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument("--backend", choices=("local", "ray"), default=None)
    parser.add_argument("--blocks", type=int, default=None, help="Ray: location blocks (actors)")
    parser.add_argument("--ray-address", default=None, help="Ray: cluster address (e.g. ray://head:10001)")
    parser.add_argument("--sweep", type=_ranges, default=None, help="Table 1 sweep over ranges, e.g. 0,1,3,5,7,9,11")
    parser.add_argument("--figures", default=None, help="folder for the figures (capacity, flows, residuals)")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None)
    parser.add_argument("--progress", action="store_true")
    parser.set_defaults(handler=_run)


def _settings(args) -> dict:
    settings = dict(zones=201, slots=672, seed=0, range_km=3.0, budget=20e9, method="admm", gap=1e-3,
                    time_limit=None, backend="local", solver="choose", sweep=None, figures=None, trips=None,
                    centroids=None, max_iterations=None, blocks=2, ray_address=None)
    if args.config:
        path = Path(args.config)
        if not path.exists():
            raise InputError("config", f"no such file: {path}")
        try:
            loaded = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError("config", f"not valid JSON: {exc}") from None
        unknown = sorted(set(loaded) - set(CONFIG_KEYS))
        if unknown:
            raise InputError("config", f"unknown keys {unknown}; allowed: {list(CONFIG_KEYS)}")
        settings.update(loaded)
        if isinstance(settings["sweep"], str):
            settings["sweep"] = _ranges(settings["sweep"])
    for key in CONFIG_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    return settings


def _instance(settings):
    from .synthetic import location_cost_by_distance, sample_charging_share, synthetic_city
    from .model import JointInstance
    from .trips import read_trips, trips_to_model_data

    if settings["trips"]:
        if not settings["centroids"]:
            raise InputError("centroids", "needed with --trips (CSV with columns lat,lon)")
        import pandas as pd

        centroids = pd.read_csv(settings["centroids"])[["lat", "lon"]].to_numpy(float)
        data = trips_to_model_data(read_trips(settings["trips"]), centroids,
                                   slot_minutes=7 * 1440 // int(settings["slots"]))
        zones, slots = data.traffic_flow.shape
        instance = JointInstance(data.traffic_flow, sample_charging_share(zones, slots, settings["seed"]),
                                 data.distance_km, location_cost_by_distance(centroids), settings["budget"],
                                 range_km=settings["range_km"])
        return instance, centroids
    city = synthetic_city(settings["zones"], settings["slots"], settings["seed"], range_km=settings["range_km"],
                          budget=settings["budget"], return_city=True)
    return city.instance, city.zone_centroids


def _solve_options(settings):
    options = dict(gap=settings["gap"], time_limit=settings["time_limit"], max_iterations=settings["max_iterations"])
    if settings["method"] == "highs":
        options["solver"] = settings["solver"]
        options.pop("max_iterations")
    if settings["backend"] == "ray":
        options.update(backend="ray", blocks=settings["blocks"], ray_address=settings["ray_address"])
    return options


def _run(args) -> int:
    from .analysis import plot_capacity, plot_flows, plot_residuals, range_sweep
    from .solve import solve

    settings = _settings(args)
    instance, centroids = _instance(settings)
    options = _solve_options(settings)
    if settings["sweep"]:
        rows, results = range_sweep(instance, settings["sweep"], method=settings["method"], progress=args.progress,
                                    **options)
        payload = dict(method=settings["method"], zones=instance.zones, slots=instance.slots, table1=rows)
        if settings["figures"] and 0.0 in results and len(results) > 1:
            joint = results[max(results)]
            plot_capacity(instance.with_range(max(results)), results[0.0], joint,
                          Path(settings["figures"]) / "capacity_base_vs_joint.png", centroids)
        return emit(payload, rows, args.format, args.output)
    result = solve(instance, settings["method"], progress=args.progress, **options)
    rows = [dict(zone=i, capacity_kw=float(c), peak_utilisation=float(result.utilisation[i].max()))
            for i, c in enumerate(result.capacity_kw)]
    payload = dict(zones=instance.zones, slots=instance.slots, pairs=instance.pairs.count, **result.summary(),
                   capacity_kw=result.capacity_kw)
    if settings["figures"]:
        out = Path(settings["figures"])
        base = solve(instance.with_range(0.0), "highs")
        payload["figures"] = [str(plot_capacity(instance, base, result, out / "capacity_base_vs_joint.png", centroids)),
                              str(plot_flows(instance, result, out / "flows_by_period.png", centroids))]
        if result.method != "highs":
            from .paper_admm import solve_paper_admm

            paper = result if result.method == "paper-admm" else solve_paper_admm(instance)
            payload["figures"].append(str(plot_residuals(paper, out / "residuals.png",
                                                         result if result.method == "admm" else None)))
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A small synthetic city (30 zones, hourly slots): the three solvers, Table 1 and the figures."""
    from .analysis import PAPER_RANGES_KM, plot_capacity, plot_flows, plot_residuals, range_sweep
    from .solve import solve
    from .synthetic import synthetic_city

    out_dir = Path(out_dir)
    city = synthetic_city(zones=30, slots=168, seed=0, return_city=True)
    instance = city.instance
    central = solve(instance, "highs")
    ours = solve(instance, "admm", gap=1e-3)
    paper = solve(instance, "paper-admm")
    rows, results = range_sweep(instance, PAPER_RANGES_KM, method="highs")
    solvers = [dict(method=r.method, status=r.status, total_cost=r.total_cost, lower_bound=r.lower_bound,
                    certified_gap=r.gap, gap_to_highs=(r.total_cost - central.total_cost) / central.total_cost,
                    iterations=r.iterations, seconds=round(r.wall_time, 3)) for r in (central, ours, paper)]
    files = [write_csv(rows, out_dir / "table1_range_sweep.csv"), write_csv(solvers, out_dir / "solvers.csv"),
             write_json(dict(capacity_kw=ours.capacity_kw, report=city.data.report.summary()), out_dir / "plan.json"),
             plot_capacity(instance, results[0.0], ours, out_dir / "capacity_base_vs_joint.png", city.zone_centroids),
             plot_flows(instance, ours, out_dir / "flows_by_period.png", city.zone_centroids),
             plot_residuals(paper, out_dir / "residuals.png", ours)]
    base, joint = results[0.0].total_cost, results[3.0].total_cost
    return {
        "headline": f"synthetic city (30 zones, 168 slots, {int(city.data.report.rows)} trips): joint plan at R = 3 km "
                    f"costs {100 * (base - joint) / base:.1f}% less than the base; splitting within "
                    f"{100 * ours.gap:.3f}% certified of HiGHS",
        "lines": [f"{s['method']}: {s['status']}, total {s['total_cost']:.6g}, certified gap {s['certified_gap']:.2e}, "
                  f"gap to HiGHS {s['gap_to_highs']:.2e}, {s['seconds']} s" for s in solvers]
        + [f"R = {r['range_km']:g} km: total {r['total_cost']:.6g}" + (
            "" if r["reduction_pct"] is None else f" ({r['reduction_pct']:.2f}% less)") for r in rows],
        "files": [str(f) for f in files],
    }
