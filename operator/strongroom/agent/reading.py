"""Reading a backup back: open its manifest, prove the data object whole, then stream it.

Shared by verify and restore (and, for local files, by ``strongroom decrypt``). The order is
the safety argument of F5: the manifest's MAC is checked with the data key first (an edited
manifest is refused), the whole data object is then authenticated and hashed in a first pass,
and only then is a second pass — pinned to the same object version — fed to a restore tool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from strongroom.agent import logs
from strongroom.agent.pipeline import Expected, StreamStats, check_integrity, open_plaintext
from strongroom.crypto.manifest import Manifest, from_json, verify
from strongroom.errors import IntegrityError, StorageError
from strongroom.storage.base import ObjectStore


@dataclass(frozen=True)
class OpenedBackup:
    """A backup whose manifest authenticated and whose data object passed the integrity pass."""

    manifest: Manifest
    data_key: str
    etag: str
    stats: StreamStats
    seconds: float


def expected_of(manifest: Manifest) -> Expected:
    """What the manifest promises about its data object."""
    return Expected(
        header=manifest.header,
        data_size=manifest.data_size,
        data_sha256=manifest.data_sha256,
        decrypted_size=manifest.plaintext_size,
    )


def load_manifest(store: ObjectStore, manifest_key: str, dek: bytes) -> Manifest:
    """Fetch, parse and authenticate a manifest with the backup's data key.

    Raises:
        StorageError: It does not exist (reason ``ManifestNotFound``) or cannot be read.
        FormatError: It is not a manifest (:class:`~strongroom.errors.FormatError`).
        IntegrityError: Its MAC does not verify: it was edited, or belongs to another key.
    """
    try:
        raw = store.get_bytes(manifest_key)
    except StorageError as exc:
        if exc.reason == "ObjectNotFound":
            raise StorageError(
                f"manifest {manifest_key} does not exist: the backup never completed or was "
                "deleted",
                reason="ManifestNotFound",
                retryable=False,
            ) from None
        raise
    manifest = from_json(raw)
    verify(manifest, dek)
    return manifest


def check_backup(
    store: ObjectStore, manifest: Manifest, dek: bytes, *, data_key: str
) -> OpenedBackup:
    """The integrity pass: read all of ``data_key``, authenticate it, compare with the manifest."""
    if manifest.data_key != data_key:
        raise IntegrityError(
            f"manifest names data object {manifest.data_key}, expected {data_key}: the "
            "manifest was moved or edited"
        )
    info = store.head(data_key)
    if info is None:
        raise StorageError(
            f"data object {data_key} does not exist although its manifest does",
            reason="DataObjectMissing",
            retryable=False,
        )
    started = time.monotonic()
    logs.step("integrity", "integrity pass started", data_key=data_key, data_size=info.size)
    with store.open_read(data_key, etag=info.etag) as raw:
        stats = check_integrity(raw, dek=dek, expected=expected_of(manifest))
    seconds = time.monotonic() - started
    logs.step(
        "integrity",
        "data object authenticated and matches the manifest",
        data_key=data_key,
        data_sha256=stats.data_sha256,
        plaintext_size=stats.plaintext_size,
        seconds=round(seconds, 3),
    )
    return OpenedBackup(
        manifest=manifest, data_key=data_key, etag=info.etag, stats=stats, seconds=seconds
    )


@contextmanager
def plaintext_of(store: ObjectStore, opened: OpenedBackup, dek: bytes) -> Iterator[BinaryIO]:
    """The second pass: the dump's bytes, from the same object version the first pass read."""
    with (
        store.open_read(opened.data_key, etag=opened.etag) as raw,
        open_plaintext(raw, dek=dek, expected=expected_of(opened.manifest)) as (plain, _),
    ):
        yield plain
