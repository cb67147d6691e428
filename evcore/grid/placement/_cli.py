"""``evcore grid place`` and the placement part of the grid demo."""

from __future__ import annotations

import math
from pathlib import Path

from ..._output import emit, write_csv, write_json

__all__ = ["register_place", "demo_place", "DEMO_CANDIDATES_CSV"]

#: A small candidate table on evcore's embedded demo feeder (Grid-ECO columns; synthetic coordinates).
DEMO_CANDIDATES_CSV = """StationName,PoleID,CensusBlockID,Node,Phase,MinParkCapacity,CensusBlockDemand,MaxParkCapacity,LandCost,Lat,Long
north_lot,1001,block_a,n2,,2,6,12,30000,47.6101,-122.3321
lateral_3,1002,block_a,l3,,1,6,8,15000,47.6072,-122.3352
main_st,1003,block_b,n5,,2,4,16,40000,47.6055,-122.3290
service_lv,1004,block_b,lv,,1,4,10,20000,47.6040,-122.3312
depot,1005,block_c,n6,,2,3,14,25000,47.6021,-122.3260
"""


def register_place(sub, common, load_feeder, parse_taps) -> None:
    """Add ``place`` to the ``evcore grid`` subcommands."""
    pl = sub.add_parser("place", help="grid-aware charger placement solved to a certified optimum (seed 002)",
                        description="Where to build charging stations and how many chargers each: candidates from a "
                        "Grid-ECO CSV, the feeder's voltage and transformer limits, demand, budget and service radius; "
                        "evcore's certified method, the seed's (McCormick + bound tightening + spatial B&B) or SCIP. "
                        "Every answer is re-checked with evcore's power flow.")
    pl.add_argument("feeder", **common)
    pl.add_argument("candidates", help="candidate CSV (StationName, Node, MinParkCapacity, MaxParkCapacity, "
                                       "CensusBlockDemand, LandCost or InvestmentCost, Lat, Long)")
    pl.add_argument("--taps", default=None, help="fixed regulator taps, e.g. reg1=10,reg2=8 (OpenDSS feeders)")
    pl.add_argument("--method", choices=("exact", "paper", "scip"), default="exact")
    pl.add_argument("--budget", type=float, default=None, help="total budget, $ (default: none)")
    pl.add_argument("--demand", type=int, default=None, help="chargers needed (default: the census-block demands)")
    pl.add_argument("--service-radius-m", type=float, default=0.0, help="anti-clustering service radius, m")
    pl.add_argument("--rating-kw", type=float, default=7.2, help="charger rating, kW (default 7.2)")
    pl.add_argument("--power-factor", type=float, default=0.95, help="charger power factor (default 0.95)")
    pl.add_argument("--charger-cost", type=float, default=8600.0, help="cost per charger, $ (default 8600)")
    pl.add_argument("--vmin", type=float, default=0.95, help="lower voltage limit, pu (default 0.95)")
    pl.add_argument("--vmax", type=float, default=1.05, help="upper voltage limit, pu (default 1.05)")
    pl.add_argument("--no-transformer-limits", action="store_true", help="do not limit transformer currents")
    pl.add_argument("--time-limit", type=float, default=None, help="seconds")
    pl.add_argument("--gap", type=float, default=1e-4, help="relative optimality gap (default 1e-4)")
    pl.add_argument("--format", choices=("json", "csv"), default="json")
    pl.add_argument("--output", "-o", default=None)
    pl.add_argument("--plots", default=None, help="folder for the map, voltage and transformer-loading figures")
    pl.add_argument("--geojson", default=None, help="write candidates and chosen sites as GeoJSON")
    pl.add_argument("--progress", action="store_true")
    pl.set_defaults(handler=lambda args: run_place(args, load_feeder, parse_taps))


def _instance(args, load_feeder, parse_taps):
    from ._instance import PlacementInstance

    feeder = load_feeder(args.feeder, parse_taps(args.taps))
    return PlacementInstance.from_csv(
        feeder, args.candidates, budget=args.budget, demand=args.demand, service_radius_m=args.service_radius_m,
        rating_kw=args.rating_kw, power_factor=args.power_factor, charger_cost=args.charger_cost,
        vmin_pu=args.vmin, vmax_pu=args.vmax, monitor_transformers=not args.no_transformer_limits)


def _payload(result, instance):
    from .analysis import placement_rows

    rows = placement_rows(result)
    payload = result.summary()
    payload.update(feeder=instance.feeder.name, demand=instance.demand, budget=instance.budget,
                   service_radius_m=instance.service_radius_m, verified=result.verified,
                   violations=list(result.violations), binding_limits=list(result.binding_limits),
                   relaxed_limits=list(result.relaxed_limits), candidates=rows)
    return payload, rows


def _figures(result, instance, folder):
    from .analysis import plot_sites, plot_transformer_loading, plot_voltage_change

    folder = Path(folder)
    files = []
    if result.latitude_deg is not None:
        files.append(plot_sites(result, folder / "sites.png"))
    if all(math.isfinite(v) for v in result.voltage_pu):
        files.append(plot_voltage_change(result, instance.feeder, folder / "voltages.png", vmin_pu=instance.vmin_pu,
                                         vmax_pu=instance.vmax_pu))
    if len(result.transformer_loading):
        nv = instance.n_monitored_voltages
        files.append(plot_transformer_loading(result, folder / "transformer_loading.png",
                                              base_current_a=instance._derived["base_values"][nv:]))
    return [str(f) for f in files]


def run_place(args, load_feeder, parse_taps) -> int:
    from ._solve import place

    instance = _instance(args, load_feeder, parse_taps)
    result = place(instance, args.method, time_limit=args.time_limit, gap=args.gap, progress=args.progress)
    payload, rows = _payload(result, instance)
    if args.plots:
        payload["figures"] = _figures(result, instance, args.plots)
    if args.geojson and result.latitude_deg is not None:
        result.to_geojson(args.geojson)
        payload["geojson"] = str(args.geojson)
    return emit(payload, rows, args.format, args.output)


def demo_place(out_dir, feeder=None) -> dict:
    """The placement part of the grid demo: five candidates on evcore's embedded feeder, certified."""
    from ..model import Feeder
    from ._instance import PlacementInstance
    from ._solve import place

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "placement_candidates.csv"
    csv_path.write_text(DEMO_CANDIDATES_CSV)
    if feeder is None:
        feeder = Feeder.from_json(Path(__file__).resolve().parents[1] / "data" / "demo_feeder.json")
    instance = PlacementInstance.from_csv(feeder, csv_path, rating_kw=30.0, budget=600000.0, service_radius_m=150.0)
    result = place(instance)
    payload, rows = _payload(result, instance)
    files = [write_json(payload, out_dir / "placement.json"), write_csv(rows, out_dir / "placement.csv")]
    files += [Path(f) for f in _figures(result, instance, out_dir)]
    result.to_geojson(out_dir / "placement.geojson")
    files.append(out_dir / "placement.geojson")
    sites = ", ".join(f"{c} {int(n)}" for c, n in zip(result.candidate_ids, result.chargers) if n > 0)
    return {
        "lines": [f"placement (30 kW chargers, 5 candidates, budget $600k, demand {instance.demand}): "
                  f"{result.status}, gap {result.gap:.1e}, {result.n_stations} stations / {result.total_chargers} "
                  f"chargers ({sites}); {result.nodes} nodes, {result.wall_time:.2f} s; power-flow check "
                  f"{'passed' if result.verified else 'FAILED'}, lowest voltage {result.min_voltage_pu:.4f} pu"],
        "files": [str(f) for f in files],
    }
