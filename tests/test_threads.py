"""The thread policy of evcore's threaded kernels (evcore._threads)."""

import os
import subprocess
import sys
import time

import numba
import pytest

from evcore import _threads
from evcore.errors import InputError


def test_openmp_spins_briefly_by_default_and_the_users_choice_stays():
    code = "import os, evcore; print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split() == [str(_threads.SPIN_COUNT), "None"]
    env["OMP_WAIT_POLICY"] = "PASSIVE"  # the user's choice stays, and no spin count is added
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split() == ["None", "PASSIVE"]


@pytest.mark.parametrize("free, usable, expected", [(2.0, 2, 2), (1.9, 2, 2), (1.8, 2, 1), (1.0, 2, 1), (0.0, 2, 1),
                                                    (0.3, 1, 1), (7.05, 8, 7), (8.0, 8, 8), (6.5, 8, 6)])
def test_rule_counts_a_core_only_when_nearly_free(free, usable, expected):
    assert _threads.threads_for(free, usable) == expected


def test_usable_cores_follow_the_affinity():
    assert 1 <= _threads.usable_cores() <= len(os.sched_getaffinity(0))


def test_explicit_counts_are_validated_and_capped():
    assert _threads.available_threads(1) == 1
    assert _threads.available_threads(256) == _threads.usable_cores()
    for bad in (0, -1, 2.5, "2", True, 10**6):
        with pytest.raises(InputError):
            _threads.available_threads(bad)


def test_environment_override(monkeypatch):
    monkeypatch.setenv("EVCORE_THREADS", "1")
    assert _threads.available_threads() == 1
    with _threads.kernel_threads() as governor:
        assert governor.fixed == 1 and numba.get_num_threads() == 1
    monkeypatch.setenv("EVCORE_THREADS", "two")
    with pytest.raises(InputError, match="EVCORE_THREADS"):
        _threads.available_threads()


def test_small_work_runs_on_one_thread():
    assert _threads.available_threads(work=10) == 1
    with _threads.kernel_threads(work=10) as governor:
        assert governor.threads == 1 and governor.update() == 1


def test_kernel_threads_sets_and_restores_numba_threads():
    before = numba.get_num_threads()
    with _threads.kernel_threads(1) as governor:
        assert numba.get_num_threads() == 1 and governor.threads == 1
    assert numba.get_num_threads() == before


def test_a_busy_core_is_seen_and_taken_out():
    """Another process spinning on a core: it is counted as busy, so at most usable - 1 threads."""
    usable = _threads.usable_cores()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        others = _threads.busy_elsewhere(window=0.5)
        assert others >= 0.5  # the hog alone keeps most of a core
        assert _threads.available_threads() <= max(1, usable - 1)
        with _threads.kernel_threads() as governor:
            time.sleep(_threads.RECHECK_SECONDS + 0.1)
            assert governor.update() <= max(1, usable - 1)
            assert numba.get_num_threads() == governor.threads
    finally:
        hog.kill()
        hog.wait()


def test_governor_measures_nothing_for_fixed_counts():
    with _threads.kernel_threads(1) as governor:
        time.sleep(_threads.RECHECK_SECONDS + 0.05)
        assert governor.update() == 1 and governor.history == [(0.0, 1)]
