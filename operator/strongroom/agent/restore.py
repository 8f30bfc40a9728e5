"""``strongroom agent restore``: bring one backup back into a target database.

Refuses a target that already holds tables unless ``allowOverwrite`` is set (checked first,
before any byte is read). Then the integrity pass reads and authenticates the whole data
object; only when it passes is the same object version streamed into the restore tool, so a
corrupt, truncated or swapped backup leaves the target untouched (RELIABILITY F5).

Last, the erasure ledger entries the operator put into the job file are replayed into the
target (deletes by key, one transaction per entry), after the fingerprint check — which
compares with dump time, before anyone was erased. The result carries rows deleted per
entry, never a key value. A failed replay fails the run: the target then still holds people
who were erased, and the Restore says so.
"""

from __future__ import annotations

import time

from strongroom.agent import logs
from strongroom.agent.config import AgentJob
from strongroom.agent.context import connection, object_keys, read_dek, storage_config
from strongroom.agent.erasure import replay_erasures
from strongroom.agent.reading import check_backup, load_manifest, plaintext_of
from strongroom.agent.report import AgentResult, equivalence_of
from strongroom.api.backup import EquivalenceMethod
from strongroom.api.fingerprints import fingerprints_differ, hashes_not_comparable
from strongroom.engines import engine_for
from strongroom.errors import ConfigError, VerificationError
from strongroom.storage.base import ObjectStore


def run_restore(job: AgentJob, store: ObjectStore | None = None) -> AgentResult:
    """Restore one backup; raise a :class:`~strongroom.errors.StrongroomError` on failure."""
    if job.restore is None:  # guaranteed by AgentJob validation; narrows the type
        raise AssertionError("restore job without restore section")
    started = time.monotonic()
    spec = job.restore
    dek = read_dek(job.dek_file)
    engine = engine_for(job.engine)
    target = connection(spec.target)
    was_empty = engine.is_empty(target)
    if not was_empty and not spec.allow_overwrite:
        raise ConfigError(
            f"restore target {target.describe()} is not empty; restore into an empty database "
            "or set allowOverwrite to replace what is there",
            reason="TargetNotEmpty",
        )
    if store is None:
        from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415 - boto3 only when used

        store = S3ObjectStore(storage_config(job.storage))
    data_key, manifest_key = object_keys(job)
    manifest = load_manifest(store, manifest_key, dek)
    opened = check_backup(store, manifest, dek, data_key=data_key)

    logs.step("restore", "restore started", target=target.describe(), data_key=data_key)
    restore_started = time.monotonic()
    with plaintext_of(store, opened, dek) as plain:
        engine.restore(target, plain, allow_overwrite=spec.allow_overwrite)
    restore_seconds = round(time.monotonic() - restore_started, 3)
    logs.step("restore", "restore finished", target=target.describe(), seconds=restore_seconds)

    rows_only = ""
    method: EquivalenceMethod | None = None
    method_reason: str | None = None
    if was_empty:
        why = hashes_not_comparable(manifest.fingerprints, manifest.tools, engine.tool_versions())
        method, method_reason = equivalence_of(why)
        mismatches = fingerprints_differ(
            manifest.tables, engine.fingerprints(target), rows_only=why is not None
        )
        if mismatches:
            raise VerificationError(
                f"restored {target.describe()} differs from dump time: " + "; ".join(mismatches[:3])
            )
        if why:
            rows_only = f" (row counts checked, not content: {why})"
            logs.step("equivalence", "restored row counts match; hashes not compared", why=why)
        else:
            logs.step("equivalence", "restored tables match dump-time fingerprints")
    counts = replay_erasures(job.engine, target, spec.erasures)
    return AgentResult(
        role="restore",
        outcome="succeeded",
        reason="Restored",
        message=f"backup {job.identity.backup} restored into {target.describe()}{rows_only}",
        data_key=data_key,
        manifest_key=manifest_key,
        data_size=opened.stats.data_size,
        data_sha256=opened.stats.data_sha256,
        plaintext_size=opened.stats.plaintext_size,
        restore_seconds=restore_seconds,
        total_seconds=round(time.monotonic() - started, 3),
        tables=len(manifest.tables),
        level_reached="equivalence" if was_empty else "restorability",
        erasure_entries=len(counts),
        erasure_rows=sum(counts),
        erasure_counts=counts,
        equivalence=method,
        equivalence_reason=method_reason,
    )
