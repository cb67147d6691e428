"""Three-phase power flow and grid-impact sweeps: evcore against GridLAB-D and OpenDSS, side by side, in one run.

    python benchmarks/bench_grid_pf.py                     # everything, idle and with one core busy
    python benchmarks/bench_grid_pf.py --quick             # fewer repeats and candidates (a few minutes)
    python benchmarks/bench_grid_pf.py --sections glm,pf --load idle
    python benchmarks/bench_grid_pf.py --repeat 5          # the run recorded in the report (about 6 minutes)

Every ratio is reference time / evcore time (> 1: evcore faster) from runs that alternate the two tools, so
that each pair compares neighbours in time on a shared machine; tables give the median and the range of the
paired ratios over ``--repeat`` pairs, and the load average when the section started. ``--load busy`` runs the
sections again with one core kept busy by a spinning process the script starts and stops itself.

1. ``glm``: GridLAB-D models (IEEE 13 from GridLAB-D's own test, the Grid-ECO downtown and residential
   feeders at the taps the papers' controllers settle at). evcore's "read + first solve" is
   ``evcore.io.glm.read`` + ``Feeder.from_document`` + the first ``power_flow`` (which builds the kernel
   arrays and factorises the chord Jacobian); GridLAB-D's is ``load`` + ``run`` of the same file prepared for
   one fixed-tap timestep (regulators on MANUAL at the same taps, NR tolerance 1e-10 of nominal, recorders
   removed: ``tests/grid/_gridlabd.py``). "warm" is evcore's re-solve from its previous solution (GridLAB-D has
   no re-solve without reloading; its load + run is the yardstick there too).
2. ``pf``: OpenDSS feeders (IEEE 13, 34, 37, 123 at fixed taps; IEEE 8500 as it is, controls settled by
   OpenDSS). evcore reads OpenDSS files through OpenDSS itself (``evcore.io.opendss.read``: OpenDSS's compile
   and snapshot solve, then the primitives), so that time is shown but not compared; "build + first solve"
   (``Feeder.from_document`` + the first ``power_flow``, which builds the kernel arrays and factorises) is
   compared with OpenDSS's compile + solve; "solve" is a whole ``power_flow`` call from evcore's start against
   OpenDSS's ``Solve`` from its no-load start (``calcv``); "warm" both from their previous solution. The
   answers' largest difference (both at 1e-12) is printed.
3. ``sweep``: the grid-impact sweep on IEEE 8500 over ``--candidates`` phase nodes (500 by default) drawn by
   :func:`sweep_candidates` (seeded), one 7.2 kW charger at pf 0.95 each, against the same sweep driven through
   OpenDSS (one load moved node to node, one solve each; its compile and base solve excluded). evcore's time is a
   whole ``sensitivity_sweep`` call (base power flow, Jacobian factorisation, every candidate to 1e-9 pu) with the
   thread count chosen from the cores free (``workers=None``; that includes the 0.1 s load measurement of
   ``evcore._threads`` when no recent one exists) and with one thread. ``--reference-candidates N`` times the
   OpenDSS-driven sweep on N evenly spaced candidates only and scales its time per candidate to all of them
   (every candidate costs OpenDSS the same: one load moved, a new Y matrix, one solve); the table says so.
4. ``threads``: the same evcore sweep with 1 and 2 threads and the automatic choice, alternating; the ratio is
   the 1-thread time over the other (> 1: threads help; with a core busy it must not fall below 1).

Targets (issue 14): every single solve faster than the reference engine; the sweep >= 20x faster.
Reference data: ../shared/data (feeders, grid-eco). Needs dss-python (extra ``opendss``) and, for section 1,
the PyPI ``gridlabd`` (extra ``gridlabd``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "grid"))
from _table import print_table  # noqa: E402

from evcore.errors import MissingDependencyError, require  # noqa: E402
from evcore.grid import Feeder, power_flow, sensitivity_sweep  # noqa: E402
from evcore.grid.sensitivity import candidate_nodes  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"
if not SHARED.is_dir():  # a git worktree one level deeper
    SHARED = HERE.parents[2] / "shared" / "data"
FEEDERS = SHARED / "feeders"
GRID_ECO = SHARED / "grid-eco"

GLM_CASES = {  # file, taps for evcore, taps per regulator_configuration for GridLAB-D
    "ieee13 (glm)": (FEEDERS / "ieee13" / "gridlabd_test_IEEE_13_NR.glm", None, None),
    "downtown": (GRID_ECO / "downtown_node_R3-12.47-2.glm", {"R3-12-47-2_reg_1": 6}, {"feeder_reg_cfg": (6, 6, 6)}),
    "residential": (GRID_ECO / "residential_node_R1-25.00-1.glm",
                    {"R1-25-00-1_reg_1": 6, "R1-25-00-1_reg_2": (7, 2, 7)},
                    {"feeder_reg_cfg": (6, 6, 6), "votlage_reg_cfg": (7, 2, 7)}),
}
DSS_CASES = {
    "ieee13": ("ieee13/IEEE13Nodeckt.dss", {"reg1": 10, "reg2": 8, "reg3": 11}),
    "ieee34": ("ieee34/ieee34Mod1.dss", {"reg1a": 12, "reg1b": 5, "reg1c": 5, "reg2a": 13, "reg2b": 11, "reg2c": 12}),
    "ieee37": ("ieee37/ieee37.dss", {"reg1a": 7, "reg1c": 4}),
    "ieee123": ("ieee123/IEEE123Master.dss",
                {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}),
    "ieee8500": ("ieee8500/Master.dss", None),
}


def sweep_candidates(feeder, count, seed=2024):
    """``count`` candidate phase nodes of ``feeder`` drawn without replacement (numpy ``default_rng(seed)``) from
    every node but the source bus's, in feeder order: the benchmark's instance set."""
    every = list(candidate_nodes(feeder))
    if count >= len(every):
        return every
    pick = np.sort(np.random.default_rng(seed).choice(len(every), size=count, replace=False))
    return [every[i] for i in pick]


def timed(function):
    started = time.perf_counter()
    out = function()
    return time.perf_counter() - started, out


def summary(ratios):
    r = np.asarray(ratios, dtype=float)
    return f"{np.median(r):.3g}", f"{r.min():.3g}..{r.max():.3g}"


def _proc_loadavg():
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def loadavg():
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


# ------------------------------------------------------------------------------------------ 1. GLM
def section_glm(repeat, label):
    try:
        require("gridlabd", "gridlabd", "the GridLAB-D rows of the benchmark")
    except MissingDependencyError as exc:
        print(f"\n1. skipped: {exc}")
        return
    from _gridlabd import oracle_copy, run_gridlabd

    from evcore.io import glm

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_grid_glm_"))
    for name, (path, taps, config_taps) in GLM_CASES.items():
        if not path.is_file():
            print(f"  {name}: {path} not found, skipped")
            continue
        folder = tmp / name.replace(" ", "_").replace("(", "").replace(")", "")
        folder.mkdir()
        prepared, _ = oracle_copy(path, folder, config_taps)
        power_flow(Feeder.from_document(glm.read(path, regulator_taps=taps)[0]))  # imports, first-use costs
        first, warm, ref, r_first, r_warm = [], [], [], [], []
        for _ in range(repeat):
            t_ref, _ = timed(lambda: run_gridlabd(prepared))

            def read_and_solve():
                document, _ = glm.read(path, regulator_taps=taps)
                feeder = Feeder.from_document(document)
                return feeder, power_flow(feeder)
            t_first, (feeder, result) = timed(read_and_solve)
            start = result.voltage
            t_warm = min(timed(lambda: power_flow(feeder, initial_voltage=start))[0] for _ in range(50))
            ref.append(t_ref)
            first.append(t_first)
            warm.append(t_warm)
            r_first.append(t_ref / t_first)
            r_warm.append(t_ref / t_warm)
        rows.append([name, feeder.n_nodes, float(np.median(ref)), float(np.median(first)), *summary(r_first),
                     float(np.median(warm)) * 1e3, *summary(r_warm)])
    print_table(f"1. GridLAB-D models [{label}; {loadavg()}]: seconds are medians of {repeat} alternating pairs; "
                "ratio = GridLAB-D time / evcore time",
                ["feeder", "nodes", "GridLAB-D load+run s", "evcore read+1st solve s", "median ratio", "range",
                 "evcore warm ms", "median ratio", "range"], rows)
    if rows:
        worst = min(float(r[5].split("..")[0]) for r in rows)
        print(f"   target evcore's read + first solve faster than GridLAB-D's load + run: "
              f"{'met' if worst > 1 else 'NOT met'} (worst paired ratio {worst:.3g})")


# ------------------------------------------------------------------------------------------ 2. OpenDSS
def _opendss_solves(path, taps, repeat):
    """OpenDSS: compile + snapshot solve, then ``repeat`` solves from ``calcv`` and ``repeat`` warm solves."""
    from dss import DSS

    from evcore.io.opendss import _compile

    # compiled and solved as the reader does it (controls settled at OpenDSS's own tolerance), then the timed
    # solves at a tight tolerance with the controls held
    t_compile, _ = timed(lambda: _compile(path, taps))
    DSS.Text.Command = "set controlmode=off"
    DSS.Text.Command = "set tolerance=1e-10"
    solution = DSS.ActiveCircuit.Solution
    cold, warm = [], []
    for _ in range(repeat):
        DSS.Text.Command = "calcv"
        cold.append(timed(solution.Solve)[0])
    for _ in range(repeat):
        warm.append(timed(solution.Solve)[0])
    return t_compile, min(cold), min(warm)


def section_pf(repeat, label, quick):
    require("dss", "opendss", "the OpenDSS rows of the benchmark")
    from evcore.io import opendss as reader

    rows = []
    inner_small, inner_large = (10, 3) if quick else (50, 10)
    for name, (rel, taps) in DSS_CASES.items():
        path = FEEDERS / rel
        inner = inner_large if name == "ieee8500" else inner_small
        power_flow(Feeder.from_document(reader.read(path, regulator_taps=taps)[0]))  # imports, first-use costs
        r_first, r_cold, r_warm, reads, firsts, colds, warms, refs = [], [], [], [], [], [], [], []
        for _ in range(repeat):
            t_compile, d_cold, d_warm = _opendss_solves(path, taps, inner)
            t_read, (document, _) = timed(lambda: reader.read(path, regulator_taps=taps))

            def build_and_solve():
                feeder = Feeder.from_document(document)
                return feeder, power_flow(feeder)
            t_first, (feeder, result) = timed(build_and_solve)
            t_cold = min(timed(lambda: power_flow(feeder))[0] for _ in range(inner))
            start = result.voltage
            t_warm = min(timed(lambda: power_flow(feeder, initial_voltage=start))[0] for _ in range(inner))
            r_first.append(t_compile / t_first)
            r_cold.append(d_cold / t_cold)
            r_warm.append(d_warm / t_warm)
            reads.append(t_read)
            firsts.append(t_first)
            colds.append(t_cold)
            warms.append(t_warm)
            refs.append((t_compile, d_cold, d_warm))
        names, volts, base = reader.solve(path, regulator_taps=taps, tolerance=1e-12)
        diff = float((np.abs(power_flow(feeder, tolerance_pu=1e-12).voltage_v - volts) / base).max())
        ref = np.median(np.array(refs), axis=0)
        rows.append([name, feeder.n_nodes, float(ref[0]), float(np.median(reads)), float(np.median(firsts)),
                     *summary(r_first),
                     float(ref[1]) * 1e3, float(np.median(colds)) * 1e3, *summary(r_cold),
                     float(ref[2]) * 1e3, float(np.median(warms)) * 1e3, *summary(r_warm), diff])
    worst_single = min(float(r[c].split("..")[0]) for r in rows for c in (10, 14))
    print_table(f"2. OpenDSS feeders [{label}; {loadavg()}]: medians of {repeat} alternating rounds (solves: best of "
                f"{inner_small} in each, IEEE 8500 best of {inner_large}); ratio = OpenDSS time / evcore time",
                ["feeder", "nodes", "OpenDSS compile+solve s", "evcore read s", "evcore build+1st solve s",
                 "median", "range",
                 "OpenDSS solve ms", "evcore solve ms", "median", "range", "OpenDSS warm ms", "evcore warm ms",
                 "median", "range", "max |dV| pu"], rows)
    print(f"   target every single solve (cold and warm) faster than OpenDSS: "
          f"{'met' if worst_single > 1 else 'NOT met'} (worst paired ratio {worst_single:.3g})")


# ------------------------------------------------------------------------------------------ 3. sweep
def section_sweep(repeat, label, count, reference_count=None):
    """``reference_count``: run the OpenDSS-driven sweep over only the first ``reference_count`` candidates of
    each round and extrapolate its time per candidate to all ``count`` (its cost is the same for every
    candidate: one load moved, one solve); None runs it over all of them."""
    require("dss", "opendss", "the OpenDSS-driven sweep")
    from evcore.io import opendss as reader

    path = FEEDERS / DSS_CASES["ieee8500"][0]
    feeder = Feeder.from_opendss(path)
    candidates = sweep_candidates(feeder, count)
    subset = candidates if not reference_count or reference_count >= len(candidates) else \
        candidates[:: max(1, len(candidates) // reference_count)][:reference_count]
    sensitivity_sweep(feeder, candidates[:3])  # caches of the feeder (system, factors), as OpenDSS's compile
    engines = (("evcore exact, threads from free cores", dict(workers=None)),
               ("evcore exact, 1 thread", dict(workers=1)),
               ("evcore linearised", dict(engine="linear")))
    t_ref, times, ratios, results, threads = [], {k: [] for k, _ in engines}, {k: [] for k, _ in engines}, {}, {}
    for _ in range(repeat):
        timings = {}
        names, ref = reader.sweep(path, subset, tolerance=1e-10, timings=timings)
        t_ref.append(timings["sweep_seconds"] * len(candidates) / len(subset))
        for name, kw in engines:
            t, results[name] = timed(lambda: sensitivity_sweep(feeder, candidates, **kw))
            threads[name] = results[name].threads
            times[name].append(t)
            ratios[name].append(t_ref[-1] / t)
    assert names == list(feeder.node_names)
    where = [candidates.index(c) for c in subset]
    what = "one solve per candidate" if len(subset) == len(candidates) else \
        f"{len(subset)} candidates timed, x {len(candidates) / len(subset):.3g}"
    rows = [[f"OpenDSS-driven ({what})", len(candidates), "", float(np.median(t_ref)), "1", "", ""]]
    for name, _ in engines:
        d = float(np.abs(results[name].voltage_pu[where] - ref).max())
        rows.append([name, len(candidates), threads[name], float(np.median(times[name])), *summary(ratios[name]), d])
    print_table(f"3. Grid-impact sweep on IEEE 8500 [{label}; {loadavg()}]: {repeat} alternating rounds; seconds = "
                "median; speed-up = OpenDSS time / evcore time of the same round",
                ["engine", "candidates", "threads", "seconds", "median speed-up", "range", "max |dV| pu"], rows)
    worst = min(min(ratios[name]) for name, kw in engines if "engine" not in kw)
    print(f"   target sweep >= 20x (exact engine, worst round): {'met' if worst >= 20 else 'NOT met'} "
          f"(worst {worst:.3g}x)")


# ------------------------------------------------------------------------------------------ 4. threads
def section_threads(repeat, label, count):
    path = FEEDERS / DSS_CASES["ieee8500"][0]
    feeder = Feeder.from_opendss(path)
    candidates = sweep_candidates(feeder, count)
    sensitivity_sweep(feeder, candidates[:3])
    t1, t2, ta, r2, ra, auto_threads = [], [], [], [], [], set()
    for _ in range(repeat):
        a, _ = timed(lambda: sensitivity_sweep(feeder, candidates, workers=1))
        b, _ = timed(lambda: sensitivity_sweep(feeder, candidates, workers=2))
        c, res = timed(lambda: sensitivity_sweep(feeder, candidates))
        auto_threads.add(res.threads)
        t1.append(a)
        t2.append(b)
        ta.append(c)
        r2.append(a / b)
        ra.append(a / c)
    rows = [["1 thread", float(np.median(t1)), "1", ""],
            ["2 threads", float(np.median(t2)), *summary(r2)],
            [f"automatic ({'/'.join(str(t) for t in sorted(auto_threads))} threads)", float(np.median(ta)),
             *summary(ra)]]
    print_table(f"4. Sweep threads on IEEE 8500, {len(candidates)} candidates [{label}; {loadavg()}]: {repeat} "
                "alternating rounds; ratio = 1-thread time / this time of the same round",
                ["threads", "seconds (median)", "median ratio", "range"], rows)


class BusyCore:
    """One core kept busy by a spinning child process (started and stopped by the benchmark itself)."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(1.0)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, 100 sweep candidates")
    parser.add_argument("--sections", default="glm,pf,sweep,threads")
    parser.add_argument("--load", default="idle,busy", help="idle, busy (one core spinning) or both")
    parser.add_argument("--repeat", type=int, default=None, help="alternating rounds per row (default 7; quick 3)")
    parser.add_argument("--candidates", type=int, default=None, help="sweep candidates (default 500; quick 100)")
    parser.add_argument("--reference-candidates", type=int, default=None,
                        help="time the OpenDSS-driven sweep on this many of the candidates (evenly spaced) and "
                             "extrapolate per candidate (default: all of them)")
    args = parser.parse_args(argv)
    if not FEEDERS.is_dir():
        sys.exit(f"reference feeders not found at {FEEDERS}")
    try:
        require("dss", "opendss", "this benchmark")
    except MissingDependencyError as exc:
        sys.exit(str(exc))
    repeat = args.repeat or (3 if args.quick else 7)
    count = args.candidates or (100 if args.quick else 500)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    print(f"bench_grid_pf: {' '.join(sys.argv[1:]) or '(defaults)'}; {os.cpu_count()} cores; /proc/loadavg at start: "
          f"{_proc_loadavg()} (other processes share this machine: every ratio pairs neighbours in time)")
    for load in [s.strip() for s in args.load.split(",") if s.strip()]:
        if load not in ("idle", "busy"):
            sys.exit(f"--load: idle or busy, got {load!r}")
        label = "idle" if load == "idle" else "one core busy"
        context = BusyCore() if load == "busy" else _nothing()
        with context:
            if "glm" in sections:
                section_glm(repeat, label)
            if "pf" in sections:
                section_pf(repeat, label, args.quick)
            if "sweep" in sections:
                section_sweep(max(1, repeat // 2), label, count, args.reference_candidates)
            if "threads" in sections:
                section_threads(repeat, label, count)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
