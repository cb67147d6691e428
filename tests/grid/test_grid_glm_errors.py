"""The GLM reader on bad and unusual files: every refusal is an InputError naming the file and line; objects
that would change the answer are refused by name; harmless ones are skipped and listed in the import report."""

import dataclasses

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder, power_flow
from evcore.io import glm

from _grid_feeders import GLM_CASES, need_grid_eco

HEADER = """clock { timestamp '2000-01-01 0:00:00'; stoptime '2000-01-01 0:00:01'; }
module powerflow { solver_method NR; }
object node { name src; bustype SWING; phases ABCN; nominal_voltage 7199.558; }
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object overhead_line_conductor { name c1; geometric_mean_radius 0.03; resistance 0.2; diameter 0.9; }
object line_spacing { name sp; distance_AB 2.5; distance_AC 4.5; distance_BC 7; distance_AN 4.27;
    distance_BN 5.66; distance_CN 5; }
object line_configuration { name cfg; conductor_A c1; conductor_B c1; conductor_C c1; conductor_N c1; spacing sp; }
"""
LINE = "object overhead_line { name l1; phases ABCN; from src; to n1; length 500; configuration cfg; }\n"
LOAD = "object load { name ld; parent n1; phases ABCN; nominal_voltage 7199.558; constant_power_A 1000; }\n"
FIRST = HEADER.count("\n") + 1  # the line of the first object after the header

BAD = {
    # name: (text after the header, expected line (offset from FIRST), words the message must contain)
    "truncated": (LINE + "object load { name ld; parent n1; phases ABCN; constant_po", 1, ["ends inside"]),
    "unclosed_object": (LINE + "object load { name ld; parent n1;\n", 1, ["ends inside", "missing '}'"]),
    "unknown_class": (LINE + "object flux_capacitor { name f; }\n", 1, ["unknown class", "flux_capacitor"]),
    "dangling_parent": (LINE + "object load { name ld; parent n9; phases ABCN; nominal_voltage 7200; }\n", 1,
                        ["n9", "dangling"]),
    "missing_configuration": ("object overhead_line { name l1; phases ABCN; from src; to n1; length 500; }\n", 0,
                              ["configuration", "required"]),
    "unknown_configuration": ("object overhead_line { name l1; phases ABCN; from src; to n1; length 500; "
                              "configuration nope; }\n", 0, ["nope"]),
    "missing_semicolon": (LINE + "object load { name ld parent n1; phases ABCN; }\n", 1, ["missing ';'"]),
    "stray_brace": (LINE + LOAD + "}\n", 2, ["expected"]),
    "open_quote": (LINE + "object load { name 'ld; parent n1; }\n", 1, ["quote"]),
    "unclosed_comment": (LINE + "/* a comment\n", 1, ["never closed"]),
    "bad_number": ("object overhead_line { name l1; phases ABCN; from src; to n1; length five; "
                   "configuration cfg; }\n", 0, ["length"]),
    "bad_unit": ("object overhead_line { name l1; phases ABCN; from src; to n1; length 5 parsec; "
                 "configuration cfg; }\n", 0, ["length"]),
    "house": (LINE + "object house { name h1; parent n1; }\n", 1, ["house h1", "changes the power flow"]),
    "inverter": (LINE + "object inverter { name inv; parent n1; }\n", 1, ["inverter inv", "changes the power flow"]),
    "player_on_load": (LINE + "object load { name ld; parent n1; phases ABCN; nominal_voltage 7199.558;\n"
                       "  object player { property constant_power_A; file x.csv; };\n}\n", 2,
                       ["player", "load ld", "changes the power flow"]),
    "unsupported_property": (LINE + "object load { name ld; parent n1; phases ABCN; nominal_voltage 7199.558; "
                             "warp_factor 9; }\n", 1, ["warp_factor"]),
    "bad_phases": ("object overhead_line { name l1; phases XYZ; from src; to n1; length 500; configuration cfg; }\n",
                   0, ["phases"]),
    "unknown_directive": (LINE + "#frobnicate now\n", 1, ["#frobnicate"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_name_the_line(case, tmp_path):
    body, offset, words = BAD[case]
    path = tmp_path / f"{case}.glm"
    path.write_text(HEADER + body)
    with pytest.raises(InputError) as info:
        document, _ = glm.read(path)
        power_flow(Feeder.from_document(document))
    message = str(info.value)
    assert f"{path}:{FIRST + offset}" in message, message
    for word in words:
        assert word in message, message


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no such"):
        glm.read(tmp_path / "absent.glm")
    (tmp_path / "empty.glm").write_text("")
    with pytest.raises(InputError):
        glm.read(tmp_path / "empty.glm")
    (tmp_path / "binary.glm").write_bytes(b"\x00\xff\xfe object node {")
    with pytest.raises(InputError):
        glm.read(tmp_path / "binary.glm")


def test_harmless_objects_are_skipped_and_listed(tmp_path):
    path = tmp_path / "harmless.glm"
    path.write_text(HEADER.replace("module powerflow", "module tape;\nmodule powerflow") + LINE + LOAD + """
object recorder { parent n1; property voltage_A; file v.csv; interval 60; }
object voltdump { filename x.csv; }
#set relax_naming_rules=1
schedule s1 { * * * * * 1.0; }
class myclass { double x; }
""")
    document, report = glm.read(path)
    skipped = {(s["kind"], s["name"]) for s in report["skipped"]}
    assert {("module", "tape"), ("clock", "clock"), ("recorder", "recorder (unnamed)"), ("voltdump", "voltdump (unnamed)"),
            ("#set", "relax_naming_rules"), ("schedule", "s1"), ("class", "myclass")} <= skipped
    assert all(":" in s["where"] for s in report["skipped"] if s["kind"] not in ("module",))
    assert power_flow(Feeder.from_document(document)).status == "optimal"


def test_references_by_class_and_id_and_parent_chains(tmp_path):
    path = tmp_path / "refs.glm"
    path.write_text(HEADER + """
object meter:7 { name m7; parent n1; phases ABCN; nominal_voltage 7199.558; }
object overhead_line { name l1; phases ABCN; from src; to node:4; length 500; configuration cfg; }
object node:4 { phases ABCN; nominal_voltage 7199.558; }
object overhead_line { name l2; phases ABCN; from node:4; to n1; length 500; configuration cfg; }
object load { name ld; parent meter:7; phases ABCN; nominal_voltage 7199.558; constant_power_A 100000; }
""")
    document, report = glm.read(path)
    assert report["aliases"]["m7"] == "n1" and report["aliases"]["ld"] == "n1"
    feeder = Feeder.from_document(document)
    assert "node:4.1" in feeder.node_names
    assert feeder.load_names == ("ld",)


def test_clashing_ids_within_a_class_are_refused(tmp_path):
    path = tmp_path / "clash.glm"
    path.write_text(HEADER + "object node:5 { name a; phases ABCN; nominal_voltage 7199.558; }\n"
                             "object node:5 { name b; phases ABCN; nominal_voltage 7199.558; }\n")
    with pytest.raises(InputError, match="node:5"):
        glm.read(path)


@pytest.mark.parametrize("case", ["downtown", "residential"])
def test_to_json_round_trips_a_glm_feeder_losslessly(case, tmp_path):
    need_grid_eco()
    path, taps, _ = GLM_CASES[case]
    feeder = Feeder.from_glm(path, regulator_taps=taps)
    out = tmp_path / "feeder.json"
    feeder.to_json(out)
    again = Feeder.from_json(out)
    for f in dataclasses.fields(Feeder):
        a, b = getattr(feeder, f.name), getattr(again, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f.name
        elif dataclasses.is_dataclass(a):
            assert repr(a) == repr(b), f.name
        else:
            assert a == b, f.name
    np.testing.assert_array_equal(power_flow(feeder).voltage, power_flow(again).voltage)
