"""Schedule arithmetic: slots in a time zone, across DST, with hashed jitter.

croniter computes the matching *wall-clock* times on naive datetimes (pure calendar
arithmetic, no DST involved); this module maps each wall time to real instants with one rule,
the one Vixie cron and cronie use:

* **Spring forward (a wall time that does not exist):** the slot runs once, shifted forward by
  the gap (02:30 in Europe/Berlin on the last Sunday of March runs at 03:30 CEST). Slots that
  land on an instant another slot already has are one slot, never two.
* **Fall back (a wall time that happens twice):** a slot whose hour field is fixed runs once,
  at the first occurrence (02:30 CEST, not again at 02:30 CET). A slot whose hour field is ``*``
  ("every hour") runs at both occurrences, because it is about elapsed time, not the clock.

So no slot is skipped and none doubled; daily intervals around a transition are 23 or 25
hours of real time. Kubernetes CronJob (robfig/cron) differs in the fall-back hour for
wildcard hours; ours matches what an RPO measured in real time needs.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

_MACROS: Final = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}
_WILDCARD_HOURS: Final = frozenset({"*", "*/1", "0-23"})
# Wall times map to instants at most one DST jump away; 3 hours covers every zone in use now.
_MARGIN: Final = timedelta(hours=3)
_MAX_STEPS: Final = 5000
# A fixed wall-clock start for interval estimates: Monday 2001-01-01, so they never vary by date.
_REFERENCE: Final = datetime(2001, 1, 1)  # noqa: DTZ001 - a wall-clock time, no zone by design


class ScheduleError(ValueError):
    """The cron expression or time zone cannot produce slots; the message says why."""


def resolve_jitter(cron: str, namespace: str, name: str) -> str:
    """Return ``cron`` with ``@hourly-random``/``@daily-random``/``@weekly-random`` resolved.

    The minute, hour and weekday come from SHA-256 of ``namespace/name`` (as K8up does), so
    the same policy always gets the same effective schedule, across restarts and replicas,
    while different policies spread over the hour, day or week. Other expressions are
    returned unchanged.
    """
    if not cron.endswith("-random"):
        return cron
    digest = int.from_bytes(hashlib.sha256(f"{namespace}/{name}".encode()).digest()[:8], "big")
    minute, hour, weekday = digest % 60, (digest // 60) % 24, (digest // 1440) % 7
    expanded = {
        "@hourly-random": f"{minute} * * * *",
        "@daily-random": f"{minute} {hour} * * *",
        "@weekly-random": f"{minute} {hour} * * {weekday}",
    }
    if cron not in expanded:
        raise ScheduleError(f"{cron!r} is not one of {', '.join(sorted(expanded))}")
    return expanded[cron]


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``.

    Raises:
        ScheduleError: the tz database of this operator has no such zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"time zone {name!r} is not in the tz database; use an IANA name like Europe/Berlin"
        ) from exc


def _naive(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True)
class CronSchedule:
    """A validated cron expression (jitter already resolved) in one time zone."""

    expression: str
    zone: ZoneInfo

    @classmethod
    def parse(cls, expression: str, time_zone: str) -> CronSchedule:
        """Validate ``expression`` and ``time_zone`` and return the schedule.

        Raises:
            ScheduleError: unknown zone, malformed expression, or one that never fires.
        """
        zone = load_zone(time_zone)
        normalized = _MACROS.get(expression, expression)
        if len(normalized.split()) != 5 or not croniter.is_valid(normalized):  # noqa: PLR2004
            raise ScheduleError(f"{expression!r} is not a valid 5-field cron expression or @macro")
        schedule = cls(normalized, zone)
        try:
            next(schedule._walls(datetime(2000, 1, 1), forward=True))  # noqa: DTZ001 - wall time
        except (CroniterBadDateError, CroniterBadCronError) as exc:
            raise ScheduleError(f"{expression!r} never matches a real date") from exc
        return schedule

    @property
    def wildcard_hour(self) -> bool:
        """Return whether the hour field is ``*`` (runs at both repeated fall-back hours)."""
        return self.expression.split()[1] in _WILDCARD_HOURS

    def _walls(self, start: datetime, *, forward: bool) -> Iterator[datetime]:
        it = croniter(self.expression, start)
        for _ in range(_MAX_STEPS):
            yield it.get_next(datetime) if forward else it.get_prev(datetime)

    def instants(self, wall: datetime) -> tuple[datetime, ...]:
        """Return the UTC instants at which the naive local ``wall`` time fires (DST rule)."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if _naive(first, self.zone) != wall:
            return (first,)  # in a spring-forward gap: shifted forward by the gap
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        if second != first and self.wildcard_hour:
            return (first, second)
        return (first,)

    def next_after(self, instant: datetime) -> datetime:
        """Return the first slot strictly after ``instant``."""
        best: datetime | None = None
        for wall in self._walls(_naive(instant, self.zone) - _MARGIN, forward=True):
            if best is not None and wall > _naive(best, self.zone) + _MARGIN:
                return best
            for candidate in self.instants(wall):
                if candidate > instant and (best is None or candidate < best):
                    best = candidate
        raise ScheduleError(f"{self.expression!r} has no slot after {instant.isoformat()}")

    def previous_at_or_before(self, instant: datetime) -> datetime | None:
        """Return the newest slot at or before ``instant`` (``None`` if none in reach)."""
        best: datetime | None = None
        try:
            for wall in self._walls(_naive(instant, self.zone) + _MARGIN, forward=False):
                if best is not None and wall < _naive(best, self.zone) - _MARGIN:
                    return best
                for candidate in self.instants(wall):
                    if candidate <= instant and (best is None or candidate > best):
                        best = candidate
        except CroniterBadDateError:
            return best
        return best

    def slots_between(self, start: datetime, end: datetime, limit: int = 100) -> list[datetime]:
        """Return up to ``limit`` slots in ``(start, end]``, oldest first."""
        slots: list[datetime] = []
        current = start
        while len(slots) < limit:
            current = self.next_after(current)
            if current > end:
                break
            slots.append(current)
        return slots

    def longest_interval(self) -> timedelta:
        """Return the longest gap between consecutive slots over a year of wall-clock time.

        Measured on wall-clock times, so DST's 23- and 25-hour days do not count: this is the
        interval the user wrote, the one an RPO must not be shorter than. The year is a fixed
        one, so the answer depends on the expression only (and is cached).
        """
        return _longest_interval(self.expression)


@functools.lru_cache(maxsize=256)
def _longest_interval(expression: str) -> timedelta:
    walls = CronSchedule(expression, ZoneInfo("UTC"))._walls(_REFERENCE, forward=True)  # noqa: SLF001
    previous = next(walls)
    horizon = previous + timedelta(days=370)
    longest = timedelta(0)
    for count, wall in enumerate(walls):
        longest = max(longest, wall - previous)
        previous = wall
        if wall > horizon or count > 400:  # noqa: PLR2004 - a year, or enough samples
            break
    return longest
