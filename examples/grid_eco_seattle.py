"""Grid-aware charger placement on the two Seattle cases of seed 002 (Grid-ECO, §V), certified optimal.

    python examples/grid_eco_seattle.py [--data ../shared/data/grid-eco] [--out DIR] [--cases downtown residential]
                                        [--radii 0,25,50,...] [--time-limit 600] [--no-transformer-limits]

For each case: the feeder from its GridLAB-D file (regulator taps as GridLAB-D settles them: downtown 6/6/6,
residential 6/6/6 and 7/2/7), the candidate CSV as published (CensusBlockDemand as the demand: downtown 71,
residential 149; land cost as given), 7.2 kW chargers at power factor 0.95, $8,600 per charger, budget $2.5M
(downtown) and $2M (residential), voltage limits 0.95-1.05 pu on every node and, unless
``--no-transformer-limits``, every transformer's current at most its rating. The seed's service radius is
not legible in our copy: the script sweeps it and reports which radii give the seed's station and charger
counts (downtown 9 stations / 157 chargers, residential 3 / 160). For the radius reproducing the seed (or the
first radius) it writes the map of candidates and chosen sites, the voltage profile before and after and the
transformer loading, and every run's table.

What the sweep finds (voltage limits only, ``--no-transformer-limits``; priorities from evcore's sensitivity sweep,
every run certified optimal and power-flow verified unless noted; measured 2026-12-03 on the shared 2-core machine):

* downtown: the seed's 9 stations appear for radii 99-105 m (9 stations / 159 chargers, objective 6.353672);
  97 m and below give 10 stations (163-183 chargers), 107 m and above 7 or fewer; no radius gives 157 chargers
  (the 2-charger difference is within what other eq. 9 priorities would move). 200 m and above: the siting rows
  alone are infeasible (demand 71).
* residential: 0-50 m: 4 stations / 205; 75 and 100 m: 5 / 191 (not closed in 300 s, gap 0.9-1.2 %); 110 m:
  4 / 191; 125-250 m: 2 / 157; 300 m and above: proven infeasible. No radius gives the seed's 3 / 160.
* with the service-transformer limits (the default here): downtown is proven infeasible (a service transformer
  already over its rating is held to its base-case current and most candidates feed it); residential 0 m is
  certified with the same placement as without them.
"""

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from evcore.io import write_csv, write_json
from evcore.errors import InfeasibleError
from evcore.grid import Feeder, PlacementInstance, place
from evcore.grid.placement.analysis import plot_sites, plot_transformer_loading, plot_voltage_change

DEFAULT_DATA = next((p / "shared" / "data" / "grid-eco" for p in Path(__file__).resolve().parents
                     if (p / "shared" / "data" / "grid-eco").is_dir()),
                    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid-eco")

CASES = {
    "downtown": dict(glm="downtown_node_R3-12.47-2.glm", csv="evcs_seattle_downtown.csv", budget=2.5e6,
                     taps={"R3-12-47-2_reg_1": 6}, paper=(9, 157),
                     radii=[0, 25, 32, 35, 40, 45, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200, 250, 300]),
    "residential": dict(glm="residential_node_R1-25.00-1.glm", csv="evcs_seattle_residential.csv", budget=2.0e6,
                        taps={"R1-25-00-1_reg_1": 6, "R1-25-00-1_reg_2": (7, 2, 7)}, paper=(3, 160),
                        radii=[0, 50, 75, 100, 110, 125, 150, 200, 250, 300, 350, 400]),
}


def run_case(name, spec, data, out, radii, time_limit, transformers):
    feeder = Feeder.from_glm(data / spec["glm"], regulator_taps=spec["taps"])
    rows = []
    results = {}
    for radius in radii:
        inst = PlacementInstance.from_csv(feeder, data / spec["csv"], budget=spec["budget"],
                                          service_radius_m=float(radius), monitor_transformers=transformers)
        started = time.perf_counter()
        try:
            res = place(inst, time_limit=time_limit)
        except InfeasibleError as exc:
            rows.append(dict(case=name, radius_m=radius, status="infeasible (proven)", stations=0, chargers=0,
                             objective=None, gap=None, seconds=round(time.perf_counter() - started, 2), nodes=None,
                             verified=None, reason=str(exc)))
            print(f"{name:11s} r={radius:5.0f} m  infeasible (proven): {exc}")
            continue
        results[radius] = (inst, res)
        rows.append(dict(case=name, radius_m=radius, status=res.status, stations=res.n_stations,
                         chargers=res.total_chargers, objective=res.objective, gap=res.gap,
                         seconds=round(res.wall_time, 2), nodes=res.nodes, verified=res.verified,
                         binding=";".join(res.binding_limits[:4])))
        print(f"{name:11s} r={radius:5.0f} m  {res.status:10s} {res.n_stations:2d} stations {res.total_chargers:4d} "
              f"chargers  objective {res.objective:.6f}  gap {res.gap:.1e}  {res.wall_time:7.2f} s  "
              f"{res.nodes:5d} nodes  verified {res.verified}")
    target = spec["paper"]
    match = [r["radius_m"] for r in rows if (r["stations"], r["chargers"]) == target]
    shown = match[0] if match else (next(iter(results)) if results else None)
    files = []
    if shown is not None and shown in results:
        inst, res = results[shown]
        folder = out / name
        files += [plot_sites(res, folder / "sites.png",
                             title=f"{name}: {res.n_stations} stations, {res.total_chargers} chargers (r = {shown} m)"),
                  plot_voltage_change(res, inst.feeder, folder / "voltages.png"),
                  plot_transformer_loading(res, folder / "transformer_loading.png",
                                           base_current_a=inst._derived["base_values"][inst.n_monitored_voltages:])
                  if len(res.transformer_loading) else None]
        res.to_geojson(folder / "sites.geojson")
        write_json(res.to_dict(), folder / "result.json")
    return rows, dict(case=name, paper_stations_chargers=target, radii_reproducing_paper=match,
                      figures=[str(f) for f in files if f is not None])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder holding the Grid-ECO files")
    parser.add_argument("--out", default="example-output/grid-eco", help="output folder")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--radii", default=None, help="comma-separated service radii, m (default: a sweep per case)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--no-transformer-limits", action="store_true",
                        help="limit voltages only (the reading that reproduces the seed's counts)")
    args = parser.parse_args()
    data, out = Path(args.data), Path(args.out)
    all_rows, summary = [], []
    for name in args.cases:
        spec = CASES[name]
        radii = [float(r) for r in args.radii.split(",")] if args.radii else spec["radii"]
        rows, info = run_case(name, spec, data, out, radii, args.time_limit, not args.no_transformer_limits)
        all_rows += rows
        summary.append(info)
        print(f"{name}: the seed's {info['paper_stations_chargers'][0]} stations / "
              f"{info['paper_stations_chargers'][1]} chargers at radius {info['radii_reproducing_paper'] or 'none'} m")
    write_csv(all_rows, out / "radius_sweep.csv")
    write_json(dict(transformer_limits=not args.no_transformer_limits, cases=summary), out / "summary.json")
    print(json.dumps(summary, indent=1, default=str))


if __name__ == "__main__":
    main()
