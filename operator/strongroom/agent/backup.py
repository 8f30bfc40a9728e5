"""``strongroom agent backup``: dump, compress, encrypt and upload one backup.

Write order (RELIABILITY F2/F3): the data object is completed only after the dump tool exited
successfully; the manifest is written only after the data object is complete; the result is
written last. A failure at any step aborts what is in flight, so a data object without a
manifest is never a backup, and a manifest always describes a complete data object.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from strongroom.agent import logs
from strongroom.agent.config import AgentJob
from strongroom.agent.context import connection, object_keys, read_dek, storage_config
from strongroom.agent.pipeline import encrypt_stream
from strongroom.agent.report import AgentResult
from strongroom.api.fingerprints import FINGERPRINT_METHOD
from strongroom.crypto.manifest import Manifest, seal, to_json
from strongroom.crypto.stream import Header
from strongroom.crypto.wrapping import WrappedKey
from strongroom.engines import engine_for
from strongroom.errors import StorageError
from strongroom.storage.base import ObjectStore

#: Content type of data objects (opaque to S3; helps a person browsing the bucket).
DATA_CONTENT_TYPE = "application/vnd.strongroom.data"


def run_backup(job: AgentJob, store: ObjectStore | None = None) -> AgentResult:
    """Run one backup; raise a :class:`~strongroom.errors.StrongroomError` on failure."""
    started = time.monotonic()
    if job.database is None:  # guaranteed by AgentJob validation; narrows the type
        raise AssertionError("backup job without database")
    dek = read_dek(job.dek_file)
    wrapped = tuple(WrappedKey.from_dict(entry) for entry in job.wrapped_keys)
    engine = engine_for(job.engine)
    conn = connection(job.database)
    if store is None:
        from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415 - boto3 only when used

        store = S3ObjectStore(storage_config(job.storage))
    data_key, manifest_key = object_keys(job)
    if store.head(manifest_key) is not None:
        raise StorageError(
            f"backup {job.identity.backup} already has a manifest at {manifest_key}; a backup "
            "is written once (delete the Backup to run it again)",
            reason="BackupAlreadyExists",
            retryable=False,
        )
    leftovers = store.abort_incomplete_uploads(data_key)
    if leftovers:
        logs.step("cleanup", "aborted incomplete uploads of an earlier attempt", count=leftovers)

    created = datetime.now(UTC)
    header = Header(
        namespace=job.identity.namespace,
        policy=job.identity.policy,
        backup=job.identity.backup,
        database=conn.database,
        engine=engine.name,
        created=created,
        compression="zstd",
    )
    server_version = engine.server_version(conn)
    tools = engine.tool_versions()
    logs.step(
        "dump",
        "dump started",
        engine=engine.name,
        database=conn.describe(),
        server_version=server_version,
        data_key=data_key,
    )
    with engine.dump(conn) as dump:
        with store.open_upload(
            data_key, content_type=DATA_CONTENT_TYPE, expected_size=job.expected_size
        ) as upload:
            stats = encrypt_stream(dump.stdout, upload, dek=dek, header=header)
            # Still inside the upload: a failed or incomplete dump aborts it (never an object).
            dump.finish()
        tables = dump.fingerprints
    dump_seconds = time.monotonic() - started
    logs.step(
        "upload",
        "data object complete",
        data_key=data_key,
        plaintext_size=stats.plaintext_size,
        compressed_size=stats.compressed_size,
        data_size=stats.data_size,
        data_sha256=stats.data_sha256,
        seconds=round(dump_seconds, 3),
    )

    manifest = seal(
        Manifest(
            header=header,
            data_key=data_key,
            data_size=stats.data_size,
            data_sha256=stats.data_sha256,
            plaintext_size=stats.compressed_size,  # what decryption yields: the zstd stream
            compressed="zstd",
            tools=tools,
            server_version=server_version,
            tables=tables,
            fingerprints=FINGERPRINT_METHOD,
            created=created,
            retention_deadline=job.retention_deadline,
            wrapped_keys=wrapped,
        ),
        dek,
    )
    store.put_bytes(manifest_key, to_json(manifest), if_none_match=True)
    logs.step("manifest", "manifest written", manifest_key=manifest_key, tables=len(tables))
    return AgentResult(
        role="backup",
        outcome="succeeded",
        message=f"backup {header.identity} complete: {len(tables)} tables, "
        f"{stats.data_size} bytes encrypted",
        data_key=data_key,
        manifest_key=manifest_key,
        plaintext_size=stats.plaintext_size,
        compressed_size=stats.compressed_size,
        data_size=stats.data_size,
        data_sha256=stats.data_sha256,
        dump_seconds=round(dump_seconds, 3),
        total_seconds=round(time.monotonic() - started, 3),
        tables=len(tables),
    )
