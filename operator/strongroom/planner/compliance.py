"""Compliance: one verdict per check, from (policy, observed, now) alone.

These functions are the one source of truth for "is this policy compliant?": the controller
writes them into status and the ``Compliant`` condition, the metrics collector exports them,
and ``strongroom report`` prints them. Each returns a :class:`Verdict` with a status
(``True``/``False``/``Unknown``), a machine reason and a sentence for people.

Checks:

* ``rpo``: the newest good backup's data is no older than ``objectives.rpo``;
* ``retention``: nothing older than ``retention.maxAge`` is still kept, beyond a grace period
  for the next reconcile (the newest verified good backup is a documented exception);
* ``encryption``: the primary key version is younger than ``encryption.rotationPeriod`` (plus
  the grace period); KMS keys are rotated by KMS;
* ``verification``: the newest verification did not fail, and a passed one is no older than
  ``verification.maxAge``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from strongroom.api.backup import EquivalenceMethod
from strongroom.api.common import ConditionStatus
from strongroom.api.policy import BackupPolicySpec
from strongroom.planner.model import Check, Observed, ObservedBackup, Verdict
from strongroom.planner.reasons import Reason
from strongroom.planner.verification import newest_verification

#: How long after a deadline a reconcile may take to act before the check turns False.
GRACE: Final = timedelta(hours=1)


def human(delta: timedelta) -> str:
    """Return ``delta`` as a short human duration (``3d4h``, ``25m``, ``40s``)."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    text = "".join(f"{n}{u}" for n, u in parts if n)
    return text or f"{secs}s"


def newest_good(observed: Observed) -> ObservedBackup | None:
    """Return the good backup with the newest recovery point."""
    good = [b for b in observed.backups if b.good]
    return max(good, key=lambda b: (b.recovery_point, b.name)) if good else None


def check_rpo(policy: BackupPolicySpec, observed: Observed, now: datetime) -> Verdict:
    """Return the RPO verdict: the newest good backup is within ``objectives.rpo``."""
    rpo = policy.objectives.rpo.to_timedelta()
    newest = newest_good(observed)
    if newest is None:
        return Verdict(
            Check.RPO,
            "False",
            Reason.NEVER_BACKED_UP,
            f"no successful backup yet; the RPO is {policy.objectives.rpo}",
        )
    age = now - newest.recovery_point
    if age <= rpo:
        return Verdict(
            Check.RPO,
            "True",
            Reason.BACKUP_WITHIN_RPO,
            f"newest good backup {newest.name} is {human(age)} old, within the RPO of "
            f"{policy.objectives.rpo}",
        )
    return Verdict(
        Check.RPO,
        "False",
        Reason.BACKUP_TOO_OLD,
        f"newest good backup {newest.name} is {human(age)} old, older than the RPO of "
        f"{policy.objectives.rpo}",
    )


def check_retention(policy: BackupPolicySpec, observed: Observed, now: datetime) -> Verdict:
    """Return the retention verdict: nothing finished is kept past ``retention.maxAge``."""
    max_age = policy.retention.max_age
    if max_age is None:
        return Verdict(
            Check.RETENTION,
            "True",
            Reason.RETENTION_ENFORCED,
            "no retention.maxAge is set; the keep counts bound what is stored",
        )
    limit = now - max_age.to_timedelta() - GRACE
    verified = [b for b in observed.backups if b.verified_good]
    protected = max(verified, key=lambda b: (b.slot, b.name)).name if verified else None
    overdue = sorted(
        b.name
        for b in observed.backups
        if b.slot < limit and not b.in_flight and b.name != protected
    )
    if overdue:
        shown = ", ".join(overdue[:3]) + (" and more" if len(overdue) > 3 else "")  # noqa: PLR2004
        return Verdict(
            Check.RETENTION,
            "False",
            Reason.RETENTION_OVERDUE,
            f"{len(overdue)} backup(s) older than retention.maxAge {max_age} are still "
            f"stored: {shown}",
        )
    note = (
        f"; {protected} is kept past it as the newest verified good backup"
        if protected is not None
        and any(b.name == protected and b.slot < limit for b in observed.backups)
        else ""
    )
    return Verdict(
        Check.RETENTION,
        "True",
        Reason.RETENTION_ENFORCED,
        f"no backup is older than retention.maxAge {max_age}{note}",
    )


def check_encryption(policy: BackupPolicySpec, observed: Observed, now: datetime) -> Verdict:
    """Return the encryption verdict: the primary key version is within its rotation period."""
    if policy.encryption.kms_key_id is not None:
        return Verdict(
            Check.ENCRYPTION,
            "True",
            Reason.KMS_MANAGED_KEY,
            "data keys are wrapped by an AWS KMS key; KMS rotates its key material",
        )
    ring = observed.key_ring
    period = policy.encryption.rotation_period
    if ring is None:
        return Verdict(
            Check.ENCRYPTION,
            "Unknown",
            Reason.KEY_RING_NOT_OBSERVED,
            "the key ring could not be read, so its age is unknown",
        )
    age = now - ring.primary_created
    if age <= period.to_timedelta() + GRACE:
        return Verdict(
            Check.ENCRYPTION,
            "True",
            Reason.KEY_WITHIN_ROTATION_PERIOD,
            f"primary key version {ring.primary_version} is {human(age)} old, within the "
            f"rotation period of {period}",
        )
    return Verdict(
        Check.ENCRYPTION,
        "False",
        Reason.KEY_TOO_OLD,
        f"primary key version {ring.primary_version} is {human(age)} old, older than the "
        f"rotation period of {period}",
    )


def check_verification(policy: BackupPolicySpec, observed: Observed, now: datetime) -> Verdict:
    """Return the verification verdict: a recent pass, and the newest result not a failure."""
    max_age = policy.verification.max_age
    newest = newest_verification(observed.backups)
    if newest is not None and not newest.verified_good:
        return Verdict(
            Check.VERIFICATION,
            "False",
            Reason.VERIFICATION_FAILED,
            f"the newest verification, of {newest.name}, failed",
        )
    passed = [b for b in observed.backups if b.verified_good and b.verified_at is not None]
    if not passed:
        return Verdict(
            Check.VERIFICATION,
            "False",
            Reason.NEVER_VERIFIED,
            "no backup has passed verification yet",
        )
    last = max(passed, key=lambda b: (b.verified_at, b.name))
    assert last.verified_at is not None  # noqa: S101 - filtered above; narrows for mypy
    age = now - last.verified_at
    if age <= max_age.to_timedelta():
        return Verdict(
            Check.VERIFICATION,
            "True",
            Reason.VERIFIED_RECENTLY,
            f"{last.name} passed verification {human(age)} ago, within {max_age}" + _compared(last),
        )
    return Verdict(
        Check.VERIFICATION,
        "False",
        Reason.VERIFICATION_TOO_OLD,
        f"the newest passed verification ({last.name}) is {human(age)} old, older than {max_age}",
    )


def _compared(backup: ObservedBackup) -> str:
    """Say when an equivalence pass compared row counts only (its hashes were not comparable).

    The Verified condition otherwise reads the same for a content check and a count-only one;
    the Backup's ``status.verification.equivalenceReason`` says why.
    """
    if backup.verification_equivalence is EquivalenceMethod.ROW_COUNTS:
        return (
            f" (row counts only, content hashes not compared: see {backup.name}'s "
            "status.verification.equivalenceReason)"
        )
    return ""


def evaluate(policy: BackupPolicySpec, observed: Observed, now: datetime) -> tuple[Verdict, ...]:
    """Return every check's verdict, in the fixed order rpo, retention, encryption, verification."""
    return (
        check_rpo(policy, observed, now),
        check_retention(policy, observed, now),
        check_encryption(policy, observed, now),
        check_verification(policy, observed, now),
    )


def overall(verdicts: tuple[Verdict, ...]) -> tuple[ConditionStatus, Reason]:
    """Return the overall ``Compliant`` status: False if any check fails, else Unknown or True."""
    statuses = {v.status for v in verdicts}
    if "False" in statuses:
        return "False", Reason.CHECKS_FAILING
    if "Unknown" in statuses:
        return "Unknown", Reason.CHECKS_UNKNOWN
    return "True", Reason.ALL_CHECKS_PASS
