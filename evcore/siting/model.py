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
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from .._validate import (
    as_array,
    as_scalar,
    check_finite,
    check_in_range,
    check_integer,
    check_nonnegative,
    check_positive,
    first_index,
    freeze_fields,
)
from ..errors import InputError

__all__ = [
    "SitingParameters",
    "SitingInstance",
    "capacity_kva",
    "capital_recovery_factor",
    "changchun_case",
    "random_case",
    "CHANGCHUN_AREA_KM2",
]

#: Yuan per 10^4 yuan: tariffs and values of time are stated in yuan, costs reported in 10^4 yuan.
YUAN_PER_UNIT = 1.0e4
DAYS_PER_YEAR = 365.0
#: The Changchun study area of §3.1 (km²).
CHANGCHUN_AREA_KM2 = 3219.0


def capital_recovery_factor(discount_rate: float, lifetime_years: int) -> float:
    """``r0 (1 + r0)^n / ((1 + r0)^n - 1)``: the annual payment that repays one unit over n years.

    Reference: seed 004, eqs. (4)-(6). ``discount_rate = 0`` gives ``1 / n``.
    """
    r0 = as_scalar("discount_rate", discount_rate)
    n = as_scalar("lifetime_years", lifetime_years)
    if not np.isfinite(r0) or r0 < 0:
        raise InputError("discount_rate", f"must be finite and >= 0, got {r0!r}")
    if not np.isfinite(n) or n < 1:
        raise InputError("lifetime_years", f"must be >= 1, got {n!r}")
    if r0 == 0:
        return 1.0 / n
    growth = (1.0 + r0) ** n
    return r0 * growth / (growth - 1.0)


@dataclass(frozen=True)
class SitingParameters:
    """Coefficients of the siting model; defaults are the paper's Tables 3-4.

    Attributes
    ----------
    investment_weight : float
        ``w`` in ``w F1 + (1 - w) F2``; 0.5 in the paper, 0.7 / 0.3 in its sensitivity runs.
    slow_share, fast_share : float
        ``A``, ``B``: shares of users charging slowly / fast (sum to 1). With ``split="fixed"``
        a station of ``Q`` piles has ``round(A Q)`` slow piles and the rest fast (Table 13's
        plans follow this rounding).
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
        ``5 <= Q_j <= Qmax`` for a built station (GB/T 50966-2024 asks at least 5).
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
        piles = np.asarray(piles, dtype=np.int64)
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
        Piles per station (``>= 0``).

    Returns
    -------
    float or numpy.ndarray
        kVA per station, same shape as ``piles``.

    Examples
    --------
    >>> round(float(capacity_kva(150)))  # the paper's optimal plan: 11,544 kVA
    11544
    """
    p = parameters or SitingParameters()
    q = check_nonnegative("piles", check_finite("piles", as_array("piles", piles)))
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
        Coordinates for maps (km). ``site_xy_km`` is needed for ``service_range_km``
        (distances between sites).
    point_names, site_names : sequence of str, optional
        Labels (default ``"1"``, ``"2"``, ...).
    name : str
        Label used in reports.

    Notes
    -----
    Each point is served by its nearest open station (proximity principle, ties to the lower
    site index); a built station's piles are the cheapest number meeting the wait limit
    given its load (see :mod:`evcore.siting._kernels`).
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
        if self.split not in ("fixed", "optimise"):
            raise InputError("split", f"must be 'fixed' or 'optimise', got {self.split!r}")
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
        freeze_fields(self, demand_per_day=demand, distance_km=distance, land_cost=land,
                      max_distance_km=float(max_distance), stations=stations, point_xy_km=point_xy,
                      site_xy_km=site_xy, service_range_km=service_range, point_names=point_names,
                      site_names=site_names)

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

    def with_changes(self, **changes) -> "SitingInstance":
        """A copy with some fields replaced (``parameters`` may be given as a dict of changes)."""
        if isinstance(changes.get("parameters"), dict):
            changes["parameters"] = replace(self.parameters, **changes["parameters"])
        return replace(self, **changes)


def _names(field_name: str, names, count: int) -> tuple:
    if names is None:
        return tuple(str(k + 1) for k in range(count))
    names = tuple(str(n) for n in names)
    if len(names) != count:
        raise InputError(field_name, f"must have {count} entries, got {len(names)}")
    return names


def _layout(points: int, side_km: float, clusters: int, spread_km: float, rng: np.random.Generator):
    """Points around ``clusters`` district centres inside a square of ``side_km`` (km)."""
    centres = rng.uniform(0.2 * side_km, 0.8 * side_km, size=(clusters, 2))
    members = rng.integers(0, clusters, size=points)
    xy = centres[members] + rng.normal(0.0, spread_km, size=(points, 2))
    return np.clip(xy, 0.0, side_km)  # stay inside the study area (a layout choice, not data)


def _land_cost(xy: np.ndarray, side_km: float, rng: np.random.Generator, area_m2: float) -> np.ndarray:
    """Land price falling with distance from the centre: 0.2-0.8 (10^4 yuan/m²) times the plot area."""
    centre = np.array([side_km / 2, side_km / 2])
    radius = np.linalg.norm(xy - centre, axis=1) / (side_km / 2)
    price_per_m2 = 0.2 + 0.6 * np.exp(-2.0 * radius) * rng.uniform(0.8, 1.2, size=len(xy))
    return price_per_m2 * area_m2


def _distances(xy_a: np.ndarray, xy_b: np.ndarray) -> np.ndarray:
    return np.sqrt(((xy_a[:, None, :] - xy_b[None, :, :]) ** 2).sum(axis=2))


def changchun_case(seed: int = 0, *, demand_path=None, parameters: SitingParameters | None = None,
                   max_distance_km: float = np.inf, stations: int | None = None,
                   split: str = "fixed", station_area_m2: float = 300.0) -> SitingInstance:
    """The Changchun case of §3: 50 demand points that are also the 50 candidate sites.

    Demands are Table 9 of seed 004, read from ``demand_path`` (by default the shared file
    ``../shared/data/changchun_demand_points.csv`` beside a source checkout). The paper publishes no coordinates, so a plausible layout is generated with
    ``seed``: nine district centres (the study area's districts, Table 5) in the middle 60 %
    of a square of 3,219 km² (56.7 km side), points scattered around them (σ = 4 km); land
    cost falls from 0.8 to 0.2 (10^4 yuan/m²) with distance from the centre, for a
    ``station_area_m2`` plot. The layout is synthetic: it makes the case runnable, it does not
    reproduce the paper's map.

    With the paper's own parameters (t1 = 6 h, t2 = 1 h, We = 20 h) Table 9's 33,177
    vehicles/day offer about 2,790 Erlangs of slow and 1,190 of fast charging: any plan needs
    thousands of piles to keep the M/M/c waits finite, far above the paper's 150 piles.

    Parameters
    ----------
    seed : int
        Layout seed.
    demand_path : path-like, optional
        CSV with columns ``point, daily_charging_demand_vehicles``.
    parameters : SitingParameters, optional
    max_distance_km, stations, split
        As in :class:`SitingInstance`.
    station_area_m2 : float
        ``s_j``, the same for every site (m²).
    """
    demand = _changchun_demand(demand_path)
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(CHANGCHUN_AREA_KM2))
    xy = _layout(len(demand), side, clusters=9, spread_km=4.0, rng=rng)
    return SitingInstance(
        demand_per_day=demand, distance_km=_distances(xy, xy),
        land_cost=_land_cost(xy, side, rng, station_area_m2),
        parameters=parameters or SitingParameters(), max_distance_km=max_distance_km,
        stations=stations, split=split, point_xy_km=xy, site_xy_km=xy, name=f"changchun(seed={seed})")


def _changchun_demand(path) -> np.ndarray:
    from pathlib import Path

    if path is None:
        default = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "changchun_demand_points.csv"
        if not default.exists():
            raise InputError("demand_path", f"the Changchun demand table (Table 9 of seed 004) was not found at "
                             f"{default.resolve()}; pass demand_path=... (CSV: point,daily_charging_demand_vehicles)")
        path = default
    path = Path(path)
    if not path.exists():
        raise InputError("demand_path", f"no such file: {path}")
    rows = [line.strip().split(",") for line in path.read_text().splitlines() if line.strip()]
    header, body = rows[0], rows[1:]
    if header[:2] != ["point", "daily_charging_demand_vehicles"]:
        raise InputError("demand_path", f"expected columns point,daily_charging_demand_vehicles, got {header}")
    points = np.array([int(r[0]) for r in body])
    if not np.array_equal(points, np.arange(1, len(body) + 1)):
        raise InputError("demand_path", "points must be numbered 1..n in order", first_index(
            points != np.arange(1, len(body) + 1)))
    return np.array([float(r[1]) for r in body])


def random_case(points: int, seed: int = 0, *, sites: int | None = None, side_km: float = 60.0,
                demand_range=(50, 400), parameters: SitingParameters | None = None,
                max_distance_km: float = np.inf, stations: int | None = None,
                split: str = "fixed", station_area_m2: float = 300.0) -> SitingInstance:
    """A random siting instance: clustered points in a ``side_km`` square, integer demands.

    Candidate sites are the first ``sites`` points (all points by default), as in the paper
    where demand points double as candidates.

    Parameters
    ----------
    points : int
        Number of demand points (``>= 1``).
    seed : int
        Seed of everything random.
    sites : int, optional
        Number of candidate sites (``<= points``).
    side_km : float
        Side of the square study area.
    demand_range : (int, int)
        Daily vehicles per point, uniform integers in ``[low, high]``.
    """
    points = int(check_integer("points", as_array("points", points, ndim=0), minimum=1))
    sites = points if sites is None else int(check_integer("sites", as_array("sites", sites, ndim=0), minimum=1))
    if sites > points:
        raise InputError("sites", f"must be <= points ({points}), got {sites}")
    low, high = (int(v) for v in check_nonnegative("demand_range", as_array("demand_range", demand_range,
                                                                              shape=(2,))))
    if high < low:
        raise InputError("demand_range", f"high must be >= low, got {(low, high)}")
    side_km = float(check_positive("side_km", as_array("side_km", side_km, ndim=0)))
    rng = np.random.default_rng(seed)
    xy = _layout(points, side_km, clusters=max(1, points // 8), spread_km=side_km / 8, rng=rng)
    demand = rng.integers(low, high + 1, size=points).astype(float)
    site_xy = xy[:sites]
    return SitingInstance(
        demand_per_day=demand, distance_km=_distances(xy, site_xy),
        land_cost=_land_cost(site_xy, side_km, rng, station_area_m2),
        parameters=parameters or SitingParameters(), max_distance_km=max_distance_km,
        stations=stations, split=split, point_xy_km=xy, site_xy_km=site_xy,
        name=f"random(points={points}, sites={sites}, seed={seed})")
