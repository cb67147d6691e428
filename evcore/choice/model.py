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

from .._validate import as_array, check_nonnegative, check_positive, first_index, freeze_fields
from ..errors import InputError

__all__ = ["ChoiceInstance", "read_hm14", "captured_revenue"]


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
        existing = np.zeros((sites, types), dtype=bool) if self.existing is None else as_array(
            "existing", self.existing, dtype=bool, shape=(sites, types))
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
        freeze_fields(self, demand=demand, attraction=attraction, opt_out=opt_out, revenue=revenue, cost=cost,
                      budget=budget, existing=existing)

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
        plan = as_array("plan", plan, shape=(self.sites, self.types, self.periods), allow_bool=True)
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
    x = np.asarray(open_stations, dtype=float).reshape(-1)
    weights = instance.attraction.reshape(instance.nodes, -1)
    revenue = np.tile(instance.revenue, instance.sites)
    captured = weights @ (x * revenue)
    return captured / (instance.opt_out + weights @ x)


def read_hm14(path, beta: float, alpha: float, *, block: int = 0) -> ChoiceInstance:
    """A maximum-capture instance of the Haase & Müller (2014) family, as a ChoiceInstance.

    File layout: ``N D E``; the N customer weights; E lines (competitor facilities) then D
    lines (candidate locations) of N values each, each value minus a cost ``k``. Utilities
    follow the convention of the published optima: ``v[n, d] = exp(beta * k[d, n])`` for a
    candidate and an opt-out (competitor) weight ``W[n] = sum_e exp(alpha * beta * k[e, n])``.
    One period, one station type, revenue 1, no costs: solve with ``stations=r``.

    Parameters
    ----------
    path : str or os.PathLike
    beta, alpha : float
        Scale of the utilities and competitor discount (the optima use beta in {1, 2, 5},
        alpha in {0.05, 0.1, 0.2}).
    block : int
        Some files hold several instances one after another (a new ``N D E`` header starts
        each); ``block`` picks one (0-based). The published HM14_800_25 optima are block 0.
    """
    path = Path(path)
    try:
        tokens = path.read_text().split()
    except OSError as exc:
        raise InputError("path", f"cannot read {path}: {exc}") from None
    try:
        numbers = np.array(tokens, dtype=float)
    except ValueError:
        raise InputError("path", f"{path} holds a token that is not a number") from None
    position = 0
    for index in range(block + 1):
        if position + 3 > numbers.size:
            raise InputError("block", f"{path} holds only {index} instance(s), asked for block {block}")
        customers, candidates, competitors = (int(v) for v in numbers[position : position + 3])
        size = 3 + customers * (1 + competitors + candidates)
        if position + size > numbers.size:
            raise InputError("path", f"{path}: block {index} ('{customers} {candidates} {competitors}') is truncated")
        if index < block:
            position += size
    body = numbers[position + 3 : position + size]
    weights = body[:customers]
    rows = body[customers:].reshape(competitors + candidates, customers)
    competitor, candidate = rows[:competitors], rows[competitors:]
    attraction = np.exp(beta * candidate.T)[:, :, None]  # (customers, candidates, 1 type)
    opt_out = np.exp(alpha * beta * competitor).sum(axis=0)
    return ChoiceInstance(demand=weights[:, None], attraction=attraction, opt_out=opt_out, revenue=np.ones(1),
                          name=f"{path.stem} beta={beta:g} alpha={alpha:g}")
