"""A day of dynamic EV charging dispatch in a small city (seed 003's state transition model).

    python examples/assign_city_day.py [--out DIR] [--evs N] [--method hasp] [--seed S]

Trips towards destinations turn into charging requests when an EV enters the allocation radius
around its destination. Every 5 minutes the dispatcher predicts each station's chance of a free
pile on arrival (M/M/c/c transient from its current occupancy), applies the remaining-time rule
and assigns the batch with HASP. Background EVs that do not use the dispatcher share the piles;
the simulation reports every arrival, turned-away EV and ended session back to the dispatcher.
Prints summary statistics and writes the station occupancy figure, a cost/walking histogram,
the per-request decisions with EV and station ids (CSV) and the summary (JSON).
"""

import argparse
import json
import time
from pathlib import Path

from evcore.assign import METHODS, generate_city, simulate_day
from evcore.assign.analysis import plot_occupancy, plot_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="example-output/assign_city_day", help="output folder")
    parser.add_argument("--evs", type=int, default=300, help="EVs requesting a charge over the day")
    parser.add_argument("--method", default="hasp", choices=sorted(METHODS), help="batch solver")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    city = generate_city(stations=24, destinations=12, seed=args.seed)
    started = time.perf_counter()
    day = simulate_day(city, evs=args.evs, seed=args.seed, method=args.method)
    elapsed = time.perf_counter() - started
    summary = day.summary()

    print(f"city: {city.stations} stations, {int(city.piles.sum())} piles, {city.destinations} destinations; "
          f"method {args.method}; simulated in {elapsed:.1f} s ({summary['batches']} batches)")
    print(f"requests {summary['requests']}: charged {summary['charged']}, "
          f"blocked at dispatch {summary['blocked_at_dispatch']}, "
          f"turned away on arrival {summary['turned_away_on_arrival']} "
          f"(blocked share {summary['blocked_share']:.1%})")
    print(f"mean cost {summary['mean_cost']:.2f}, mean driving {summary['mean_driving_km']:.2f} km, "
          f"mean walking {summary['mean_walking_km']:.2f} km, mean predicted free-pile probability "
          f"{summary['mean_p_free']:.3f}")
    print(f"background EVs: {summary['background_arrivals']} arrivals, {summary['background_blocked']} found the "
          f"station full ({summary['background_blocked_share']:.1%})")
    print(f"pile occupancy: mean {summary['mean_occupancy_share']:.1%}, peak {summary['peak_occupancy_share']:.1%}")
    for reason, count in summary["blocked_reasons"].items():
        print(f"  blocked at dispatch ({count}): {reason}")

    day.to_frame("decisions").to_csv(out / "decisions.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    plot_occupancy(day, out / "occupancy.png")
    plot_summary(day, out / "costs.png")
    print(f"wrote {out}/occupancy.png, costs.png, decisions.csv and summary.json")


if __name__ == "__main__":
    main()
