"""Series impedance and shunt admittance of GridLAB-D lines, computed as GridLAB-D computes them.

GridLAB-D's modified Carson equations (Kersting 4.39/4.40 with GridLAB-D's frequency coefficients and an earth
resistivity of 100 ohm-m), in ohm per mile with conductor data in the units GridLAB-D stores (GMR and spacing in
ft, resistance in ohm/mile, diameters in inches):

* self ``z_ii = r_i + 0.00158836 f + j 0.00202237 f (ln(1/GMR_i) + ln(100/f)/2 + 7.6786)``;
* mutual ``z_ij = 0.00158836 f + j 0.00202237 f (ln(1/D_ij) + ln(100/f)/2 + 7.6786)``.

Overhead lines Kron-reduce the neutral conductor (``z_ij - z_in z_jn / z_nn``); underground lines build the
7x7 matrix of phase conductors, their concentric neutrals (or tape shields) and the separate neutral
conductor, set the diagonal of absent phases' neutrals to 1 and reduce the 4x4 neutral block (GridLAB-D's
``underground_line::recalc``); triplex lines reduce the neutral of the 3x3 matrix of lines 1, 2 and N spaced
by the cable's diameter and insulation. Shunt capacitance (``line_capacitance true``) uses GridLAB-D's
potential coefficients with image conductors (overhead, air 0.01424 uF/mile) and the concentric-neutral or
tape-shield formulas (underground, 0.0142 uF/mile times the relative permittivity).

Every quantity that GridLAB-D zeroes when data is missing (a phase without conductor, a zero spacing) is
zeroed here the same way, so that the impedances equal GridLAB-D's to rounding; including the cases where
its reduction yields a negative resistance (it warns about them; evcore reports them).

Reference: W. H. Kersting, Distribution System Modeling and Analysis, ch. 4-5; GridLAB-D ``overhead_line.cpp``,
``underground_line.cpp``, ``triplex_line.cpp`` (powerflow module).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["carson_coefficients", "overhead_line", "underground_line", "triplex_line", "matrix_line",
           "PERMITTIVITY_AIR_UF_PER_MILE", "PERMITTIVITY_FREE_UF_PER_MILE", "EARTH_RESISTIVITY_OHM_M"]

PERMITTIVITY_AIR_UF_PER_MILE = 0.014240
PERMITTIVITY_FREE_UF_PER_MILE = 0.01420
EARTH_RESISTIVITY_OHM_M = 100.0
PHASES = "ABC"


def carson_coefficients(frequency_hz):
    """``(real term, imaginary factor, additive term)`` of GridLAB-D's self and mutual impedances."""
    return (0.00158836 * frequency_hz, 0.00202237 * frequency_hz,
            math.log(EARTH_RESISTIVITY_OHM_M / frequency_hz) / 2.0 + 7.6786)


def _self(r, gmr, coef):
    cr, ci, add = coef
    return complex(r + cr, ci * (math.log(1.0 / gmr) + add))


def _mutual(d, coef):
    cr, ci, add = coef
    return complex(cr, ci * (math.log(1.0 / d) + add))


def _invert_present(m, present):
    """Inverse of the sub-matrix of the present phases, embedded back into 3x3 (zeros elsewhere)."""
    out = np.zeros((3, 3), dtype=complex)
    idx = [i for i in range(3) if present[i]]
    if idx:
        sub = m[np.ix_(idx, idx)]
        out[np.ix_(idx, idx)] = np.linalg.inv(sub)
    return out


def overhead_line(phases, conductors, spacing, length_ft, frequency_hz=60.0, line_capacitance=False):
    """``(Z, Y, capacitance_note)`` of an overhead line: 3x3 series impedance (ohm) and total shunt
    admittance (S) over phases A, B, C (zero rows and columns for absent phases).

    Parameters
    ----------
    phases : str
        The line's phases, e.g. ``"BCN"``.
    conductors : dict
        Phase letter (``A``, ``B``, ``C``, ``N``) -> dict with ``resistance`` (ohm/mile),
        ``geometric_mean_radius`` (ft), ``diameter`` (in), for the conductors the configuration names.
    spacing : dict
        ``distance_AB`` ... ``distance_CN`` and ``distance_AE`` ... ``distance_NE`` (ft); missing = 0.
    """
    coef = carson_coefficients(frequency_hz)
    miles = length_ft / 5280.0
    has = {p: (p in phases) for p in "ABCN"}

    def cond(p, key):
        c = conductors.get(p)
        return float(c.get(key, 0.0)) if (has[p] and c is not None) else 0.0

    def dist(a, b):
        if not (has[a] and has[b]):
            return 0.0
        return float(spacing.get(f"distance_{a}{b}", spacing.get(f"distance_{b}{a}", 0.0)))

    def earth(p):
        return float(spacing.get(f"distance_{p}E", 0.0))

    z = np.zeros((4, 4), dtype=complex)
    for i, p in enumerate("ABC"):
        if not has[p]:
            continue
        gmr, res = cond(p, "geometric_mean_radius"), cond(p, "resistance")
        z[i, i] = _self(res, gmr, coef) if (gmr > 0 and res > 0) else 0.0
        for j, q in enumerate("ABCN"):
            if j == i:
                continue
            d = dist(p, q)
            if has[q] and d > 0:
                z[i, j] = z[j, i] = _mutual(d, coef)
    z_nn_inv = 0.0
    gmr_n, res_n = cond("N", "geometric_mean_radius"), cond("N", "resistance")
    if has["N"] and gmr_n > 0 and res_n > 0:
        z[3, 3] = _self(res_n, gmr_n, coef)
        z_nn_inv = 1.0 / z[3, 3]
    # mutual terms towards an absent phase are zero by construction; toward N only when N is present
    if not has["N"]:
        z[:3, 3] = z[3, :3] = 0.0
    zabc = (z[:3, :3] - np.outer(z[:3, 3], z[3, :3]) * z_nn_inv) * miles
    for i, p in enumerate("ABC"):
        if not has[p]:
            zabc[i, :] = zabc[:, i] = 0.0

    y = np.zeros((3, 3), dtype=complex)
    note = None
    if line_capacitance:
        cap_coeff = 1.0 / (PERMITTIVITY_AIR_UF_PER_MILE * 2.0 * math.pi)
        p = np.zeros((4, 4))
        valid = True
        letters = "ABCN"
        for i, ph in enumerate("ABC"):
            if not has[ph]:
                continue
            diam, h = cond(ph, "diameter"), earth(ph)
            if diam > 0 and h > 0:
                p[i, i] = cap_coeff * math.log(2.0 * h / diam * 24.0)
                for j in range(i + 1, 4):
                    q = letters[j]
                    if not has[q]:
                        continue
                    d = float(spacing.get(f"distance_{ph}{q}", spacing.get(f"distance_{q}{ph}", 0.0)))
                    if d != 0:
                        image = math.sqrt(d * d + (2.0 * h) * (2.0 * earth(q)))
                        p[i, j] = p[j, i] = cap_coeff * math.log(image / d)
            else:
                valid = False
        p_nn = 0.0
        if has["N"] and gmr_n > 0 and res_n > 0:
            diam_n, h_n = cond("N", "diameter"), earth("N")
            if diam_n > 0 and h_n > 0:
                p_nn = cap_coeff * math.log(2.0 * h_n / diam_n * 24.0)
            else:
                valid = False
        if valid:
            if p_nn != 0.0:
                pabc = p[:3, :3] - np.outer(p[:3, 3], p[3, :3]) / p_nn
            else:
                pabc = p[:3, :3].copy()
            present = [has[q] for q in "ABC"]
            y = _invert_present(pabc.astype(complex), present) * 1j * (2.0 * math.pi * frequency_hz * 1e-6 * miles)
        else:
            note = "shunt capacitance not computed: a conductor diameter or height above earth is missing"
    return zabc, y, note


def underground_line(phases, conductors, spacing, length_ft, frequency_hz=60.0, line_capacitance=False):
    """``(Z, Y, note)`` of an underground line (concentric-neutral or tape-shielded cables), as GridLAB-D.

    ``conductors`` maps ``A``, ``B``, ``C``, ``N`` to dicts of ``underground_line_conductor`` data
    (``outer_diameter``, ``conductor_diameter``, ``neutral_diameter``, ``shield_thickness``,
    ``shield_diameter`` in inches; ``conductor_gmr``, ``neutral_gmr``, ``shield_gmr`` in ft;
    ``conductor_resistance``, ``neutral_resistance``, ``shield_resistance`` in ohm/mile;
    ``neutral_strands``; ``insulation_relative_permitivitty``).
    """
    coef = carson_coefficients(frequency_hz)
    miles = length_ft / 5280.0
    has = {p: (p in phases) for p in "ABCN"}

    def get(p, key):
        c = conductors.get(p)
        return float(c.get(key, 0.0)) if (has[p] and c is not None) else 0.0

    def dist(a, b):
        if not (has[a] and has[b]):
            return 0.0
        return float(spacing.get(f"distance_{a}{b}", spacing.get(f"distance_{b}{a}", 0.0)))

    # index 0..6 = GridLAB-D's 1..7: phase conductors A, B, C, their neutrals (or shields), the neutral conductor
    dia_od = [get(p, "outer_diameter") for p in "ABC"]
    gmr = [get(p, "conductor_gmr") for p in "ABC"] + [get(p, "neutral_gmr") for p in "ABC"] + \
        [get("N", "conductor_gmr")]
    dia = [get(p, "conductor_diameter") for p in "ABC"] + [get(p, "neutral_diameter") for p in "ABC"] + \
        [get("N", "conductor_diameter")]
    res = [get(p, "conductor_resistance") for p in "ABC"] + [get(p, "neutral_resistance") for p in "ABC"] + \
        [get("N", "conductor_resistance")]
    gmr_s = [get(p, "shield_gmr") for p in "ABC"]
    res_s = [get(p, "shield_resistance") for p in "ABC"]
    tape_thick = [get(p, "shield_thickness") for p in "ABC"]
    tape_dia = [get(p, "shield_diameter") for p in "ABC"]
    # neutral_strands is an int16 in GridLAB-D
    strands = [int(get(p, "neutral_strands")) for p in "ABC"]
    if all(g == 0 for g in gmr_s):
        rad = [(dia_od[k] - dia[3 + k]) / 24.0 for k in range(3)]
    else:
        rad = [0.0, 0.0, 0.0]
    rcn = [res[3 + k] / strands[k] if (has["ABC"[k]] and strands[k] > 0) else 0.0 for k in range(3)]
    gmrcn = [0.0] * 3
    for k in range(3):
        if has["ABC"[k]] and strands[k] > 0:
            gmrcn[k] = (gmr[3 + k] * strands[k] * rad[k] ** (strands[k] - 1)) ** (1.0 / strands[k])
    not_ts_cn = all(g == 0 for g in gmr[3:6]) and all(g == 0 for g in gmr_s)
    is_cn = False
    if not not_ts_cn:
        if all(g == 0 for g in gmr_s):
            is_cn = True
        else:
            rad = [(tape_dia[k] - tape_thick[k]) / 2.0 for k in range(3)]

    d = np.zeros((7, 7))
    d[0, 1] = dist("A", "B")
    d[0, 2] = dist("A", "C")
    d[0, 3] = gmr_s[0] if gmr_s[0] > 0 else rad[0]
    d[0, 4] = d[0, 1]
    d[0, 5] = d[0, 2]
    d[0, 6] = dist("A", "N")
    d[1, 2] = dist("B", "C")
    d[1, 3] = d[0, 1]
    d[1, 4] = gmr_s[1] if gmr_s[1] > 0 else rad[1]
    d[1, 5] = d[1, 2]
    d[1, 6] = dist("B", "N")
    d[2, 3] = d[0, 2]
    d[2, 4] = d[1, 2]
    d[2, 5] = gmr_s[2] if gmr_s[2] > 0 else rad[2]
    d[2, 6] = dist("C", "N")
    d[3, 4] = d[0, 1]
    d[3, 5] = d[0, 2]
    d[3, 6] = d[0, 6]
    d[4, 5] = d[1, 2]
    d[4, 6] = d[1, 6]
    d[5, 6] = d[2, 6]
    d = d + d.T

    def z_gmr(i):
        return 0.0 if gmr[i] == 0 else _self(res[i], gmr[i], coef)

    def z_dist(i, j):
        return 0.0 if d[i, j] == 0 else _mutual(d[i, j], coef)

    z = np.zeros((7, 7), dtype=complex)
    if is_cn:
        for i in range(7):
            for j in range(7):
                if i == j:
                    if 3 <= i <= 5:
                        k = i - 3
                        z[i, i] = 0.0 if gmrcn[k] == 0 else _self(rcn[k], gmrcn[k], coef)
                    else:
                        z[i, i] = z_gmr(i)
                else:
                    z[i, j] = z_dist(i, j)
    else:  # tape shield (or plain insulated cable; the reduction below is skipped for that)
        for i in range(7):
            for j in range(7):
                if i == j:
                    if 3 <= i <= 5:
                        k = i - 3
                        z[i, i] = 0.0 if gmr_s[k] == 0 else _self(res_s[k], gmr_s[k], coef)
                    else:
                        z[i, i] = z_gmr(i)
                elif (i, j) in ((0, 3), (1, 4), (2, 5)):
                    k = j - 3
                    z[i, j] = 0.0 if gmr_s[k] == 0 else _mutual(gmr_s[k], coef)
                else:
                    z[i, j] = z_dist(i, j)

    note = None
    if not not_ts_cn:
        z_ij, z_in, z_nj, z_nn = z[:3, :3], z[:3, 3:], z[3:, :3], z[3:, 3:].copy()
        if not all(has[p] for p in "ABCN"):
            for k, p in enumerate("ABC"):
                if not has[p]:
                    z_nn[k, k] = 1.0
            if not has["N"]:
                z_nn[3, 3] = 1.0
                if not is_cn:
                    note = "tape-shielded cable without a phase N conductor"
        zabc = (z_ij - z_in @ np.linalg.inv(z_nn) @ z_nj) * miles
    else:
        z_nn_inv = 1.0 / z[6, 6] if z[6, 6] != 0 else 0.0
        zabc = (z[:3, :3] - np.outer(z[:3, 6], z[6, :3]) * z_nn_inv) * miles

    y = np.zeros((3, 3), dtype=complex)
    if line_capacitance and not not_ts_cn:
        cap = [0.0, 0.0, 0.0]
        for k, p in enumerate("ABC"):
            if not has[p]:
                continue
            perm = get(p, "insulation_relative_permitivitty")
            if is_cn:
                if dia[k] == 0 or rad[k] == 0 or strands[k] == 0:
                    note = "capacitance of a phase not computed (zero diameter, neutral radius or strand count)"
                    continue
                denom = math.log(rad[k] / (dia[k] / 24.0)) - (1.0 / strands[k]) * math.log(
                    strands[k] * dia[3 + k] / 24.0 / rad[k])
            else:
                if dia[k] == 0 or rad[k] == 0:
                    note = "capacitance of a phase not computed (zero diameter or shield radius)"
                    continue
                denom = math.log(rad[k] / (dia[k] / 2.0))
            if denom != 0.0:
                cap[k] = 2.0 * math.pi * PERMITTIVITY_FREE_UF_PER_MILE * perm / denom
        y = np.diag(np.array(cap, dtype=complex)) * 1j * (2.0 * math.pi * frequency_hz * 1e-6 * miles)
    return zabc, y, note


def triplex_line(conductors, diameter_in, insulation_in, length_ft, frequency_hz=60.0):
    """Physical 2x2 series impedance (ohm) of a triplex line over lines 1 and 2 (neutral Kron-reduced).

    ``conductors`` maps ``1``, ``2``, ``N`` to dicts with ``resistance`` (ohm/mile) and
    ``geometric_mean_radius`` (ft). GridLAB-D stores this matrix with the signs of line 2's row flipped
    (its ``voltage_2`` is measured from line 2 to neutral in the opposite sense); evcore keeps node
    voltages to ground, so the matrix here is the physical one.
    """
    coef = carson_coefficients(frequency_hz)
    d12 = (diameter_in + 2.0 * insulation_in) / 12.0
    d13 = (diameter_in + insulation_in) / 12.0
    d23 = d13
    r1, r2, rn = (float(conductors[k]["resistance"]) for k in ("1", "2", "N"))
    g1, g2, gn = (float(conductors[k]["geometric_mean_radius"]) for k in ("1", "2", "N"))
    zp11, zp22, zp33 = _self(r1, g1, coef), _self(r2, g2, coef), _self(rn, gn, coef)
    zp12, zp13, zp23 = _mutual(d12, coef), _mutual(d13, coef), _mutual(d23, coef)
    z = np.array([[zp11 - zp13 * zp13 / zp33, zp12 - zp13 * zp23 / zp33],
                  [zp12 - zp13 * zp23 / zp33, zp22 - zp23 * zp23 / zp33]])
    return z * (length_ft / 5280.0)


def matrix_line(phases, z_per_mile, c_nf_per_mile, length_ft, frequency_hz=60.0, line_capacitance=False):
    """A line configured by ``z11``..``z33`` (ohm/mile) and ``c11``..``c33`` (nF/mile), as GridLAB-D."""
    miles = length_ft / 5280.0
    has = [p in phases for p in PHASES]
    mask = np.outer(has, has)
    zabc = np.where(mask, np.asarray(z_per_mile, dtype=complex), 0.0) * miles
    y = np.zeros((3, 3), dtype=complex)
    if line_capacitance:
        y = np.where(mask, np.asarray(c_nf_per_mile, dtype=float), 0.0) * 1j * (2.0 * math.pi * frequency_hz * 1e-9
                                                                              * miles)
    return zabc, y
