"""Shared locations and regulator settings of the reference feeders (outside data, never copied).

The shared data folder is ``<ancestor>/shared/data`` for the nearest ancestor of this file that has one
(``../shared/data`` from the project root; also found from a git worktree one level deeper), or
``$EVCORE_SHARED_DATA``.
"""

import os
from pathlib import Path

import pytest


def _shared_data() -> Path:
    env = os.environ.get("EVCORE_SHARED_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


SHARED_DATA = _shared_data()
FEEDERS = SHARED_DATA / "feeders"
GRID_ECO = SHARED_DATA / "grid-eco"

#: master file and the regulator taps of the published solutions (None: OpenDSS settles them)
CASES = {
    "ieee13": ("ieee13/IEEE13Nodeckt.dss", {"reg1": 10, "reg2": 8, "reg3": 11}),
    "ieee34": ("ieee34/ieee34Mod1.dss", {"reg1a": 12, "reg1b": 5, "reg1c": 5, "reg2a": 13, "reg2b": 11, "reg2c": 12}),
    "ieee37": ("ieee37/ieee37.dss", None),
    "ieee123": ("ieee123/IEEE123Master.dss",
                {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}),
}

#: GridLAB-D cases of issue 14: file, regulator taps for evcore, taps per regulator_configuration for GridLAB-D
GLM_CASES = {
    "ieee13_glm": (FEEDERS / "ieee13" / "gridlabd_test_IEEE_13_NR.glm", None, None),
    "downtown": (GRID_ECO / "downtown_node_R3-12.47-2.glm", {"R3-12-47-2_reg_1": 6}, {"feeder_reg_cfg": (6, 6, 6)}),
    "residential": (GRID_ECO / "residential_node_R1-25.00-1.glm",
                    {"R1-25-00-1_reg_1": 6, "R1-25-00-1_reg_2": (7, 2, 7)},
                    {"feeder_reg_cfg": (6, 6, 6), "votlage_reg_cfg": (7, 2, 7)}),
    "residential_666": (GRID_ECO / "residential_node_R1-25.00-1.glm",
                        {"R1-25-00-1_reg_1": 6, "R1-25-00-1_reg_2": 6},
                        {"feeder_reg_cfg": (6, 6, 6), "votlage_reg_cfg": (6, 6, 6)}),
}


def need_feeders():
    if not FEEDERS.is_dir():
        pytest.skip(f"reference feeders not found at {FEEDERS} (shared data folder absent)")
    return FEEDERS


def need_grid_eco():
    if not GRID_ECO.is_dir():
        pytest.skip(f"Grid-ECO feeders not found at {GRID_ECO} (shared data folder absent)")
    return GRID_ECO


def need_opendss():
    return pytest.importorskip("dss", reason="OpenDSS engine (dss-python, extra evcore[opendss]) not installed")
