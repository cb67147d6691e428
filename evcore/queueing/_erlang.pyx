# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Erlang B / Erlang C / M/M/c kernels, compiled ahead of time.

The kernels trust their inputs (validated once in :mod:`evcore.queueing._erlang_api`) and write
into preallocated output arrays. The plain-Python twins live in :mod:`evcore.queueing._reference`.

Numerics. Erlang B follows the inverse recursion

    1/B(0, a) = 1,    1/B(k, a) = 1 + (k/a) / B(k-1, a),

a chain of non-negative terms whose error propagation factor (1 - B(k)) is below one, so
rounding errors do not grow; no factorial or power is formed. Up to ``DOUBLE_SERVER_LIMIT``
servers it runs in double precision, above it in extended (long double) precision so that the
accumulated rounding stays below 1e-12 relative up to 10^5 servers and beyond. When 1/B
exceeds the range of a double, the extended-precision path runs instead, so B comes back as
its subnormal value (or 0 below that) rather than overflowing.
"""

from cython.parallel cimport prange
from libc.math cimport floor, INFINITY

# Largest server count handled in double precision (worst-case accumulated error ~ 2*c*eps).
cdef enum:
    DOUBLE_SERVER_LIMIT = 1024
    # Arrays at least this long are split across the OpenMP threads the caller asks for.
    PARALLEL_MIN_SIZE = 8192


cdef inline void _block4(double k_real, double inv_load, double* offset, double* slope) noexcept nogil:
    """Four recursion steps k..k+3 as one affine map r_{k+3} = offset + slope * r_{k-1}.

    With s_j = j/a: offset = 1 + s4 + s4 s3 + s4 s3 s2 and slope = s4 s3 s2 s1; every term
    is >= 0, so there is no cancellation, and none of it depends on r.
    """
    cdef double s1 = k_real * inv_load
    cdef double s2 = (k_real + 1.0) * inv_load
    cdef double s3 = (k_real + 2.0) * inv_load
    cdef double s4 = (k_real + 3.0) * inv_load
    cdef double p43 = s4 * s3
    cdef double p432 = p43 * s2
    offset[0] = (1.0 + s4) + (p43 + p432)
    slope[0] = p432 * s1


cdef inline double _erlang_b(int64 servers, double load) noexcept nogil:
    cdef int64 k
    cdef double inv_load, inverse_b, k_real, offset1, slope1, offset2, slope2
    cdef int64 remaining
    cdef long double inverse_b_long, load_long
    if servers == 0:
        return 1.0
    if load == 0.0:
        return 0.0
    if servers <= DOUBLE_SERVER_LIMIT:
        inv_load = 1.0 / load
        inverse_b = 1.0
        k_real = 1.0
        remaining = servers
        # Eight steps per update of r: two 4-step affine maps composed off the dependency
        # chain, so one multiply-add on r covers eight servers (the chain's latency, not the
        # arithmetic, bounds this loop).
        while remaining >= 8:
            _block4(k_real, inv_load, &offset1, &slope1)
            _block4(k_real + 4.0, inv_load, &offset2, &slope2)
            inverse_b = (offset2 + slope2 * offset1) + (slope2 * slope1) * inverse_b
            k_real += 8.0
            remaining -= 8
        if remaining >= 4:
            _block4(k_real, inv_load, &offset1, &slope1)
            inverse_b = offset1 + slope1 * inverse_b
            k_real += 4.0
            remaining -= 4
        while remaining > 0:
            inverse_b = 1.0 + (k_real * inv_load) * inverse_b
            k_real += 1.0
            remaining -= 1
        if inverse_b < INFINITY:
            return 1.0 / inverse_b
        # 1/B overflowed a double: B is subnormal or zero; the extended range below finds it.
    load_long = load
    inverse_b_long = 1.0
    for k in range(1, servers + 1):
        inverse_b_long = 1.0 + (<long double>k / load_long) * inverse_b_long
    return <double>(1.0 / inverse_b_long)


cdef inline double _erlang_c_from_b(int64 servers, double load, double blocking) noexcept nogil:
    # C = c B / (c - a (1 - B)) written as c B / ((c - a) + a B): c - a is exact near c = a.
    if load >= servers:
        return 1.0
    return servers * blocking / ((servers - load) + load * blocking)


cdef double erlang_b_c(int64 servers, double load) noexcept nogil:
    """Exported C entry point (see _erlang.pxd): B(c, a) for validated inputs."""
    return _erlang_b(servers, load)


cdef double erlang_c_c(int64 servers, double load) noexcept nogil:
    """Exported C entry point (see _erlang.pxd): C(c, a) for validated inputs, 1 if a >= c."""
    if load >= servers:
        return 1.0
    return _erlang_c_from_b(servers, load, _erlang_b(servers, load))


cpdef double erlang_b_scalar(int64 servers, double load):
    """Erlang B blocking probability for one (c, a); inputs already validated."""
    return _erlang_b(servers, load)


#: Arrays shorter than this run on one thread (exported for the Python side).
parallel_min_size = PARALLEL_MIN_SIZE


cpdef double erlang_c_scalar(int64 servers, double load):
    """Erlang C probability of waiting for one (c, a); inputs already validated."""
    if load >= servers:
        return 1.0
    return _erlang_c_from_b(servers, load, _erlang_b(servers, load))


cdef void _erlang_b_many(const int64* servers, const double* load, double* out, Py_ssize_t n,
                         int threads) noexcept nogil:
    cdef Py_ssize_t i
    if n >= PARALLEL_MIN_SIZE and threads > 1:
        for i in prange(n, schedule="guided", num_threads=threads):
            out[i] = _erlang_b(servers[i], load[i])
    else:
        for i in range(n):
            out[i] = _erlang_b(servers[i], load[i])


def erlang_b_kernel(const int64[::1] servers, const double[::1] load, double[::1] out, int threads=1):
    """out[i] = B(servers[i], load[i]); all arrays of one length; ``threads`` OpenMP threads
    for arrays of at least PARALLEL_MIN_SIZE entries (the caller picks them from the free cores)."""
    cdef Py_ssize_t n = out.shape[0]
    if n == 0:
        return
    with nogil:
        _erlang_b_many(&servers[0], &load[0], &out[0], n, threads)


def erlang_c_kernel(const int64[::1] servers, const double[::1] load, double[::1] out, int threads=1):
    """out[i] = C(servers[i], load[i]); 1 where load >= servers (``threads`` as in erlang_b_kernel)."""
    cdef Py_ssize_t i, n = out.shape[0]
    if n == 0:
        return
    with nogil:
        _erlang_b_many(&servers[0], &load[0], &out[0], n, threads)
        for i in range(n):
            out[i] = _erlang_c_from_b(servers[i], load[i], out[i])


def mmc_kernel(const int64[::1] servers, const double[::1] arrival_rate, const double[::1] service_rate,
               double[::1] wait, double[::1] queue_length, double[::1] p_wait, double[::1] utilization):
    """M/M/c figures per entry: mean wait in queue, mean queue length, P(wait > 0), utilisation.

    Unstable entries (arrival_rate >= servers * service_rate) get an infinite wait and queue
    length and P(wait > 0) = 1.
    """
    cdef Py_ssize_t i, n = wait.shape[0]
    cdef double load, c_prob
    cdef int64 c
    with nogil:
        for i in range(n):
            c = servers[i]
            load = arrival_rate[i] / service_rate[i]
            utilization[i] = load / c
            if load >= c:
                wait[i] = INFINITY
                queue_length[i] = INFINITY
                p_wait[i] = 1.0
                continue
            c_prob = _erlang_c_from_b(c, load, _erlang_b(c, load))
            p_wait[i] = c_prob
            wait[i] = c_prob / (service_rate[i] * (c - load))
            queue_length[i] = arrival_rate[i] * wait[i]


def min_servers_kernel(const double[::1] arrival_rate, const double[::1] service_rate,
                       const double[::1] target_wait, int64 max_servers, int64[::1] out):
    """Smallest c with mean M/M/c wait <= target_wait (target_wait > 0), or -1 past max_servers.

    Starts at the smallest stable c and walks up with the forward recursion
    B(c) = a B(c-1) / (c + a B(c-1)), so the whole search costs O(answer) operations; the
    caller guarantees a = arrival_rate / service_rate < max_servers (so floor(a) + 1 fits).
    """
    cdef Py_ssize_t i, n = out.shape[0]
    cdef double load, blocking, c_prob, wait
    cdef int64 c
    with nogil:
        for i in range(n):
            if arrival_rate[i] == 0.0:
                out[i] = 1
                continue
            load = arrival_rate[i] / service_rate[i]
            c = <int64>floor(load) + 1
            if c > max_servers:
                out[i] = -1
                continue
            blocking = _erlang_b(c, load)
            while True:
                c_prob = _erlang_c_from_b(c, load, blocking)
                wait = c_prob / (service_rate[i] * (c - load))
                if wait <= target_wait[i]:
                    break
                c += 1
                if c > max_servers:
                    c = -1
                    break
                blocking = load * blocking / (c + load * blocking)
            out[i] = c
