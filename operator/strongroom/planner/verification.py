"""Verification: is one due, for which backup, at which level.

A verification restores a backup somewhere harmless and compares it with what was dumped; it is
the only proof a backup is worth keeping. What triggers one, in order of the spec:

* ``verification.schedule`` (cron, policy time zone): due when a slot of that schedule passed
  since the newest verification;
* ``verification.everyNthBackup: N``: due once N good backups were made after the newest
  verified one (or one, if none was ever verified);
* neither: due when the newest *passed* verification is older than half of
  ``verification.maxAge`` (or after a failure), so a policy left to defaults stays compliant.

The candidate is always the newest good backup not yet verified; one verification runs at a
time per policy. Levels above integrity restore into a scratch server: a named one, or by
default a sidecar whose image matches the source server's version (:func:`sidecar_image`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from strongroom.api.common import Engine
from strongroom.api.policy import BackupPolicySpec
from strongroom.planner.model import Observed, ObservedBackup, VerifyBackup
from strongroom.planner.reasons import Reason
from strongroom.planner.schedule import CronSchedule


@dataclass(frozen=True)
class VerificationDecision:
    """Whether a verification is due now, and the action if one can start."""

    due: bool
    reason: Reason | None
    action: VerifyBackup | None
    next_due: datetime | None


def newest_verification(backups: tuple[ObservedBackup, ...]) -> ObservedBackup | None:
    """Return the backup whose verification finished last (passed or failed)."""
    done = [b for b in backups if b.verified_at is not None]
    return max(done, key=lambda b: (b.verified_at, b.name)) if done else None


def candidate(
    backups: tuple[ObservedBackup, ...], excluded: frozenset[str] = frozenset()
) -> ObservedBackup | None:
    """Return the newest good backup never verified, skipping ``excluded`` names."""
    fresh = [
        b for b in backups if b.good and b.verification_result is None and b.name not in excluded
    ]
    return max(fresh, key=lambda b: (b.slot, b.name)) if fresh else None


def decide(
    policy: BackupPolicySpec,
    observed: Observed,
    now: datetime,
    *,
    excluded: frozenset[str] = frozenset(),
    schedule: CronSchedule | None = None,
) -> VerificationDecision:
    """Decide whether to verify now. ``schedule`` is the parsed ``verification.schedule``."""
    spec = policy.verification
    last = newest_verification(observed.backups)
    last_time = last.verified_at if last is not None else None
    due, reason, next_due = False, None, None
    if schedule is not None:
        slot = schedule.previous_at_or_before(now)
        due = slot is not None and (last_time is None or last_time < slot)
        reason = Reason.VERIFICATION_SCHEDULED
        next_due = schedule.next_after(now)
    elif spec.every_nth_backup is not None:
        newest_verified_slot = max(
            (b.slot for b in observed.backups if b.verification_result is not None),
            default=None,
        )
        since = [
            b
            for b in observed.backups
            if b.good and (newest_verified_slot is None or b.slot > newest_verified_slot)
        ]
        needed = 1 if newest_verified_slot is None else spec.every_nth_backup
        due, reason = len(since) >= needed, Reason.VERIFICATION_EVERY_NTH
    else:
        half = spec.max_age.to_timedelta() / 2
        passed = [b.verified_at for b in observed.backups if b.verified_good and b.verified_at]
        last_pass = max(passed, default=None)
        due = last_pass is None or now - last_pass >= half
        reason = Reason.VERIFICATION_AGING
        next_due = None if last_pass is None else last_pass + half
    if not due:
        return VerificationDecision(due=False, reason=None, action=None, next_due=next_due)
    target = candidate(observed.backups, excluded)
    if target is None or observed.verification_in_flight is not None:
        return VerificationDecision(due=True, reason=reason, action=None, next_due=next_due)
    action = VerifyBackup(target.name, spec.level, reason)
    return VerificationDecision(due=True, reason=reason, action=action, next_due=next_due)


#: Official images of the scratch sidecar, by server family (``{version}`` is major[.minor]).
SIDECAR_IMAGES: Final = {
    "postgresql": "docker.io/library/postgres:{version}",
    "mariadb": "docker.io/library/mariadb:{version}",
    "mysql": "docker.io/library/mysql:{version}",
}
_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?")


def sidecar_image(engine: Engine, server_version: str, configured: str | None = None) -> str:
    """Return the scratch sidecar's image: ``configured`` if set, else the source's own kind.

    The dump restores safely into a server of the same major version (PostgreSQL ``15``;
    MariaDB/MySQL ``major.minor``, their release series), read from the manifest's
    ``server_version``. Without a usable version the engine's current image is used.

    Args:
        engine: The policy's engine (``mysql`` covers MariaDB and MySQL).
        server_version: The source server's version string recorded at backup time.
        configured: ``spec.verification.scratch.image``, which always wins.
    """
    if configured:
        return configured
    match = _VERSION.match(server_version)
    if engine is Engine.POSTGRESQL:
        family, version = "postgresql", match.group(1) if match else "latest"
    else:
        family = "mariadb" if "mariadb" in server_version.lower() else "mysql"
        if match and match.group(2) is not None:
            version = f"{match.group(1)}.{match.group(2)}"
        else:
            version = match.group(1) if match else "latest"
    return SIDECAR_IMAGES[family].format(version=version)
