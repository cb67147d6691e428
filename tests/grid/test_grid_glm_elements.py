"""Each GLM element on its own: primitive admittances by hand (Kersting's published line matrices, the closed
forms of switches, fuses, transformers, regulators and capacitors) and small circuits solved by GridLAB-D.

Every circuit is a swing node, the element under test and a load; GridLAB-D (PyPI ``gridlabd``, the extra
``evcore[gridlabd]``) solves the same file, and every node and phase must agree to 1e-8 pu (its voltdump's
print precision). The hand checks need no outside data.
"""

import math

import numpy as np
import pytest

from evcore.grid import Feeder, power_flow
from evcore.io import glm

from _gridlabd import compare, gridlabd_voltages, need_gridlabd

HEADER = """clock {{ timestamp '2000-01-01 0:00:00'; stoptime '2000-01-01 0:00:01'; }}
module powerflow {{ solver_method NR; line_capacitance {capacitance}; }}
object node {{ name src; bustype SWING; phases ABCN; nominal_voltage 7199.558; }}
"""

# IEEE 13-node feeder conductors, spacings and configurations (Kersting's data, as in GridLAB-D's IEEE 13 model;
# ls510 with Kersting's geometry of configuration 510: phase C 29 ft high, 0.5 ft beside the neutral at 24 ft)
IEEE13_LIBRARY = """
object overhead_line_conductor { name olc6010; geometric_mean_radius 0.031300; diameter 0.927 in; resistance 0.185900; }
object overhead_line_conductor { name olc6020; geometric_mean_radius 0.00814; diameter 0.56 in; resistance 0.592000; }
object overhead_line_conductor { name olc6030; geometric_mean_radius 0.004460; diameter 0.4 in; resistance 1.120000; }
object underground_line_conductor { name ulc6060; outer_diameter 1.290000; conductor_gmr 0.017100;
    conductor_diameter 0.567000; conductor_resistance 0.410000; neutral_gmr 0.0020800; neutral_resistance 14.87200;
    neutral_diameter 0.0640837; neutral_strands 13.000000; insulation_relative_permitivitty 2.3;
    shield_gmr 0.000000; shield_resistance 0.000000; }
object line_spacing { name ls500601; distance_AB 2.5; distance_AC 4.5; distance_BC 7.0; distance_BN 5.656854;
    distance_AN 4.272002; distance_CN 5.0; distance_AE 28.0; distance_BE 28.0; distance_CE 28.0; distance_NE 24.0; }
object line_spacing { name ls500602; distance_AC 2.5; distance_AB 4.5; distance_BC 7.0; distance_CN 5.656854;
    distance_AN 4.272002; distance_BN 5.0; distance_AE 28.0; distance_BE 28.0; distance_CE 28.0; distance_NE 24.0; }
object line_spacing { name ls505603; distance_BC 7.0; distance_CN 5.656854; distance_BN 5.0; distance_BE 28.0;
    distance_CE 28.0; distance_NE 24.0; }
object line_spacing { name ls505604; distance_AC 7.0; distance_AN 5.656854; distance_CN 5.0; distance_AE 28.0;
    distance_CE 28.0; distance_NE 24.0; }
object line_spacing { name ls510; distance_CN 5.024938; distance_CE 29.0; distance_NE 24.0; }
object line_spacing { name ls515; distance_AB 0.500000; distance_BC 0.500000; distance_AC 1.000000; }
object line_configuration { name lc601; conductor_A olc6010; conductor_B olc6010; conductor_C olc6010;
    conductor_N olc6020; spacing ls500601; }
object line_configuration { name lc602; conductor_A olc6020; conductor_B olc6020; conductor_C olc6020;
    conductor_N olc6020; spacing ls500602; }
object line_configuration { name lc603; conductor_B olc6030; conductor_C olc6030; conductor_N olc6030;
    spacing ls505603; }
object line_configuration { name lc604; conductor_A olc6030; conductor_C olc6030; conductor_N olc6030;
    spacing ls505604; }
object line_configuration { name lc605; conductor_C olc6030; conductor_N olc6030; spacing ls510; }
object line_configuration { name lc606; conductor_A ulc6060; conductor_B ulc6060; conductor_C ulc6060;
    spacing ls515; }
"""

# Kersting, "Distribution System Modeling and Analysis" / IEEE 13 Node Test Feeder: ohm/mile and microsiemens/mile
KERSTING = {
    "lc601": ("ABC", [[0.3465 + 1.0179j, 0.1560 + 0.5017j, 0.1580 + 0.4236j],
                      [0.1560 + 0.5017j, 0.3375 + 1.0478j, 0.1535 + 0.3849j],
                      [0.1580 + 0.4236j, 0.1535 + 0.3849j, 0.3414 + 1.0348j]],
              [[6.2998, -1.9958, -1.2595], [-1.9958, 5.9597, -0.7417], [-1.2595, -0.7417, 5.6386]]),
    "lc602": ("ABC", [[0.7526 + 1.1814j, 0.1580 + 0.4236j, 0.1560 + 0.5017j],
                      [0.1580 + 0.4236j, 0.7475 + 1.1983j, 0.1535 + 0.3849j],
                      [0.1560 + 0.5017j, 0.1535 + 0.3849j, 0.7436 + 1.2112j]],
              [[5.6990, -1.0817, -1.6905], [-1.0817, 5.1795, -0.6588], [-1.6905, -0.6588, 5.4246]]),
    "lc603": ("BC", [[1.3294 + 1.3471j, 0.2066 + 0.4591j], [0.2066 + 0.4591j, 1.3238 + 1.3569j]],
              [[4.7097, -0.8999], [-0.8999, 4.6658]]),
    "lc604": ("AC", [[1.3238 + 1.3569j, 0.2066 + 0.4591j], [0.2066 + 0.4591j, 1.3294 + 1.3471j]],
              [[4.6658, -0.8999], [-0.8999, 4.7097]]),
    "lc605": ("C", [[1.3292 + 1.3475j]], [[4.5193]]),
    "lc606": ("ABC", [[0.7982 + 0.4463j, 0.3192 + 0.0328j, 0.2849 - 0.0143j],
                      [0.3192 + 0.0328j, 0.7891 + 0.4041j, 0.3192 + 0.0328j],
                      [0.2849 - 0.0143j, 0.3192 + 0.0328j, 0.7982 + 0.4463j]],
              [[96.8897, 0, 0], [0, 96.8897, 0], [0, 0, 96.8897]]),
}


def _write(tmp_path, body, capacitance="false", name="case.glm"):
    path = tmp_path / name
    path.write_text(HEADER.format(capacitance=capacitance) + body)
    return path


def _primitive(document, name):
    """``(node names, complex yprim)`` of the primitive called ``name``."""
    for p in document["primitives"]:
        if p["name"] == name:
            return p["nodes"], np.array(p["yprim_re"]) + 1j * np.array(p["yprim_im"])
    raise KeyError(name)


def _series_and_shunt(y):
    """Series impedance and total shunt admittance of a two-terminal pi section."""
    n = y.shape[0] // 2
    ys = -y[:n, n:]
    return np.linalg.inv(ys), 2.0 * (y[:n, :n] - ys)


@pytest.mark.parametrize("config", sorted(KERSTING))
def test_line_matrices_match_kersting(config, tmp_path):
    phases, z_ref, b_ref = KERSTING[config]
    kind, wires = ("underground_line", phases) if config == "lc606" else ("overhead_line", phases + "N")
    body = IEEE13_LIBRARY + f"""
object node {{ name n1; phases {wires}; nominal_voltage 7199.558; }}
object {kind} {{ name l1; phases {wires}; from src; to n1; length 5280; configuration {config}; }}
"""
    document, _ = glm.read(_write(tmp_path, body, capacitance="true"))
    nodes, y = _primitive(document, f"{kind}.l1")
    assert nodes == [f"src.{'ABC'.index(p) + 1}" for p in phases] + [f"n1.{'ABC'.index(p) + 1}" for p in phases]
    z, ysh = _series_and_shunt(y)
    # Kersting prints 4 decimals; GridLAB-D's Carson constants are his (0.00158836 f, 0.00202237 f, 7.6786)
    np.testing.assert_allclose(z, np.array(z_ref), atol=6e-4)
    # the concentric-neutral cable's capacitance: GridLAB-D's formula (2 pi eps0 eps_r / ln-terms, exact eps0) lands
    # 0.3 % below Kersting's printed 96.8897 uS/mile; the GridLAB-D circuit test below pins GridLAB-D's own value
    rtol_b = 4e-3 if config == "lc606" else 2e-3
    np.testing.assert_allclose(ysh.imag * 1e6, np.array(b_ref), atol=rtol_b * np.abs(b_ref).max())
    np.testing.assert_allclose(ysh.real, 0.0, atol=1e-15)


def test_tape_shielded_cable_matches_kersting_example(tmp_path):
    # Kersting's example 4.3: 1/0 AA tape-shielded cable (0.88 in over the tape, 5 mil copper tape) with a separate
    # 1/0 Cu neutral 3 in away: z = 1.3218 + j0.6744 ohm/mile
    body = """
object underground_line_conductor { name ts; outer_diameter 1.06; conductor_gmr 0.0111; conductor_diameter 0.368;
    conductor_resistance 0.97; shield_gmr 0.0365; shield_resistance 4.2786; shield_thickness 0.005;
    shield_diameter 0.88; insulation_relative_permitivitty 2.3; }
object underground_line_conductor { name cu10; outer_diameter 0.368; conductor_gmr 0.0111; conductor_diameter 0.368;
    conductor_resistance 0.607; }
object line_spacing { name sp; distance_AN 0.25; }
object line_configuration { name cfg; conductor_A ts; conductor_N cu10; spacing sp; }
object node { name n1; phases AN; nominal_voltage 7199.558; }
object underground_line { name l1; phases AN; from src; to n1; length 5280; configuration cfg; }
"""
    document, _ = glm.read(_write(tmp_path, body))
    _, y = _primitive(document, "underground_line.l1")
    z, _ = _series_and_shunt(y)
    assert abs(z[0, 0] - (1.3218 + 0.6744j)) < 1e-3


def test_closed_forms_of_switch_fuse_recloser_capacitor_regulator_transformer(tmp_path):
    body = """
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object node { name n2; phases ABCN; nominal_voltage 7199.558; }
object node { name n3; phases ABCN; nominal_voltage 7199.558; }
object node { name n4; phases ABCN; nominal_voltage 7199.558; }
object node { name n5; phases ABCN; nominal_voltage 277.128; }
object switch { name sw; phases ABCN; from src; to n1; status CLOSED; }
object fuse { name fu; phases ABCN; from n1; to n2; current_limit 100 A; status CLOSED; }
object recloser { name rc; phases ABCN; from n2; to n3; status CLOSED; }
object regulator_configuration { name rcfg; connect_type 1; band_center 7500; band_width 120; time_delay 30;
    raise_taps 16; lower_taps 16; regulation 0.10; Control MANUAL; Type A; tap_pos_A 4; tap_pos_B -3; tap_pos_C 0; }
object regulator { name reg; phases ABC; from n3; to n4; configuration rcfg; }
object transformer_configuration { name tc; connect_type WYE_WYE; install_type PADMOUNT; primary_voltage 12470;
    secondary_voltage 480; power_rating 300; resistance 0.011; reactance 0.02; }
object transformer { name tr; phases ABCN; from n4; to n5; configuration tc; }
object capacitor { name cap; parent n4; phases ABCN; phases_connected ABCN; capacitor_A 0.1 MVAr;
    capacitor_B 0.2 MVAr; capacitor_C 50 kVAr; switchA CLOSED; switchB OPEN; switchC CLOSED; control MANUAL;
    cap_nominal_voltage 7200; nominal_voltage 7200; }
"""
    document, report = glm.read(_write(tmp_path, body))
    r = 1e-4  # GridLAB-D's default_resistance
    eye = np.eye(3)
    _, y = _primitive(document, "switch.sw")
    y_sw = 1.0 / complex(r, -r)
    np.testing.assert_allclose(y, np.block([[eye, -eye], [-eye, eye]]) * y_sw, rtol=1e-14)
    _, y = _primitive(document, "recloser.rc")
    np.testing.assert_allclose(y, np.block([[eye, -eye], [-eye, eye]]) * y_sw, rtol=1e-14)
    _, y = _primitive(document, "fuse.fu")
    np.testing.assert_allclose(y, np.block([[eye, -eye], [-eye, eye]]) * complex(1, 1) / r, rtol=1e-14)
    # type A regulator: ratio 1 / (1 + tap * regulation / raise_taps) behind 1 / default_resistance
    _, y = _primitive(document, "regulator.reg")
    a = np.diag([1 / (1 + 4 * 0.1 / 16), 1 / (1 - 3 * 0.1 / 16), 1.0])
    ai = np.linalg.inv(a)
    np.testing.assert_allclose(y, np.block([[ai @ ai, -ai], [-ai, eye]]) / r, rtol=1e-13)
    assert report["regulator_taps"]["reg"] == dict(A=4, B=-3, C=0, source="file", control_in_file="MANUAL", type="A")
    # wye-wye: per phase 1 / z_t on the secondary base, ratio of the voltages
    _, y = _primitive(document, "transformer.tr")
    zt = complex(0.011, 0.02) * 480.0 ** 2 / 300e3
    n = 12470.0 / 480.0
    np.testing.assert_allclose(y, np.block([[eye / n ** 2, -eye / n], [-eye / n, eye]]) / zt, rtol=1e-13)
    # wye capacitor: j Q / V^2 per closed phase at the capacitor's nominal voltage
    nodes, y = _primitive(document, "capacitor.cap")
    assert nodes == ["n4.1", "n4.3"]
    np.testing.assert_allclose(np.diag(y), 1j * np.array([100e3, 50e3]) / 7200.0 ** 2, rtol=1e-14)


# --------------------------------------------------------------------------- small circuits against GridLAB-D
LOAD_ABC = """
object load {{ name ld; parent {bus}; phases ABCN; nominal_voltage {v}; constant_power_A {pa};
    constant_power_B {pb}; constant_power_C {pc}; }}
"""

CIRCUITS = {
    "overhead_601": IEEE13_LIBRARY + """
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object overhead_line { name l1; phases ABCN; from src; to n1; length 2000; configuration lc601; }
""" + LOAD_ABC.format(bus="n1", v=7199.558, pa="400000+200000j", pb="300000+100000j", pc="500000+250000j"),
    "overhead_603_two_phase": IEEE13_LIBRARY + """
object node { name n1; phases BCN; nominal_voltage 7199.558; }
object overhead_line { name l1; phases BCN; from src; to n1; length 3000; configuration lc603; }
object load { name ld; parent n1; phases BCN; nominal_voltage 7199.558; constant_power_B 200000+80000j;
    constant_impedance_C 400+150j; }
""",
    "underground_606": IEEE13_LIBRARY + """
object node { name n1; phases ABC; nominal_voltage 7199.558; }
object underground_line { name l1; phases ABC; from src; to n1; length 3000; configuration lc606; }
object load { name ld; parent n1; phases ABCD; nominal_voltage 7199.558; constant_power_A 400000+200000j;
    constant_power_B 300000+100000j; constant_current_C 40+10j; }
""",
    "tape_shield": """
object underground_line_conductor { name ts; outer_diameter 1.06; conductor_gmr 0.0111; conductor_diameter 0.368;
    conductor_resistance 0.97; shield_gmr 0.0365; shield_resistance 4.2786; shield_thickness 0.005;
    shield_diameter 0.88; insulation_relative_permitivitty 2.3; }
object underground_line_conductor { name cu10; outer_diameter 0.368; conductor_gmr 0.0111; conductor_diameter 0.368;
    conductor_resistance 0.607; }
object line_spacing { name sp; distance_AN 0.25; }
object line_configuration { name cfg; conductor_A ts; conductor_N cu10; spacing sp; }
object node { name n1; phases AN; nominal_voltage 7199.558; }
object underground_line { name l1; phases AN; from src; to n1; length 4000; configuration cfg; }
object load { name ld; parent n1; phases AN; nominal_voltage 7199.558; constant_power_A 300000+100000j; }
""",
    "wye_wye_with_shunt": """
object transformer_configuration { name tc; connect_type WYE_WYE; install_type PADMOUNT; primary_voltage 12470;
    secondary_voltage 480; power_rating 500; resistance 0.011; reactance 0.02; shunt_impedance 5000+2000j; }
object node { name n1; phases ABCN; nominal_voltage 277.128; }
object transformer { name t1; phases ABCN; from src; to n1; configuration tc; }
""" + LOAD_ABC.format(bus="n1", v=277.128, pa="120000+50000j", pb="100000+40000j", pc="140000+30000j"),
    "delta_delta": """
object transformer_configuration { name tc; connect_type DELTA_DELTA; install_type PADMOUNT; primary_voltage 12470;
    secondary_voltage 4160; power_rating 3000; resistance 0.01; reactance 0.06; }
object node { name n1; phases ABC; nominal_voltage 2401.777; }
object transformer { name t1; phases ABC; from src; to n1; configuration tc; }
object load { name ld; parent n1; phases ABCD; nominal_voltage 2401.777; constant_power_A 500000+200000j;
    constant_power_B 700000+300000j; constant_power_C 600000+100000j; }
""",
    "delta_gwye": """
object transformer_configuration { name tc; connect_type DELTA_GWYE; install_type PADMOUNT; primary_voltage 12470;
    secondary_voltage 4160; power_rating 6000; resistance 0.01; reactance 0.06; }
object node { name n1; phases ABCN; nominal_voltage 2401.777; }
object transformer { name t1; phases ABCN; from src; to n1; configuration tc; }
object load { name ld; parent n1; phases ABCN; nominal_voltage 2401.777; constant_power_A 1000000+400000j;
    constant_power_B 800000+300000j; constant_current_C 200+50j; }
""",
    "single_phase": """
object transformer_configuration { name tc; connect_type SINGLE_PHASE; install_type POLETOP; primary_voltage 7200;
    secondary_voltage 240; powerB_rating 50; resistance 0.012; reactance 0.03; }
object node { name n1; phases BN; nominal_voltage 240; }
object transformer { name t1; phases BN; from src; to n1; configuration tc; }
object load { name ld; parent n1; phases BN; nominal_voltage 240; constant_power_B 30000+10000j; }
""",
    "center_tapped_triplex": """
object transformer_configuration { name tc; connect_type SINGLE_PHASE_CENTER_TAPPED; install_type POLETOP;
    primary_voltage 7200; secondary_voltage 120; powerA_rating 50; resistance 0.011; reactance 0.018;
    shunt_impedance 10000+8000j; }
object triplex_line_conductor { name tlc; resistance 0.97; geometric_mean_radius 0.0111; }
object triplex_line_configuration { name tcfg; conductor_1 tlc; conductor_2 tlc; conductor_N tlc;
    insulation_thickness 0.08; diameter 0.368; }
object triplex_node { name t0; phases AS; nominal_voltage 120; }
object triplex_node { name t1; phases AS; nominal_voltage 120; }
object transformer { name x1; phases AS; from src; to t0; configuration tc; }
object triplex_line { name tl; phases AS; from t0; to t1; length 100 ft; configuration tcfg; }
object triplex_load { name tld; parent t1; phases AS; nominal_voltage 120; constant_power_1 6000+2000j;
    constant_power_2 4000+1000j; constant_impedance_12 9+3j; }
""",
    "regulator_type_b_with_switchgear": """
object regulator_configuration { name rcfg; connect_type 1; band_center 7500; band_width 120; time_delay 30;
    raise_taps 16; lower_taps 16; regulation 0.10; Control MANUAL; Type B; tap_pos_A 5; tap_pos_B -2; tap_pos_C 9; }
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object node { name n2; phases ABCN; nominal_voltage 7199.558; }
object node { name n3; phases ABCN; nominal_voltage 7199.558; }
object node { name n4; phases ABCN; nominal_voltage 7199.558; }
object regulator { name reg; phases ABC; from src; to n1; configuration rcfg; }
object switch { name sw; phases ABCN; from n1; to n2; status CLOSED; }
object fuse { name fu; phases ABCN; from n2; to n3; current_limit 1000 A; status CLOSED; }
object recloser { name rc; phases ABCN; from n3; to n4; status CLOSED; }
object capacitor { name cap; parent n4; phases ABCN; phases_connected ABCN; capacitor_A 0.3 MVAr;
    capacitor_B 0.2 MVAr; capacitor_C 0.1 MVAr; switchA CLOSED; switchB CLOSED; switchC OPEN; control MANUAL;
    cap_nominal_voltage 7200; nominal_voltage 7200; }
""" + LOAD_ABC.format(bus="n4", v=7199.558, pa="900000+400000j", pb="700000+300000j", pc="800000+350000j"),
    "zip_and_delta_loads_children": IEEE13_LIBRARY + """
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object overhead_line { name l1; phases ABCN; from src; to meter:20; length 2500; configuration lc602; }
object meter:20 { name m1; phases ABCN; nominal_voltage 7199.558; }
object load { name zip; parent m1; phases ABCN; nominal_voltage 7199.558; base_power_A 300 kVA; power_pf_A 0.9;
    current_pf_A 0.95; impedance_pf_A 0.85; power_fraction_A 0.4; current_fraction_A 0.3; impedance_fraction_A 0.3;
    base_power_B 250000; power_pf_B 0.92; current_pf_B 0.9; impedance_pf_B 1.0; power_fraction_B 0.5;
    current_fraction_B 0.5; impedance_fraction_B 0.0; constant_power_C 200000+50000j; }
object load { name dl; parent meter:20; phases ABCD; nominal_voltage 7199.558; constant_power_A 100000+40000j;
    constant_current_B 15+5j; constant_impedance_C 1500+500j; }
object overhead_line { name l2; phases ABCN; from m1; to n1; length 1000; configuration lc601; }
object load { name ld; parent n1; phases ABCN; nominal_voltage 7199.558; constant_current_A 30-10j;
    constant_current_B -20+5j; constant_impedance_C 300+100j; }
""",
}


@pytest.mark.parametrize("case", sorted(CIRCUITS))
def test_small_circuit_equals_gridlabd(case, tmp_path):
    need_gridlabd()
    path = _write(tmp_path, CIRCUITS[case], capacitance="true")
    document, report = glm.read(path)
    feeder = Feeder.from_document(document)
    result = power_flow(feeder, tolerance_pu=1e-12)
    oracle = tmp_path / "oracle"
    oracle.mkdir()
    dump, _ = gridlabd_voltages(path, oracle)
    worst, where, count = compare(feeder, result, report, dump)
    assert count >= feeder.n_nodes
    drop = np.abs(1.0 - np.abs(result.voltage)).max()
    assert drop > 1e-3, "the load should move the voltages"
    assert worst <= 2e-8, (worst, where)
