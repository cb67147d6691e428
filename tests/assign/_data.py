"""Locating the shared reference data (a ``shared/data`` folder next to the repository or above it)."""

import csv
import os
from pathlib import Path

import pytest


def _find_data() -> Path:
    """``$EVCORE_SHARED_DATA``, else the first ``shared/data`` beside the checkout or one of its parents
    (worktrees live one level deeper than the main checkout)."""
    if os.environ.get("EVCORE_SHARED_DATA"):
        return Path(os.environ["EVCORE_SHARED_DATA"])
    root = Path(__file__).resolve().parents[2]
    for folder in root.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return root.parent / "shared" / "data"


DATA = _find_data()
GAP_DATA = DATA / "gap"

needs_gap_data = pytest.mark.skipif(not GAP_DATA.is_dir(), reason=f"reference data not found at {GAP_DATA}")


def gap_optima() -> dict[str, float]:
    """instance path relative to ../shared/data/gap -> minimisation optimum."""
    with (GAP_DATA / "optima_min.csv").open() as handle:
        return {row["instance"]: float(row["optimum_min"]) for row in csv.DictReader(handle)}
