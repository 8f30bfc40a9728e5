"""``strongroom agent verify``: prove a backup restores, at the level the policy asks.

Levels build on each other (ARCHITECTURE "Verification levels"):

1. integrity — the manifest authenticates with the data key, every segment of the data object
   authenticates, and its size and sha256 match the manifest;
2. restorability — the dump restores into a scratch database the agent creates on the scratch
   server and always drops afterwards; the restore's wall time is the observed RTO;
3. equivalence — table fingerprints after the restore equal those recorded at dump time
   (row counts only, said in the log and the result's ``equivalence``/``equivalenceReason``,
   when the backup's hashes cannot be compared: taken by an older method or by other dump
   tool versions).

The scratch server is a sidecar container of the verify pod by default, reached over a Unix
socket in a shared ``emptyDir``; the agent waits for it to answer (``scratch.waitSeconds``).
Custom SQL assertions, when configured, run read-only in the scratch database after the restore;
a failure names the assertion, never the value it read (that may be row data).
The result always names the highest level reached, and on failure the reason.
"""

from __future__ import annotations

import time
from typing import Literal

from strongroom.agent import logs
from strongroom.agent.config import AgentJob, Assertion, VerifyLevel
from strongroom.agent.context import connection, object_keys, read_dek, storage_config
from strongroom.agent.reading import OpenedBackup, check_backup, load_manifest, plaintext_of
from strongroom.agent.report import AgentResult, equivalence_of
from strongroom.api.fingerprints import fingerprints_differ, hashes_not_comparable
from strongroom.engines import Connection, Engine, engine_for
from strongroom.errors import StrongroomError, VerificationError
from strongroom.storage.base import ObjectStore

Level = Literal["none", "integrity", "restorability", "equivalence"]


def run_verify(job: AgentJob, store: ObjectStore | None = None) -> AgentResult:
    """Verify one backup; failures after setup come back as a failed result, not an exception."""
    if job.verify is None:  # guaranteed by AgentJob validation; narrows the type
        raise AssertionError("verify job without verify section")
    started = time.monotonic()
    spec = job.verify
    dek = read_dek(job.dek_file)
    engine = engine_for(job.engine) if spec.level is not VerifyLevel.INTEGRITY else None
    if store is None:
        from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415 - boto3 only when used

        store = S3ObjectStore(storage_config(job.storage))
    data_key, manifest_key = object_keys(job)
    result = AgentResult(
        role="verify",
        outcome="failed",
        data_key=data_key,
        manifest_key=manifest_key,
        level_reached="none",
    )
    try:
        manifest = load_manifest(store, manifest_key, dek)
        opened = check_backup(store, manifest, dek, data_key=data_key)
        result = result.model_copy(
            update={
                "level_reached": "integrity",
                "data_size": opened.stats.data_size,
                "data_sha256": opened.stats.data_sha256,
                "plaintext_size": opened.stats.plaintext_size,
                "tables": len(manifest.tables),
            }
        )
        if engine is not None and spec.scratch is not None:
            result = _restore_and_compare(
                job, engine, store=store, opened=opened, dek=dek, result=result
            )
    except StrongroomError as exc:
        if isinstance(exc, _PartialResultError):
            result = exc.result
        logs.failure("verify", "verification failed", reason=exc.reason, error=str(exc))
        return result.model_copy(
            update={
                "reason": exc.reason,
                "message": str(exc),
                "total_seconds": round(time.monotonic() - started, 3),
            }
        )
    level = result.level_reached
    message = f"backup {job.identity.backup} verified at level {level}"
    if level == "equivalence" and engine is not None:
        why = hashes_not_comparable(manifest.fingerprints, manifest.tools, engine.tool_versions())
        message += f" (row counts only: {why})" if why else ""
    return result.model_copy(
        update={
            "outcome": "succeeded",
            "reason": "Verified",
            "message": message,
            "total_seconds": round(time.monotonic() - started, 3),
        }
    )


def _restore_and_compare(
    job: AgentJob,
    engine: Engine,
    *,
    store: ObjectStore,
    opened: OpenedBackup,
    dek: bytes,
    result: AgentResult,
) -> AgentResult:
    if job.verify is None or job.verify.scratch is None:  # checked by the caller
        raise AssertionError("restore-and-compare without a scratch target")
    scratch = job.verify.scratch
    admin = connection(scratch.connection)
    target = connection(scratch.connection, database=scratch.database)
    if scratch.wait_seconds:
        wait_for_server(engine, admin, timeout=scratch.wait_seconds)
    engine.drop_database(admin, scratch.database)
    engine.create_database(admin, scratch.database)
    logs.step("scratch", "scratch database created", database=target.describe())
    try:
        started = time.monotonic()
        with plaintext_of(store, opened, dek) as plain:
            engine.restore(target, plain, allow_overwrite=False)
        restore_seconds = round(time.monotonic() - started, 3)
        logs.step("restore", "restored into scratch", seconds=restore_seconds)
        result = result.model_copy(
            update={"level_reached": "restorability", "restore_seconds": restore_seconds}
        )
        if job.verify.level is VerifyLevel.EQUIVALENCE:
            result = _compare(engine, target, opened, result)
        failed = _run_assertions(engine, target, job.verify.assertions)
        if failed:
            result = result.model_copy(update={"assertions_failed": failed})
            raise VerificationError(
                f"{len(failed)} custom assertion(s) failed: " + "; ".join(failed[:5]),
                reason="AssertionFailed",
            )
    except _PartialResultError:
        raise
    except StrongroomError as exc:
        raise _PartialResultError(exc, result) from exc
    finally:
        engine.drop_database(admin, scratch.database)
        logs.step("scratch", "scratch database dropped", database=target.describe())
    return result


def _compare(
    engine: Engine, target: Connection, opened: OpenedBackup, result: AgentResult
) -> AgentResult:
    """Compare the restored database's fingerprints with the manifest's (equivalence level)."""
    manifest = opened.manifest
    why = hashes_not_comparable(manifest.fingerprints, manifest.tools, engine.tool_versions())
    method, method_reason = equivalence_of(why)
    result = result.model_copy(update={"equivalence": method, "equivalence_reason": method_reason})
    actual = engine.fingerprints(target)
    problems = fingerprints_differ(manifest.tables, actual, rows_only=why is not None)
    if problems:
        # The partial result carries the mismatches and what was compared out of the failure.
        raise _PartialResultError(
            VerificationError(
                f"restored data differs from dump time in {len(problems)} place(s): "
                + "; ".join(problems[:3])
            ),
            result.model_copy(update={"mismatches": problems}),
        )
    if why:
        logs.step(
            "equivalence", "row counts match; hashes not compared", tables=len(actual), why=why
        )
    else:
        logs.step("equivalence", "fingerprints match", tables=len(actual))
    return result.model_copy(update={"level_reached": "equivalence"})


#: A sidecar's first answer may come from the image's short-lived initialisation server; the
#: server counts as up once it answers twice this many seconds apart.
SETTLE_SECONDS = 2.0


def wait_for_server(
    engine: Engine, admin: Connection, *, timeout: float, settle: float | None = None
) -> None:
    """Wait until the scratch server answers twice ``settle`` seconds apart, or fail clearly.

    Raises:
        VerificationError: No settled answer within ``timeout`` seconds (``ScratchUnavailable``).
    """
    settle = SETTLE_SECONDS if settle is None else settle
    deadline = time.monotonic() + timeout
    first: float | None = None
    while time.monotonic() < deadline:
        try:
            engine.server_version(admin)
        except StrongroomError:
            first = None
            time.sleep(0.25)
            continue
        now = time.monotonic()
        if first is not None and now - first >= settle:
            logs.step("scratch", "scratch server answers", server=admin.describe())
            return
        first = first if first is not None else now
        time.sleep(min(settle, 0.5))
    raise VerificationError(
        f"the scratch database server did not answer at {admin.describe()} within "
        f"{timeout:.0f} s; read the log of the verify pod's scratch container "
        "(kubectl logs <pod> -c scratch) or raise the Job's resources",
        reason="ScratchUnavailable",
    )


def _run_assertions(engine: Engine, target: Connection, assertions: list[Assertion]) -> list[str]:
    """Run each assertion read-only; return the names of those that did not hold."""
    failed = []
    for assertion in assertions:
        try:
            got = engine.query_value(target, assertion.sql)
        except StrongroomError as exc:
            # The engine's message carries the error code only, never the server's text.
            failed.append(f"{assertion.name} (did not run: {exc})")
            continue
        if got != assertion.expect:
            # The name and the expectation only: the value read may be row data.
            failed.append(f"{assertion.name} (expected {assertion.expect!r})")
    return failed


class _PartialResultError(VerificationError):
    """Carries the partial result (level reached, RTO) out of a failed restore-and-compare."""

    def __init__(self, cause: StrongroomError, result: AgentResult) -> None:
        super().__init__(str(cause), reason=cause.reason)
        self.retryable = cause.retryable
        self.result = result
