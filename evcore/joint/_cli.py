"""``evcore joint`` and the joint part of ``evcore demo``.

Every model parameter the command uses is a flag (and a config key) with a stated default; the
run's report (the JSON result, and a note on stderr) lists each parameter, where its value came
from (``flag``, ``config`` or ``default``) and which ones were assumed. With ``--trips`` the
data are the user's: the parameters the paper estimated for Chengdu (charging shares drawn
from Beta(10, 90), location costs decaying from Chengdu's centre) are not applied unless asked
for; ``--charging-share`` and ``--location-cost`` must then be given.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from .._output import emit, note, write_csv, write_json
from ..errors import InputError

#: Where the synthetic city's parameters come from (seed 000, §5.1).
CHENGDU_LOCATION_COST = "exp:30.6570,104.0817,1000,4"
PAPER_CHARGING_SHARE = "beta:10,90"

# name -> (kind, default, help). Kinds: "int", "float", "text", "ranges". A default of None is "not set".
DATA = {
    "trips": ("text", None, "your trip table (.csv, .csv.gz/.bz2/.xz or .parquet); without it: the synthetic "
                            "Chengdu-like city"),
    "centroids": ("text", None, "zone centroids CSV with columns zone_id (optional), lat, lon (needed with --trips)"),
    "zones": ("int", 201, "synthetic city: number of zones"),
    "seed": ("int", 0, "synthetic city: seed of its trips (seed) and of Beta charging shares (seed + 1)"),
    "slots": ("int", 672, "slots per week (672 = 15 minutes)"),
    "weeks": ("float", 1.0, "--trips: weeks the table spans (counts are divided by it)"),
    "detour_factor": ("float", 1.3, "--trips: road / straight distance for trips and pairs without distance_km"),
    "max_zone_distance_km": ("float", math.inf, "--trips: trip ends farther than this from every centroid are bad "
                                                "rows"),
    "on_bad": ("text", "report", "--trips: bad rows are 'report'ed (and left out) or 'raise' an error"),
}
MODEL = {
    "budget": ("float", 20e9, "investment budget B (currency)"),
    "range_km": ("float", 3.0, "assignment range R (km)"),
    "base_cost_per_kw": ("float", 500.0, "base investment cost pi0 (currency per kW)"),
    "power_per_ev_kw": ("float", 250.0, "charging power per EV beta (kW)"),
    "cost_per_ev_km": ("float", 0.2, "assignment cost per EV and km (currency)"),
    "recurrences": ("float", 520.0, "recurrences E_t of the week over the investment horizon"),
    "charging_share": ("text", PAPER_CHARGING_SHARE,
                       f"share alpha of the traffic needing a charge: 'beta:A,B' (drawn per zone and slot with seed "
                       f"+ 1) or a number in [0, 1]; default {PAPER_CHARGING_SHARE} for the synthetic city only"),
    "location_cost": ("text", CHENGDU_LOCATION_COST,
                      "location cost pi_i (currency per kW): 'exp:LAT,LON,PEAK,DECAY_KM' (PEAK at LAT,LON decaying "
                      "exponentially with distance), a number (every zone), or a CSV file zone_id,location_cost_per_kw;"
                      f" default {CHENGDU_LOCATION_COST} (Chengdu's centre) for the synthetic city only"),
}
SOLVE = {
    "method": ("text", "admm", "highs, admm or paper-admm"),
    "time_limit": ("float", None, "seconds"),
    "max_iterations": ("int", None, "iteration limit (admm, paper-admm)"),
    "threads": ("int", None, "threads (HiGHS or Numba)"),
    "gap": ("float", None, "admm: target certified relative gap (default 1e-3)"),
    "backend": ("text", None, "admm: local or ray"),
    "blocks": ("int", None, "admm on Ray: location blocks (actors)"),
    "ray_address": ("text", None, "admm on Ray: cluster address (e.g. ray://head:10001)"),
    "solver": ("text", None, "highs: HiGHS algorithm (choose, simplex, ipm, pdlp)"),
    "rho": ("float", None, "paper-admm: penalty rho (default 0.1)"),
    "threshold": ("float", None, "paper-admm: residual threshold in kW (default 1e-4)"),
}
OUTPUT = {
    "sweep": ("ranges", None, "Table 1: solve for each range R (km), e.g. 0,1,3,5,7,9,11"),
    "figures": ("text", None, "folder for the figures (capacity, flows, residuals)"),
    "geojson": ("text", None, "write the plan's zones (capacity, load) as GeoJSON points to this file"),
}
SETTINGS = {**DATA, **MODEL, **SOLVE, **OUTPUT}
#: Keys a config file (JSON) may set; flags given on the command line win.
CONFIG_KEYS = tuple(SETTINGS)
#: Options that belong to one method only.
_METHOD_OF = {"gap": "admm", "backend": "admm", "blocks": "admm", "ray_address": "admm", "solver": "highs",
              "rho": "paper-admm", "threshold": "paper-admm"}
_TRIPS_ONLY = ("weeks", "detour_factor", "max_zone_distance_km", "on_bad", "centroids")
_SYNTHETIC_ONLY = ("zones",)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name, help="capacity investment + spatio-temporal EV assignment (seed 000)",
        description="Joint charging-capacity investment and EV assignment over a week of time slots: centrally "
        "with HiGHS, with evcore's convergent splitting (certified gap) or the paper's ADMM. Data: your trip table "
        "(--trips with --centroids) or the synthetic Chengdu-like city. Every parameter below is reported with "
        "where its value came from; start from `evcore joint --write-config joint.json`.")
    parser.error = lambda message: _argparse_error(name, message)
    parse_known = parser.parse_known_args

    def parse_known_args(args=None, namespace=None):  # refuse stray arguments here: one line, exit 2
        namespace, extras = parse_known(args, namespace)
        if extras:
            _argparse_error(name, f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    parser.parse_known_args = parse_known_args
    parser.add_argument("--config", default=None, help="JSON file setting any of the options below (by name, "
                                                       "with _ for -); flags win")
    parser.add_argument("--write-config", default=None, metavar="FILE",
                        help="write a config file with every option and its default, then stop")
    parser.add_argument("--write-sample-trips", default=None, metavar="FOLDER",
                        help="write a sample trips.csv and zones.csv (synthetic) to try --trips with, then stop")
    for title, table in (("data", DATA), ("model parameters", MODEL), ("solving", SOLVE), ("output", OUTPUT)):
        group = parser.add_argument_group(title)
        for key, (kind, default, text) in table.items():
            shown = "" if default is None else f" (default: {default:g})" if isinstance(default, float) else \
                f" (default: {default})"
            group.add_argument(_flag(key), dest=key, default=None, metavar=kind.upper() if kind != "text" else None,
                               help=text + shown)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--output", "-o", default=None, help="write the result here instead of stdout")
    parser.add_argument("--progress", action="store_true", help="progress lines on stderr")
    parser.set_defaults(handler=_run)


def _argparse_error(command: str, message: str):
    print(f"evcore {command}: error: {message} (see evcore {command} --help)", file=sys.stderr, flush=True)
    raise SystemExit(2)


# --- settings ---------------------------------------------------------------------------------------------

def _value(key: str, raw, origin: str):
    """A setting from a flag (text) or a config (JSON value), checked for its kind."""
    kind = SETTINGS[key][0]
    where = f"{_flag(key)}" if origin == "flag" else f"config key {key!r}"
    if raw is None:
        return None
    if kind == "ranges":
        parts = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(parts, (list, tuple)) or not parts:
            raise InputError(key, f"{where}: expected ranges in km like 0,1,3, got {raw!r}")
        return tuple(_number(key, part, float, where) for part in parts)
    if kind == "text":
        if not isinstance(raw, str) or not raw.strip():
            raise InputError(key, f"{where}: expected text, got {raw!r}")
        return raw.strip()
    return _number(key, raw, int if kind == "int" else float, where)


def _number(key, raw, kind, where):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InputError(key, f"{where}: expected a number, got {raw!r}")
    if isinstance(raw, str):
        try:
            raw = int(raw) if kind is int else float(raw)
        except ValueError:
            raise InputError(key, f"{where}: expected {'an integer' if kind is int else 'a number'}, got "
                                  f"{raw!r}") from None
    if kind is int:
        if isinstance(raw, float) and not raw.is_integer():
            raise InputError(key, f"{where}: expected an integer, got {raw!r}")
        return int(raw)
    if raw != raw:
        raise InputError(key, f"{where}: expected a number, got nan")
    return float(raw)


def _settings(args) -> tuple:
    """(values, sources): every setting's value and where it came from (flag, config, default)."""
    values = {key: spec[1] for key, spec in SETTINGS.items()}
    sources = {key: "default" for key in SETTINGS}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise InputError("config", f"no such file: {path} (write one with `evcore joint --write-config {path}`)")
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError("config", f"{path} is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise InputError("config", f"{path} is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise InputError("config", f"{path} must hold a JSON object of settings, got {type(loaded).__name__}")
        loaded = {key: value for key, value in loaded.items() if not str(key).startswith("_")}  # comments
        unknown = sorted(set(loaded) - set(CONFIG_KEYS))
        if unknown:
            raise InputError("config", f"unknown keys {unknown}; allowed: {list(CONFIG_KEYS)}")
        for key, raw in loaded.items():
            if raw is not None:
                values[key], sources[key] = _value(key, raw, "config"), "config"
    for key in SETTINGS:
        raw = getattr(args, key, None)
        if raw is not None:
            values[key], sources[key] = _value(key, raw, "flag"), "flag"
    return values, sources


def _check_combination(values, sources) -> list:
    """Refuse flags that do not apply; returns the config keys that do not apply (ignored, and reported)."""
    user_data = values["trips"] is not None
    unused = []
    for key, source in sources.items():
        if source == "default":
            continue
        method = _METHOD_OF.get(key)
        if (not user_data and key in _TRIPS_ONLY) or (user_data and key in _SYNTHETIC_ONLY) or (
                method is not None and values["method"] != method):
            if source == "config":
                unused.append(key)
                continue
        if not user_data and key in _TRIPS_ONLY:
            raise InputError(key, f"{_flag(key)} applies to your trip data (--trips) only")
        if user_data and key in _SYNTHETIC_ONLY:
            raise InputError(key, f"{_flag(key)} is for the synthetic city; with --trips the zones are the centroids")
        if method is not None and values["method"] != method:
            raise InputError(key, f"{_flag(key)} applies to --method {method} only (the method is "
                                  f"{values['method']})")
    if user_data:
        if values["centroids"] is None:
            raise InputError("centroids", "needed with --trips: a CSV with columns zone_id (optional), lat, lon")
        for key, example in (("charging_share", PAPER_CHARGING_SHARE), ("location_cost", CHENGDU_LOCATION_COST)):
            if sources[key] == "default":
                choices = "a number or a zone_id,location_cost_per_kw CSV" if key == "location_cost" else "a number"
                raise InputError(key, f"--trips uses your data, so evcore does not assume the paper's Chengdu "
                                      f"{key.replace('_', ' ')}s for it: give {_flag(key)} ({example} as the paper "
                                      f"did for Chengdu, or {choices})")
    if values["on_bad"] not in ("report", "raise"):
        raise InputError("on_bad", f"must be 'report' or 'raise', got {values['on_bad']!r}")
    for key in unused:
        values[key] = SETTINGS[key][1]
        sources[key] = "default"
    if unused:
        note("evcore joint: config settings that do not apply to this run (ignored): " + ", ".join(unused))
    return unused


# --- the instance ------------------------------------------------------------------------------------------

def _charging_share(spec: str, zones: int, slots: int, seed: int):
    from .synthetic import sample_charging_share

    if spec.lower().startswith("beta:"):
        parts = spec[5:].split(",")
        if len(parts) != 2:
            raise InputError("charging_share", f"expected beta:A,B, got {spec!r}")
        a, b = (_number("charging_share", part, float, "--charging-share") for part in parts)
        return sample_charging_share(zones, slots, seed + 1, a, b), f"Beta({a:g}, {b:g}) drawn with seed {seed + 1}"
    share = _number("charging_share", spec, float, "--charging-share")
    if not 0.0 <= share <= 1.0:
        raise InputError("charging_share", f"a constant share must lie in [0, 1], got {share!r}")
    return np.full((zones, slots), share), f"{share:g} everywhere"


def _location_cost(spec: str, zone_ids, centroids):
    from ..io.trips import read_zone_values
    from .synthetic import location_cost_by_distance

    if spec.lower().startswith("exp:"):
        parts = spec[4:].split(",")
        if len(parts) != 4:
            raise InputError("location_cost", f"expected exp:LAT,LON,PEAK,DECAY_KM, got {spec!r}")
        lat, lon, peak, decay = (_number("location_cost", part, float, "--location-cost") for part in parts)
        if centroids is None:
            raise InputError("location_cost", "exp:... needs zone coordinates (--centroids)")
        return (location_cost_by_distance(centroids, centre=(lat, lon), peak_cost_per_kw=peak, decay_km=decay),
                f"{peak:g} per kW at ({lat:g}, {lon:g}) decaying over {decay:g} km")
    try:
        value = float(spec)
    except ValueError:
        values = read_zone_values(spec, "location_cost_per_kw")
        missing = [z for z in zone_ids if z not in values]
        if missing:
            raise InputError("location_cost", f"{spec}: no location_cost_per_kw for zone(s) {missing[:5]}")
        extra = sorted((str(z) for z in values if z not in set(zone_ids)))
        if extra:
            raise InputError("location_cost", f"{spec}: zone(s) {extra[:5]} are not among the zones")
        return np.array([values[z] for z in zone_ids]), f"from {spec}"
    if not math.isfinite(value):
        raise InputError("location_cost", f"must be finite, got {spec!r}")
    return np.full(len(zone_ids), value), f"{value:g} per kW everywhere"


def _instance(values):
    """(instance, data description, derived parameter descriptions)."""
    import warnings

    from .model import JointInstance
    from .synthetic import synthetic_city
    from .trips import read_centroids, read_trips, trips_to_model_data

    slots = values["slots"]
    if slots < 1 or (7 * 1440) % slots:
        raise InputError("slots", f"must divide the 10080 minutes of a week, got {slots}")
    if values["trips"] is not None:
        centroids = read_centroids(values["centroids"])
        table = read_trips(values["trips"])
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            data = trips_to_model_data(table, centroids, slot_minutes=7 * 1440 // slots, weeks=values["weeks"],
                                       detour_factor=values["detour_factor"],
                                       max_zone_distance_km=values["max_zone_distance_km"], on_bad=values["on_bad"])
        if data.report.bad:
            note(f"evcore joint: trip table: {data.report.summary()}")
        zone_ids, coordinates = data.zone_ids, data.zone_centroids
        described = dict(source="trips", trips=str(values["trips"]), centroids=str(values["centroids"]),
                         rows=data.report.rows, used=data.report.used, bad=data.report.bad,
                         bad_reasons=data.report.reasons, observed_pairs=data.report.observed_pairs)
        flow, distance = data.traffic_flow, data.distance_km
    else:
        city = synthetic_city(values["zones"], slots, values["seed"], range_km=values["range_km"],
                              budget=values["budget"], return_city=True)
        data = city.data
        zone_ids, coordinates = city.instance.zone_ids, city.zone_centroids
        described = dict(source="synthetic Chengdu-like city (evcore.joint.synthetic_city)", zones=values["zones"],
                         seed=values["seed"], trips=data.report.rows)
        flow, distance = data.traffic_flow, data.distance_km
    zones = flow.shape[0]
    share, share_text = _charging_share(values["charging_share"], zones, slots, values["seed"])
    cost, cost_text = _location_cost(values["location_cost"], zone_ids, coordinates)
    instance = JointInstance(flow, share, distance, cost, values["budget"], base_cost_per_kw=values["base_cost_per_kw"],
                             power_per_ev_kw=values["power_per_ev_kw"], cost_per_ev_km=values["cost_per_ev_km"],
                             range_km=values["range_km"], recurrences=values["recurrences"], zone_ids=zone_ids,
                             zone_centroids=coordinates)
    return instance, described, dict(charging_share=share_text, location_cost=cost_text)


def _solve_options(values) -> dict:
    options = dict(time_limit=values["time_limit"], max_iterations=values["max_iterations"])
    if values["method"] == "highs":
        options.pop("max_iterations")
    for key in ("threads", *_METHOD_OF):
        if values[key] is not None:
            options[key] = values[key]
    return options


def _check_writable(path, what) -> None:
    """Refuse an output path before the (long) solve rather than after."""
    if path is None:
        return
    target = Path(path)
    parent = target.parent if what != "figures" else target
    if what == "output" and not parent.is_dir():
        raise InputError(what, f"cannot write to {path}: no folder {parent}")
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise InputError(what, f"cannot write to {path}: {existing} is not a writable folder")
    if what != "figures" and target.is_dir():
        raise InputError(what, f"{path} is a folder, expected a file name")


def _report(values, sources, derived) -> dict:
    parameters = {key: values[key] for key in (*DATA, *MODEL) if values[key] is not None or sources[key] != "default"}
    parameters = {k: v for k, v in parameters.items() if not (values["trips"] is not None and k in _SYNTHETIC_ONLY)
                  and not (values["trips"] is None and k in _TRIPS_ONLY)}
    relevant = (*MODEL, "slots") + (("weeks", "detour_factor", "max_zone_distance_km") if values["trips"] else ())
    assumed = [key for key in relevant if sources[key] == "default"]
    if assumed:
        note("evcore joint: parameters not given, at their defaults: " + ", ".join(
            f"{key}={_show(values[key])} ({_flag(key)})" for key in assumed))
    return dict(parameters=parameters, parameter_sources={k: sources[k] for k in parameters},
                assumed_defaults=assumed, derived=derived)


def _show(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _write_config(path) -> int:
    _check_writable(path, "write_config")
    config = {"_about": "evcore joint settings (keys starting with _ are comments). null: not set, i.e. the method's "
                        "own default, or for charging_share and location_cost the paper's Chengdu values, which "
                        "apply to the synthetic city only: with trips of your own, set them.",
              **{key: spec[1] for key, spec in SETTINGS.items()}}
    config["max_zone_distance_km"] = None  # inf (no limit) has no JSON form
    config["charging_share"] = config["location_cost"] = None
    Path(path).write_text(json.dumps(config, indent=2) + "\n")
    note(f"evcore joint: wrote {path} (every option with its default; null: the method's own default). Edit it, "
         f"then run `evcore joint --config {path}`")
    return 0


def _run(args) -> int:
    from .analysis import plot_capacity, plot_flows, plot_residuals, range_sweep
    from .solve import solve

    if args.write_config:
        return _write_config(args.write_config)
    if args.write_sample_trips:
        from .synthetic import write_sample_trips

        _check_writable(args.write_sample_trips, "figures")  # a folder
        trips, zones = write_sample_trips(args.write_sample_trips)
        note(f"evcore joint: wrote {trips} and {zones}; try `evcore joint --trips {trips} --centroids {zones} "
             "--charging-share 0.1 --location-cost 300 --slots 168`")
        return 0
    values, sources = _settings(args)
    unused = _check_combination(values, sources)
    for key in ("figures", "geojson"):
        _check_writable(values[key], key)
    _check_writable(args.output, "output")
    instance, data, derived = _instance(values)
    report = dict(_report(values, sources, derived), ignored_config_settings=unused)
    options = _solve_options(values)
    head = dict(data=data, zones=instance.zones, slots=instance.slots, arcs=instance.pairs.count, **report)
    if values["sweep"]:
        rows, results = range_sweep(instance, values["sweep"], method=values["method"], progress=args.progress,
                                    **options)
        payload = dict(head, method=values["method"], table1=rows)
        if values["figures"] and 0.0 in results and len(results) > 1:
            joint = results[max(results)]
            payload["figures"] = [str(plot_capacity(instance.with_range(max(results)), results[0.0], joint,
                                                    Path(values["figures"]) / "capacity_base_vs_joint.png"))]
        return emit(payload, rows, args.format, args.output)
    result = solve(instance, values["method"], progress=args.progress, **options)
    zones = result.to_frame("zones")
    rows = zones.to_dict("records")
    payload = dict(head, **result.summary(), capacity_kw={str(z): c for z, c in zip(result.zone_ids,
                                                                                      result.capacity_kw)},
                   plan=rows)
    if values["geojson"]:
        from ..io.geojson import write

        payload["geojson"] = str(write(result.to_geojson(), values["geojson"]))
    if values["figures"]:
        out = Path(values["figures"])
        base = solve(instance.with_range(0.0), "highs")
        payload["figures"] = [str(plot_capacity(instance, base, result, out / "capacity_base_vs_joint.png")),
                              str(plot_flows(instance, result, out / "flows_by_period.png"))]
        if result.method != "highs":
            paper = result if result.method == "paper-admm" else solve(instance, "paper-admm")
            payload["figures"].append(str(plot_residuals(paper, out / "residuals.png",
                                                         result if result.method == "admm" else None)))
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """A small synthetic city (30 zones, hourly slots): the three solvers, Table 1 and the figures."""
    from ..io.geojson import write as write_geojson
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
    solvers = [dict(method=r.method, status=r.status, total_cost=r.objective, lower_bound=r.bound,
                    certified_gap=r.gap, gap_to_highs=(r.objective - central.objective) / central.objective,
                    iterations=r.iterations, seconds=round(r.wall_time, 3)) for r in (central, ours, paper)]
    files = [write_csv(rows, out_dir / "table1_range_sweep.csv"), write_csv(solvers, out_dir / "solvers.csv"),
             write_csv(ours.to_frame("zones").to_dict("records"), out_dir / "plan_zones.csv"),
             write_json(dict(ours.summary(), trips=city.data.report.summary(),
                             capacity_kw={z: c for z, c in zip(ours.zone_ids, ours.capacity_kw)}),
                        out_dir / "plan.json"),
             write_geojson(ours.to_geojson(), out_dir / "plan_zones.geojson"),
             plot_capacity(instance, results[0.0], ours, out_dir / "capacity_base_vs_joint.png"),
             plot_flows(instance, ours, out_dir / "flows_by_period.png"),
             plot_residuals(paper, out_dir / "residuals.png", ours)]
    base, joint = results[0.0].objective, results[3.0].objective
    pairs = {row["range_km"]: row["zone_pairs_within_range"] for row in rows}
    gap_text = "none" if ours.gap is None else f"{100 * ours.gap:.3f}%"
    return {
        "headline": f"synthetic city (30 zones, 168 slots, {int(city.data.report.rows)} trips): joint plan at R = 3 km "
                    f"costs {100 * (base - joint) / base:.1f}% less than the base; splitting within "
                    f"{gap_text} certified of HiGHS",
        "lines": [f"{s['method']}: {s['status']}, total {s['total_cost']:.6g}, certified gap "
                  f"{'none' if s['certified_gap'] is None else format(s['certified_gap'], '.2e')}, "
                  f"gap to HiGHS {s['gap_to_highs']:.2e}, {s['seconds']} s" for s in solvers]
        + [f"R = {r['range_km']:g} km ({pairs[r['range_km']]} zone pairs within R): total {r['total_cost']:.6g}" + (
            "" if r["reduction_pct"] is None else f" ({_less(r['reduction_pct'])})") for r in rows],
        "files": [str(f) for f in files],
    }


def _less(percent: float) -> str:
    """``"4.19% less"``; a change below the solver's tolerance (e.g. -2e-7 %) reads as no change."""
    if abs(percent) < 0.005:
        return "no change"
    return f"{percent:.2f}% less" if percent > 0 else f"{-percent:.2f}% more"
