"""``evcore grid`` (power flow, sensitivity sweep) and the grid part of ``evcore demo``."""

from __future__ import annotations

import os
from pathlib import Path

from .._output import emit, write_csv, write_json
from ..errors import InputError

DEMO_FEEDER = Path(__file__).resolve().parent / "data" / "demo_feeder.json"


def _taps(text):
    """``reg1=10,reg2=8`` -> {name: step}; ``reg=7/2/7`` -> per-phase steps (A, B, C) of a GridLAB-D regulator."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, eq, step = part.partition("=")
        if not eq or not name.strip():
            raise InputError("taps", f"expected NAME=STEP or NAME=A/B/C pairs, got {part!r}")
        try:
            steps = [int(s) for s in step.split("/")]
        except ValueError:
            raise InputError("taps", f"expected NAME=STEP or NAME=A/B/C pairs, got {part!r}") from None
        if len(steps) not in (1, 3):
            raise InputError("taps", f"{name.strip()}: give one step or three (A/B/C), got {step!r}")
        out[name.strip()] = steps[0] if len(steps) == 1 else tuple(steps)
    return out


FORMATS = (".glm", ".dss", ".json")


def load_feeder(path, taps=None):
    """A feeder from a GridLAB-D model (.glm), an OpenDSS master file (.dss) or evcore's JSON format (.json)."""
    from .model import Feeder

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        if taps:
            raise InputError("taps", "regulator taps of an evcore JSON feeder are set in the file (tap_step)")
        return Feeder.from_json(path)
    if suffix == ".glm":
        return Feeder.from_glm(path, regulator_taps=taps)
    if suffix == ".dss":
        if taps and any(isinstance(v, tuple) for v in taps.values()):
            raise InputError("taps", "per-phase taps (A/B/C) are for GridLAB-D regulators; an OpenDSS regulator is "
                                     "one winding: give NAME=STEP")
        return Feeder.from_opendss(path, regulator_taps=taps)
    raise InputError(str(path), f"unknown feeder format {path.suffix or '(no suffix)'!r}: expected one of "
                                f"{', '.join(FORMATS)}")


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name, help="three-phase feeders: power flow and grid-impact sensitivity (seed 002)",
        description="Unbalanced three-phase feeders (GridLAB-D .glm, OpenDSS .dss through the OpenDSS engine, or "
        "evcore JSON): "
        "current-injection power flow and the grid-impact (GI) index of candidate charger locations.")
    sub = parser.add_subparsers(dest="grid_command", metavar="SUBCOMMAND")
    sub.required = True
    common = dict(help="feeder: GridLAB-D .glm, OpenDSS master .dss or evcore .json")

    pf = sub.add_parser("pf", help="power flow: node voltages, losses, source power")
    pf.add_argument("feeder", **common)
    pf.add_argument("--taps", default=None, help="fixed regulator taps, e.g. reg1=10,reg2=8; per phase for GridLAB-D "
                                                 "regulators: reg=7/2/7")
    pf.add_argument("--tolerance", type=float, default=1e-9, help="current mismatch tolerance, pu (default 1e-9)")
    pf.add_argument("--format", choices=("json", "csv"), default="json")
    pf.add_argument("--output", "-o", default=None)
    pf.add_argument("--plot", default=None, help="PNG of the per-phase voltage profile against distance")
    pf.set_defaults(handler=_run_pf)

    se = sub.add_parser("sensitivity", help="grid-impact sweep over candidate nodes (eqs. 3-9)")
    se.add_argument("feeder", **common)
    se.add_argument("--candidates", default=None,
                    help="comma-separated nodes (632.1) or buses (632); default every node but the source bus")
    se.add_argument("--taps", default=None, help="fixed regulator taps (as for pf)")
    se.add_argument("--rating-kw", type=float, default=7.2, help="charger active power, kW (default 7.2)")
    se.add_argument("--power-factor", type=float, default=0.95, help="charger power factor (default 0.95)")
    se.add_argument("--penalty", type=float, default=10.0, help="penalty factor of limit violations")
    se.add_argument("--penalty-mode", choices=("perturbed", "increase"), default="perturbed",
                    help="penalise every violation after the perturbation (seed) or only its increase")
    se.add_argument("--vmin", type=float, default=0.95)
    se.add_argument("--vmax", type=float, default=1.05)
    se.add_argument("--engine", choices=("exact", "linear", "both"), default="exact")
    se.add_argument("--workers", type=int, default=None,
                    help="threads of the exact engine (default: as many as there are free cores)")
    se.add_argument("--time-limit", type=float, default=None, help="seconds; keeps the candidates done by then")
    se.add_argument("--format", choices=("json", "csv"), default="json")
    se.add_argument("--output", "-o", default=None)
    se.add_argument("--plot", default=None, help="PNG of the GI-index per candidate")
    se.add_argument("--progress", action="store_true")
    se.set_defaults(handler=_run_sensitivity)
    _add_place(sub, common)


def _add_place(sub, common) -> None:
    """``evcore grid place`` (charger placement; lives in :mod:`evcore.grid.placement._cli`)."""
    from .placement._cli import register_place

    register_place(sub, common, load_feeder, _taps)


def _pf_payload(feeder, result):
    from .analysis import voltage_rows

    rows = voltage_rows(feeder, result)
    payload = {"feeder": feeder.name, "status": result.status, "iterations": result.iterations,
               "mismatch_pu": result.mismatch_pu, "tolerance_pu": result.tolerance_pu,
               "roundoff_limited_nodes": list(result.roundoff_limited_nodes), "seconds": result.solve_seconds,
               "source_power_kw": result.source_power_va.real / 1e3,
               "source_power_kvar": result.source_power_va.imag / 1e3,
               "losses_kw": result.losses_va.real / 1e3, "losses_kvar": result.losses_va.imag / 1e3,
               "min_voltage_pu": float(result.magnitude_pu.min()), "max_voltage_pu": float(result.magnitude_pu.max()),
               "nodes": rows}
    if feeder.coordinates is not None:
        payload["coordinates"] = {"unit": feeder.coordinates.unit, "system": feeder.coordinates.system}
    return payload, rows


def _run_pf(args) -> int:
    from .analysis import plot_voltage_profile
    from .powerflow import power_flow

    feeder = load_feeder(args.feeder, _taps(args.taps))
    result = power_flow(feeder, tolerance_pu=args.tolerance)
    payload, rows = _pf_payload(feeder, result)
    if args.plot:
        payload["figure"] = str(plot_voltage_profile(feeder, result, args.plot))
    return emit(payload, rows, args.format, args.output)


def _run_sensitivity(args) -> int:
    from .analysis import plot_grid_impact
    from .sensitivity import compare_engines, sensitivity_sweep

    feeder = load_feeder(args.feeder, _taps(args.taps))
    candidates = [c.strip() for c in args.candidates.split(",") if c.strip()] if args.candidates else None
    kw = dict(rating_kw=args.rating_kw, power_factor=args.power_factor, penalty=args.penalty,
              penalty_mode=args.penalty_mode, vmin_pu=args.vmin, vmax_pu=args.vmax, workers=args.workers,
              time_limit=args.time_limit, progress=args.progress)
    engines = ("exact", "linear") if args.engine == "both" else (args.engine,)
    results = {e: sensitivity_sweep(feeder, candidates, engine=e, **kw) for e in engines}
    main = results[engines[0]]
    rows = main.rows()
    payload = {"feeder": feeder.name, "engine": main.engine, "status": main.status, "candidates": len(main.candidates),
               "weight_voltage": main.weight_voltage, "weight_current": main.weight_current,
               "seconds": {e: r.seconds for e, r in results.items()}, "results": rows}
    if len(results) == 2:
        payload["linear_vs_exact"] = compare_engines(results["exact"], results["linear"])
    if args.plot:
        payload["figure"] = str(plot_grid_impact(main, args.plot))
    return emit(payload, rows, args.format, args.output)


def _ieee13_master():
    """The IEEE 13-node OpenDSS master file named by $EVCORE_IEEE13, if it is a file.

    Only an explicit path: a folder found relative to the package would make the demo give
    other results in a source checkout than after ``pip install .`` (issue 12.5)."""
    env = os.environ.get("EVCORE_IEEE13")
    if env and Path(env).is_file():
        return Path(env)
    return None


def demo(out_dir: Path) -> dict:
    """Power flow and a grid-impact sweep: IEEE 13 through OpenDSS when available, else the embedded feeder."""
    from .analysis import plot_grid_impact, plot_voltage_profile
    from .model import Feeder
    from .powerflow import power_flow
    from .sensitivity import compare_engines, sensitivity_sweep

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    import importlib.util

    has_opendss = importlib.util.find_spec("dss") is not None
    master = _ieee13_master() if has_opendss else None
    if master is not None:
        feeder = Feeder.from_opendss(master, regulator_taps={"reg1": 10, "reg2": 8, "reg3": 11})
        label = "IEEE 13-node feeder (OpenDSS import, taps 10/8/11)"
    else:
        feeder = Feeder.from_json(DEMO_FEEDER)
        label = f"{feeder.name} (evcore JSON, embedded)"
    result = power_flow(feeder)
    payload, rows = _pf_payload(feeder, result)
    files = [write_json(payload, out_dir / "power_flow.json"), write_csv(rows, out_dir / "voltages.csv"),
             plot_voltage_profile(feeder, result, out_dir / "voltage_profile.png")]
    exact = sensitivity_sweep(feeder, rating_kw=50.0)
    linear = sensitivity_sweep(feeder, rating_kw=50.0, engine="linear")
    diff = compare_engines(exact, linear)
    files += [write_csv(exact.rows(), out_dir / "grid_impact.csv"),
              plot_grid_impact(exact, out_dir / "grid_impact.png")]
    best = exact.candidates[int(exact.gi.argmin())]
    worst = exact.candidates[int(exact.gi.argmax())]
    placement = _demo_place(out_dir)
    files += placement["files"]
    return {
        "headline": f"{label}: power flow in {result.iterations} chord-Newton steps, "
                    f"losses {result.losses_va.real / 1e3:.1f} kW; GI sweep over {len(exact.candidates)} nodes",
        "lines": [f"mismatch <= {result.tolerance_pu:.0e} pu at every node except "
                  f"{len(result.roundoff_limited_nodes)} at their rounding limit (largest {result.mismatch_pu:.1e} pu)",
                  f"voltages {result.magnitude_pu.min():.4f}..{result.magnitude_pu.max():.4f} pu; source "
                  f"{result.source_power_va.real / 1e3:.1f} kW + j{result.source_power_va.imag / 1e3:.1f} kvar",
                  f"50 kW charger: lowest impact at {best}, highest at {worst}; exact sweep {exact.seconds:.3f} s, "
                  f"linear {linear.seconds:.3f} s, max |V| difference {diff['max_voltage_difference_pu']:.1e} pu, "
                  f"GI rank correlation {diff['gi_rank_correlation']:.4f}"] + placement["lines"],
        "files": [str(f) for f in files],
    }


def _demo_place(out_dir):
    """The placement case of the demo (lives in :mod:`evcore.grid.placement._cli`)."""
    from .placement._cli import demo_place

    return demo_place(Path(out_dir) / "placement")
