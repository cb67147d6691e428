"""Documented size limits of evcore.queueing.

Each figure is computed exactly (to the stated tolerance), so the work grows with the size of
the question: Erlang B/C and M/M/c cost O(c) per entry, staffing O(answer), transients
O(uniformization steps x states). Questions past these limits are refused with an
:class:`~evcore.errors.InputError` naming the limit instead of running for hours or years.
"""

from __future__ import annotations

__all__ = ["MAX_SERVERS", "MAX_TRANSIENT_WORK", "MAX_TABLE_ENTRIES"]

#: Largest number of servers (piles) per queue, and largest staffing answer: 10^7. Erlang B at
#: 10^7 servers takes about 0.1 s; the recursion stays accurate to about 1e-12 relative there.
MAX_SERVERS = 10_000_000

#: Largest transient computation: (uniformization steps up to the last time) x (cost of one
#: step: c + 1 states for M/M/c/c, n^2 for a dense n-state chain). 10^10 is about 10 s.
MAX_TRANSIENT_WORK = 1.0e10

#: Largest table a transient returns or holds (times x states, Poisson weights): 10^8 numbers
#: (800 MB).
MAX_TABLE_ENTRIES = 100_000_000
