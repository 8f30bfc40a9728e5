"""What the planner reads (``Observed``) and what it returns (``Plan``): frozen dataclasses.

The controller gathers the observed state (Backup objects, key ring summary, policy metadata)
into these types, calls :func:`strongroom.planner.plan`, and executes the actions. Nothing
here does I/O, and every time is an aware ``datetime`` (UTC by convention), with ``now``
always passed in: the same inputs give the same plan, which is what makes the planner
testable under Kopf's 2-second budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from strongroom.api.backup import EquivalenceMethod, Trigger, VerificationResult
from strongroom.api.common import BackupPhase, ConditionStatus, VerificationLevel
from strongroom.planner.reasons import Reason

_A = TypeVar("_A")

IN_FLIGHT_PHASES = frozenset({BackupPhase.PENDING, BackupPhase.RUNNING})


@dataclass(frozen=True)
class ObservedBackup:
    """One Backup object as the planner needs to see it.

    ``slot`` is ``spec.scheduledTime`` (the schedule slot, or the request time of a manual run);
    ``phase`` ``None`` means the operator has not started it yet (treated as Pending).
    ``verified_at``/``verification_*`` describe the newest verification, passed or failed.
    """

    name: str
    slot: datetime
    phase: BackupPhase | None = None
    trigger: Trigger = Trigger.SCHEDULE
    created: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    verification_result: VerificationResult | None = None
    verification_level: VerificationLevel | None = None
    #: What the newest verification's equivalence check compared (``None``: no such check).
    verification_equivalence: EquivalenceMethod | None = None
    verified_at: datetime | None = None
    rto_seconds: float | None = None
    corrupt: bool = False
    #: Retention began deleting it (Terminating, held by our finalizer): finish, never keep.
    deleting: bool = False
    key_id: str | None = None
    key_version: int | None = None
    size_bytes: int | None = None

    @property
    def in_flight(self) -> bool:
        """Return whether the run has not finished (Pending, Running, or not started)."""
        return self.phase is None or self.phase in IN_FLIGHT_PHASES

    @property
    def good(self) -> bool:
        """Return whether this is a usable recovery point: succeeded and not found corrupt."""
        return self.phase is BackupPhase.SUCCEEDED and not self.corrupt

    @property
    def verified_good(self) -> bool:
        """Return whether the newest verification of this good backup passed."""
        return self.good and self.verification_result is VerificationResult.PASSED

    @property
    def recovery_point(self) -> datetime:
        """Return the moment the data is from: the dump start, else the slot."""
        return self.started or self.slot


@dataclass(frozen=True)
class ObservedKeyRing:
    """Key ring summary: ids and versions only, never key bytes."""

    key_id: str
    primary_version: int
    primary_created: datetime
    versions: tuple[int, ...]
    #: Versions that no longer unwrap (retired or destroyed) and those whose material is gone.
    retired: tuple[int, ...] = ()
    destroyed: tuple[int, ...] = ()
    #: A person asked (``strongroom keys rotate``) to replace this primary version or older.
    rotate_requested_from: int | None = None
    #: Versions a person asked (``strongroom keys destroy``) to crypto-shred.
    destroy_requested: tuple[int, ...] = ()


@dataclass(frozen=True)
class Observed:
    """Everything the planner is told about one policy's world at ``now``.

    ``namespace``/``name`` identify the policy (hashed jitter, Backup names); ``created`` is the
    policy's creationTimestamp (no slot before it is ever run); ``last_schedule_time`` is the
    persisted ``status.lastScheduleTime``. ``key_ring`` is ``None`` for KMS keys or when the
    key ring Secret could not be read.
    """

    namespace: str
    name: str
    backups: tuple[ObservedBackup, ...] = ()
    key_ring: ObservedKeyRing | None = None
    created: datetime | None = None
    last_schedule_time: datetime | None = None
    last_check_time: datetime | None = None
    verification_in_flight: str | None = None

    @property
    def in_flight_backup(self) -> str | None:
        """Return the name of an unfinished backup, if any (the newest one)."""
        running = [b for b in self.backups if b.in_flight]
        return max(running, key=lambda b: (b.slot, b.name)).name if running else None


@dataclass(frozen=True)
class CreateBackup:
    """Create the Backup named ``name`` for schedule slot ``slot``."""

    slot: datetime
    name: str
    reason: Reason


@dataclass(frozen=True)
class DeleteBackup:
    """Delete a Backup (and, by its finalizer, its stored objects)."""

    name: str
    reason: Reason


@dataclass(frozen=True)
class VerifyBackup:
    """Run a verification Job of ``level`` for the Backup ``name``."""

    name: str
    level: VerificationLevel
    reason: Reason


@dataclass(frozen=True)
class RotateKey:
    """Add a new key version and make it primary."""

    reason: Reason


@dataclass(frozen=True)
class RewrapBackup:
    """Re-wrap the manifest of ``name`` (now wrapped by ``from_version``) with the primary.

    For a KMS policy ``from_version`` is ``None`` and ``from_key`` names the KMS key that wraps
    the manifest now; the policy's ``kmsKeyId`` is the key to re-wrap to.
    """

    name: str
    from_version: int | None
    reason: Reason
    from_key: str | None = None


@dataclass(frozen=True)
class RetireKeyVersion:
    """Remove ``version`` from the key ring: no observed backup references it."""

    version: int
    reason: Reason


@dataclass(frozen=True)
class DestroyKeyVersion:
    """Delete the material of retired ``version`` (crypto-shredding), as a person asked."""

    version: int
    reason: Reason


Action = (
    CreateBackup
    | DeleteBackup
    | VerifyBackup
    | RotateKey
    | RewrapBackup
    | RetireKeyVersion
    | DestroyKeyVersion
)


class Check(StrEnum):
    """The compliance checks; a fixed set (also a bounded metrics label)."""

    RPO = "rpo"
    RETENTION = "retention"
    ENCRYPTION = "encryption"
    VERIFICATION = "verification"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one compliance check."""

    check: Check
    status: ConditionStatus
    reason: Reason
    message: str


@dataclass(frozen=True)
class RetentionDecision:
    """Keep or delete one backup, and why (``reasons[0]`` is the main one)."""

    name: str
    keep: bool
    reasons: tuple[Reason, ...]
    deadline: datetime | None = None

    @property
    def reason(self) -> Reason:
        """Return the main reason."""
        return self.reasons[0]


@dataclass(frozen=True)
class Note:
    """Something worth an Event that is not an action (a missed slot, a backup from the future)."""

    reason: Reason
    message: str
    warning: bool = True


@dataclass(frozen=True)
class NamedTime:
    """A backup name and a time, for status fields such as ``lastSuccessfulBackup``."""

    name: str
    time: datetime | None


@dataclass(frozen=True)
class PlanStatus:
    """The status summary the controller writes to ``BackupPolicy.status``."""

    ready: bool
    ready_reason: Reason
    ready_message: str
    compliant: ConditionStatus
    compliant_reason: Reason
    effective_schedule: str
    last_check_time: datetime
    last_schedule_time: datetime | None
    next_schedule_time: datetime | None
    retained_backups: int
    last_backup: NamedTime | None = None
    last_successful_backup: NamedTime | None = None
    last_verified: NamedTime | None = None
    last_verified_level: VerificationLevel | None = None
    last_verified_rto_seconds: float | None = None
    key_versions_in_use: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything the planner decided at ``now``; the controller only executes it."""

    actions: tuple[Action, ...]
    next_wake: datetime
    verdicts: tuple[Verdict, ...]
    status: PlanStatus
    retention: tuple[RetentionDecision, ...] = ()
    notes: tuple[Note, ...] = field(default=())

    def of_type(self, kind: type[_A]) -> tuple[_A, ...]:
        """Return the actions of one type, in plan order."""
        return tuple(a for a in self.actions if isinstance(a, kind))
