# C-level entry points of the Erlang kernels, exported through __pyx_capi__ so that other
# compiled code (Numba kernels, via evcore.queueing.numba_erlang) calls the same recursion.
ctypedef long long int64

cdef double erlang_b_c(int64 servers, double load) noexcept nogil
cdef double erlang_c_c(int64 servers, double load) noexcept nogil
