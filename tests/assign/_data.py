"""Locating the shared reference data (../shared/data next to the repository)."""

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GAP_DATA = DATA / "gap"

needs_gap_data = pytest.mark.skipif(not GAP_DATA.is_dir(), reason=f"reference data not found at {GAP_DATA}")


def gap_optima() -> dict[str, float]:
    """instance path relative to ../shared/data/gap -> minimisation optimum."""
    with (GAP_DATA / "optima_min.csv").open() as handle:
        return {row["instance"]: float(row["optimum_min"]) for row in csv.DictReader(handle)}
