"""Shared locations and regulator settings of the IEEE feeders (outside data, never copied)."""

from pathlib import Path

import pytest

FEEDERS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "feeders"

#: master file and the regulator taps of the published solutions (None: OpenDSS settles them)
CASES = {
    "ieee13": ("ieee13/IEEE13Nodeckt.dss", {"reg1": 10, "reg2": 8, "reg3": 11}),
    "ieee34": ("ieee34/ieee34Mod1.dss", {"reg1a": 12, "reg1b": 5, "reg1c": 5, "reg2a": 13, "reg2b": 11, "reg2c": 12}),
    "ieee37": ("ieee37/ieee37.dss", None),
    "ieee123": ("ieee123/IEEE123Master.dss",
                {"reg1a": 7, "reg2a": -1, "reg3a": 0, "reg3c": -1, "reg4a": 8, "reg4b": 1, "reg4c": 5}),
}


def need_feeders():
    if not FEEDERS.is_dir():
        pytest.skip(f"reference feeders not found at {FEEDERS} (shared data folder absent)")
    return FEEDERS


def need_opendss():
    return pytest.importorskip("dss", reason="OpenDSS engine (dss-python, extra evcore[opendss]) not installed")
