"""Placement is deterministic: the same instance gives the same placement, bound and node count, also in fresh
processes with different Numba thread counts (the methods take ``seed`` for the common signature only)."""

from _fuzz import run_in_subprocess

CODE = """
import json, sys
sys.path.insert(0, "tests/grid"); sys.path.insert(0, "tests")
from _place_cases import demo_feeder, random_instance
from evcore.grid import place
r = place(random_instance(demo_feeder(), 5), seed=7)
print(json.dumps([r.chargers.tolist(), r.objective, r.bound, r.nodes, r.status]))
"""


def test_same_answer_across_runs_and_thread_counts():
    one = run_in_subprocess(CODE, env={"NUMBA_NUM_THREADS": "1"})
    two = run_in_subprocess(CODE, env={"NUMBA_NUM_THREADS": "2"})
    again = run_in_subprocess(CODE, env={"NUMBA_NUM_THREADS": "2"})
    assert one == two == again
