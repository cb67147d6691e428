"""How many threads evcore's threaded kernels use: one policy for Numba, OpenMP and C++ pools.

Why a policy. A parallel kernel made of many short parallel regions (the joint splitting runs two
or three per iteration, thousands of iterations a second on a city) waits at a barrier at the end
of every region for its slowest thread. When another process keeps one core busy, the thread that
shares that core is descheduled for a whole scheduler time slice (milliseconds) at a time, and
every region waits for it. Measured on a 2-core machine (joint splitting, 80 zones x 672 slots, 400
iterations, load average about 5 from other jobs; ``benchmarks/bench_joint.py --sections threads``):

=====================================  ==================  ==================
Numba layer / OpenMP wait policy        1 thread (wall, s)  2 threads (wall, s)
=====================================  ==================  ==================
omp, libgomp default (spin, then sleep)  2.1 - 4.7           12.8 - 33.7 (CPU 7-15 s: spinning)
omp, ``OMP_WAIT_POLICY=PASSIVE``         4.2 - 4.9           6.2 - 8.0
workqueue                               3.1 - 3.2           4.0 - 4.6
=====================================  ==================  ==================

So the collapse has two parts: threads spinning at barriers while their partner waits for a core
(the 6-11x), and the partner's scheduling delay itself (the remaining 1.3-1.9x). The policy removes
both:

1. **Count only free cores.** The cores this process may use (``os.sched_getaffinity``, capped by a
   cgroup CPU quota) minus the CPU time other processes used on them over a recent window (per-CPU
   ``/proc/stat`` minus this process's own CPU time). A core counts as free when other processes
   used at most :data:`BUSY_SLACK` of it. ``threads = clamp(floor(free + BUSY_SLACK), 1, usable)``.
   With one core busy on a 2-core machine that is one thread: never slower than the single-thread
   run, because it *is* the single-thread run.
2. **Look again during long runs.** :class:`ThreadGovernor.update` re-measures at the run's own
   checkpoints (at most every :data:`RECHECK_SECONDS`) and changes the Numba thread count between
   parallel regions, so a core taken (or freed) mid-run costs at most one check interval. This is
   only safe because evcore's kernels give the same answer for any thread count (every reduction
   sums fixed per-slot or per-block partials in a fixed order; see the joint kernels).
3. **Spin briefly, then sleep.** evcore bounds OpenMP's spin-wait (``GOMP_SPINCOUNT`` =
   :data:`SPIN_COUNT`, about half a millisecond; ``KMP_BLOCKTIME`` = 1 ms for LLVM/Intel OpenMP), set
   by :func:`configure_openmp` when ``evcore`` is imported, unless the user chose a wait policy. libgomp's
   default spins for tens of milliseconds, which burns the core a descheduled partner needs; fully passive
   waits pay a futex wake-up at every one of the many short parallel regions. Measured on a 2-core machine
   (c80-r3, 2,000 iterations, ``bench_joint.py --sections threads --spincounts 30000``, two runs):
   2 threads idle, passive 6.8 / 8.3 s, spin 30,000 4.7 / 4.2 s, libgomp default 5.4 / 5.1 s (1 thread
   6.5 / 7.7 s); with a core busy 2 threads spinning are slow (12.9 / 16.3 s) but the policy runs one
   thread there (6.3 / 8.3 s), so the spin only costs until the next re-check. libgomp reads these once,
   when it is loaded, so evcore sets them before anything loads OpenMP (Numba's ``omp`` layer, evcore's
   OpenMP extensions).
4. **Small work runs on one thread** (``work`` below ``min_parallel_work``): starting threads costs
   more than it brings.

An explicit ``threads=`` argument (validated by :func:`evcore._validate.check_threads`) or the
environment variable ``EVCORE_THREADS`` overrides the measurement (never beyond the usable cores).
Where ``/proc/stat`` is missing (not Linux) other processes are assumed idle.

Using it.

- Numba kernels: ``with kernel_threads(threads, work=n) as governor: ...`` around the solve, and
  ``governor.update()`` at checkpoints (between parallel regions, in the thread that calls the kernels;
  ``numba.set_num_threads`` is per calling thread).
- OpenMP or C++ thread pools: pass ``available_threads(threads, work=n)`` as the pool's size or
  ``num_threads`` on each call (and prefer ``schedule(dynamic)`` for uneven work). Pools that spin
  should spin only briefly (OpenMP: the bounded spin above; TBB and std::thread pools: block on a
  condition variable rather than busy-wait).
- HiGHS: its ``threads`` option, from the same ``available_threads``.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager

__all__ = ["BUSY_SLACK", "RECHECK_SECONDS", "usable_cores", "busy_elsewhere", "threads_for", "available_threads",
           "ThreadGovernor", "kernel_threads", "configure_openmp", "prime"]

#: Share of a core other processes may use while it still counts as free (per core).
BUSY_SLACK = 0.15
#: Shortest interval between two measurements of a running governor (seconds).
RECHECK_SECONDS = 0.5
#: Sampling window when no recent measurement exists (seconds).
SAMPLE_SECONDS = 0.1
#: libgomp's spin-wait before a waiting OpenMP thread sleeps (``GOMP_SPINCOUNT``, about half a millisecond).
SPIN_COUNT = 30_000
#: Default smallest work (kernel-specific units, e.g. flow variables) worth a second thread.
MIN_PARALLEL_WORK = 200_000


def configure_openmp() -> None:
    """Bound OpenMP's spin-wait (``GOMP_SPINCOUNT`` = :data:`SPIN_COUNT`, ``KMP_BLOCKTIME`` = 1 ms) unless the
    user chose a wait policy (``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT`` or ``KMP_BLOCKTIME``); see the module
    docstring. Effective only before an OpenMP runtime is loaded into the process; a note is logged otherwise.
    """
    if any(name in os.environ for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        return  # the user's choice
    os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)  # libgomp (GCC's OpenMP, Numba's omp layer on Linux)
    os.environ["KMP_BLOCKTIME"] = "1"  # LLVM/Intel OpenMP: milliseconds of spinning before sleeping
    if _openmp_loaded():
        import logging  # only here: importing this module must stay cheap

        logging.getLogger(__name__).info("OpenMP was loaded before evcore: its wait policy stays as it was "
                                         f"(set GOMP_SPINCOUNT={SPIN_COUNT} or OMP_WAIT_POLICY=PASSIVE)")


def _openmp_loaded() -> bool:
    try:
        with open("/proc/self/maps") as maps:
            return any("libgomp" in line or "libiomp" in line or "libomp" in line for line in maps)
    except OSError:
        return False


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup v2/v1 CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota + 1e-9)))
    return max(1, cores)


def _cgroup_quota():
    """CPU quota in cores (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``), or None when unlimited."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 100


class _Sample:
    __slots__ = ("wall", "busy_seconds", "own_seconds")

    def __init__(self, wall, busy_seconds, own_seconds):
        self.wall = wall  # time.monotonic()
        self.busy_seconds = busy_seconds  # CPU seconds spent busy on our cores, by anyone
        self.own_seconds = own_seconds  # CPU seconds of this process (all threads)


def _sample():
    """Busy CPU time of the cores in our affinity (per-CPU /proc/stat lines), or None when unknown."""
    try:
        cpus = os.sched_getaffinity(0)
        with open("/proc/stat") as f:
            lines = f.read().splitlines()
    except (AttributeError, OSError):
        return None
    ticks = 0
    found = False
    for line in lines:
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *values = line.split()
        try:
            cpu = int(name[3:])
        except ValueError:
            continue
        if cpu not in cpus:
            continue
        numbers = [int(v) for v in values[:8]]
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        ticks += sum(numbers) - numbers[3] - (numbers[4] if len(numbers) > 4 else 0)
        found = True
    if not found:
        return None
    return _Sample(time.monotonic(), ticks / _clock_ticks(), time.process_time())


def _others(before: _Sample, after: _Sample) -> float:
    """Cores other processes kept busy between two samples."""
    wall = after.wall - before.wall
    if wall <= 0:
        return 0.0
    others = (after.busy_seconds - before.busy_seconds) - (after.own_seconds - before.own_seconds)
    return max(0.0, others / wall)


_LAST: list = []  # the latest sample of this process (one element), reused when recent


def busy_elsewhere(window: float = SAMPLE_SECONDS) -> float:
    """Cores of this process's affinity that other processes kept busy recently.

    Uses the time since the previous sample (this process's previous measurement, or :func:`prime` at
    import) when that is at most 5 seconds ago, waiting for the rest of ``window`` when it is younger;
    otherwise sleeps ``window`` seconds to measure. 0.0 where it cannot be measured.
    """
    now = _sample()
    if now is None:
        return 0.0
    previous = _LAST[0] if _LAST else None
    age = now.wall - previous.wall if previous is not None else math.inf
    if age < window:  # a sample younger than the window (e.g. primed at import): wait only the rest
        time.sleep(window - age)
        now = _sample()
    elif age > 5.0:
        time.sleep(window)
        previous, now = now, _sample()
    _LAST[:] = [now]
    return _others(previous, now)


def prime() -> None:
    """Take a first sample now (cheap: one read of ``/proc/stat``), so that a first measurement made
    between :data:`SAMPLE_SECONDS` and 5 seconds later needs no sleep. Called when evcore is imported."""
    if not _LAST:
        sample = _sample()
        if sample is not None:
            _LAST[:] = [sample]


def threads_for(free_cores: float, usable: int) -> int:
    """The rule: a core counts when other processes used at most BUSY_SLACK of it."""
    return int(max(1, min(usable, math.floor(free_cores + BUSY_SLACK + 1e-9))))


def _requested(threads):
    from ._validate import check_threads  # here: importing this module must stay cheap (evcore/__init__)

    threads = check_threads(threads)
    text = os.environ.get("EVCORE_THREADS", "").strip()
    if threads is None and text:
        try:
            value = int(text)
        except ValueError:
            from .errors import InputError

            raise InputError("EVCORE_THREADS", f"must be an integer thread count, got {text!r}") from None
        threads = check_threads(value, "EVCORE_THREADS")
    return threads


def available_threads(threads=None, *, work=None, min_parallel_work=MIN_PARALLEL_WORK, limit=None) -> int:
    """Threads a parallel kernel of ``work`` units should use now (see the module docstring).

    Parameters
    ----------
    threads : int, optional
        Explicit count (``[1, 256]``); capped at the usable cores. ``None``: measure.
    work : int, optional
        Size of the work; below ``min_parallel_work`` one thread.
    limit : int, optional
        A further cap (e.g. ``numba.config.NUMBA_NUM_THREADS``, the size of an existing pool).
    """
    usable = usable_cores()
    if limit is not None:
        usable = max(1, min(usable, int(limit)))
    threads = _requested(threads)
    if threads is not None:
        return min(threads, usable)
    if usable == 1 or (work is not None and work < min_parallel_work):
        return 1
    return threads_for(usable - busy_elsewhere(), usable)


class ThreadGovernor:
    """The Numba thread count of one run, re-measured at the run's checkpoints.

    Create it through :func:`kernel_threads`. ``threads`` is the current count, ``fixed`` the
    explicit one (or None when measured), ``history`` records ``(seconds since start, threads)`` at
    the start and at every change, for benchmarks and progress notes.
    """

    def __init__(self, fixed, usable, threads, last_sample=None):
        self.fixed = fixed
        self.usable = usable
        self.threads = threads
        self.started = time.monotonic()
        self.history = [(0.0, threads)]
        self._last = last_sample

    def update(self) -> int:
        """Re-measure (at most every RECHECK_SECONDS) and set Numba's thread count; returns it."""
        if self.fixed is not None or self.usable == 1:
            return self.threads
        now = _sample()
        if now is None:
            return self.threads
        if self._last is None:
            self._last = now
            return self.threads
        if now.wall - self._last.wall < RECHECK_SECONDS:
            return self.threads
        wanted = threads_for(self.usable - _others(self._last, now), self.usable)
        self._last = now
        _LAST[:] = [now]
        if wanted != self.threads:
            self._set(wanted)
        return self.threads

    def _set(self, threads: int) -> None:
        import numba

        numba.set_num_threads(threads)
        self.threads = threads
        self.history.append((round(time.monotonic() - self.started, 3), threads))


@contextmanager
def kernel_threads(threads=None, *, work=None, min_parallel_work=MIN_PARALLEL_WORK):
    """Run Numba kernels with the thread count of this policy; yields the :class:`ThreadGovernor`.

    Parameters
    ----------
    threads : int, optional
        Explicit count; fixed for the whole run (``EVCORE_THREADS`` likewise). ``None``: measured now
        and re-measured at every ``governor.update()``.
    work : int, optional
        Size of the work (e.g. flow variables); below ``min_parallel_work`` one thread, fixed.

    The previous Numba thread count is restored on exit.
    """
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    usable = max(1, min(usable_cores(), limit))
    fixed = _requested(threads)
    if fixed is not None:
        fixed = min(fixed, usable)
    elif work is not None and work < min_parallel_work:
        fixed = 1
    chosen = fixed if fixed is not None else available_threads(None, limit=limit)
    before = numba.get_num_threads()
    governor = ThreadGovernor(fixed, usable, chosen, _sample())
    numba.set_num_threads(chosen)
    try:
        yield governor
    finally:
        numba.set_num_threads(before)
