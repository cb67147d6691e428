"""Small joint instances for the tests."""

import numpy as np

from evcore.joint import JointInstance


def random_instance(seed=0, zones=6, slots=8, delays=False, budget=1e12, cap=None, range_km=3.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 4, size=(zones, 2))
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.2
    flow = rng.poisson(20, size=(zones, slots)).astype(float) * rng.uniform(0.2, 2.0, size=(zones, 1))
    share = rng.beta(10, 90, size=(zones, slots))
    delay = rng.integers(0, 3, size=(zones, zones)) if delays else None
    return JointInstance(traffic_flow=flow, charging_share=share, distance_km=distance,
                         location_cost_per_kw=rng.uniform(0, 600, zones), budget=budget, range_km=range_km,
                         max_capacity_kw=cap, travel_delay_slots=delay, recurrences=rng.uniform(100, 600, slots))


def two_zone_instance(budget=1e9):
    """Hand-solvable: A (1000/kW) and B (500/kW) 1 km apart, beta 1 kW, E 1, 1 per EV-km.

    Demand A = [10, 0], B = [0, 10]. Optimum: send A's 10 EVs to B in slot 0, c = (0, 10):
    investment 5000 + assignment 10 = 5010. Without assignment: 10 * 1000 + 10 * 500 = 15000.
    """
    return JointInstance(traffic_flow=[[10.0, 0.0], [0.0, 10.0]], charging_share=np.ones((2, 2)),
                         distance_km=[[0.0, 1.0], [1.0, 0.0]], location_cost_per_kw=[500.0, 0.0], budget=budget,
                         base_cost_per_kw=500.0, power_per_ev_kw=1.0, cost_per_ev_km=1.0, range_km=3.0,
                         recurrences=1.0)
