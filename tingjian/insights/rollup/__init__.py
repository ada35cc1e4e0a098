"""The rollup: daily facts per (branch, department, channel), kept current incrementally.

``compute_day`` computes one day; ``sweep`` queues the days that changed; ``recompute_dirty``
works the queue (claimed, so once per day per change). ``tingjian.insights.tasks`` runs
them each minute; ``tingjian insights rebuild`` recomputes history.
"""

from .compute import compute_day
from .sweep import changed_days, has_dirty_days, queue, queue_nightly, recompute_dirty, sweep

__all__ = ["changed_days", "compute_day", "has_dirty_days", "queue", "queue_nightly", "recompute_dirty", "sweep"]
