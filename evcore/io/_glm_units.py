"""Numbers, complex numbers and units in GridLAB-D property values.

GridLAB-D writes a unit after a value (``36.0 in``, ``0.15 MVAr``, ``12470.000 V``) and converts it to the
property's own unit. Complex values come as ``a+bj`` / ``a-bi`` (rectangular), ``m+ad`` (polar, degrees) or
``m+ar`` (polar, radians). Everything is checked: NaN, infinity, an unknown unit or one of the wrong kind is
an :class:`InputError` naming the file and line.
"""

from __future__ import annotations

import cmath
import math
import re

from ..errors import InputError

__all__ = ["to_float", "to_complex", "to_int", "UNITS"]

#: unit -> (dimension, factor to the dimension's base unit)
UNITS = {
    # length, base ft
    "ft": ("length", 1.0), "feet": ("length", 1.0), "in": ("length", 1.0 / 12.0), "inch": ("length", 1.0 / 12.0),
    "yd": ("length", 3.0), "mile": ("length", 5280.0), "mi": ("length", 5280.0), "m": ("length", 1.0 / 0.3048),
    "cm": ("length", 0.01 / 0.3048), "mm": ("length", 0.001 / 0.3048), "km": ("length", 1000.0 / 0.3048),
    # voltage, base V
    "V": ("voltage", 1.0), "kV": ("voltage", 1e3), "MV": ("voltage", 1e6),
    # power, base VA (W and var counted as VA: GridLAB-D does the same for complex powers)
    "VA": ("power", 1.0), "kVA": ("power", 1e3), "MVA": ("power", 1e6), "W": ("power", 1.0), "kW": ("power", 1e3),
    "MW": ("power", 1e6), "VAr": ("power", 1.0), "var": ("power", 1.0), "VAR": ("power", 1.0),
    "kVAr": ("power", 1e3), "kvar": ("power", 1e3), "kVAR": ("power", 1e3), "MVAr": ("power", 1e6),
    "Mvar": ("power", 1e6), "MVAR": ("power", 1e6),
    # current, base A
    "A": ("current", 1.0), "kA": ("current", 1e3),
    # impedance, base Ohm
    "Ohm": ("impedance", 1.0), "ohm": ("impedance", 1.0), "Ohms": ("impedance", 1.0), "ohms": ("impedance", 1.0),
    "mOhm": ("impedance", 1e-3), "kOhm": ("impedance", 1e3),
    # impedance per length, base Ohm/mile
    "Ohm/mile": ("impedance/length", 1.0), "ohm/mile": ("impedance/length", 1.0),
    "Ohm/mi": ("impedance/length", 1.0), "Ohm/km": ("impedance/length", 1.609344),
    "ohm/km": ("impedance/length", 1.609344), "Ohm/kft": ("impedance/length", 5.28),
    "Ohm/ft": ("impedance/length", 5280.0), "Ohm/m": ("impedance/length", 1609.344),
    # capacitance per length, base nF/mile
    "nF/mile": ("capacitance/length", 1.0), "nF/km": ("capacitance/length", 1.609344),
    "uF/mile": ("capacitance/length", 1e3),
    # time, base s
    "s": ("time", 1.0), "sec": ("time", 1.0), "min": ("time", 60.0), "h": ("time", 3600.0), "hr": ("time", 3600.0),
    # dimensionless
    "pu": ("ratio", 1.0), "%": ("ratio", 0.01),
}

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_REAL = re.compile(rf"^({_NUMBER})\s*(.*)$")
_COMPLEX = re.compile(rf"^({_NUMBER})\s*([+-]\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([ijdr])\s*(.*)$")
_IMAG_ONLY = re.compile(rf"^({_NUMBER})\s*([ij])\s*(.*)$")


def _convert(value, unit, want, where, field):
    if not unit:
        return value
    if want is None:
        raise InputError(where, f"{field}: unexpected unit {unit!r} (this property has no unit)")
    dim_want, base_factor = UNITS[want]
    if unit not in UNITS:
        raise InputError(where, f"{field}: unknown unit {unit!r} (expected a {dim_want} like {want!r})")
    dim, factor = UNITS[unit]
    if dim != dim_want:
        raise InputError(where, f"{field}: unit {unit!r} is a {dim}, expected a {dim_want} like {want!r}")
    return value * factor / base_factor


def to_float(text, where, field, unit=None):
    """A finite float from ``text`` (``"36.0 in"``), converted to ``unit`` when one is written."""
    m = _REAL.match(str(text).strip())
    if m is None:
        raise InputError(where, f"{field}: expected a number, got {text!r}")
    value = float(m.group(1))
    if not math.isfinite(value):
        raise InputError(where, f"{field}: expected a finite number, got {text!r}")
    value = _convert(value, m.group(2).strip(), unit, where, field)
    if not math.isfinite(value):
        raise InputError(where, f"{field}: {text!r} overflows")
    return value


def to_int(text, where, field):
    value = to_float(text, where, field)
    if value != int(value):
        raise InputError(where, f"{field}: expected an integer, got {text!r}")
    return int(value)


def to_complex(text, where, field, unit=None):
    """A complex number from GridLAB-D's notations (``a+bj``, ``a-bi``, ``m+ad``, ``m-ar``, a plain real)."""
    s = str(text).strip()
    m = _COMPLEX.match(s)
    if m is not None:
        a = float(m.group(1))
        b = float(m.group(2).replace(" ", ""))
        kind = m.group(3)
        rest = m.group(4).strip()
        if kind in "ij":
            z = complex(a, b)
        elif kind == "d":
            z = cmath.rect(a, math.radians(b))
        else:
            z = cmath.rect(a, b)
    else:
        m = _IMAG_ONLY.match(s)
        if m is not None:
            z = complex(0.0, float(m.group(1)))
            rest = m.group(3).strip()
        else:
            m = _REAL.match(s)
            if m is None:
                raise InputError(where, f"{field}: expected a complex number such as 1+2j or 7200+0d, got {text!r}")
            z = complex(float(m.group(1)), 0.0)
            rest = m.group(2).strip()
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise InputError(where, f"{field}: expected a finite complex number, got {text!r}")
    if rest:
        factor = _convert(1.0, rest, unit, where, field)
        z = z * factor
    return z
