"""Joint charging-capacity investment and EV assignment on the synthetic Chengdu-like city (seed 000).

    python examples/joint_city.py [--zones 201] [--slots 672] [--method admm] [--out joint-city]
        [--sweep-method admm] [--time-limit 600]

Reproduces the paper's analysis: Table 1 (costs against the assignment range R in {0, 1, 3, 5, 7, 9, 11}
km, with the number of zone pairs each R opens, on which the trend depends), Fig. 4 (residuals of the
paper's ADMM next to evcore's certified gap), Fig. 5 (capacity per location, base vs joint) and Fig. 6
(flows on Monday 15-16 h, Monday 22-23 h, Saturday 15-16 h), plus the plan's zones as CSV and GeoJSON.
The full 201 x 672 sweep is large (R = 11 km has ~14 million flow variables): use --zones/--slots for
a quick look, e.g. --zones 60 --slots 168.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from evcore.joint import solve, synthetic_city
from evcore.joint.analysis import PAPER_RANGES_KM, plot_capacity, plot_flows, plot_residuals, range_sweep


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=201)
    parser.add_argument("--slots", type=int, default=672)
    parser.add_argument("--method", default="admm", choices=("highs", "admm", "paper-admm"))
    parser.add_argument("--sweep-method", default="admm", choices=("highs", "admm"))
    parser.add_argument("--gap", type=float, default=1e-3, help="target certified gap of admm")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--out", default="joint-city")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    city = synthetic_city(zones=args.zones, slots=args.slots, seed=0, return_city=True)
    instance = city.instance
    print(f"{instance.zones} zones x {instance.slots} slots, {instance.pairs.count} arcs within 3 km; "
          f"trips: {city.data.report.summary()}")
    sweep_options = {"gap": args.gap} if args.sweep_method == "admm" else {}
    rows, results = range_sweep(instance, PAPER_RANGES_KM, method=args.sweep_method, time_limit=args.time_limit,
                                progress=True, **sweep_options)
    print(f"\nTable 1 ({args.sweep_method})\n  R km  pairs within R   investment   assignment        total"
          "   reduction   gap")
    for row in rows:
        reduction = "-" if row["reduction_pct"] is None else f"{row['reduction_pct']:.2f}%"
        gap = "-" if row["gap"] is None else f"{row['gap']:.1e}"
        print(f"  {row['range_km']:4g} {row['zone_pairs_within_range']:6d} ({row['share_of_pairs_pct']:4.1f}%) "
              f"{row['investment_cost']:12.5g} {row['assignment_cost']:12.5g} {row['total_cost']:12.5g} "
              f"{reduction:>11} {gap}")
    pd.DataFrame(rows).to_csv(out / "table1.csv", index=False)
    options = {"gap": args.gap} if args.method == "admm" else {}
    joint = results[3.0] if args.method == args.sweep_method else solve(instance, args.method,
                                                                         time_limit=args.time_limit, **options)
    paper = solve(instance, "paper-admm")
    print(f"\npaper ADMM: {paper.status} after {paper.iterations} iterations, total {paper.objective:.6g} "
          f"({100 * (paper.objective - joint.objective) / joint.objective:.2f}% above the joint plan)")
    joint.to_frame("zones").to_csv(out / "plan_zones.csv", index=False)
    (out / "plan_zones.geojson").write_text(json.dumps(joint.to_geojson()))
    for path in (plot_capacity(instance, results[0.0], joint, out / "fig5_capacity.png"),
                 plot_flows(instance, joint, out / "fig6_flows.png"),
                 plot_residuals(paper, out / "fig4_residuals.png", joint if joint.method == "admm" else None)):
        print(f"wrote {path}")
    print(f"wrote {out / 'table1.csv'}, {out / 'plan_zones.csv'} and {out / 'plan_zones.geojson'}")


if __name__ == "__main__":
    main()
