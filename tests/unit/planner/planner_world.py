"""Given-helpers for planner stories: a valid policy, backups and key rings in a few words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.api import BackupPhase, BackupPolicySpec, Trigger, VerificationLevel
from strongroom.api.backup import VerificationResult
from strongroom.planner import Observed, ObservedBackup, ObservedKeyRing

NAMESPACE = "shop"
NAME = "orders"


def at(text: str) -> datetime:
    """An aware UTC instant from ``"2026-03-29 01:30"``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def given_policy(**sections: Any) -> BackupPolicySpec:
    """A valid policy (daily 03:00 UTC, keepLast 3, key ring); sections replaced or merged."""
    spec: dict[str, Any] = {
        "database": {
            "engine": "postgresql",
            "host": "db",
            "database": "shop",
            "credentialsSecretRef": {"name": "db"},
        },
        "schedule": {"cron": "0 3 * * *", "timeZone": "UTC"},
        "retention": {"keepLast": 3},
        "encryption": {"keyRingSecretRef": {"name": "ring"}, "rotationPeriod": "90d"},
        "storage": {"bucket": "backups", "region": "eu-central-1"},
        "objectives": {"rpo": "26h"},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return BackupPolicySpec.model_validate(spec)


def backup(
    slot: datetime | str,
    *,
    name: str | None = None,
    phase: BackupPhase | None = BackupPhase.SUCCEEDED,
    verified: VerificationResult | None = None,
    verified_at: datetime | None = None,
    corrupt: bool = False,
    key_version: int | None = 1,
    trigger: Trigger = Trigger.SCHEDULE,
) -> ObservedBackup:
    """A backup at ``slot``; succeeded, unverified, wrapped by key version 1 unless told."""
    when = at(slot) if isinstance(slot, str) else slot
    if verified is not None and verified_at is None:
        verified_at = when + timedelta(hours=1)
    return ObservedBackup(
        name=name or f"{NAME}-{when:%Y%m%d%H%M}",
        slot=when,
        phase=phase,
        trigger=trigger,
        started=when,
        completed=when + timedelta(minutes=5) if phase is BackupPhase.SUCCEEDED else None,
        verification_result=verified,
        verification_level=VerificationLevel.EQUIVALENCE if verified else None,
        verified_at=verified_at,
        corrupt=corrupt,
        key_version=key_version,
    )


def ring(
    created: datetime | str, *, primary: int = 1, versions: tuple[int, ...] = (1,)
) -> ObservedKeyRing:
    """A key ring whose primary ``primary`` was created at ``created``."""
    when = at(created) if isinstance(created, str) else created
    return ObservedKeyRing(
        key_id="ring", primary_version=primary, primary_created=when, versions=versions
    )


def observed(*backups: ObservedBackup, **fields: Any) -> Observed:
    """The observed world of policy shop/orders (created long ago, key ring fresh)."""
    defaults: dict[str, Any] = {"created": at("2020-01-01 00:00")}
    return Observed(
        namespace=NAMESPACE, name=NAME, backups=tuple(backups), **{**defaults, **fields}
    )
