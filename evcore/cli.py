"""The ``evcore`` command.

Each planning method (and the queueing toolkit) contributes its own subcommand through a
``register(subparsers)`` function and its part of ``evcore demo`` through
``demo(out_dir) -> dict``; this module only wires them together.

Exit codes: 0 success; 2 bad arguments, bad input data, a file that cannot be read or written,
or a missing optional engine; 3 infeasible or unbounded model (or no feasible answer found);
4 solver failure; 1 anything unexpected (an evcore bug: the traceback is shown with --verbose);
130 interrupted.

Stdout holds only the command's result. While a command runs, everything else written to
stdout, from Python or from compiled code (HiGHS's banner, say), is sent to stderr.

A mistake on the command line (an unknown command or flag, a stray argument, a bad value) is one
line on stderr, ``evcore: error: <what> (see 'evcore <command> --help')``, and exit code 2, for
the top level and for every subcommand: the parsers are :class:`ArgumentParser`, which
``add_subparsers`` hands down to every subcommand a method registers.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import time
from pathlib import Path

from . import __version__
from .errors import InfeasibleError, InputError, MissingDependencyError, SolverError, UnboundedError

__all__ = ["main", "build_parser", "ArgumentParser"]

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
EXIT_INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser with one-line errors: ``evcore: error: <message> (see '<prog> --help')``
    on stderr and exit code 2, instead of the usage block followed by the message.

    ``add_subparsers`` uses the parser's own class for subcommands (argparse's default), so
    every subcommand registered by a method, and theirs in turn, reports errors the same way.
    """

    def error(self, message):
        text = " ".join(str(message).split())  # one line, whatever argparse composed
        self.exit(EXIT_BAD_INPUT, f"evcore: error: {text} (see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        # the deepest subcommand parser that ran, so that a stray argument is reported by it
        # (and its --help is the hint); subcommand namespaces are copied upwards, so a parser
        # records itself only when no subcommand below it has
        if namespace is not None and not hasattr(namespace, _DEEPEST):
            setattr(namespace, _DEEPEST, self)
        return namespace, extras

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        deepest = vars(namespace).pop(_DEEPEST, self)
        if extras:
            deepest.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace


_DEEPEST = "_evcore_deepest_parser"


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="evcore",
        description="Planning electric-vehicle charging infrastructure.",
    )
    parser.add_argument("--version", action="version", version=f"evcore {__version__}")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr (no progress, no notes)")
    loudness.add_argument("-v", "--verbose", action="count", default=0,
                          help="more on stderr: -v the library's notes, -vv debugging detail and tracebacks")
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
    from . import _output
    from ._output import write_json

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"evcore_version": __version__, "parts": {}}
    say = _output.note
    say(f"evcore {__version__} demo -> {out_dir.resolve()}")
    for name, module_name in COMMAND_MODULES.items():
        started = time.perf_counter()
        part = importlib.import_module(module_name).demo(out_dir / name)
        part["seconds"] = round(time.perf_counter() - started, 3)
        summary["parts"][name] = part
        say(f"[{name}] {part['headline']} ({part['seconds']} s)")
        for line in part.get("lines", []):
            say(f"    {line}")
    write_json(summary, out_dir / "summary.json")
    say(f"wrote {out_dir / 'summary.json'} and {sum(len(p.get('files', [])) for p in summary['parts'].values())} "
        "result files")
    return EXIT_OK


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    from . import progress

    quiet_before = _configure_logging(args)
    with _result_stdout() as result_stream:
        from . import _output

        _output.set_result_stream(result_stream)
        try:
            return int(args.handler(args) or 0)
        except InputError as exc:
            return _fail(f"evcore: error: {exc}", EXIT_BAD_INPUT)
        except MissingDependencyError as exc:
            return _fail(f"evcore: error: {exc}", EXIT_BAD_INPUT)
        except (InfeasibleError, UnboundedError) as exc:
            return _fail(f"evcore: {exc}", EXIT_INFEASIBLE)
        except SolverError as exc:
            return _fail(f"evcore: solver failed: {exc}", EXIT_SOLVER)
        except OSError as exc:  # unreadable input, unwritable output
            target = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
            return _fail(f"evcore: error:{target} {exc.strerror or exc}", EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            return _fail("evcore: interrupted", EXIT_INTERRUPTED)
        except Exception as exc:  # an evcore bug: one line, the traceback with -vv
            if getattr(args, "verbose", 0) >= 2:
                import traceback

                traceback.print_exc(file=sys.stderr)
            return _fail(f"evcore: internal error ({type(exc).__name__}: {exc}); please report it "
                         "(run with -vv for the traceback)", EXIT_UNEXPECTED)
        finally:
            _output.set_result_stream(None)
            progress.set_quiet(quiet_before)


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr, flush=True)
    return code


def _configure_logging(args) -> bool:
    """Library notes go through ``logging`` (logger ``"evcore"``) to stderr; ``--quiet`` also
    silences progress lines (:func:`evcore.progress.set_quiet`). Returns the previous quiet
    setting of :mod:`evcore.progress`, for :func:`main` to restore."""
    level = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logger = logging.getLogger("evcore")
    logger.setLevel(level)
    if not any(getattr(h, "_evcore_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("evcore: %(message)s"))
        handler._evcore_cli = True
        logger.addHandler(handler)
    from . import _output, progress

    if args.quiet:
        _output.QUIET = True
    return progress.set_quiet(bool(args.quiet) or progress.is_quiet())


@contextlib.contextmanager
def _result_stdout():
    """Yield the stream the result goes to; meanwhile stdout (Python's and, when it is the real
    file descriptor 1, compiled code's) goes to stderr."""
    original = sys.stdout
    try:
        real_fd = original.fileno() == 1
    except (AttributeError, OSError, ValueError):
        real_fd = False
    if not real_fd:  # captured (tests, notebooks): swap Python's stream only
        sys.stdout = sys.stderr
        try:
            yield original
        finally:
            sys.stdout = original
        return
    original.flush()
    saved = os.dup(1)
    result = os.fdopen(os.dup(saved), "w", encoding=original.encoding or "utf-8", errors="replace")
    _flush_c_stdio()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield result
    finally:
        try:
            result.flush()
        except OSError:
            pass
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        result.close()
        sys.stdout = original


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers so compiled code's output lands where the descriptor pointed."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
