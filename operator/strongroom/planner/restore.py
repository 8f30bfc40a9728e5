"""Which backup a Restore brings back, or why it refuses: one pure decision.

A Restore names a Backup, or asks for the newest verified good backup of a policy. The
controller gathers the policy's Backups (as :class:`ObservedBackup`) and asks
:func:`choose_source`; the answer is either the backup to restore or a refusal with a CamelCase
reason and a sentence that says what to do. Once chosen, the name is written into the
Restore's status and never chosen again (a newer backup landing later changes nothing).

A named backup must have succeeded, must not be known corrupt and its newest verification must
not have failed. One never verified is accepted: the restore Job authenticates the whole object
(the integrity level) before any byte reaches the target, so the restore is itself that check.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from strongroom.api.backup import VerificationResult
from strongroom.api.common import BackupPhase
from strongroom.planner.model import ObservedBackup


class RefusalReason(StrEnum):
    """Why a Restore is refused before any Job starts."""

    BACKUP_NOT_FOUND = "BackupNotFound"
    BACKUP_NOT_SUCCEEDED = "BackupNotSucceeded"
    BACKUP_CORRUPT = "BackupCorrupt"
    BACKUP_VERIFICATION_FAILED = "BackupVerificationFailed"
    NO_VERIFIED_BACKUP = "NoVerifiedBackup"


@dataclass(frozen=True)
class SourceRequest:
    """What the Restore's spec asks for: a Backup name, or a policy's newest verified one."""

    backup: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class Chosen:
    """The backup to restore."""

    backup: ObservedBackup


@dataclass(frozen=True)
class Refused:
    """No restore: the reason and a sentence naming the field and the fix."""

    reason: RefusalReason
    message: str


SourceChoice = Chosen | Refused


def choose_source(request: SourceRequest, backups: tuple[ObservedBackup, ...]) -> SourceChoice:
    """Return the backup ``request`` resolves to among ``backups``, or why none may be used.

    ``backups`` are the candidates the controller could read: for a named backup, that Backup
    (or nothing); for a policy, its Backups.
    """
    if request.backup is not None:
        found = [b for b in backups if b.name == request.backup]
        if not found:
            return Refused(
                RefusalReason.BACKUP_NOT_FOUND,
                f"spec.backupRef.name: Backup {request.backup} does not exist in this "
                "namespace; list them with `kubectl get backups`",
            )
        return _usable(found[0])
    verified = [b for b in backups if b.verified_good and b.verified_at is not None]
    if not verified:
        return Refused(
            RefusalReason.NO_VERIFIED_BACKUP,
            f"spec.policyRef.name: policy {request.policy} has no backup whose verification "
            "passed; wait for a verification or name a Backup in spec.backupRef",
        )
    return Chosen(max(verified, key=lambda b: (b.recovery_point, b.name)))


def _usable(backup: ObservedBackup) -> SourceChoice:
    if backup.corrupt:
        return Refused(
            RefusalReason.BACKUP_CORRUPT,
            f"spec.backupRef.name: Backup {backup.name} was found corrupt by verification; "
            "choose another backup",
        )
    if backup.phase is not BackupPhase.SUCCEEDED:
        shown = backup.phase.value if backup.phase else "not started"
        return Refused(
            RefusalReason.BACKUP_NOT_SUCCEEDED,
            f"spec.backupRef.name: Backup {backup.name} is {shown}, not Succeeded; only a "
            "finished, successful backup can be restored",
        )
    if backup.verification_result is VerificationResult.FAILED:
        return Refused(
            RefusalReason.BACKUP_VERIFICATION_FAILED,
            f"spec.backupRef.name: the newest verification of Backup {backup.name} failed; "
            "choose a backup whose verification passed",
        )
    return Chosen(backup)
