"""The crisis radar's writes: responsible for turning what ``detection`` finds into crisis
events and alerts, storing each public case's viral risk, and the people's acknowledgements
and closings (audited). Runs every minute from the worker's tick (``periodic_work``).

Must never: import ``insights`` (the two sit side by side in the layers), change a case, or
alert the same thing twice — each job is claimed per minute or per hour with a conditional
UPDATE, each crisis and each crossing of the viral threshold is told once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tingjian import clock

from .. import detection
from .crises import acknowledge, close, close_quiet, crisis_url, receivers, record
from .risk import periodic_sweep, recompute, sweep, threshold
from .runs import claim, note

SCAN = "spike-scan"
HOURLY = "spike-hour"

__all__ = [
    "acknowledge", "close", "close_quiet", "crisis_url", "receivers", "record", "recompute", "sweep",
    "threshold", "periodic_work", "scan_now", "ScanResult",
]


@dataclass(frozen=True)
class ScanResult:
    found: int
    opened: int
    updated: int
    alerted: int

    def __str__(self) -> str:
        return f"{self.found} spike(s): {self.opened} new, {self.updated} ongoing, {self.alerted} alert(s)"


def scan_now(*, now: datetime | None = None, minutes: int = 60) -> ScanResult:
    """Judge the trailing ``minutes`` up to now and record what spikes (unclaimed: for the
    console and the demo's burst; the worker calls ``periodic_work``)."""
    now = now or clock.now()
    findings = detection.scan(now, minutes=minutes)
    recorded = record(findings, now=now)
    return ScanResult(len(findings), len(recorded.opened), len(recorded.updated), recorded.alerted)


def _hour_start(at: datetime) -> datetime:
    local = at.astimezone(detection.local_zone())
    return local.replace(minute=0, second=0, microsecond=0)


def periodic_work() -> str:
    """Each hour: the finished clock hour is judged and crises quiet for six hours are
    closed; each minute: the trailing hour is judged and the viral-risk sweep runs. Every
    part is claimed, so two workers never do it twice."""
    now = clock.now()
    parts = []
    this_hour = _hour_start(now)
    if claim(HOURLY, now, next_due=this_hour + timedelta(hours=1, minutes=1)):
        findings = detection.scan(this_hour, minutes=60)
        recorded = record(findings, now=now)
        closed = close_quiet(now=now)
        result = (
            f"hour before {this_hour:%H}:00 {len(findings)} spike(s), {len(recorded.opened)} new; "
            f"{closed} quiet crisis(es) closed"
        )
        note(HOURLY, result)
        parts.append(result)
    # After the finished hour, so a live crisis shows the freshest window.
    if claim(SCAN, now, next_due=now + timedelta(seconds=50)):
        result = str(scan_now(now=now))
        note(SCAN, result)
        parts.append(f"last hour {result}")
    viral = periodic_sweep(now)
    if viral:
        parts.append(viral)
    return "radar: " + ("; ".join(parts) if parts else "nothing due")
