"""Test-session hooks shared by every part."""


def pytest_terminal_summary(terminalreporter):
    try:
        from _fuzz import PROBES
    except ImportError:  # pragma: no cover
        return
    if PROBES:
        total = sum(PROBES.values())
        parts = ", ".join(f"{part} {count}" for part, count in sorted(PROBES.items()))
        terminalreporter.write_line(f"fuzz: {total} distinct hostile inputs probed ({parts})")
