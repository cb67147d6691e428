"""Test-session hooks shared by every part."""

import os

from hypothesis import settings

# Property tests are derandomized: CI sees the same inputs on every run (a failure is reproducible, never
# flaky). EVCORE_FUZZ_RANDOM=1 explores new inputs, for hunting locally.
settings.register_profile("evcore", derandomize=not os.environ.get("EVCORE_FUZZ_RANDOM"), deadline=None)
settings.load_profile("evcore")


def pytest_terminal_summary(terminalreporter):
    try:
        from _fuzz import PROBES
    except ImportError:  # pragma: no cover
        return
    if PROBES:
        total = sum(PROBES.values())
        parts = ", ".join(f"{part} {count}" for part, count in sorted(PROBES.items()))
        terminalreporter.write_line(f"fuzz: {total} distinct hostile inputs probed ({parts})")


import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``evcore demo`` run once per session, in process, with every figure it saves inspected.

    Returns a dict: ``out_dir``, ``code``, ``stdout``, ``stderr``, and ``figures`` (path -> the
    problems :func:`evcore.plotting.figure_problems` found at save time).
    """
    import contextlib
    import io

    from matplotlib.figure import Figure

    from evcore.cli import main
    from evcore.plotting import figure_problems

    out_dir = tmp_path_factory.mktemp("demo") / "demo"
    figures = {}
    original = Figure.savefig

    def inspecting_savefig(self, fname, *args, **kwargs):
        figures[str(fname)] = figure_problems(self)
        return original(self, fname, *args, **kwargs)

    stdout, stderr = io.StringIO(), io.StringIO()
    Figure.savefig = inspecting_savefig
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["demo", "--out", str(out_dir)])
    finally:
        Figure.savefig = original
    return {"out_dir": out_dir, "code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "figures": figures}
