"""From parsed GridLAB-D objects to an evcore feeder document, with GridLAB-D's Newton-Raphson models.

This file is long (about 900 lines) because it is one translation table: every powerflow class GridLAB-D
feeders use, its properties, units and defaults, and the admittance GridLAB-D's NR solver gives it
(``link.cpp``, ``transformer.cpp``, ``regulator.cpp``, ``switch_object.cpp``, ``capacitor.cpp``,
``load.cpp``, ``triplex_node.cpp``). Splitting it would scatter one mapping over several files.

Conventions of the document (see :mod:`evcore.grid._format`): nodes ``bus.phase`` with phases 1, 2, 3 for
A, B, C and, on triplex buses, 1 and 2 for lines 1 and 2; voltages are node-to-ground phasors (GridLAB-D
reports ``voltage_2`` of a triplex node with the opposite sign: ``v(bus.2) = -voltage_2``); the neutral is
grounded everywhere (GridLAB-D's Kron-reduced four-wire model); every branch element is a primitive
admittance over its conductors; the SWING bus is an ideal source.

GridLAB-D model choices kept as they are (so that results equal GridLAB-D's):

* WYE_WYE, SINGLE_PHASE and DELTA_DELTA transformers: per phase ``y = 1/z`` with
  ``z = (R + jX) V_secondary^2 / S_total`` on the secondary side of an ideal ratio ``V_primary/V_secondary``
  (line-to-line ratings even for a one-phase unit), between phase and ground on both sides; ``shunt_impedance``
  is ignored by GridLAB-D's NR solver for these types (it warns), and here too.
* DELTA_GWYE: secondary ``y`` per phase, primary self-admittance ``y / n^2`` per phase and the delta-wye
  coupling ``c = [[1,0,-1],[-1,1,0],[0,-1,1]] / (n sqrt 3)`` (step-down; its transpose pattern for step-up).
* SINGLE_PHASE_CENTER_TAPPED: primary ``z0 = (0.5 R + j 0.8 X) Z_hi``, half windings
  ``z1 = z2 = (R + j 0.4 X) Z_lo`` (or ``impedance1``/``impedance2``), magnetising ``zc`` on the primary.
* regulators: per phase ``y = 1 / regulator_resistance`` (default ``default_resistance``) behind the ratio
  ``a`` = ``1/(1 + tap r/N)`` (type A) or ``1 - tap r/N`` (type B).
* switches, fuses, reclosers, sectionalizers: ``1 / (R + jX)`` per closed phase (GridLAB-D's defaults).
* loads: constant power (pure), constant impedance and constant current (evcore load model 9: a constant current
  magnitude whose angle follows the voltage; GridLAB-D gives the phasor at the nominal voltage and rotates it).
"""

from __future__ import annotations

import cmath
import math
import re

import numpy as np

from ..errors import InputError
from . import _glm_lines as lines
from ._glm_parse import GlmModel
from ._glm_units import to_complex, to_float, to_int

__all__ = ["build_document", "NODE_CLASSES", "LINK_CLASSES", "HARMLESS_CLASSES", "UNSUPPORTED_CLASSES"]

NODE_CLASSES = {"node", "meter", "load", "triplex_node", "triplex_meter", "triplex_load", "capacitor", "substation"}
LINK_CLASSES = {"overhead_line", "underground_line", "triplex_line", "transformer", "regulator", "switch", "fuse",
                "recloser", "sectionalizer", "series_reactor"}
LIBRARY_CLASSES = {"line_configuration", "line_spacing", "overhead_line_conductor", "underground_line_conductor",
                   "triplex_line_configuration", "triplex_line_conductor", "transformer_configuration",
                   "regulator_configuration"}
#: Objects that do not change a steady-state power flow: skipped and listed in the report.
HARMLESS_CLASSES = {"recorder", "voltdump", "currdump", "complex_assert", "double_assert", "enum_assert",
                    "int_assert", "multi_recorder", "group_recorder", "collector", "histogram", "billdump",
                    "impedance_dump", "power_metrics", "metrics", "metrics_collector", "metrics_collector_writer",
                    "jsondump", "climate", "csv_reader", "powerflow_library"}
#: Objects that would change the answer and that evcore does not model: an InputError naming them.
UNSUPPORTED_CLASSES = {"house", "inverter", "solar", "battery", "diesel_dg", "windturb_dg", "energy_storage",
                       "waterheater", "ZIPload", "evcharger", "evcharger_det", "player", "shaper", "generator",
                       "motor", "pqload", "volt_var_control", "load_tracker", "fault_check", "restoration", "vfd",
                       "frequency_gen", "relay", "power_electronics", "rectifier", "dc_dc_converter", "central_dg_control",
                       "controller", "auction", "passive_controller", "stubauction", "office", "plugload",
                       "performance_motor", "sync_check", "triplex_load_tracker", "emissions", "b2b_converter",
                       "series_compensator", "pole", "pole_configuration", "billing"}

_TAP_FIELDS = ("tap_pos_A", "tap_pos_B", "tap_pos_C")
_PHASE_INDEX = {"A": 0, "B": 1, "C": 2}

# properties read per class (anything else on a modelled object must be harmless: listed below, else refused)
_COMMON = {"name", "parent", "phases", "groupid", "latitude", "longitude", "flags", "rank", "in_svc", "out_svc",
           "in", "out", "heartbeat", "guid", "clock", "comment", "service_status", "service_status_double",
           "previous_uptime", "current_uptime", "rank"}
_NODE_IGNORED = {"voltage_A", "voltage_B", "voltage_C", "voltage_AB", "voltage_BC", "voltage_CA", "voltage_1",
                 "voltage_2", "voltage_N", "voltage_12", "voltage_1N", "voltage_2N", "nominal_voltage", "bustype",
                 "load_class", "load_priority", "maximum_voltage_error", "busflags", "reference_bus",
                 "mean_repair_time", "GFA_enable", "GFA_freq_low_trip", "GFA_freq_high_trip", "GFA_volt_low_trip",
                 "GFA_volt_high_trip", "GFA_reconnect_time", "GFA_freq_disconnect_time", "GFA_volt_disconnect_time",
                 "frequency_measure_type", "topological_parent", "bill_mode", "bill_day", "monthly_fee",
                 "price", "first_tier_price", "second_tier_price", "third_tier_price", "first_tier_energy",
                 "second_tier_energy", "third_tier_energy", "power_market", "price_prop", "meter_power_consumption",
                 "measured_real_energy", "measured_reactive_energy", "customer_interrupted", "customer_count",
                 "pt_phase", "voltage_set_high", "voltage_set_low", "VAr_set_high", "VAr_set_low",
                 "current_set_high", "current_set_low", "time_delay", "dwell_time", "lockout_time",
                 "remote_sense", "remote_sense_B", "control_level", "cap_A_switch_count", "cap_B_switch_count",
                 "cap_C_switch_count", "positive_sequence_voltage", "base_power", "power_convergence_value",
                 "three_phase_protect", "distribution_load", "distribution_power_A", "distribution_power_B",
                 "distribution_power_C"}
_LINK_IGNORED = {"continuous_rating", "emergency_rating", "current_limit", "mean_replacement_time",
                 "mean_repair_time", "repair_time", "retry_time", "max_number_of_tries", "number_of_tries",
                 "operating_mode", "install_type", "nominal_current", "vfd_name", "use_thermal_model",
                 "aging_granularity", "climate", "ambient_temperature", "sense_node", "msg_mode",
                 "reverse_flow_control", "fuse_type", "recloser_delay", "recloser_tries", "recloser_reset_time",
                 "sectionalizer_tries", "switch_banked_mode", "inrush_integration_method", "rating_continuous",
                 "rating_emergency", "winding_hot_spot_temperature", "top_oil_hot_spot_temperature",
                 "percent_loss_of_life", "aging_constant", "transformer_replacement_count"}


def _ref_pattern():
    return re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(\d+)$")


class _Ctx:
    """Shared state of one build: object indexes, settings, the report."""

    def __init__(self, model: GlmModel):
        self.model = model
        self.report = dict(source=model.source, objects={}, skipped=[], id_clashes=[], regulator_taps={},
                           aliases={}, notes=[], negative_resistance=[], asserts=[], settings={},
                           unused_library_objects=[])
        self.by_name = {}
        self.by_id = {}
        self.ref = _ref_pattern()
        self.line_cache = {}

    def where(self, obj, prop=None):
        if prop is not None and prop in obj.props:
            return f"{obj.source}:{obj.props[prop][1]}"
        return obj.where

    def prop(self, obj, name, default=None):
        value = obj.props.get(name)
        return default if value is None else value[0]

    def num(self, obj, name, default=None, unit=None):
        if name not in obj.props:
            if default is None:
                raise InputError(obj.where, f"{obj.cls} {obj.label}: property {name!r} is required")
            return default
        return to_float(obj.props[name][0], self.where(obj, name), f"{obj.cls} {obj.label}.{name}", unit)

    def cplx(self, obj, name, default=None, unit=None):
        if name not in obj.props:
            return default
        return to_complex(obj.props[name][0], self.where(obj, name), f"{obj.cls} {obj.label}.{name}", unit)

    def resolve(self, obj, prop, expect=None):
        """The object a property refers to (by name, or ``class:id``)."""
        text = self.prop(obj, prop)
        if text is None:
            raise InputError(obj.where, f"{obj.cls} {obj.label}: property {prop!r} is required")
        target = self.by_name.get(text)
        if target is None:
            m = self.ref.match(text)
            if m is not None:
                target = self.by_id.get((m.group(1), int(m.group(2))))
        if target is None:
            raise InputError(self.where(obj, prop), f"{obj.cls} {obj.label}.{prop}: no object named {text!r} "
                                                    "(a dangling reference)")
        if expect is not None and target.cls not in expect:
            raise InputError(self.where(obj, prop), f"{obj.cls} {obj.label}.{prop}: {text!r} is a {target.cls}, "
                                                    f"expected {' or '.join(sorted(expect))}")
        return target


def _phases(ctx, obj, required=True):
    text = ctx.prop(obj, "phases")
    if text is None:
        if required:
            raise InputError(obj.where, f"{obj.cls} {obj.label}: property 'phases' is required")
        return ""
    letters = re.sub(r"[\s|\"']", "", text.upper())
    if not letters or any(c not in "ABCDNSG" for c in letters):
        raise InputError(ctx.where(obj, "phases"), f"{obj.cls} {obj.label}: bad phases {text!r}")
    return letters


def _check_props(ctx, obj, known):
    for name, (_, line) in obj.props.items():
        if name in known or name in _COMMON or name.startswith("rating."):
            continue
        raise InputError(f"{obj.source}:{line}", f"{obj.cls} {obj.label}: property {name!r} is not supported "
                                                  "by evcore's GLM reader (it could change the answer)")


# ----------------------------------------------------------------------------------------------- buses
class _Bus:
    def __init__(self, name, obj, triplex):
        self.name = name
        self.obj = obj
        self.triplex = triplex
        self.phases = set()
        self.nominal_v = None
        self.swing = False
        self.members = [obj]


def _root(ctx, obj, seen=None):
    """The top node-class ancestor of a node-class object (children merge into their parent's bus)."""
    chain = []
    cur = obj
    while True:
        chain.append(cur)
        parent = None
        if "parent" in cur.props:
            parent = ctx.resolve(cur, "parent")
        elif cur.nested_parent is not None and cur.nested_parent.cls in NODE_CLASSES:
            parent = cur.nested_parent
        if parent is None or parent.cls not in NODE_CLASSES:
            if parent is not None and cur.cls in NODE_CLASSES:
                raise InputError(ctx.where(cur, "parent"), f"{cur.cls} {cur.label}: its parent {parent.label} is a "
                                                           f"{parent.cls}, not a node")
            return cur
        if parent in chain:
            raise InputError(ctx.where(cur, "parent"), f"{cur.cls} {cur.label}: parent relations form a cycle")
        cur = parent


def _bus_name(obj):
    return obj.label.lower()


def _build_buses(ctx, nodes):
    buses = {}
    owner = {}  # id(obj) -> bus
    for obj in nodes:
        root = _root(ctx, obj)
        key = id(root)
        bus = buses.get(key)
        if bus is None:
            triplex = root.cls.startswith("triplex") or "S" in _phases(ctx, root, required=False)
            bus = _Bus(_bus_name(root), root, triplex)
            buses[key] = bus
        if obj is not root:
            bus.members.append(obj)
            ctx.report["aliases"][obj.label] = bus.name
        owner[id(obj)] = bus
    names = {}
    for bus in buses.values():
        if bus.name in names:
            raise InputError(bus.obj.where, f"bus name {bus.name!r} (lower case) is used by two node objects "
                                            f"({names[bus.name].label} at {names[bus.name].where} and "
                                            f"{bus.obj.label}); evcore's node ids are case-insensitive")
        names[bus.name] = bus.obj
        root = bus.obj
        phases = _phases(ctx, root)
        if bus.triplex:
            if "S" not in phases:
                raise InputError(ctx.where(root, "phases"), f"{root.cls} {root.label}: a triplex node needs phase S")
            bus.phases = {1, 2}
            bus.primary = next((p for p in "ABC" if p in phases), None)
        else:
            bus.phases = {_PHASE_INDEX[p] + 1 for p in phases if p in "ABC"}
            if not bus.phases:
                raise InputError(ctx.where(root, "phases"), f"{root.cls} {root.label}: no phase A, B or C")
        bus.nominal_v = ctx.num(root, "nominal_voltage", unit="V")
        if not bus.nominal_v > 0:
            raise InputError(ctx.where(root, "nominal_voltage"), f"{root.cls} {root.label}: nominal_voltage "
                                                                 f"must be positive, got {bus.nominal_v!r}")
        bustype = (ctx.prop(root, "bustype") or "PQ").upper()
        if bustype not in ("PQ", "SWING", "SWING_PQ"):
            raise InputError(ctx.where(root, "bustype"), f"{root.cls} {root.label}: bustype {bustype} is not "
                                                         "supported (PQ or SWING)")
        bus.swing = bustype.startswith("SWING")
        for member in bus.members[1:]:
            mph = _phases(ctx, member)
            if bus.triplex != (member.cls.startswith("triplex") or "S" in mph):
                raise InputError(member.where, f"{member.cls} {member.label}: a triplex object cannot be the child of "
                                               f"a three-phase node or the other way round ({bus.obj.label})")
            if not bus.triplex:
                extra = {_PHASE_INDEX[p] + 1 for p in mph if p in "ABC"} - bus.phases
                if extra:
                    raise InputError(ctx.where(member, "phases"), f"{member.cls} {member.label}: phases {mph} are not "
                                                                  f"all on its parent {bus.obj.label}")
            if member.props.get("bustype", ("PQ",))[0].upper().startswith("SWING"):
                raise InputError(ctx.where(member, "bustype"), f"{member.cls} {member.label}: a SWING bus cannot be "
                                                               "a child object")
    return buses, owner


# ----------------------------------------------------------------------------------------------- elements
def _conductor_data(ctx, obj, keys, units):
    out = {}
    for key, unit in zip(keys, units):
        if key in obj.props:
            out[key] = ctx.num(obj, key, unit=unit)
    return out


_OH_COND = (("resistance", "Ohm/mile"), ("geometric_mean_radius", "ft"), ("diameter", "in"))
_UG_COND = (("outer_diameter", "in"), ("conductor_gmr", "ft"), ("conductor_diameter", "in"),
            ("conductor_resistance", "Ohm/mile"), ("neutral_gmr", "ft"), ("neutral_diameter", "in"),
            ("neutral_resistance", "Ohm/mile"), ("neutral_strands", None), ("shield_gmr", "ft"),
            ("shield_resistance", "Ohm/mile"), ("shield_thickness", "in"), ("shield_diameter", "in"),
            ("insulation_relative_permitivitty", None))
_SPACING = tuple(f"distance_{a}{b}" for a, b in ("AB", "AC", "BC", "AN", "BN", "CN", "AE", "BE", "CE", "NE"))
_SPACING_ALIASES = {"distance_BA": "distance_AB", "distance_CA": "distance_AC", "distance_CB": "distance_BC",
                    "distance_NA": "distance_AN", "distance_NB": "distance_BN", "distance_NC": "distance_CN"}


def _library(ctx, obj, used):
    used.add(id(obj))
    return obj


def _line_element(ctx, obj, used, settings):
    kind = obj.cls
    phases = _phases(ctx, obj)
    length = ctx.num(obj, "length", unit="ft")
    if not length > 0:
        raise InputError(ctx.where(obj, "length"), f"{kind} {obj.label}: length must be positive (GridLAB-D's NR "
                                                   f"solver refuses zero-length lines), got {length!r}")
    config = _library(ctx, ctx.resolve(obj, "configuration", {"line_configuration", "triplex_line_configuration"}),
                      used)
    _check_props(ctx, obj, {"from", "to", "length", "configuration", "status"} | _LINK_IGNORED)
    if kind != "triplex_line" and not any(p in phases for p in "ABC"):
        raise InputError(ctx.where(obj, "phases"), f"{kind} {obj.label}: no phase A, B or C")
    cached = ctx.line_cache.get((id(config), kind, phases))
    if cached is None:
        cached = ctx.line_cache[(id(config), kind, phases)] = _line_per_mile(ctx, obj, config, kind, phases, used,
                                                                             settings)
    miles = length / 5280.0
    if kind == "triplex_line":
        z = cached * miles
        if (np.real(z[0, :]) < 0).any():
            ctx.report["negative_resistance"].append(f"triplex_line {obj.label}")
        y = np.linalg.inv(z)
        return dict(series=y, shunt=np.zeros((2, 2), complex), triplex=True, phases=phases)
    zabc, yabc, note = cached
    zabc, yabc = zabc * miles, yabc * miles
    if note:
        ctx.report["notes"].append(f"{kind} {obj.label}: {note}")
    present = [p in phases for p in "ABC"]
    idx = [i for i in range(3) if present[i]]
    sub = zabc[np.ix_(idx, idx)]
    if (sub.real < 0).any():
        ctx.report["negative_resistance"].append(f"{kind} {obj.label}")
    try:
        ys = np.linalg.inv(sub)
    except np.linalg.LinAlgError:
        raise InputError(obj.where, f"{kind} {obj.label}: its series impedance matrix is singular") from None
    if not np.isfinite(ys).all():
        raise InputError(obj.where, f"{kind} {obj.label}: its series impedance is not invertible in double "
                                    "precision")
    return dict(series=ys, shunt=yabc[np.ix_(idx, idx)], triplex=False, phases=phases, idx=idx)


def _line_per_mile(ctx, obj, config, kind, phases, used, settings):
    """Series impedance and shunt admittance of one mile of ``config`` (cached per configuration and phases:
    GridLAB-D's line matrices scale linearly with length)."""
    length = 5280.0
    freq, cap = settings["frequency_hz"], settings["line_capacitance"]
    zkeys = [f"z{i}{j}" for i in (1, 2, 3) for j in (1, 2, 3)]
    if kind == "triplex_line":
        if config.cls != "triplex_line_configuration":
            raise InputError(ctx.where(obj, "configuration"), f"triplex_line {obj.label}: its configuration must "
                                                              "be a triplex_line_configuration")
        _check_props(ctx, config, {"conductor_1", "conductor_2", "conductor_N", "insulation_thickness", "diameter",
                                   "z11", "z12", "z21", "z22"})
        if any(k in config.props for k in ("z11", "z12", "z21", "z22")):
            z = np.array([[ctx.cplx(config, "z11", 0j, "Ohm/mile"), ctx.cplx(config, "z12", 0j, "Ohm/mile")],
                          [ctx.cplx(config, "z21", 0j, "Ohm/mile"), ctx.cplx(config, "z22", 0j, "Ohm/mile")]])
            # GridLAB-D's 2x2 matrix is stored for (V1, V2 reversed); the physical one flips row 2 and column 2
            z = z * np.array([[1, -1], [-1, 1]]) * np.array([[1, 1], [1, -1]]) * (length / 5280.0)
            ctx.report["notes"].append(f"triplex_line_configuration {config.label}: impedance given as a 2x2 matrix "
                                       "(GridLAB-D warns that neutral currents are then undetermined)")
        else:
            conds = {}
            for key, slot in (("conductor_1", "1"), ("conductor_2", "2"), ("conductor_N", "N")):
                c = _library(ctx, ctx.resolve(config, key, {"triplex_line_conductor"}), used)
                _check_props(ctx, c, {"resistance", "geometric_mean_radius", "diameter"})
                conds[slot] = _conductor_data(ctx, c, ("resistance", "geometric_mean_radius"), ("Ohm/mile", "ft"))
                for k in ("resistance", "geometric_mean_radius"):
                    if not conds[slot].get(k, 0) > 0:
                        raise InputError(c.where, f"triplex_line_conductor {c.label}: {k} must be positive")
            dia = ctx.num(config, "diameter", unit="in")
            ins = ctx.num(config, "insulation_thickness", unit="in")
            if not (dia + 2 * ins > 0 and dia + ins > 0):
                raise InputError(config.where, f"triplex_line_configuration {config.label}: diameter and "
                                               "insulation_thickness must make positive spacings")
            z = lines.triplex_line(conds, dia, ins, length, freq)
        return z
    if config.cls != "line_configuration":
        raise InputError(ctx.where(obj, "configuration"), f"{kind} {obj.label}: its configuration must be a "
                                                          "line_configuration")
    cfg_known = {"conductor_A", "conductor_B", "conductor_C", "conductor_N", "spacing"} | set(zkeys) | \
        {f"c{i}{j}" for i in (1, 2, 3) for j in (1, 2, 3)}
    _check_props(ctx, config, cfg_known)
    if any(k in config.props for k in ("z11", "z22", "z33")):
        zm = np.array([[ctx.cplx(config, f"z{i}{j}", 0j, "Ohm/mile") for j in (1, 2, 3)] for i in (1, 2, 3)])
        cm = np.array([[ctx.num(config, f"c{i}{j}", 0.0, "nF/mile") for j in (1, 2, 3)] for i in (1, 2, 3)])
        zabc, yabc = lines.matrix_line(phases, zm, cm, length, freq, cap)
        note = None
    else:
        conds = {}
        want = "overhead_line_conductor" if kind == "overhead_line" else "underground_line_conductor"
        data_keys = _OH_COND if kind == "overhead_line" else _UG_COND
        for p in "ABCN":
            key = f"conductor_{p}"
            if key in config.props:
                c = _library(ctx, ctx.resolve(config, key), used)
                if c.cls != want:
                    raise InputError(ctx.where(config, key), f"line_configuration {config.label}.{key}: {c.label} is "
                                                             f"a {c.cls}, a {kind} needs a {want}")
                _check_props(ctx, c, {k for k, _ in data_keys} | {"name"})
                conds[p] = {k: (ctx.num(c, k, unit=u) if u is not None else to_float(
                    c.props[k][0], ctx.where(c, k), f"{c.cls} {c.label}.{k}")) for k, u in data_keys if k in c.props}
            elif p in phases:
                raise InputError(ctx.where(config) if "conductor_A" not in config.props else config.where,
                                 f"line_configuration {config.label}: no conductor for phase {p} of {kind} "
                                 f"{obj.label} (missing configuration data)")
        spacing = {}
        if "spacing" in config.props:
            sp = _library(ctx, ctx.resolve(config, "spacing", {"line_spacing"}), used)
            _check_props(ctx, sp, set(_SPACING) | set(_SPACING_ALIASES))
            for k in list(_SPACING) + list(_SPACING_ALIASES):
                if k in sp.props:
                    spacing[_SPACING_ALIASES.get(k, k)] = ctx.num(sp, k, unit="ft")
        else:
            raise InputError(config.where, f"line_configuration {config.label}: no spacing (and no z11..z33) for "
                                           f"{kind} {obj.label}")
        fn = lines.overhead_line if kind == "overhead_line" else lines.underground_line
        zabc, yabc, note = fn(phases, conds, spacing, length, freq, cap)
    return zabc, yabc, note


def _switch_element(ctx, obj, settings):
    phases = _phases(ctx, obj)
    _check_props(ctx, obj, {"from", "to", "status", "phase_A_state", "phase_B_state", "phase_C_state",
                            "switch_resistance", "switch_reactance", "switch_impedance", "fuse_resistance",
                            "repair_dist_type"} | _LINK_IGNORED)
    status = (ctx.prop(obj, "status") or "CLOSED").upper()
    if status not in ("CLOSED", "OPEN"):
        raise InputError(ctx.where(obj, "status"), f"{obj.cls} {obj.label}: status must be CLOSED or OPEN, "
                                                   f"got {status!r}")
    # GridLAB-D's NR switch: 1 / (R + jX) per closed phase; unset values take +-default_resistance
    r_default = settings["default_resistance"]
    r = ctx.num(obj, "switch_resistance", -1.0, "Ohm")
    x = ctx.num(obj, "switch_reactance", -1.0, "Ohm")
    if "switch_impedance" in obj.props:
        zi = ctx.cplx(obj, "switch_impedance", unit="Ohm")
        r, x = zi.real, zi.imag
    if r <= 0.0:
        r = r_default
    if x < 0.0:
        x = -r_default
    elif x == 0.0:
        x = r_default
    y = 1.0 / complex(r, x)
    if obj.cls == "fuse":
        # GridLAB-D's NR fuse: admittance (1 + 1j) / fuse_resistance per closed phase (an impedance R (1 - 1j) / 2)
        r = ctx.num(obj, "fuse_resistance", -1.0, "Ohm")
        if r <= 0.0:
            r = r_default
        y = complex(1.0, 1.0) / r
    idx, closed = [], []
    for i, p in enumerate("ABC"):
        if p not in phases:
            continue
        idx.append(i)
        state = (ctx.prop(obj, f"phase_{p}_state") or "CLOSED").upper()
        state = {"GOOD": "CLOSED", "BLOWN": "OPEN"}.get(state, state)
        if state not in ("CLOSED", "OPEN"):
            raise InputError(ctx.where(obj, f"phase_{p}_state"), f"{obj.cls} {obj.label}: phase_{p}_state must be "
                                                                 f"CLOSED or OPEN, got {state!r}")
        closed.append(status == "CLOSED" and state == "CLOSED")
    if not idx:
        raise InputError(ctx.where(obj, "phases"), f"{obj.cls} {obj.label}: no phase A, B or C")
    ys = np.diag([y if c else 0.0 for c in closed]).astype(complex)
    return dict(series=ys, shunt=np.zeros_like(ys), triplex=False, phases=phases, idx=idx,
                open=not all(closed), impedance=complex(r, x))


def _two_port(y_ff, y_ft, y_tf, y_tt):
    return np.block([[y_ff, y_ft], [y_tf, y_tt]])


def _transformer_element(ctx, obj, used, from_bus, to_bus):
    phases = _phases(ctx, obj)
    _check_props(ctx, obj, {"from", "to", "configuration", "status"} | _LINK_IGNORED)
    cfg = _library(ctx, ctx.resolve(obj, "configuration", {"transformer_configuration"}), used)
    _check_props(ctx, cfg, {"connect_type", "install_type", "coolant_type", "cooling_type", "primary_voltage",
                            "secondary_voltage", "power_rating", "powerA_rating", "powerB_rating", "powerC_rating",
                            "resistance", "reactance", "impedance", "resistance1", "reactance1", "impedance1",
                            "resistance2", "reactance2", "impedance2", "shunt_resistance", "shunt_reactance",
                            "shunt_impedance", "core_coil_weight", "tank_fittings_weight", "oil_volume",
                            "rated_winding_time_constant", "rated_winding_hot_spot_rise", "rated_top_oil_rise",
                            "no_load_loss", "full_load_loss", "reactance_resistance_ratio",
                            "installed_insulation_life", "magnetization_location", "inrush_saturation_enabled",
                            "L_A", "phi_K", "phi_M", "I_M", "T_D"})
    ctype = (ctx.prop(cfg, "connect_type") or "").upper()
    aliases = {"1": "WYE_WYE", "2": "DELTA_DELTA", "3": "DELTA_GWYE", "4": "SINGLE_PHASE",
               "5": "SINGLE_PHASE_CENTER_TAPPED"}
    ctype = aliases.get(ctype, ctype)
    if ctype not in ("WYE_WYE", "DELTA_DELTA", "DELTA_GWYE", "SINGLE_PHASE", "SINGLE_PHASE_CENTER_TAPPED"):
        raise InputError(ctx.where(cfg, "connect_type"), f"transformer_configuration {cfg.label}: connect_type "
                                                         f"{ctype or '(missing)'} is not supported")
    v1 = ctx.num(cfg, "primary_voltage", unit="V")
    v2 = ctx.num(cfg, "secondary_voltage", unit="V")
    if not (v1 > 0 and v2 > 0):
        raise InputError(cfg.where, f"transformer_configuration {cfg.label}: primary and secondary voltages must "
                                    "be positive")
    s_phase = [ctx.num(cfg, f"power{p}_rating", 0.0, "kVA") for p in "ABC"]
    s_total = ctx.num(cfg, "power_rating", 0.0, "kVA")
    if s_total == 0:
        s_total = sum(s_phase)
    if not s_total > 0:
        raise InputError(cfg.where, f"transformer_configuration {cfg.label}: power_rating must be positive")
    if sum(s_phase) == 0:
        s_phase = [s_total / 3.0] * 3
    z = ctx.cplx(cfg, "impedance", None, None)
    if z is None:
        z = complex(ctx.num(cfg, "resistance", 0.0), ctx.num(cfg, "reactance", 0.0))
    if z.real < 0 or z.imag < 0:
        raise InputError(cfg.where, f"transformer_configuration {cfg.label}: resistance and reactance must be "
                                    "non-negative")
    shunt = ctx.cplx(cfg, "shunt_impedance", None, None)
    if shunt is None:
        shunt = complex(ctx.num(cfg, "shunt_resistance", 999999999.0), ctx.num(cfg, "shunt_reactance", 999999999.0))
    nt = v1 / v2
    rating = None
    if ctype == "SINGLE_PHASE_CENTER_TAPPED":
        if not to_bus.triplex:
            raise InputError(ctx.where(obj, "to"), f"transformer {obj.label}: a SINGLE_PHASE_CENTER_TAPPED "
                                                   "transformer must feed a triplex node")
        p = next((q for q in "ABC" if q in phases), None)
        if p is None or sum(q in phases for q in "ABC") != 1 or "S" not in phases:
            raise InputError(ctx.where(obj, "phases"), f"transformer {obj.label}: a center-tapped transformer needs "
                                                       "one phase and S, e.g. AS")
        sa = s_phase[_PHASE_INDEX[p]]
        if not sa > 0:
            raise InputError(cfg.where, f"transformer_configuration {cfg.label}: power{p}_rating is needed for a "
                                        f"center-tapped transformer on phase {p}")
        zb_hi = v1 * v1 / (sa * 1000.0)
        zb_lo = v2 * v2 / (sa * 1000.0)
        z1c = ctx.cplx(cfg, "impedance1", None, None)
        z2c = ctx.cplx(cfg, "impedance2", None, None)
        if z1c is None and ("resistance1" in cfg.props or "reactance1" in cfg.props):
            z1c = complex(ctx.num(cfg, "resistance1", 0.0), ctx.num(cfg, "reactance1", 0.0))
        if z2c is None and ("resistance2" in cfg.props or "reactance2" in cfg.props):
            z2c = complex(ctx.num(cfg, "resistance2", 0.0), ctx.num(cfg, "reactance2", 0.0))
        if (z1c is None or z1c == 0) and z2c not in (None, 0):
            z1c = z2c
        if (z2c is None or z2c == 0) and z1c not in (None, 0):
            z2c = z1c
        if z1c is None or z1c == 0:
            z0 = complex(0.5 * z.real, 0.8 * z.imag) * zb_hi
            z1 = complex(z.real, 0.4 * z.imag) * zb_lo
            z2 = z1
        else:
            z0 = z * zb_hi
            z1 = z1c * zb_lo
            z2 = z2c * zb_lo
        if z0 == 0 or z1 == 0 or z2 == 0:
            raise InputError(cfg.where, f"transformer_configuration {cfg.label}: a center-tapped transformer needs "
                                        "a non-zero impedance")
        zc = zb_hi * shunt.real * 1j * shunt.imag / shunt if shunt != 0 else 0j
        # admittance over (primary, line 1, line 2) after eliminating the internal node behind z0
        yc = 0.0 if zc == 0 else 1.0 / zc
        full = np.array([[1 / z0, -1 / z0, 0, 0],
                         [-1 / z0, 1 / z0 + yc + 1 / (nt * nt * z1) + 1 / (nt * nt * z2), -1 / (nt * z1), 1 / (nt * z2)],
                         [0, -1 / (nt * z1), 1 / z1, 0],
                         [0, 1 / (nt * z2), 0, 1 / z2]], dtype=complex)
        keep = [0, 2, 3]
        y = full[np.ix_(keep, keep)] - np.outer(full[keep, 1], full[1, keep]) / full[1, 1]
        rating = sa / (v1 / 1000.0)
        # conductors (primary phase, primary neutral = ground, line 1, line 2): two terminals of two
        y4 = np.zeros((4, 4), dtype=complex)
        y4[np.ix_([0, 2, 3], [0, 2, 3])] = y
        return dict(kind="transformer", conductors=("from", [_PHASE_INDEX[p] + 1, 0], "to", [1, 2]), yprim=y4,
                    rating=rating, ctype=ctype, base_ratio=v2 / v1)
    if to_bus.triplex or from_bus.triplex:
        raise InputError(obj.where, f"transformer {obj.label}: a {ctype} transformer cannot connect a triplex node")
    zt = z * v2 * v2 / (s_total * 1000.0)
    if zt == 0:
        raise InputError(cfg.where, f"transformer_configuration {cfg.label}: zero impedance (GridLAB-D's NR "
                                    "solver needs resistance or reactance)")
    yt = 1.0 / zt
    idx = [i for i, p in enumerate("ABC") if p in phases]
    if not idx:
        raise InputError(ctx.where(obj, "phases"), f"transformer {obj.label}: no phase A, B or C")
    n = len(idx)
    rating_kva = sum(s_phase[i] for i in idx) if sum(s_phase) else s_total
    if ctype == "DELTA_GWYE":
        if n != 3:
            raise InputError(ctx.where(obj, "phases"), f"transformer {obj.label}: DELTA_GWYE needs phases ABC")
        alpha = nt * math.sqrt(3.0)
        if nt > 1.0:
            c = np.array([[1, 0, -1], [-1, 1, 0], [0, -1, 1]]) / alpha
            b = np.array([[1, -1, 0], [0, 1, -1], [-1, 0, 1]]) / alpha
        else:
            c = np.array([[1, -1, 0], [0, 1, -1], [-1, 0, 1]]) / alpha
            b = np.array([[1, 0, -1], [-1, 1, 0], [0, -1, 1]]) / alpha
        eye = np.eye(3)
        y = _two_port(eye * yt / (nt * nt), -b * yt, -yt * c, eye * yt)
        rating = (s_total / 3.0) / (v1 / math.sqrt(3.0) / 1000.0)
        return dict(kind="transformer", conductors=("from", [1, 2, 3], "to", [1, 2, 3]), yprim=y.astype(complex),
                    rating=rating, ctype=ctype, base_ratio=v2 / v1)
    eye = np.eye(n)
    y = _two_port(eye * yt / (nt * nt), -eye * yt / nt, -eye * yt / nt, eye * yt)
    if n == 3 or ctype in ("WYE_WYE", "DELTA_DELTA"):
        v_ln = v1 / math.sqrt(3.0)
    else:
        v_ln = v1
    if ctype == "WYE_WYE" and n < 3:
        v_ln = v1 / math.sqrt(3.0)
    rating = (rating_kva / n) / (v_ln / 1000.0)
    phases_num = [i + 1 for i in idx]
    return dict(kind="transformer", conductors=("from", phases_num, "to", phases_num), yprim=y.astype(complex),
                rating=rating, ctype=ctype, base_ratio=v2 / v1)


def _regulator_element(ctx, obj, used, taps_arg):
    phases = _phases(ctx, obj)
    _check_props(ctx, obj, {"from", "to", "configuration", "status", "tap_A", "tap_B", "tap_C",
                            "regulator_resistance"} | _LINK_IGNORED)
    cfg = _library(ctx, ctx.resolve(obj, "configuration", {"regulator_configuration"}), used)
    _check_props(ctx, cfg, {"connect_type", "band_center", "band_width", "time_delay", "dwell_time", "raise_taps",
                            "lower_taps", "current_transducer_ratio", "power_transducer_ratio",
                            "compensator_r_setting_A", "compensator_r_setting_B", "compensator_r_setting_C",
                            "compensator_x_setting_A", "compensator_x_setting_B", "compensator_x_setting_C",
                            "CT_phase", "PT_phase", "regulation", "control_level", "Control", "reverse_flow_control",
                            "Type", "tap_pos_A", "tap_pos_B", "tap_pos_C"})
    ctype = (ctx.prop(cfg, "connect_type") or "UNKNOWN").upper()
    if ctype in ("1",):
        ctype = "WYE_WYE"
    if ctype != "WYE_WYE":
        raise InputError(ctx.where(cfg, "connect_type"), f"regulator_configuration {cfg.label}: connect_type "
                                                         f"{ctype} (GridLAB-D's NR solver supports WYE_WYE only)")
    raise_taps = to_int(cfg.props["raise_taps"][0], ctx.where(cfg, "raise_taps"), "raise_taps") \
        if "raise_taps" in cfg.props else 0
    lower_taps = to_int(cfg.props["lower_taps"][0], ctx.where(cfg, "lower_taps"), "lower_taps") \
        if "lower_taps" in cfg.props else 0
    if raise_taps <= 0 or lower_taps <= 0:
        raise InputError(cfg.where, f"regulator_configuration {cfg.label}: raise_taps and lower_taps must be "
                                    "positive")
    regulation = ctx.num(cfg, "regulation", 0.0)
    rtype = (ctx.prop(cfg, "Type") or "B").upper()
    if rtype not in ("A", "B"):
        raise InputError(ctx.where(cfg, "Type"), f"regulator_configuration {cfg.label}: Type must be A or B")
    control = (ctx.prop(cfg, "Control") or "MANUAL").upper()
    per = regulation / raise_taps
    # taps: the regulator's own tap_X, else the configuration's tap_pos_X (GridLAB-D's initial taps)
    taps = {}
    for p in "ABC":
        if f"tap_{p}" in obj.props:
            taps[p] = to_int(obj.props[f"tap_{p}"][0], ctx.where(obj, f"tap_{p}"), f"tap_{p}")
        elif f"tap_pos_{p}" in cfg.props:
            taps[p] = to_int(cfg.props[f"tap_pos_{p}"][0], ctx.where(cfg, f"tap_pos_{p}"), f"tap_pos_{p}")
        else:
            taps[p] = 0
    source = "file"
    given = None
    if taps_arg is not None:
        for key in (obj.label, obj.name, obj.label.lower()):
            if key is not None and key in taps_arg:
                given = taps_arg[key]
                break
    if given is not None:
        source = "argument"
        if isinstance(given, dict):
            for p, t in given.items():
                if str(p).upper() not in ("A", "B", "C"):
                    raise InputError("regulator_taps", f"{obj.label}: phase keys must be A, B or C, got {p!r}")
                taps[str(p).upper()] = t
        elif isinstance(given, (list, tuple)):
            if len(given) != 3:
                raise InputError("regulator_taps", f"{obj.label}: give three taps (A, B, C), got {given!r}")
            taps = dict(zip("ABC", given))
        else:
            taps = {p: given for p in "ABC"}
        for p, t in taps.items():
            if isinstance(t, bool) or not isinstance(t, (int, np.integer)) and not (
                    isinstance(t, float) and float(t).is_integer()):
                raise InputError("regulator_taps", f"{obj.label} phase {p}: tap must be an integer, got {t!r}")
            t = int(t)
            if not -lower_taps <= t <= raise_taps:
                raise InputError("regulator_taps", f"{obj.label} phase {p}: tap {t} outside [-{lower_taps}, "
                                                   f"{raise_taps}]")
            taps[p] = t
    r_reg = ctx.num(obj, "regulator_resistance", -1.0, "Ohm")
    if r_reg <= 0:
        r_reg = ctx.settings["default_resistance"]
    y = 1.0 / r_reg
    idx = [i for i, p in enumerate("ABC") if p in phases]
    if not idx:
        raise InputError(ctx.where(obj, "phases"), f"regulator {obj.label}: no phase A, B or C")
    ratio = []
    for i in idx:
        t = taps["ABC"[i]]
        a = 1.0 / (1.0 + t * per) if rtype == "A" else 1.0 - t * per
        if not a > 0:
            raise InputError("regulator_taps", f"{obj.label}: tap {t} gives a non-positive ratio")
        ratio.append(a)
    a = np.array(ratio)
    yp = np.block([[np.diag(y / a ** 2), np.diag(-y / a)], [np.diag(-y / a), np.diag(np.full(len(a), y))]])
    ctx.report["regulator_taps"][obj.label] = dict(**{p: int(taps[p]) for p in "ABC" if p in phases},
                                                   source=source, control_in_file=control, type=rtype)
    if control != "MANUAL" and source == "file":
        ctx.report["notes"].append(f"regulator {obj.label}: Control {control} in the file; evcore holds its taps "
                                   f"fixed at the file's tap_pos values ({', '.join(f'{p}={taps[p]}' for p in 'ABC' if p in phases)})"
                                   "; pass regulator_taps= for the taps GridLAB-D's controller settles at")
    phases_num = [i + 1 for i in idx]
    return dict(kind="regulator", conductors=("from", phases_num, "to", phases_num), yprim=yp.astype(complex),
                rating=float("nan"))


# ----------------------------------------------------------------------------------------------- loads
def _zip_parts(ctx, obj, suffix, nominal_v, base_angle):
    """GridLAB-D's ZIP split of ``base_power_<suffix>`` into (S, I, Z) parts, as load.cpp does."""
    base = ctx.num(obj, f"base_power_{suffix}", 0.0, "VA")
    if base == 0.0:
        return 0j, 0j, 0j
    pf = {k: ctx.num(obj, f"{k}_pf_{suffix}", 1.0) for k in ("power", "current", "impedance")}
    frac = {k: ctx.num(obj, f"{k}_fraction_{suffix}", 0.0) for k in ("power", "current", "impedance")}
    if frac["power"] + frac["current"] + frac["impedance"] != 1.0:
        frac["power"] = 1.0 - frac["current"] - frac["impedance"]
        ctx.report["notes"].append(f"{obj.cls} {obj.label}: ZIP fractions on {suffix} did not sum to 1; "
                                   f"power_fraction set to {frac['power']:.6g} (as GridLAB-D does)")

    def part(kind):
        f = frac[kind]
        if f == 0.0:
            return None
        p_pf = pf[kind]
        if p_pf == 0.0:
            real, imag = 0.0, base * f
        else:
            real = base * f * abs(p_pf)
            imag = real * math.sqrt(1.0 / (p_pf * p_pf) - 1.0)
        if p_pf < 0:
            imag = -imag
        return complex(real, imag)

    s = part("power") or 0j
    si = part("current")
    cur = 0j
    if si is not None:
        temp = si.conjugate() / nominal_v
        cur = cmath.rect(abs(temp), cmath.phase(temp) + base_angle)
    sz = part("impedance")
    imp = 0j if sz is None else (complex(nominal_v * nominal_v, 0.0) / sz).conjugate()
    return s, cur, imp


def _load_rows(ctx, obj, bus, rows):
    """Load branches of a load / triplex object at its bus."""
    name = obj.label
    if bus.triplex:
        _triplex_load_rows(ctx, obj, bus, rows)
        return
    if obj.cls != "load":
        return
    phases = _phases(ctx, obj)
    delta = "D" in phases
    known = set(_NODE_IGNORED)
    for p in "ABC":
        for stem in ("constant_power", "constant_current", "constant_impedance"):
            known |= {f"{stem}_{p}", f"{stem}_{p}_real", f"{stem}_{p}_reac"}
        known |= {f"base_power_{p}", f"power_pf_{p}", f"current_pf_{p}", f"impedance_pf_{p}", f"power_fraction_{p}",
                  f"current_fraction_{p}", f"impedance_fraction_{p}"}
    _check_props(ctx, obj, known)
    nominal = ctx.num(obj, "nominal_voltage", bus.nominal_v, "V")
    angles = (0.0, -2.0 * math.pi / 3.0, 2.0 * math.pi / 3.0)
    for k, p in enumerate("ABC"):
        s = _cplx_parts(ctx, obj, f"constant_power_{p}", "VA")
        cur = _cplx_parts(ctx, obj, f"constant_current_{p}", "A")
        imp = _cplx_parts(ctx, obj, f"constant_impedance_{p}", "Ohm")
        zs, zi, zz = _zip_parts(ctx, obj, p, nominal, angles[k])
        if f"base_power_{p}" in obj.props and ctx.num(obj, f"base_power_{p}", 0.0, "VA") != 0:
            s, cur, imp = zs, zi, zz  # GridLAB-D overwrites the constant_* values from the ZIP description
        if s == 0 and cur == 0 and imp == 0:
            continue
        if p not in phases:
            raise InputError(obj.where, f"load {name}: a load on phase {p} but its phases are {phases}")
        a = k + 1
        if delta:
            b = (k + 1) % 3 + 1
            if a not in bus.phases or b not in bus.phases:
                raise InputError(obj.where, f"load {name}: delta load {p}{'ABC'[b - 1]} needs both phases on bus "
                                            f"{bus.name}")
            base_v = bus.nominal_v * math.sqrt(3.0)
            to = f"{bus.name}.{b}"
        else:
            if a not in bus.phases:
                raise InputError(obj.where, f"load {name}: phase {p} is not on bus {bus.name}")
            base_v = bus.nominal_v
            to = "0"
        frm = f"{bus.name}.{a}"
        angle = (math.pi / 6.0 - k * 2.0 * math.pi / 3.0) if delta else angles[k]
        _add_zip_rows(rows, name, frm, to, base_v, s, cur, imp, angle)


def _cplx_parts(ctx, obj, stem, unit):
    value = ctx.cplx(obj, stem, 0j, unit)
    if f"{stem}_real" in obj.props or f"{stem}_reac" in obj.props:
        value = complex(ctx.num(obj, f"{stem}_real", value.real, unit), ctx.num(obj, f"{stem}_reac", value.imag, unit))
    return value


def _add_zip_rows(rows, name, frm, to, base_v, s, cur, imp, nominal_angle):
    """Rows of one branch's constant power, impedance and current parts. The current is GridLAB-D's phasor at
    the branch's nominal voltage ``base_v`` at ``nominal_angle`` (rad); GridLAB-D turns it with the voltage,
    which is evcore's model 9 with the power that phasor draws at nominal voltage."""
    if s != 0:
        rows.append(dict(name=name, model=0, frm=frm, to=to, power_va=s, base_v=base_v))
    if imp != 0:
        y = 1.0 / imp
        rows.append(dict(name=name, model=2, frm=frm, to=to, power_va=(y * base_v * base_v).conjugate(),
                         base_v=base_v))
    if cur != 0:
        v_nominal = cmath.rect(base_v, nominal_angle)
        rows.append(dict(name=name, model=9, frm=frm, to=to, power_va=v_nominal * cur.conjugate(), base_v=base_v))


def _triplex_load_rows(ctx, obj, bus, rows):
    name = obj.label
    known = set(_NODE_IGNORED)
    for leg in ("1", "2", "12"):
        known |= {f"power_{leg}", f"current_{leg}", f"shunt_{leg}", f"impedance_{leg}", f"power_{leg}_real",
                  f"power_{leg}_reac", f"current_{leg}_real", f"current_{leg}_reac", f"shunt_{leg}_real",
                  f"shunt_{leg}_reac", f"impedance_{leg}_real", f"impedance_{leg}_reac"}
        known |= {f"constant_power_{leg}", f"constant_current_{leg}", f"constant_impedance_{leg}",
                  f"constant_power_{leg}_real", f"constant_power_{leg}_reac", f"constant_current_{leg}_real",
                  f"constant_current_{leg}_reac", f"constant_impedance_{leg}_real", f"constant_impedance_{leg}_reac",
                  f"base_power_{leg}", f"power_pf_{leg}", f"current_pf_{leg}", f"impedance_pf_{leg}",
                  f"power_fraction_{leg}", f"current_fraction_{leg}", f"impedance_fraction_{leg}"}
    _check_props(ctx, obj, known)
    nominal = ctx.num(obj, "nominal_voltage", bus.nominal_v, "V")
    v = bus.nominal_v
    angle = {"A": 0.0, "B": -2.0 * math.pi / 3.0, "C": 2.0 * math.pi / 3.0}.get(getattr(bus, "primary", None), 0.0)
    for leg, frm, to, base_v in (("1", f"{bus.name}.1", "0", v), ("2", f"{bus.name}.2", "0", v),
                                 ("12", f"{bus.name}.1", f"{bus.name}.2", 2.0 * v)):
        s = _cplx_parts(ctx, obj, f"power_{leg}", "VA") + _cplx_parts(ctx, obj, f"constant_power_{leg}", "VA")
        cur = _cplx_parts(ctx, obj, f"current_{leg}", "A") + _cplx_parts(ctx, obj, f"constant_current_{leg}", "A")
        imp = _cplx_parts(ctx, obj, f"impedance_{leg}", "Ohm")
        zimp = _cplx_parts(ctx, obj, f"constant_impedance_{leg}", "Ohm")
        y = (0j if imp == 0 else 1.0 / imp) + (0j if zimp == 0 else 1.0 / zimp) + _cplx_parts(ctx, obj,
                                                                                              f"shunt_{leg}", None)
        if f"base_power_{leg}" in obj.props and ctx.num(obj, f"base_power_{leg}", 0.0, "VA") != 0:
            zs, zi, zz = _zip_parts(ctx, obj, leg, nominal if leg != "12" else 2 * nominal, 0.0)
            s, cur = zs, zi
            y = 0j if zz == 0 else 1.0 / zz
        # GridLAB-D measures leg 2 from line 2 towards neutral and its current the other way as well, so the
        # power (and admittance) of a leg is the same on evcore's node-to-ground branch
        _add_zip_rows(rows, name, frm, to, base_v, s, cur, 0j if y == 0 else 1.0 / y, angle)


def _capacitor_element(ctx, obj, bus):
    _check_props(ctx, obj, _NODE_IGNORED | {"capacitor_A", "capacitor_B", "capacitor_C", "phases_connected",
                                            "switchA", "switchB", "switchC", "control", "cap_nominal_voltage",
                                            "remote_sense", "remote_sense_B", "control_level"})
    connected = ctx.prop(obj, "phases_connected")
    letters = _phases(ctx, obj) if connected is None else re.sub(r"[\s|]", "", connected.upper())
    control = (ctx.prop(obj, "control") or "MANUAL").upper()
    vn = ctx.num(obj, "cap_nominal_voltage", 0.0, "V")
    if vn == 0.0:
        vn = ctx.num(obj, "nominal_voltage", bus.nominal_v, "V")
    if not vn > 0:
        raise InputError(obj.where, f"capacitor {obj.label}: needs cap_nominal_voltage or nominal_voltage")
    if control != "MANUAL":
        ctx.report["notes"].append(f"capacitor {obj.label}: control {control} in the file; evcore keeps the "
                                   "switch states the file gives")
    delta = "D" in letters
    n = 3
    y = np.zeros((n, n), dtype=complex)
    for k, p in enumerate("ABC"):
        q = ctx.num(obj, f"capacitor_{p}", 0.0, "VAr")
        state = (ctx.prop(obj, f"switch{p}") or "OPEN").upper()
        if state not in ("OPEN", "CLOSED"):
            raise InputError(ctx.where(obj, f"switch{p}"), f"capacitor {obj.label}: switch{p} must be OPEN or "
                                                           f"CLOSED, got {state!r}")
        if q == 0 or state != "CLOSED" or p not in letters:
            continue
        if k + 1 not in bus.phases:
            raise InputError(obj.where, f"capacitor {obj.label}: phase {p} is not on bus {bus.name}")
        b = 1j * q / (vn * vn)
        if delta:
            m = (k + 1) % 3
            y[k, k] += b
            y[m, m] += b
            y[k, m] -= b
            y[m, k] -= b
        else:
            y[k, k] += b
    used = [k for k in range(3) if (y[k, :] != 0).any() or (y[:, k] != 0).any()]
    if not used:
        return None
    return dict(kind="capacitor", nodes=[f"{bus.name}.{k + 1}" for k in used], yprim=y[np.ix_(used, used)])


# ----------------------------------------------------------------------------------------------- assembly
def build_document(model: GlmModel, *, regulator_taps=None, name=None):
    """``(document, report)`` of a parsed GLM model (see :func:`evcore.io.glm.read`)."""
    ctx = _Ctx(model)
    report = ctx.report
    pf = model.modules.get("powerflow", {})
    settings = dict(line_capacitance=str(pf.get("line_capacitance", ("false",))[0]).lower() in ("true", "1", "yes"),
                    frequency_hz=60.0, default_resistance=1e-4,
                    solver_method=str(pf.get("solver_method", ("NR",))[0]).upper())
    if "nominal_frequency" in pf:
        settings["frequency_hz"] = to_float(pf["nominal_frequency"][0], f"{model.source}:{pf['nominal_frequency'][1]}",
                                            "powerflow.nominal_frequency")
    if "default_resistance" in pf:
        settings["default_resistance"] = to_float(pf["default_resistance"][0],
                                                  f"{model.source}:{pf['default_resistance'][1]}",
                                                  "powerflow.default_resistance")
    if not (settings["frequency_hz"] > 0 and settings["default_resistance"] > 0):
        raise InputError(model.source, "powerflow.nominal_frequency and default_resistance must be positive")
    if settings["solver_method"] != "NR":
        report["notes"].append(f"the file asks for solver_method {settings['solver_method']}; evcore uses "
                               "GridLAB-D's Newton-Raphson element models")
    ctx.settings = settings
    report["settings"] = dict(settings)
    for mod in model.modules:
        if mod not in ("powerflow",):
            report["skipped"].append(dict(kind="module", name=mod, where=model.source))
    for kind, nm, at in model.skipped:
        report["skipped"].append(dict(kind=kind, name=nm, where=at))

    # index objects: names unique, ids unique within a class (GridLAB-D wants them unique overall)
    ids = {}
    for obj in model.objects:
        report["objects"][obj.cls] = report["objects"].get(obj.cls, 0) + 1
        if obj.name is not None:
            other = ctx.by_name.get(obj.name)
            if other is not None:
                raise InputError(obj.where, f"{obj.cls} {obj.name}: the name is already used by the {other.cls} at "
                                            f"{other.where}")
            ctx.by_name[obj.name] = obj
        if obj.id is not None:
            key = (obj.cls, obj.id)
            if key in ctx.by_id:
                raise InputError(obj.where, f"object id {obj.cls}:{obj.id} is used twice (first at "
                                            f"{ctx.by_id[key].where})")
            ctx.by_id[key] = obj
            ids.setdefault(obj.id, []).append(obj)
    for oid, objs in ids.items():
        if len(objs) > 1:
            report["id_clashes"].append(dict(id=oid, objects=[f"{o.cls}:{oid}" for o in objs],
                                             where=[o.where for o in objs],
                                             note="GridLAB-D refuses the file (duplicate object key); evcore keeps "
                                                  "ids per class"))

    nodes, links, library = [], [], {}
    for obj in model.objects:
        cls = obj.cls
        if cls in NODE_CLASSES:
            nodes.append(obj)
        elif cls in LINK_CLASSES:
            links.append(obj)
        elif cls in LIBRARY_CLASSES:
            library[id(obj)] = obj
        elif cls in HARMLESS_CLASSES:
            if cls in ("complex_assert", "double_assert"):
                _record_assert(ctx, obj)
            report["skipped"].append(dict(kind=cls, name=obj.label, where=obj.where))
        elif cls in UNSUPPORTED_CLASSES:
            if cls == "player" and "parent" not in obj.props and obj.nested_parent is None:
                report["skipped"].append(dict(kind=cls, name=obj.label, where=obj.where, note="player without parent"))
                continue
            owner = obj.nested_parent
            on = f" on {owner.cls} {owner.label}" if owner is not None else (
                f" on {ctx.prop(obj, 'parent')}" if "parent" in obj.props else "")
            what = f"{cls} {obj.label}" if (obj.name or obj.id is not None) else f"a {cls}"
            raise InputError(obj.where, f"{what}{on}: this object changes the power flow and evcore's GLM "
                                        "reader does not model it (remove it or replace it by a load)")
        else:
            raise InputError(obj.where, f"unknown class {cls!r} ({obj.label}): not a GridLAB-D powerflow class "
                                        "evcore knows")

    if not nodes:
        raise InputError(model.source, "no node objects in the file")
    buses, owner = _build_buses(ctx, nodes)
    bus_list = list(buses.values())
    swings = [b for b in bus_list if b.swing]
    if not swings:
        raise InputError(model.source, "no SWING bus (a node with 'bustype SWING' is the source)")
    if len(swings) > 1:
        raise InputError(swings[1].obj.where, f"a second SWING bus ({swings[1].obj.label}, the first is "
                                              f"{swings[0].obj.label}): evcore.grid supports one source")
    swing = swings[0]
    if swing.triplex:
        raise InputError(swing.obj.where, "a triplex SWING bus is not supported")

    elements = []
    edges = []
    used = set()
    for obj in links:
        frm = ctx.resolve(obj, "from")
        to = ctx.resolve(obj, "to")
        for end, o in (("from", frm), ("to", to)):
            if o.cls not in NODE_CLASSES:
                raise InputError(ctx.where(obj, end), f"{obj.cls} {obj.label}.{end}: {o.label} is a {o.cls}, not a "
                                                      "node")
        fb, tb = owner[id(frm)], owner[id(to)]
        if fb is tb:
            raise InputError(obj.where, f"{obj.cls} {obj.label}: both ends are on bus {fb.name}")
        elements.append(_link(ctx, obj, fb, tb, used, settings, regulator_taps))
        edges.append((fb, tb, elements[-1].get("base_ratio", 1.0)))

    for lib in library.values():
        if id(lib) not in used:
            report["unused_library_objects"].append(f"{lib.cls} {lib.label}")
    if regulator_taps is not None:
        known = set(report["regulator_taps"]) | {o.name for o in links if o.cls == "regulator" and o.name}
        for key in regulator_taps:
            if key not in known and str(key).lower() not in {k.lower() for k in known}:
                raise InputError("regulator_taps", f"no regulator named {key!r} in {model.source}")

    load_rows = []
    for obj in nodes:
        bus = owner[id(obj)]
        if obj.cls == "capacitor":
            cap = _capacitor_element(ctx, obj, bus)
            if cap is not None:
                elements.append(dict(name=f"capacitor.{obj.label.lower()}", **cap, length_km=0.0,
                                     rating=float("nan"), terminals=1))
            continue
        if obj.cls in ("load", "triplex_node", "triplex_meter", "triplex_load"):
            _load_rows(ctx, obj, bus, load_rows)
        else:
            _check_props(ctx, obj, _NODE_IGNORED)

    # source: the SWING bus's voltages (GridLAB-D holds them fixed)
    sw = swing.obj
    nominal = swing.nominal_v
    defaults = {1: cmath.rect(nominal, 0.0), 2: cmath.rect(nominal, -2 * math.pi / 3),
                3: cmath.rect(nominal, 2 * math.pi / 3)}
    emf = []
    src_nodes = []
    for ph in sorted(swing.phases):
        value = ctx.cplx(sw, f"voltage_{'ABC'[ph - 1]}", None, "V")
        emf.append(defaults[ph] if value is None else value)
        src_nodes.append(f"{swing.name}.{ph}")

    base = _base_voltages(ctx, swing, bus_list, edges)
    doc_buses = {}
    node_names = []
    for bus in bus_list:
        doc_buses[bus.name] = {"base_kv_ll": base[id(bus)] * math.sqrt(3.0) / 1000.0}
        node_names += [f"{bus.name}.{ph}" for ph in sorted(bus.phases)]
    coords = _coordinates(ctx, bus_list)

    primitives = []
    for el in elements:
        primitives.append(_primitive(el))
    loads = []
    for row in load_rows:
        loads.append(dict(name=row["name"].lower(), model=row["model"], vminpu=0.95, vmaxpu=1.05, vlowpu=0.5,
                          branches=[{"from": row["frm"], "to": row["to"],
                                     "power_va": [row["power_va"].real, row["power_va"].imag],
                                     "base_v": row["base_v"]}]))
    doc = dict(format="evcore-feeder", version=1, name=name or _stem(model.source),
               frequency_hz=settings["frequency_hz"], buses=doc_buses, nodes=node_names,
               source=dict(name=f"swing.{swing.name}", ideal=True, nodes=src_nodes,
                           emf_v=[[z.real, z.imag] for z in emf]),
               primitives=primitives, loads=loads)
    if coords is not None:
        doc["coordinates"] = coords
    report["triplex_buses"] = [b.name for b in bus_list if b.triplex]
    report["buses"] = len(bus_list)
    report["nodes"] = len(node_names)
    return doc, report


def _base_voltages(ctx, swing, bus_list, edges):
    """Line-to-neutral base voltage of every bus: the SWING bus's nominal voltage carried through the transformers'
    ratios (lines, switches and regulators keep it). A node's own ``nominal_voltage`` only labels it in GridLAB-D
    (the power flow never reads it), and files carry wrong labels (480 on 277 V meters, 480 behind a 7.2 kV
    regulator); per-unit voltages and limits need the electrical base. Buses the walk cannot reach keep their
    label; disagreements are listed in the report's notes."""
    neighbours = {id(b): [] for b in bus_list}
    for fb, tb, ratio in edges:
        neighbours[id(fb)].append((tb, ratio))
        neighbours[id(tb)].append((fb, 1.0 / ratio))
    base = {id(swing): swing.nominal_v}
    stack = [swing]
    while stack:
        bus = stack.pop()
        for other, ratio in neighbours[id(bus)]:
            if id(other) not in base:
                base[id(other)] = base[id(bus)] * ratio
                stack.append(other)
    relabelled = []
    for bus in bus_list:
        b = base.setdefault(id(bus), bus.nominal_v)
        if abs(bus.nominal_v / b - 1.0) > 0.02:
            relabelled.append(f"{bus.name} ({bus.nominal_v:g} V labelled, {b:.6g} V base)")
    if relabelled:
        ctx.report["notes"].append(
            f"{len(relabelled)} bus(es) carry a nominal_voltage that disagrees with the source voltage and the "
            f"transformer ratios; evcore uses the electrical base for per-unit values: {', '.join(relabelled[:5])}"
            + (" ..." if len(relabelled) > 5 else ""))
        ctx.report["relabelled_buses"] = relabelled
    return base


def _stem(path):
    import os

    return os.path.splitext(os.path.basename(str(path)))[0]


def _record_assert(ctx, obj):
    parent = obj.nested_parent
    if parent is None and "parent" in obj.props:
        parent = ctx.by_name.get(obj.props["parent"][0])
    target = ctx.prop(obj, "target")
    value = ctx.prop(obj, "value")
    if parent is None or target is None or value is None:
        return
    try:
        z = to_complex(value, ctx.where(obj, "value"), "value")
        within = ctx.num(obj, "within", 0.0)
    except InputError:
        return
    ctx.report["asserts"].append(dict(object=parent.label, target=target, value=[z.real, z.imag], within=within,
                                      where=obj.where, kind=obj.cls))


def _coordinates(ctx, bus_list):
    pts = {}
    for bus in bus_list:
        o = bus.obj
        if "latitude" in o.props and "longitude" in o.props:
            lat = _geo(ctx, o, "latitude")
            lon = _geo(ctx, o, "longitude")
            pts[bus.name] = [lon, lat]
    if not pts:
        return None
    return dict(unit="deg", system="WGS84 (longitude, latitude) from GridLAB-D latitude/longitude", buses=pts)


def _geo(ctx, obj, key):
    text = ctx.prop(obj, key).strip()
    m = re.match(r"^(\d+)([NSEW])(\d+):(\d+(?:\.\d*)?)$", text)
    if m:
        value = int(m.group(1)) + int(m.group(3)) / 60.0 + float(m.group(4)) / 3600.0
        return -value if m.group(2) in "SW" else value
    return to_float(text, ctx.where(obj, key), f"{obj.cls} {obj.label}.{key}")


def _link(ctx, obj, fb, tb, used, settings, regulator_taps):
    cls = obj.cls
    label = obj.label.lower()
    if cls in ("overhead_line", "underground_line", "triplex_line"):
        data = _line_element(ctx, obj, used, settings)
        length_km = ctx.num(obj, "length", unit="ft") * 0.0003048
        rating = _line_rating(ctx, obj, used)
        if data["triplex"]:
            if not (fb.triplex and tb.triplex):
                raise InputError(obj.where, f"triplex_line {obj.label}: both ends must be triplex nodes")
            ys = data["series"]
            y = np.block([[ys, -ys], [-ys, ys]])
            return dict(name=f"{cls}.{label}", kind="line", nodes=[f"{fb.name}.1", f"{fb.name}.2", f"{tb.name}.1",
                                                                 f"{tb.name}.2"], yprim=y, terminals=2,
                        length_km=length_km, rating=rating)
        return _series(ctx, obj, fb, tb, data, "line", length_km, rating)
    if cls in ("switch", "fuse", "recloser", "sectionalizer"):
        data = _switch_element(ctx, obj, settings)
        return _series(ctx, obj, fb, tb, data, "switch", 0.0, float("nan"))
    if cls == "series_reactor":
        _check_props(ctx, obj, {"from", "to", "phase_A_impedance", "phase_B_impedance", "phase_C_impedance",
                                "phase_A_resistance", "phase_A_reactance", "phase_B_resistance",
                                "phase_B_reactance", "phase_C_resistance", "phase_C_reactance", "rated_current_limit",
                                "status"} | _LINK_IGNORED)
        phases = _phases(ctx, obj)
        idx = [i for i, p in enumerate("ABC") if p in phases]
        zs = []
        for i in idx:
            p = "ABC"[i]
            z = ctx.cplx(obj, f"phase_{p}_impedance", None, "Ohm")
            if z is None:
                z = complex(ctx.num(obj, f"phase_{p}_resistance", 0.0, "Ohm"),
                            ctx.num(obj, f"phase_{p}_reactance", 0.0, "Ohm"))
            if z == 0:
                raise InputError(obj.where, f"series_reactor {obj.label}: phase {p} has zero impedance")
            zs.append(1.0 / z)
        data = dict(series=np.diag(zs).astype(complex), shunt=np.zeros((len(idx), len(idx)), complex), idx=idx,
                    phases=phases)
        return _series(ctx, obj, fb, tb, data, "line", 0.0, float("nan"))
    if cls == "transformer":
        data = _transformer_element(ctx, obj, used, fb, tb)
    else:
        data = _regulator_element(ctx, obj, used, regulator_taps)
    _, fph, _, tph = data["conductors"]
    for bus, phs, end in ((fb, fph, "from"), (tb, tph, "to")):
        missing = set(p for p in phs if p) - bus.phases
        if missing:
            raise InputError(ctx.where(obj, end), f"{cls} {obj.label}: phase(s) {sorted(missing)} are not on its "
                                                  f"{end} bus {bus.name}")
    nodes = [f"{fb.name}.{p}" if p else "0" for p in fph] + [f"{tb.name}.{p}" for p in tph]
    return dict(name=f"{cls}.{label}", kind=data["kind"], nodes=nodes, yprim=data["yprim"], terminals=2,
                length_km=0.0, rating=data["rating"], base_ratio=data.get("base_ratio", 1.0))


def _series(ctx, obj, fb, tb, data, kind, length_km, rating):
    idx = data["idx"]
    phs = [i + 1 for i in idx]
    for bus, end in ((fb, "from"), (tb, "to")):
        if bus.triplex:
            raise InputError(ctx.where(obj, end), f"{obj.cls} {obj.label}: its {end} node {bus.name} is triplex")
        missing = set(phs) - bus.phases
        if missing:
            raise InputError(ctx.where(obj, end), f"{obj.cls} {obj.label}: phase(s) "
                                                  f"{''.join('ABC'[p - 1] for p in sorted(missing))} not on its {end} "
                                                  f"node {bus.name}")
    ys, sh = data["series"], data["shunt"] / 2.0
    y = np.block([[ys + sh, -ys], [-ys, ys + sh]])
    nodes = [f"{fb.name}.{p}" for p in phs] + [f"{tb.name}.{p}" for p in phs]
    return dict(name=f"{obj.cls}.{obj.label.lower()}", kind=kind, nodes=nodes, yprim=y, terminals=2,
                length_km=length_km, rating=rating)


def _line_rating(ctx, obj, used):
    """Smallest summer continuous rating of the line's phase conductors, A (``nan`` when none is given)."""
    try:
        config = ctx.resolve(obj, "configuration")
    except InputError:
        return float("nan")
    best = float("nan")
    for key in ("conductor_A", "conductor_B", "conductor_C", "conductor_1", "conductor_2"):
        if key in config.props:
            try:
                c = ctx.resolve(config, key)
            except InputError:
                continue
            for r in ("rating.summer.continuous", "rating.winter.continuous"):
                if r in c.props:
                    value = ctx.num(c, r, unit="A")
                    if value > 0 and not value >= best:
                        best = value
    return best


def _primitive(el):
    y = np.asarray(el["yprim"], dtype=complex)
    rating = el.get("rating", float("nan"))
    return dict(name=el["name"], kind=el["kind"], terminals=int(el.get("terminals", 2)), nodes=list(el["nodes"]),
                yprim_re=y.real.tolist(), yprim_im=y.imag.tolist(), length_km=float(el.get("length_km", 0.0)),
                rated_current_a=None if (rating is None or not math.isfinite(rating)) else float(rating))
