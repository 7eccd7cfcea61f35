"""Pausing Python's cyclic garbage collector while a site is loaded, checked and compiled.

A build allocates hundreds of thousands of small objects that all stay alive until it ends
(YAML nodes and their marks, the model, the access model, policy entries, rendered lines) and
almost none of them in reference cycles. The generational collector, triggered every few
hundred allocations, keeps re-traversing that growing heap: a third of a 5,000-device build
was spent in it, none of it reclaiming anything. Reference counting still frees everything
acyclic at once while the collector is paused. The pause nests (only the outermost one
resumes it), and it resumes on errors too.

When the outermost pause ends, what survived it is moved to the collector's permanent
generation (`gc.freeze`) before the collector resumes. Otherwise all of it sits in the
youngest generation, and the first allocation after the pause traverses the whole result in
one pass (0.27 s after a 5,000-device build, again reclaiming nothing: a build leaves about
70 objects in cycles). Frozen objects are still freed by reference counting when the result
is dropped; only those few cycles stay. A forked child (`compiler.parallel`) then also shares
those pages with its parent instead of copying them when the collector would touch them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector for the block (or the decorated function)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
