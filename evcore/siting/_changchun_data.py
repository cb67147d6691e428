"""Published figures of the Changchun case, typed from the paper (seed 004).

Source: Z. Wang, J. Zou, J. Tu, X. Li, J. Liu, H. Wu, "Towards Sustainable EV Infrastructure:
Site Selection and Capacity Planning with Charger Type Differentiation and Queuing-Theoretic
Modeling", World Electric Vehicle Journal 16(11), 600 (2025), doi:10.3390/wevj16110600
(open access, CC BY 4.0).

- :data:`TABLE9_DEMAND_VEHICLES_PER_DAY`: Table 9, daily charging demand (vehicles) of the 50
  proposed stations / demand points, in serial-number order 1..50 (total 33,177).
- :data:`TABLE13_PLAN`: Table 13, the paper's optimal plan: station (serial number), the other
  points it serves, fast piles, slow piles (15 stations, 110 fast + 40 slow piles).

The paper publishes no coordinates.
"""

from __future__ import annotations

#: Table 9 of seed 004: vehicles charging per day at demand points 1..50.
TABLE9_DEMAND_VEHICLES_PER_DAY = (
    637, 723, 804, 355, 392, 352, 443, 831, 903, 648,      # 1-10
    449, 889, 393, 764, 617, 315, 1124, 311, 347, 517,     # 11-20
    478, 368, 840, 880, 686, 844, 993, 713, 437, 931,      # 21-30
    602, 1004, 762, 814, 632, 684, 960, 594, 523, 720,     # 31-40
    980, 539, 336, 737, 850, 408, 578, 862, 951, 657,      # 41-50
)

#: Table 13 of seed 004: (station, points served besides itself, fast piles, slow piles).
TABLE13_PLAN = (
    (4, (1,), 4, 2),
    (7, (2, 5), 6, 2),
    (8, (3, 10, 13), 9, 4),
    (11, (6, 9, 15), 7, 3),
    (16, (12, 21), 7, 2),
    (22, (14, 19, 31), 8, 3),
    (23, (17,), 7, 2),
    (25, (18, 20, 33), 9, 3),
    (28, (26, 27), 7, 2),
    (30, (24, 32), 7, 2),
    (34, (37,), 5, 2),
    (36, (29, 44), 7, 3),
    (40, (35, 38, 41, 43), 9, 3),
    (47, (39, 45, 46, 50), 10, 4),
    (48, (42, 49), 8, 3),
)
