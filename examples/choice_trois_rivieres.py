"""Sequential station location in Trois-Rivières (Québec): the "Simple" and "Distance" data.

    python examples/choice_trois_rivieres.py [--data ../shared/data/trois-rivieres] [--out DIR]

317 user classes, 10 candidate sites, stations of 1-6 outlets costing 100 + 50 per outlet,
budgets 550, 300, 250, 500 over four years (the data's published set-up). For each variant the
deterministic multi-year plan is solved exactly with SGI on HiGHS; the plans per year, the
captured demand and a figure of outlets per site and year are written.

With ``--tables`` it also computes seed 001's Tables III-V on this data (two-stage against
multi-stage over a scenario tree of demand growth; see evcore.choice.analysis.
trois_rivieres_tables); ``--method scip-lazy`` (extra evcore[scip]) is much faster there.
"""

import argparse
from pathlib import Path

import numpy as np

from evcore.io import write_csv
from evcore.choice import read_trois_rivieres, solve
from evcore.plotting import new_figure, save_figure

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trois-rivieres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder of the Trois-Rivieres files")
    parser.add_argument("--out", default="example-output/choice", help="output folder")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per variant")
    parser.add_argument("--tables", action="store_true", help="also Tables III-V (value of the multi-stage model)")
    parser.add_argument("--method", default="best", help="solve method for the tables (best, sgi, scip-lazy, ...)")
    parser.add_argument("--branching", default="2,2,2", help="scenario-tree branching per later year")
    args = parser.parse_args()
    out = Path(args.out)
    rows = []
    fig, axes = new_figure(9.0, 3.8)
    fig.delaxes(axes)
    for panel, variant in enumerate(("Simple", "Distance")):
        instance = read_trois_rivieres(args.data, variant)
        result = solve(instance, time_limit=args.time_limit, progress=True)
        outlets = (result.plan * np.arange(1, instance.types + 1)[None, :, None]).sum(axis=1)  # (sites, years)
        print(f"{variant}: {result.status}, captured demand {result.objective:.1f} (bound {result.bound:.1f}), "
              f"{result.rounds} rounds, {result.wall_time:.1f} s")
        for year in range(instance.periods):
            built = {int(j): int(outlets[j, year]) for j in np.flatnonzero(outlets[:, year])}
            print(f"  year {year + 1}: site -> outlets {built}")
            rows += [{"variant": variant, "year": year + 1, "site": j, "outlets": k} for j, k in built.items()]
        ax = fig.add_subplot(1, 2, panel + 1)
        image = ax.imshow(outlets, aspect="auto", cmap="Greens", vmin=0, vmax=instance.types)
        ax.set_xticks(range(instance.periods), [f"year {t + 1}" for t in range(instance.periods)])
        ax.set_yticks(range(instance.sites))
        ax.set_ylabel("site")
        ax.set_title(f"{variant}: captured {result.objective:.0f}")
    fig.colorbar(image, ax=fig.axes, label="outlets")
    save_figure(fig, out / "plans.png")
    write_csv(rows, out / "plans.csv")
    print(f"wrote {out}/plans.csv and plans.png")
    if args.tables:
        from evcore.choice.analysis import trois_rivieres_tables

        branching = tuple(int(b) for b in args.branching.split(","))
        tables = trois_rivieres_tables(args.data, years=len(branching) + 1, branching=branching, method=args.method,
                                       time_limit=args.time_limit, progress=True)
        for name in ("table_iii", "table_iv", "table_v"):
            write_csv(tables[name], out / f"{name}.csv")
        print(f"sub-centre: catchment of site {tables['subcentre_site']} ({tables['subcentre_users']} user classes); "
              f"wrote {out}/table_iii.csv, table_iv.csv, table_v.csv")


if __name__ == "__main__":
    main()
