"""The ``evcore`` command.

Each planning method (and the queueing toolkit) contributes its own subcommand through a
``register(subparsers)`` function and its part of ``evcore demo`` through
``demo(out_dir) -> dict``; this module only wires them together.

Exit codes: 0 success; 2 bad arguments or bad input data; 3 infeasible or unbounded model;
4 solver failure; 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from . import __version__
from .errors import InfeasibleError, InputError, SolverError, UnboundedError

__all__ = ["main", "build_parser"]

#: Modules providing ``register`` (a subcommand) and ``demo``, in the order the demo runs them.
#: Each planning method adds its entry here when it lands.
COMMAND_MODULES = {
    "queue": "evcore.queueing._cli",
    "assign": "evcore.assign._cli",
    "choice": "evcore.choice._cli",
    "siting": "evcore.siting._cli",
    "grid": "evcore.grid._cli",
    "joint": "evcore.joint._cli",
}

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evcore",
        description="Planning electric-vehicle charging infrastructure.",
    )
    parser.add_argument("--version", action="version", version=f"evcore {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMAND_MODULES.items():
        importlib.import_module(module_name).register(subparsers, name)
    demo = subparsers.add_parser(
        "demo",
        help="run every available method on embedded default data",
        description="Run every available planning method on embedded default data, writing JSON/CSV "
        "results and PNG figures into one folder.",
    )
    demo.add_argument("--out", default="evcore-demo", help="output folder (default: ./evcore-demo)")
    demo.set_defaults(handler=_run_demo)
    return parser


def _run_demo(args) -> int:
    from ._output import write_json

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"evcore_version": __version__, "parts": {}}
    print(f"evcore {__version__} demo -> {out_dir.resolve()}")
    for name, module_name in COMMAND_MODULES.items():
        started = time.perf_counter()
        part = importlib.import_module(module_name).demo(out_dir / name)
        part["seconds"] = round(time.perf_counter() - started, 3)
        summary["parts"][name] = part
        print(f"[{name}] {part['headline']} ({part['seconds']} s)")
        for line in part.get("lines", []):
            print(f"    {line}")
    write_json(summary, out_dir / "summary.json")
    print(f"wrote {out_dir / 'summary.json'} and {sum(len(p.get('files', [])) for p in summary['parts'].values())} "
          "result files")
    return EXIT_OK


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(f"evcore: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InfeasibleError, UnboundedError) as exc:
        print(f"evcore: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as exc:
        print(f"evcore: solver failed: {exc}", file=sys.stderr)
        return EXIT_SOLVER


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
