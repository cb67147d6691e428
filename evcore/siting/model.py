"""The siting model of seed 004: where to build charging stations and how many fast and slow piles.

Costs are annual and expressed in **10^4 yuan** (the paper's unit). Parameters keep the units
the paper states them in (prices of piles in 10^4 yuan, tariffs in yuan/kWh, value of time in
yuan/h); the conversions are written once, here.

Where our copy of the paper is ambiguous we take the dimensionally consistent reading and say
so next to the parameter (:class:`SitingParameters`). The pieces:

- investment ``F1`` (eq. 6): land ``c_j s_j``, piles, per-pile infrastructure ``beta`` and
  per-station facilities ``gamma``, annualised with the capital recovery factor
  ``r0 (1 + r0)^n / ((1 + r0)^n - 1)``; operating cost (eq. 3) and the fixed ``epsilon``;
- user cost ``F2`` (eq. 20): energy to drive to the station, travel time and queueing time,
  the waits being M/M/c (Erlang C) per charger type (eqs. 9-17);
- capacity (eq. 22): ``kVA = (A Pw1 + B Pw2) Q K1 K2 / cos(phi)``.

The optimisation objective is ``w F1 + (1 - w) F2`` (``w = 0.5`` in the paper); the *total
cost* reported, as in the paper's tables, is ``F1 + F2``.

Instances are made here (:class:`SitingInstance`) or by the case generators of
:mod:`evcore.siting.cases` (:func:`~evcore.siting.cases.changchun_case`, ``random_case``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .._validate import (
    as_array,
    as_scalar,
    check_at_most,
    check_choice,
    check_finite,
    check_in_range,
    check_integer,
    check_nonnegative,
    freeze_fields,
)
from ..errors import InputError

__all__ = [
    "SitingParameters",
    "SitingInstance",
    "capacity_kva",
    "capital_recovery_factor",
    "MAX_PILES_PER_STATION",
    "COORDINATE_SYSTEM",
]

#: Yuan per 10^4 yuan: tariffs and values of time are stated in yuan, costs reported in 10^4 yuan.
YUAN_PER_UNIT = 1.0e4
DAYS_PER_YEAR = 365.0
#: Largest ``max_piles`` accepted: a station design scans every count up to it (memory and time
#: grow with it; the Changchun case needs about 1,200 piles at its busiest station).
MAX_PILES_PER_STATION = 100_000
#: What local planar coordinates mean (every ``*_xy_km`` array of evcore.siting).
COORDINATE_SYSTEM = "local planar, km (x east, y north)"


def capital_recovery_factor(discount_rate: float, lifetime_years: int) -> float:
    """``r0 (1 + r0)^n / ((1 + r0)^n - 1)``: the annual payment that repays one unit over n years.

    Reference: seed 004, eqs. (4)-(6). ``discount_rate = 0`` gives ``1 / n``. Computed as
    ``r0 / (1 - (1 + r0)^-n)`` with ``log1p``/``expm1``, so rates near 0 (``1e-17``) give
    ``1 / n`` to rounding instead of dividing by zero, and huge rates give ``r0``.
    """
    r0 = as_scalar("discount_rate", discount_rate)
    n = as_scalar("lifetime_years", lifetime_years, int)
    if not math.isfinite(r0) or r0 < 0:
        raise InputError("discount_rate", f"must be finite and >= 0, got {r0!r}")
    if n < 1:
        raise InputError("lifetime_years", f"must be >= 1, got {n!r}")
    if r0 == 0:
        return 1.0 / n
    repaid = -math.expm1(-n * math.log1p(r0))  # 1 - (1 + r0)^-n, exact for tiny r0
    return r0 / repaid


@dataclass(frozen=True)
class SitingParameters:
    """Coefficients of the siting model; defaults are the paper's Tables 3-4.

    Attributes
    ----------
    investment_weight : float
        ``w`` in ``w F1 + (1 - w) F2``; 0.5 in the paper, 0.7 / 0.3 in its sensitivity runs.
    slow_share, fast_share : float
        ``A``, ``B``: shares of users charging slowly / fast (sum to 1). With ``split="fixed"``
        a station of ``Q`` piles has ``round(A Q)`` slow piles and the rest fast. The paper
        states no rounding rule; Table 13 agrees with ``round(A Q)`` at 11 of its 15 stations,
        but its four 9-pile stations (16, 23, 28, 30) have 2 slow and 7 fast piles where
        ``round(0.28 x 9) = round(2.52) = 3``. ``split="optimise"`` chooses each station's
        own split instead.
    slow_pile_price, fast_pile_price : float
        ``alpha``, ``alpha1`` (10^4 yuan per pile; Table 4: 1 and 3).
    infrastructure_per_pile : float
        ``beta`` (10^4 yuan per pile). Table 4 lists only station-level facilities, so 0.
    station_facilities : float
        ``gamma`` (10^4 yuan per station): Table 4's cable 10 + filtering 87 + monitoring room
        15 + monitoring equipment 2 + battery maintenance 4 + distribution cabinet 20 +
        transformer 70 = 208.
    discount_rate, lifetime_years : float, int
        ``r0 = 0.08`` and ``n = 20`` years.
    operating_hours_per_day : float
        ``We`` = 20 h: the day over which demand arrives (eq. 9) and piles operate (eq. 3).
    slow_line_loss, fast_line_loss, slow_charging_loss, fast_charging_loss : float
        ``r1 = 0.05``, ``r2 = 0.08``, ``P1 = 0.10``, ``P2 = 0.05`` (eq. 3).
    operating_cost_per_pile_hour : float
        Yuan per pile-hour per unit of ``(r + P)``. Eq. (3) as printed, ``365 We sum(A Q (r1 +
        P1) + B Q (r2 + P2))``, counts pile-hours times dimensionless loss coefficients and
        needs a price to become money; our copy does not give it. 100 yuan makes the paper's
        150-pile plan cost about 1,480 (10^4 yuan) a year to operate, consistent with its
        Table 11 (annual investment 2,085 for 15 stations).
    fixed_operating_cost : float
        ``epsilon`` = 23 (10^4 yuan per year), added once for the network as in eq. (3).
    energy_per_km : float
        ``q`` = 0.15 kWh/km.
    congestion_factor : float
        ``tau`` = 1.723: road distance = ``tau`` × straight distance.
    slow_tariff : float
        ``s`` = 0.83 yuan/kWh.
    fast_tariffs, fast_tariff_weights : tuple of float
        ``(e, c) = (1.26, 1.52)`` yuan/kWh with weights ``(a, b) / B = (0.76, 0.24)``. The
        paper's ``a = 0.5472`` and ``b = 0.1728`` sum to ``B = 0.72``: they are shares of all
        users, so eq. (7)'s price ``A s + B (a e + b c)`` is read as ``A s + a e + b c``
        (weights summing to one); here ``a / B`` and ``b / B`` are stored.
    value_of_time : float
        ``C_t`` in yuan/h. Table 3 prints 0.017 without a unit next to Table 1's "yuan/h";
        0.017 × 10^4 yuan is a day's wage in Changchun, so the default is 170 yuan / 8 h =
        21.25 yuan/h.
    speed_kmh : float
        ``V`` = 40 km/h.
    slow_charge_hours, fast_charge_hours : float
        ``t1`` = 6 h, ``t2`` = 1 h (mean service times).
    max_wait_hours : float
        Longest tolerable mean wait ``W_j`` (0.5 h).
    slow_pile_kw, fast_pile_kw : float
        ``Pw1`` = 7 kW, ``Pw2`` = 120 kW.
    simultaneity, load_rate, power_factor : float
        ``K1`` = 0.9, ``K2`` = 0.9, ``cos(phi)`` = 0.93 (eq. 22).
    min_piles, max_piles : int
        ``5 <= Q_j <= Qmax`` for a built station (GB/T 50966-2024 asks at least 5);
        ``max_piles`` is at most :data:`MAX_PILES_PER_STATION`.
    max_station_kva : float
        Largest installed capacity of one station (kVA, from its pile counts with eq. 22's
        coefficients), e.g. a transformer rating; ``inf`` (default) for none. §2.3's capacity
        constraint as printed bounds a station's input power by its own pile power, which
        always holds; this is the grid-side reading.
    """

    investment_weight: float = 0.5
    slow_share: float = 0.28
    fast_share: float = 0.72
    slow_pile_price: float = 1.0
    fast_pile_price: float = 3.0
    infrastructure_per_pile: float = 0.0
    station_facilities: float = 208.0
    discount_rate: float = 0.08
    lifetime_years: int = 20
    operating_hours_per_day: float = 20.0
    slow_line_loss: float = 0.05
    fast_line_loss: float = 0.08
    slow_charging_loss: float = 0.10
    fast_charging_loss: float = 0.05
    operating_cost_per_pile_hour: float = 100.0
    fixed_operating_cost: float = 23.0
    energy_per_km: float = 0.15
    congestion_factor: float = 1.723
    slow_tariff: float = 0.83
    fast_tariffs: tuple = (1.26, 1.52)
    fast_tariff_weights: tuple = (0.76, 0.24)
    value_of_time: float = 21.25
    speed_kmh: float = 40.0
    slow_charge_hours: float = 6.0
    fast_charge_hours: float = 1.0
    max_wait_hours: float = 0.5
    slow_pile_kw: float = 7.0
    fast_pile_kw: float = 120.0
    simultaneity: float = 0.9
    load_rate: float = 0.9
    power_factor: float = 0.93
    min_piles: int = 5
    max_piles: int = 2000
    max_station_kva: float = float("inf")

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("fast_tariffs", "fast_tariff_weights"):
                arr = check_nonnegative(item.name, check_finite(item.name, as_array(item.name, value, shape=(2,))))
                object.__setattr__(self, item.name, tuple(float(v) for v in arr))
                continue
            if item.name in ("min_piles", "max_piles", "lifetime_years"):
                number = int(check_integer(item.name, as_array(item.name, value, ndim=0), minimum=1))
                object.__setattr__(self, item.name, number)
                continue
            number = as_scalar(item.name, value)
            if item.name == "max_station_kva" and number == np.inf:
                object.__setattr__(self, item.name, float(number))
                continue
            if not np.isfinite(number) or number < 0:
                raise InputError(item.name, f"must be finite and >= 0, got {number!r}")
            object.__setattr__(self, item.name, float(number))
        check_in_range("investment_weight", np.asarray(self.investment_weight), 0.0, 1.0)
        if abs(self.slow_share + self.fast_share - 1.0) > 1e-9:
            raise InputError("fast_share", f"slow_share + fast_share must be 1, got "
                             f"{self.slow_share} + {self.fast_share}")
        if abs(sum(self.fast_tariff_weights) - 1.0) > 1e-9:
            raise InputError("fast_tariff_weights", f"must sum to 1, got {self.fast_tariff_weights}")
        for name in ("speed_kmh", "slow_charge_hours", "fast_charge_hours", "operating_hours_per_day",
                     "power_factor", "max_wait_hours", "max_station_kva"):
            if getattr(self, name) <= 0:
                raise InputError(name, f"must be > 0, got {getattr(self, name)!r}")
        if self.power_factor > 1:
            raise InputError("power_factor", f"must be in (0, 1], got {self.power_factor!r}")
        if self.max_piles < self.min_piles:
            raise InputError("max_piles", f"must be >= min_piles ({self.min_piles}), got {self.max_piles}")
        check_at_most("max_piles", np.int64(self.max_piles), MAX_PILES_PER_STATION,
                      "evcore.siting.model.MAX_PILES_PER_STATION")
        for name in ("slow_share", "fast_share", "slow_line_loss", "fast_line_loss", "slow_charging_loss",
                     "fast_charging_loss"):
            check_in_range(name, np.asarray(getattr(self, name)), 0.0, 1.0)

    # Derived coefficients, each in 10^4 yuan per year unless stated.
    @property
    def capital_recovery(self) -> float:
        """Capital recovery factor (1/year)."""
        return capital_recovery_factor(self.discount_rate, self.lifetime_years)

    @property
    def energy_price(self) -> float:
        """Mean tariff a user pays per kWh (yuan/kWh): ``A s + B (a' e + b' c)``."""
        fast = float(np.dot(self.fast_tariffs, self.fast_tariff_weights))
        return self.slow_share * self.slow_tariff + self.fast_share * fast

    @property
    def user_cost_per_vehicle_km(self) -> float:
        """Annual energy + travel-time cost of one daily vehicle per straight-line km (10^4 yuan).

        ``365 tau (q price + C_t / V)`` (eqs. 7-8) over ``YUAN_PER_UNIT``.
        """
        per_km = self.energy_per_km * self.energy_price + self.value_of_time / self.speed_kmh
        return DAYS_PER_YEAR * self.congestion_factor * per_km / YUAN_PER_UNIT

    @property
    def queue_cost_per_vehicle_hour(self) -> float:
        """Annual cost of one daily vehicle waiting one hour each day (10^4 yuan): ``365 C_t``."""
        return DAYS_PER_YEAR * self.value_of_time / YUAN_PER_UNIT

    @property
    def operating_cost_per_pile(self) -> tuple[float, float]:
        """Annual operating cost of one (slow, fast) pile (10^4 yuan), eq. (3)."""
        hours = DAYS_PER_YEAR * self.operating_hours_per_day * self.operating_cost_per_pile_hour / YUAN_PER_UNIT
        return (hours * (self.slow_line_loss + self.slow_charging_loss),
                hours * (self.fast_line_loss + self.fast_charging_loss))

    @property
    def annual_pile_cost(self) -> tuple[float, float]:
        """Annualised capital plus operating cost of one (slow, fast) pile (10^4 yuan/year)."""
        crf = self.capital_recovery
        slow_op, fast_op = self.operating_cost_per_pile
        return (crf * (self.slow_pile_price + self.infrastructure_per_pile) + slow_op,
                crf * (self.fast_pile_price + self.infrastructure_per_pile) + fast_op)

    @property
    def kva_per_kw(self) -> float:
        """``K1 K2 / cos(phi)`` of eq. (22)."""
        return self.simultaneity * self.load_rate / self.power_factor

    @property
    def pile_kva(self) -> tuple[float, float]:
        """Installed kVA of one (slow, fast) pile: ``Pw K1 K2 / cos(phi)``."""
        return self.slow_pile_kw * self.kva_per_kw, self.fast_pile_kw * self.kva_per_kw

    def split(self, piles):
        """Slow and fast pile counts of stations of ``piles`` piles under the fixed shares.

        ``slow = floor(A Q + 1/2)``, ``fast = Q - slow``.
        """
        piles = check_integer("piles", as_array("piles", piles, dtype=None), minimum=0)
        slow = np.floor(self.slow_share * piles + 0.5).astype(np.int64)
        return slow, piles - slow


def capacity_kva(piles, parameters: SitingParameters | None = None):
    """Installed capacity of stations with ``piles`` piles (kVA), seed 004 eq. (22).

    ``(A Pw1 + B Pw2) Q K1 K2 / cos(phi)`` with the fixed shares ``A``, ``B`` of
    ``parameters`` (the paper's defaults: 0.28 slow at 7 kW, 0.72 fast at 120 kW, K1 = K2 = 0.9,
    cos(phi) = 0.93).

    Parameters
    ----------
    piles : int or array_like of int
        Piles per station or plan (whole numbers, ``0 <= piles <= 10**12``).

    Returns
    -------
    float or numpy.ndarray
        kVA per station, same shape as ``piles``.

    Notes
    -----
    The paper's 11,544 kVA for its 150-pile plan (§3.4) is this formula with the shares: it
    counts 0.28 x 150 = 42 slow and 108 fast piles. Table 13's own counts, 40 slow and 110 fast,
    give (40 x 7 + 110 x 120) x 0.9 x 0.9 / 0.93 = 11,741 kVA: the result of a plan
    (``SitingResult.capacity_kva``) uses its actual counts.

    Examples
    --------
    >>> round(float(capacity_kva(150)))  # the paper's optimal plan: 11,544 kVA
    11544
    """
    p = SitingParameters() if parameters is None else parameters
    if not isinstance(p, SitingParameters):
        raise InputError("parameters", f"must be a SitingParameters, got {type(p).__name__}")
    q = check_integer("piles", as_array("piles", piles, dtype=None), minimum=0)
    check_at_most("piles", q, 10**12, "piles of a station or a plan")
    per_pile_kw = p.slow_share * p.slow_pile_kw + p.fast_share * p.fast_pile_kw
    kva = per_pile_kw * q * p.kva_per_kw
    return float(kva) if kva.ndim == 0 else kva


@dataclass(frozen=True, eq=False)
class SitingInstance:
    """Demand points, candidate sites and coefficients of one siting problem.

    Parameters
    ----------
    demand_per_day : array_like, shape (points,)
        ``P_i``: vehicles charging per day at demand point ``i`` (``>= 0``).
    distance_km : array_like, shape (points, sites)
        ``l_ij``: straight-line distance from point ``i`` to candidate site ``j`` (km, ``>= 0``).
        Road distance is ``congestion_factor`` times this.
    land_cost : array_like, shape (sites,)
        ``c_j s_j``: price of the land a station needs at ``j`` (10^4 yuan, ``>= 0``).
    parameters : SitingParameters
        Coefficients (Tables 3-4 by default).
    max_distance_km : float
        ``l_max``: a point may only use stations within this straight-line distance (anxiety
        range); ``inf`` for none.
    service_range_km : float or None
        ``r``: with a value, two open stations must be at least ``r`` apart and each open
        station's nearest open neighbour at most ``2 r`` away (§2.3); None switches it off.
    stations : int or None
        With a value, exactly this many stations are built (the Pareto tables fix it).
    split : {"fixed", "optimise"}
        ``"fixed"``: the paper's shares ``A``/``B`` of every station's piles. ``"optimise"``
        (beyond the paper): every station gets its own cheapest number of slow and fast piles.
    point_xy_km, site_xy_km : array_like, shape (points, 2) / (sites, 2), optional
        Coordinates in a local planar system, km (x east, y north; :data:`COORDINATE_SYSTEM`),
        for maps, tables and GeoJSON. ``site_xy_km`` is needed for ``service_range_km``
        (distances between sites).
    point_names, site_names : sequence of str, optional
        Ids of the demand points and candidate sites, unique within each (default ``"1"``,
        ``"2"``, ...). Every output names points and sites by these ids.
    name : str
        Label used in reports.
    origin_lonlat : (float, float), optional
        Longitude and latitude (WGS 84 degrees) of the local origin ``(0, 0)``. With it, outputs
        also give longitude/latitude (a local equirectangular projection, within about 0.1 %
        over 50 km) and :meth:`SitingResult.to_geojson` needs no origin of its own.

    Notes
    -----
    Each point is served by its nearest open station (proximity principle, ties to the lower
    site index); a built station's piles are the cheapest number meeting the wait limit
    given its load (see :mod:`evcore.siting._design`).
    """

    demand_per_day: np.ndarray
    distance_km: np.ndarray
    land_cost: np.ndarray
    parameters: SitingParameters = field(default_factory=SitingParameters)
    max_distance_km: float = np.inf
    service_range_km: float | None = None
    stations: int | None = None
    split: str = "fixed"
    point_xy_km: np.ndarray | None = None
    site_xy_km: np.ndarray | None = None
    point_names: tuple | None = None
    site_names: tuple | None = None
    name: str = ""
    origin_lonlat: tuple | None = None
    #: The compiled kernels' arrays, built once per instance by ``evcore.siting._arrays.kernel_arrays``.
    _kernel_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        demand = check_nonnegative("demand_per_day", check_finite(
            "demand_per_day", as_array("demand_per_day", self.demand_per_day, ndim=1)))
        points = demand.shape[0]
        if points < 1:
            raise InputError("demand_per_day", "needs at least one demand point")
        distance = as_array("distance_km", self.distance_km, ndim=2)
        if distance.shape[0] != points:
            raise InputError("distance_km", f"must have {points} rows (one per demand point), "
                             f"got shape {distance.shape}")
        sites = distance.shape[1]
        if sites < 1:
            raise InputError("distance_km", "needs at least one candidate site")
        check_nonnegative("distance_km", check_finite("distance_km", distance))
        land = check_nonnegative("land_cost", check_finite(
            "land_cost", as_array("land_cost", self.land_cost, shape=(sites,))))
        if not isinstance(self.parameters, SitingParameters):
            raise InputError("parameters", f"must be a SitingParameters, got {type(self.parameters).__name__}")
        max_distance = as_scalar("max_distance_km", self.max_distance_km)
        if np.isnan(max_distance) or max_distance <= 0:
            raise InputError("max_distance_km", f"must be > 0 (inf for no limit), got {max_distance!r}")
        check_choice("split", self.split, ("fixed", "optimise"))
        if not isinstance(self.name, str):
            raise InputError("name", f"must be text, got {type(self.name).__name__}")
        stations = self.stations
        if stations is not None:
            stations = int(check_integer("stations", as_array("stations", stations, ndim=0), minimum=1))
            if stations > sites:
                raise InputError("stations", f"cannot exceed the {sites} candidate sites, got {stations}")
        point_xy = None if self.point_xy_km is None else check_finite(
            "point_xy_km", as_array("point_xy_km", self.point_xy_km, shape=(points, 2)))
        site_xy = None if self.site_xy_km is None else check_finite(
            "site_xy_km", as_array("site_xy_km", self.site_xy_km, shape=(sites, 2)))
        service_range = self.service_range_km
        if service_range is not None:
            service_range = as_scalar("service_range_km", service_range)
            if not np.isfinite(service_range) or service_range <= 0:
                raise InputError("service_range_km", f"must be finite and > 0, got {service_range!r}")
            if site_xy is None:
                raise InputError("site_xy_km", "is needed when service_range_km is set (site-to-site distances)")
        point_names = _names("point_names", self.point_names, points)
        site_names = _names("site_names", self.site_names, sites)
        origin = self.origin_lonlat
        if origin is not None:
            lon, lat = (float(v) for v in check_finite("origin_lonlat", as_array("origin_lonlat", origin, shape=(2,))))
            check_in_range("origin_lonlat", np.array([lon]), -180.0, 180.0)
            check_in_range("origin_lonlat", np.array([lat]), -85.0, 85.0)
            origin = (lon, lat)
        freeze_fields(self, demand_per_day=demand, distance_km=distance, land_cost=land,
                      max_distance_km=float(max_distance), stations=stations, point_xy_km=point_xy,
                      site_xy_km=site_xy, service_range_km=service_range, point_names=point_names,
                      site_names=site_names, origin_lonlat=origin)

    @property
    def num_points(self) -> int:
        return int(self.demand_per_day.shape[0])

    @property
    def num_sites(self) -> int:
        return int(self.distance_km.shape[1])

    @property
    def site_distance_km(self) -> np.ndarray | None:
        """Distances between candidate sites (km), shape (sites, sites), from ``site_xy_km``."""
        if self.site_xy_km is None:
            return None
        diff = self.site_xy_km[:, None, :] - self.site_xy_km[None, :, :]
        return np.sqrt((diff ** 2).sum(axis=2))

    @property
    def point_ids(self) -> tuple:
        """Ids of the demand points (``point_names``)."""
        return self.point_names

    @property
    def site_ids(self) -> tuple:
        """Ids of the candidate sites (``site_names``)."""
        return self.site_names

    def lonlat(self, xy_km, origin_lonlat=None) -> np.ndarray:
        """Longitude/latitude (degrees, WGS 84) of local ``xy_km`` (shape (k, 2)).

        Uses ``origin_lonlat`` (or the instance's) for the local origin; a local
        equirectangular projection (111.320 km per degree of longitude at the equator times
        cos(latitude), 110.574 km per degree of latitude).
        """
        origin = self.origin_lonlat if origin_lonlat is None else origin_lonlat
        if origin is None:
            raise InputError("origin_lonlat", "the instance's coordinates are local km without a geographic "
                             "origin; pass origin_lonlat=(longitude, latitude) of the local point (0, 0)")
        lon0, lat0 = (float(v) for v in check_finite("origin_lonlat", as_array("origin_lonlat", origin, shape=(2,))))
        check_in_range("origin_lonlat", np.array([lat0]), -85.0, 85.0)
        xy = check_finite("xy_km", as_array("xy_km", xy_km, ndim=2))
        lat = lat0 + xy[:, 1] / 110.574
        lon = lon0 + xy[:, 0] / (111.320 * np.cos(np.radians(lat0)))
        return np.column_stack([lon, lat])

    def with_changes(self, **changes) -> "SitingInstance":
        """A copy with some fields replaced (``parameters`` may be given as a dict of changes)."""
        if isinstance(changes.get("parameters"), dict):
            changes["parameters"] = replace(self.parameters, **changes["parameters"])
        return replace(self, **changes)


def _names(field_name: str, names, count: int) -> tuple:
    """Ids: text or integers, one per entry, unique and non-empty (default "1".."count")."""
    if names is None:
        return tuple(str(k + 1) for k in range(count))
    if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
        raise InputError(field_name, f"must be a sequence of ids, got {type(names).__name__}")
    names = tuple(names)
    if len(names) != count:
        raise InputError(field_name, f"must have {count} entries, got {len(names)}")
    out = []
    for index, name in enumerate(names):
        if isinstance(name, (bool, np.bool_)) or not isinstance(name, (str, int, np.integer)):
            raise InputError(field_name, f"ids must be text or integers, got {name!r}", index)
        text = str(name)
        if not text.strip():
            raise InputError(field_name, "ids must not be empty", index)
        out.append(text)
    seen = {}
    for index, text in enumerate(out):
        if text in seen:
            raise InputError(field_name, f"id {text!r} appears twice (entries {seen[text]} and {index})", index)
        seen[text] = index
    return tuple(out)
