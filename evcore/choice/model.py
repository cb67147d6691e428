"""Sequential station location under multinomial-logit choice (seed 001, as restated in the issue).

Years ``t``, user nodes ``i`` with demand ``d[i, t]``, candidate sites ``j``, station types
``k``. A type-k station at site j attracts node i with weight ``v[i, j, k]``; charging at home
has weight ``v0[i]``. Under multinomial logit the share of node i captured by (j, k) is
``v[i, j, k] x[j, k, t] / D_i(x_t)`` with ``D_i = v0[i] + sum_jk v[i, j, k] x[j, k, t]``, and
the revenue per unit of node i's demand is ``R_i(x_t) = sum_jk r[k] v[i, j, k] x[j, k, t] / D_i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import as_array, as_flags, as_scalar, check_nonnegative, check_positive, first_index, freeze_fields
from ..errors import InputError

__all__ = ["ChoiceInstance", "read_hm14", "hm14_instance", "captured_revenue"]


def _ids(field: str, value, count: int, default: str) -> tuple:
    """Unique labels (str or int, kept as text), one per entry; ``None`` gives ``default{1..count}``."""
    if value is None:
        return tuple(f"{default}{k + 1}" for k in range(count))
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise InputError(field, f"must be a sequence of {count} labels, got {type(value).__name__}")
    labels = []
    for k, item in enumerate(value):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (str, int, np.integer)):
            raise InputError(field, f"must be a text or an integer label, got {item!r}", k)
        text = str(item)
        if not text.strip():
            raise InputError(field, "must not be empty", k)
        labels.append(text)
    if len(labels) != count:
        raise InputError(field, f"must hold {count} labels, got {len(labels)}")
    if len(set(labels)) != count:
        seen = set()
        for k, text in enumerate(labels):
            if text in seen:
                raise InputError(field, f"label {text!r} appears twice", k)
            seen.add(text)
    return tuple(labels)


@dataclass(frozen=True, eq=False)
class ChoiceInstance:
    """A station-location instance, validated on creation.

    Parameters
    ----------
    demand : array_like, shape (nodes, periods)
        Charging demand d[i, t] of each user node and year (units of demand, e.g. users).
    attraction : array_like, shape (nodes, sites, types)
        Logit weight v[i, j, k] = exp(utility) of a type-k station at site j for node i
        (>= 0; 0 when the station is outside the node's choice set).
    opt_out : array_like, shape (nodes,)
        Weight v0[i] of not using a public station (charging at home, or a competitor) (> 0).
    revenue : array_like, shape (types,)
        Revenue per unit of demand served by a type-k station (>= 0).
    cost : array_like, shape (sites, types), optional
        Construction cost f[j, k] (currency). Default zeros.
    budget : array_like, shape (periods,), optional
        Budget B[t] for new construction in year t (currency). ``None``: no budget rows.
    existing : array_like of bool, shape (sites, types), optional
        Stations standing before year 1; they stay open. Default none.
    tree : ScenarioTree, optional
        Demand scenarios for the two-stage and multi-stage models (its demand has one column
        per user node and its stages match ``periods``). ``demand`` is the deterministic
        model's demand (for example the expected demand).
    name : str
        Label for reports.
    site_ids : sequence of str or int, optional
        Label of each candidate site, used in every output (default ``"L1"`` .. ``"Ln"``, the
        paper's naming).
    type_ids : sequence of str or int, optional
        Label of each station type (default ``"T1"`` .. ``"Tk"``).
    """

    demand: np.ndarray
    attraction: np.ndarray
    opt_out: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray | None = None
    budget: np.ndarray | None = None
    existing: np.ndarray | None = None
    tree: object = None
    name: str = ""
    site_ids: tuple | None = None
    type_ids: tuple | None = None

    def __post_init__(self):
        demand = check_nonnegative("demand", as_array("demand", self.demand, ndim=2))
        nodes, periods = demand.shape
        # Zero attraction: the station is outside the node's choice set (v0 > 0 keeps D > 0).
        attraction = check_nonnegative("attraction", as_array("attraction", self.attraction, ndim=3,
                                                               shape=(nodes, None, None)))
        sites, types = attraction.shape[1:]
        opt_out = check_positive("opt_out", as_array("opt_out", self.opt_out, shape=(nodes,)))
        revenue = check_nonnegative("revenue", as_array("revenue", self.revenue, shape=(types,)))
        cost = np.zeros((sites, types)) if self.cost is None else check_nonnegative(
            "cost", as_array("cost", self.cost, shape=(sites, types)))
        budget = None if self.budget is None else check_nonnegative(
            "budget", as_array("budget", self.budget, shape=(periods,)))
        if nodes == 0 or sites == 0 or types == 0 or periods == 0:
            raise InputError("attraction" if nodes and periods else "demand",
                             f"needs at least one user node, site, type and period, got shape "
                             f"{(nodes, sites, types)} and {periods} period(s)")
        # D_i = v0_i + sum_j max_k v_ijk must be finite (no overflow in the shares).
        largest = opt_out + attraction.max(axis=2).sum(axis=1)
        if not np.all(np.isfinite(largest)):
            i = first_index(~np.isfinite(largest))
            raise InputError("attraction", "the weights of user node overflow float64 when summed", i)
        existing = np.zeros((sites, types), dtype=bool) if self.existing is None else as_flags(
            "existing", self.existing, shape=(sites, types))
        if (existing.sum(axis=1) > 1).any():
            j = first_index(existing.sum(axis=1) > 1)
            raise InputError("existing", "at most one station type may stand at a site", j)
        if self.tree is not None:
            from .scenarios import ScenarioTree

            if not isinstance(self.tree, ScenarioTree):
                raise InputError("tree", f"must be a ScenarioTree, got {type(self.tree).__name__}")
            if self.tree.demand.shape[1] != nodes:
                raise InputError("tree", f"demand has {self.tree.demand.shape[1]} user nodes, the instance {nodes}")
            if self.tree.stages != periods:
                raise InputError("tree", f"has {self.tree.stages} stages, the instance {periods} periods")
        if not isinstance(self.name, str):
            raise InputError("name", f"must be a text, got {type(self.name).__name__}")
        freeze_fields(self, demand=demand, attraction=attraction, opt_out=opt_out, revenue=revenue, cost=cost,
                      budget=budget, existing=existing, site_ids=_ids("site_ids", self.site_ids, sites, "L"),
                      type_ids=_ids("type_ids", self.type_ids, types, "T"))

    @property
    def nodes(self) -> int:
        return int(self.demand.shape[0])

    @property
    def periods(self) -> int:
        return int(self.demand.shape[1])

    @property
    def sites(self) -> int:
        return int(self.attraction.shape[1])

    @property
    def types(self) -> int:
        return int(self.attraction.shape[2])

    def objective(self, plan) -> float:
        """Total revenue sum_t sum_i d[i, t] R_i(x_t) of a plan, shape (sites, types, periods)."""
        plan = as_flags("plan", plan, shape=(self.sites, self.types, self.periods)).astype(float)
        return float(sum(self.demand[:, t] @ captured_revenue(self, plan[:, :, t]) for t in range(self.periods)))


def captured_revenue(instance: ChoiceInstance, open_stations) -> np.ndarray:
    """R_i(x) for every node: revenue per unit of demand under logit choice.

    Parameters
    ----------
    open_stations : array_like, shape (sites, types)
        x[j, k] (0/1, or fractional for relaxations).

    Returns
    -------
    numpy.ndarray, shape (nodes,)
    """
    if not isinstance(instance, ChoiceInstance):
        raise InputError("instance", f"must be a ChoiceInstance, got {type(instance).__name__}")
    x = as_array("open_stations", open_stations, shape=(instance.sites, instance.types), allow_bool=True)
    outside = ~((x >= 0.0) & (x <= 1.0))
    if outside.any():
        index = first_index(outside)
        raise InputError("open_stations", f"must lie in [0, 1], got {x[index]!r}", index)
    x = x.reshape(-1)
    weights = instance.attraction.reshape(instance.nodes, -1)
    revenue = np.tile(instance.revenue, instance.sites)
    captured = weights @ (x * revenue)
    return captured / (instance.opt_out + weights @ x)


def hm14_instance(data, beta: float, alpha: float, *, name: str = "HM14") -> ChoiceInstance:
    """A ChoiceInstance from the numbers of an HM14 file (:class:`evcore.io.hm14.HM14Data`).

    Utilities follow the convention of the published optima: ``v[n, d] = exp(beta * k[d, n])``
    for a candidate and an opt-out (competitor) weight ``W[n] = sum_e exp(alpha * beta *
    k[e, n])``. One period, one station type, revenue 1, no costs: solve with ``stations=r``.
    Site ids ``"L1"`` .. ``"LD"`` follow the candidate lines of the file (``L{d+1}`` is line d,
    0-based, of the published optima's ``open_locations_0based``).
    """
    from ..io.hm14 import HM14Data

    if not isinstance(data, HM14Data):
        raise InputError("data", f"must be an evcore.io.hm14.HM14Data, got {type(data).__name__}")
    beta = as_scalar("beta", beta)
    alpha = as_scalar("alpha", alpha)
    for field, value in (("beta", beta), ("alpha", alpha)):
        if not np.isfinite(value):
            raise InputError(field, f"must be finite, got {value!r}")
    if data.competitors == 0:
        raise InputError("data", "has no competitor facility: the opt-out weight would be 0")
    with np.errstate(over="ignore", under="ignore"):
        exponent = beta * data.candidate.T
        if exponent.max() > 700 or (alpha * beta * data.competitor).max() > 700:
            raise InputError("beta", f"beta = {beta!r} makes exp(beta * value) overflow float64")
        attraction = np.exp(exponent)[:, :, None]  # (customers, candidates, 1 type)
        opt_out = np.exp(alpha * beta * data.competitor).sum(axis=0)
    if np.any(opt_out <= 0):
        n = int(np.flatnonzero(opt_out <= 0)[0])
        raise InputError("alpha", f"the competitor weight of customer {n} underflows to 0 "
                                  f"(alpha * beta = {alpha * beta!r})", n)
    return ChoiceInstance(demand=data.weights[:, None], attraction=attraction, opt_out=opt_out, revenue=np.ones(1),
                          name=name)


def read_hm14(path, beta: float, alpha: float, *, block: int = 0) -> ChoiceInstance:
    """A maximum-capture instance of the Haase & Müller (2014) family, as a ChoiceInstance.

    The file is read by :func:`evcore.io.hm14.read` (layout there); utilities as in
    :func:`hm14_instance`.

    Parameters
    ----------
    path : str or os.PathLike
        An HM14 ``.data`` file. evcore does not ship them (they come with the benchmark);
        :func:`evcore.choice.random_hm14` and :func:`evcore.io.hm14.write` make one.
    beta, alpha : float
        Scale of the utilities and competitor discount (the optima use beta in {1, 2, 5},
        alpha in {0.05, 0.1, 0.2}).
    block : int
        Some files hold several instances one after another (a new ``N D E`` header starts
        each); ``block`` picks one (0-based). The published HM14_800_25 optima are block 0.
    """
    from ..io.hm14 import read

    beta = as_scalar("beta", beta)
    alpha = as_scalar("alpha", alpha)
    data = read(path, block=block)
    stem = Path(path).stem if isinstance(path, (str, Path)) else "HM14"
    return hm14_instance(data, beta, alpha, name=f"{stem} beta={beta:g} alpha={alpha:g}")
