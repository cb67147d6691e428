"""Grid-impact prioritisation of charger locations on the IEEE 123-node feeder (seed 002, §II-C).

    python examples/grid_ieee123.py [--feeders ../shared/data/feeders] [--out DIR] [--rating-kw 7.2]

The IEEE 123-node feeder is read from its OpenDSS files through the OpenDSS engine with the
regulator taps of the published solution (7, -1, 0, -1, 8, 1, 5), solved with evcore's power flow
(and checked against OpenDSS's own solution), and every phase node is tried as the location of one
Level-2 charger: the voltage and transformer-current impact indices, the GI-index and the
negative-softmax priority weights of eqs. (3)-(9), by the exact engine and the linearised one.
Writes the voltage profile, the GI figure and the tables to --out.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from evcore.io import write_csv, write_json
from evcore.grid import Feeder, compare_engines, power_flow, sensitivity_sweep
from evcore.grid._opendss import opendss_solve
from evcore.grid.analysis import plot_grid_impact, plot_voltage_profile, voltage_rows

# ../shared/data/feeders from the project root (the nearest ancestor that has it: also from a git worktree)
DEFAULT_FEEDERS = next((p / "shared" / "data" / "feeders" for p in Path(__file__).resolve().parents
                        if (p / "shared" / "data" / "feeders").is_dir()),
                       Path(__file__).resolve().parents[1].parent / "shared" / "data" / "feeders")
TAPS = {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeders", default=str(DEFAULT_FEEDERS), help="folder holding ieee123/")
    parser.add_argument("--out", default="example-output/grid", help="output folder")
    parser.add_argument("--rating-kw", type=float, default=7.2, help="charger rating, kW")
    parser.add_argument("--power-factor", type=float, default=0.95)
    parser.add_argument("--penalty-mode", choices=("perturbed", "increase"), default="perturbed")
    args = parser.parse_args()
    out = Path(args.out)
    master = Path(args.feeders) / "ieee123" / "IEEE123Master.dss"

    feeder = Feeder.from_opendss(master, regulator_taps=TAPS)
    result = power_flow(feeder)
    names, volts, base = opendss_solve(master, regulator_taps=TAPS)
    gap = np.abs(np.abs(volts / base) - result.magnitude_pu).max()
    print(f"IEEE 123: {feeder.n_nodes} nodes, {len(feeder.element_names)} elements, {len(feeder.load_names)} loads; "
          f"power flow in {result.iterations} iterations, {1e3 * result.solve_seconds:.2f} ms; "
          f"max |V| difference to OpenDSS {gap:.1e} pu")
    print(f"source {result.source_power_va.real / 1e3:.1f} kW + j{result.source_power_va.imag / 1e3:.1f} kvar, "
          f"losses {result.losses_va.real / 1e3:.2f} kW, voltages {result.magnitude_pu.min():.4f}.."
          f"{result.magnitude_pu.max():.4f} pu")
    files = [write_csv(voltage_rows(feeder, result), out / "voltages.csv"),
             plot_voltage_profile(feeder, result, out / "voltage_profile.png", title="IEEE 123: voltage profile")]

    sweeps = {}
    for engine in ("exact", "linear"):
        started = time.perf_counter()
        sweeps[engine] = sensitivity_sweep(feeder, rating_kw=args.rating_kw, power_factor=args.power_factor,
                                           engine=engine, penalty_mode=args.penalty_mode)
        print(f"{engine} sweep over {len(sweeps[engine].candidates)} candidate nodes: "
              f"{time.perf_counter() - started:.3f} s")
    exact = sweeps["exact"]
    diff = compare_engines(exact, sweeps["linear"])
    shown = (f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in diff.items())
    print("linear vs exact:", ", ".join(shown))
    order = np.argsort(exact.gi)
    print("lowest grid impact:", ", ".join(f"{exact.candidates[k]} (GI {exact.gi[k]:.3f})" for k in order[:8]))
    print("highest grid impact:", ", ".join(f"{exact.candidates[k]} (GI {exact.gi[k]:.3f})" for k in order[-5:]))
    files += [write_csv(exact.rows(), out / "grid_impact.csv"),
              write_json({"linear_vs_exact": diff, "weight_voltage": exact.weight_voltage,
                          "weight_current": exact.weight_current}, out / "summary.json"),
              plot_grid_impact(exact, out / "grid_impact.png", top=60)]
    print("wrote", ", ".join(str(f) for f in files))


if __name__ == "__main__":
    main()
