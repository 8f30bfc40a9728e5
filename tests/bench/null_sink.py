"""The agent's backup with a discarding object store: ``python -m tests.bench.null_sink``.

It runs the real :func:`strongroom.agent.backup.run_backup` — engine dump, fingerprints, zstd,
encryption, sha256 and the multipart part buffering — and throws the parts away instead of
sending them, so the benchmark can separate Strongroom's own cost from the endpoint's.
With ``--profile FILE`` the run is recorded with cProfile (the main thread: the pipeline).
``--skip-fingerprints`` is a diagnostic only: the engines' stream hashing and snapshot row
counts are replaced by nothing, to show what the dump → zstd → encrypt pipeline costs on its own.

Usage::

    python -m tests.bench.null_sink --job job.json [--profile backup.prof] [--skip-fingerprints]
"""

from __future__ import annotations

import argparse
import builtins
import cProfile
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from strongroom.storage.base import MultipartWriter, ObjectInfo, PendingUpload, UploadWriter
from strongroom.storage.parts import part_size_for


class _DiscardingUpload(MultipartWriter):
    """Buffers parts exactly as the S3 adapter does, then drops them."""

    def __init__(self, *, key: str, base_part_size: int) -> None:
        super().__init__(key=key, base_part_size=base_part_size)
        self.sent = 0

    def _send_part(self, number: int, data: bytes) -> None:
        del number
        self.sent += len(data)

    def _complete(self) -> None:
        """Nothing to make visible."""

    def _discard(self) -> None:
        """Nothing to discard."""


class DiscardingObjectStore:
    """An :class:`~strongroom.storage.base.ObjectStore` whose uploads go nowhere.

    Small objects (the manifest) are kept, so the run is complete in every other respect.
    """

    def __init__(self, bucket: str = "null") -> None:
        self._bucket = bucket
        self.small: dict[str, bytes] = {}

    @property
    def bucket(self) -> str:
        """The bucket name (reported only)."""
        return self._bucket

    def open_upload(
        self, key: str, *, content_type: str, expected_size: int | None = None
    ) -> UploadWriter:
        """An upload that discards its parts."""
        del content_type
        return _DiscardingUpload(key=key, base_part_size=part_size_for(expected_size))

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        """Keep a small object."""
        del if_none_match
        self.small[key] = bytes(data)

    def get_bytes(self, key: str) -> bytes:
        """Return a small object."""
        return self.small[key]

    def open_read(self, key: str, *, etag: str | None = None) -> BinaryIO:
        """Data objects were discarded: nothing can be read back."""
        raise NotImplementedError(f"{key} (etag {etag}) was discarded")

    def head(self, key: str) -> ObjectInfo | None:
        """Only small objects exist."""
        data = self.small.get(key)
        return None if data is None else ObjectInfo(key=key, size=len(data), etag="null")

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Small objects under ``prefix``."""
        for key in sorted(self.small):
            if key.startswith(prefix):
                yield ObjectInfo(key=key, size=len(self.small[key]), etag="null")

    def delete(self, key: str) -> None:
        """Forget a small object."""
        self.small.pop(key, None)

    def list_incomplete_uploads(self, prefix: str) -> builtins.list[PendingUpload]:
        """There are never pending uploads."""
        del prefix
        return []

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Nothing to abort."""
        del prefix
        return 0

    def bucket_region(self) -> str:
        """A fixed region."""
        return "null"


class _NoHashing:
    """A stream hasher that hashes and counts nothing (diagnostic)."""

    def __init__(self, **options: object) -> None:
        del options

    def feed(self, data: bytes) -> None:
        """Ignore the bytes."""
        del data

    def finish(self) -> dict[str, str]:
        """No tables."""
        return {}

    def abandon(self) -> None:
        """Nobody waits for a table of contents."""

    def row_counts(self) -> dict[str, int]:
        """No tables."""
        return {}


def _skip_fingerprints() -> None:
    """Diagnostic: make both engines' dump-time fingerprints empty (never in a real backup).

    The stream hashers hash and count nothing, and the snapshot row counts are skipped.
    """
    from strongroom.engines import mysql, postgres  # noqa: PLC0415

    def no_counts(*args: object) -> dict[str, int]:
        del args
        return {}

    postgres.stream_hasher = _NoHashing  # type: ignore[assignment]
    postgres.table_counts = no_counts  # type: ignore[assignment]
    mysql.stream_hasher = _NoHashing  # type: ignore[assignment]
    mysql.table_counts = no_counts  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    """Run one backup into the discarding store and print the agent's result line."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.null_sink")
    parser.add_argument("--job", type=Path, required=True)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--skip-fingerprints", action="store_true")
    args = parser.parse_args(argv)
    if args.skip_fingerprints:
        _skip_fingerprints()

    from strongroom.agent import logs  # noqa: PLC0415 - import cost belongs to the run
    from strongroom.agent.backup import run_backup  # noqa: PLC0415
    from strongroom.agent.config import load_job  # noqa: PLC0415

    logs.configure()
    job = load_job(args.job)
    store = DiscardingObjectStore()
    if args.profile is not None:
        profiler = cProfile.Profile()
        result = profiler.runcall(run_backup, job, store)
        profiler.dump_stats(str(args.profile))
    else:
        result = run_backup(job, store)
    sys.stdout.write(result.to_compact_json() + "\n")
    return 0 if result.outcome == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
