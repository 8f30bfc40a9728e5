"""Machine reasons for every planner decision and verdict.

The values are CamelCase strings, the shape ``metav1.Condition.reason`` and Event reasons
want; the controller copies them verbatim into conditions, Events, audit lines and metrics
labels, so one word means one thing everywhere (`kubectl describe`, alerts, the report).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why the planner decided something, or why a check has its verdict."""

    # Spec findings the schema cannot express (Ready=False).
    SPEC_VALID = "SpecValid"
    UNKNOWN_TIME_ZONE = "UnknownTimeZone"
    INVALID_SCHEDULE = "InvalidSchedule"
    INVALID_VERIFICATION_SCHEDULE = "InvalidVerificationSchedule"
    RPO_SHORTER_THAN_SCHEDULE = "RPOShorterThanSchedule"

    # Schedule.
    SLOT_DUE = "SlotDue"
    SLOT_MISSED = "SlotMissed"
    SUSPENDED = "Suspended"
    BACKUP_IN_FLIGHT = "BackupInFlight"

    # Retention: why a backup is kept.
    RETENTION_LAST = "RetentionKeepLast"
    RETENTION_HOURLY = "RetentionHourly"
    RETENTION_DAILY = "RetentionDaily"
    RETENTION_WEEKLY = "RetentionWeekly"
    RETENTION_MONTHLY = "RetentionMonthly"
    RETENTION_YEARLY = "RetentionYearly"
    RETENTION_NEWEST_VERIFIED = "RetentionNewestVerified"
    RETENTION_FUTURE = "RetentionFromFuture"
    RETENTION_IN_FLIGHT = "RetentionInFlight"
    RETENTION_NEWEST_FAILED = "RetentionNewestFailed"
    RETENTION_NEWEST_CORRUPT = "RetentionNewestCorrupt"
    # Retention: why a backup is deleted.
    RETENTION_EXPIRED = "RetentionExpired"
    RETENTION_NOT_SELECTED = "RetentionNotSelected"
    RETENTION_OLDER_FAILURE = "RetentionOlderFailure"
    RETENTION_RESUMED = "RetentionDeletionResumed"

    # Verification.
    VERIFICATION_SCHEDULED = "VerificationScheduled"
    VERIFICATION_EVERY_NTH = "VerificationEveryNthBackup"
    VERIFICATION_AGING = "VerificationAging"
    VERIFICATION_IN_FLIGHT = "VerificationInFlight"

    # Keys.
    KEY_ROTATION_DUE = "KeyRotationDue"
    MANIFEST_NOT_PRIMARY = "ManifestNotWrappedByPrimary"
    KEY_VERSION_UNREFERENCED = "KeyVersionUnreferenced"
    KEY_ROTATION_REQUESTED = "KeyRotationRequested"
    KEY_DESTRUCTION_REQUESTED = "KeyDestructionRequested"

    # Compliance verdicts.
    NEVER_BACKED_UP = "NeverBackedUp"
    BACKUP_WITHIN_RPO = "BackupWithinRPO"
    BACKUP_TOO_OLD = "BackupTooOld"
    RETENTION_ENFORCED = "RetentionEnforced"
    RETENTION_OVERDUE = "RetentionOverdue"
    KEY_WITHIN_ROTATION_PERIOD = "KeyWithinRotationPeriod"
    KEY_TOO_OLD = "KeyTooOld"
    KEY_RING_NOT_OBSERVED = "KeyRingNotObserved"
    KMS_MANAGED_KEY = "KMSManagedKey"
    VERIFIED_RECENTLY = "VerifiedRecently"
    NEVER_VERIFIED = "NeverVerified"
    VERIFICATION_TOO_OLD = "VerificationTooOld"
    VERIFICATION_FAILED = "VerificationFailed"
    ALL_CHECKS_PASS = "AllChecksPass"  # noqa: S105 - a reason, not a password
    CHECKS_FAILING = "ChecksFailing"
    CHECKS_UNKNOWN = "ChecksUnknown"
