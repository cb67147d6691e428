"""Size a fast-charging hub over a day and check its short-term pile availability.

    python examples/queueing_fast_charging_hub.py [--out DIR]

Hourly arrival rates follow a typical urban weekday profile (EVs per hour). For each hour the
smallest number of 150 kW chargers keeping the mean wait under 5 minutes is found (M/M/c,
Erlang C); the hub is built for the peak. Then, for the evening peak, the chance that a driver
arriving in 10 minutes finds a free pile is computed from the current occupancy (M/M/c/c
transient), which is what a dispatcher needs.
"""

import argparse
import csv
from pathlib import Path

import numpy as np

from evcore.plotting import new_figure, save_figure
from evcore.queueing import free_server_probability, min_servers, mmc

HOURLY_ARRIVALS = np.array([2, 1, 1, 1, 2, 4, 8, 14, 18, 15, 12, 12, 14, 13, 12, 13, 16, 22, 26, 22, 16, 11, 7, 4],
                           dtype=float)
SESSION_MINUTES = 28.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="example-output/queueing", help="output folder")
    args = parser.parse_args()
    out = Path(args.out)

    service_rate = 60.0 / SESSION_MINUTES
    needed = min_servers(HOURLY_ARRIVALS, service_rate, 5.0 / 60.0)
    built = int(needed.max())
    at_built = mmc(built, HOURLY_ARRIVALS, service_rate, time_unit="h")
    rows = [
        {"hour": h, "arrivals_per_hour": HOURLY_ARRIVALS[h], "chargers_needed": int(needed[h]),
         "utilization_with_hub": float(at_built.utilization[h]), "mean_wait_min": float(at_built.wait[h] * 60)}
        for h in range(24)
    ]
    out.mkdir(parents=True, exist_ok=True)
    with (out / "hourly.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    peak = int(np.argmax(HOURLY_ARRIVALS))
    occupancy = np.arange(built + 1)
    free_in_10 = free_server_probability(built, HOURLY_ARRIVALS[peak], service_rate, [10 / 60], occupancy)[0]

    fig, ax = new_figure()
    ax.bar(range(24), needed, color="tab:blue", alpha=0.7, label="chargers needed that hour")
    ax.axhline(built, color="black", linestyle="--", label=f"hub built for the peak: {built}")
    ax.set_xlabel("hour of day (h)")
    ax.set_ylabel("chargers (count)")
    ax.legend()
    save_figure(fig, out / "hourly_chargers.png")

    print(f"hub size for a 5-minute mean wait at the {HOURLY_ARRIVALS[peak]:g} EVs/h peak: {built} chargers")
    print(f"mean wait at the peak with {built} chargers: {at_built.wait[peak] * 60:.2f} min")
    for busy in (built - 2, built - 1, built):
        print(f"  {busy}/{built} busy now -> P(free pile in 10 min) = {free_in_10[busy]:.3f}")
    print(f"wrote {out}/hourly.csv and hourly_chargers.png")


if __name__ == "__main__":
    main()
