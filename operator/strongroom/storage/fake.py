"""An in-memory :class:`~strongroom.storage.base.ObjectStore` for unit tests.

Same semantics as the S3 adapter where tests rely on them: multipart uploads become visible
only on close and vanish on abort, pending uploads can be listed, ``if_none_match`` refuses to
replace, missing keys raise ``StorageError(reason="ObjectNotFound")``. Faults are injected with
:attr:`InMemoryObjectStore.fail_part` (raise on a given part number) so tests can show that a
failing upload leaves nothing behind.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from strongroom.errors import StorageError
from strongroom.storage.base import MultipartWriter, ObjectInfo, PendingUpload, UploadWriter
from strongroom.storage.parts import part_size_for


@dataclass
class _Pending:
    key: str
    parts: dict[int, bytes] = field(default_factory=dict)
    initiated: datetime = field(default_factory=lambda: datetime.now(UTC))


class InMemoryObjectStore:
    """A bucket held in a dict.

    Attributes:
        objects: Completed objects by key.
        pending: Multipart uploads in progress, by upload id.
        aborted: Keys of uploads that were aborted, in order.
        fail_part: When set, uploading this part number raises a retryable ``StorageError``.
        region: What :meth:`bucket_region` reports.
    """

    def __init__(self, bucket: str = "fake-bucket", *, region: str = "eu-central-1") -> None:
        self._bucket = bucket
        self.region = region
        self.objects: dict[str, bytes] = {}
        self.pending: dict[str, _Pending] = {}
        self.aborted: builtins.list[str] = []
        self.fail_part: int | None = None
        self._ids = itertools.count(1)

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self._bucket

    def open_upload(
        self, key: str, *, content_type: str, expected_size: int | None = None
    ) -> UploadWriter:
        """Start an upload that becomes ``objects[key]`` on close."""
        del content_type
        upload_id = f"upload-{next(self._ids)}"
        self.pending[upload_id] = _Pending(key=key)
        return _FakeUpload(self, key=key, upload_id=upload_id, base=part_size_for(expected_size))

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        """Store ``data`` at ``key``."""
        if if_none_match and key in self.objects:
            raise StorageError(
                f"s3://{self.bucket}/{key} already exists; refusing to overwrite",
                reason="ObjectExists",
                retryable=False,
            )
        self.objects[key] = bytes(data)

    def get_bytes(self, key: str) -> bytes:
        """Return the object at ``key``."""
        try:
            return self.objects[key]
        except KeyError:
            raise StorageError(
                f"s3://{self.bucket}/{key} does not exist", reason="ObjectNotFound", retryable=False
            ) from None

    def open_read(self, key: str, *, etag: str | None = None) -> BinaryIO:
        """Return a stream over the object at ``key`` (as it is now, if ``etag`` still matches)."""
        data = self.get_bytes(key)
        info = self.head(key)
        if etag is not None and info is not None and info.etag != etag:
            raise StorageError(
                f"s3://{self.bucket}/{key} changed while it was being read",
                reason="ObjectChanged",
                retryable=False,
            )
        return io.BytesIO(data)

    def head(self, key: str) -> ObjectInfo | None:
        """Return metadata for ``key`` or ``None``."""
        data = self.objects.get(key)
        if data is None:
            return None
        return ObjectInfo(key=key, size=len(data), etag=f'"{hashlib.md5(data).hexdigest()}"')  # noqa: S324 - ETag, not security

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield objects under ``prefix`` in key order."""
        for key in sorted(self.objects):
            if key.startswith(prefix):
                info = self.head(key)
                if info is not None:
                    yield info

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self.objects.pop(key, None)

    def list_incomplete_uploads(self, prefix: str) -> builtins.list[PendingUpload]:
        """Uploads started under ``prefix`` and neither completed nor aborted."""
        return [
            PendingUpload(key=p.key, upload_id=upload_id, initiated=p.initiated)
            for upload_id, p in self.pending.items()
            if p.key.startswith(prefix)
        ]

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Abort every pending upload under ``prefix``."""
        found = self.list_incomplete_uploads(prefix)
        for upload in found:
            self._abort(upload.upload_id)
        return len(found)

    def bucket_region(self) -> str:
        """The configured region."""
        return self.region

    # -- used by the writer ----------------------------------------------------------------
    def _upload_part(self, upload_id: str, number: int, data: bytes) -> None:
        if self.fail_part == number:
            raise StorageError(
                f"injected failure uploading part {number}",
                reason="StorageUnavailable",
                retryable=True,
            )
        self.pending[upload_id].parts[number] = data

    def _complete(self, upload_id: str) -> None:
        upload = self.pending.pop(upload_id)
        self.objects[upload.key] = b"".join(upload.parts[n] for n in sorted(upload.parts))

    def _abort(self, upload_id: str) -> None:
        upload = self.pending.pop(upload_id, None)
        if upload is not None:
            self.aborted.append(upload.key)


class _FakeUpload(MultipartWriter):
    def __init__(self, store: InMemoryObjectStore, *, key: str, upload_id: str, base: int) -> None:
        super().__init__(key=key, base_part_size=base)
        self._store = store
        self._upload_id = upload_id

    @property
    def base_part_size(self) -> int:
        """The base part size chosen for this upload."""
        return self._base

    def _send_part(self, number: int, data: bytes) -> None:
        self._store._upload_part(self._upload_id, number, data)  # noqa: SLF001

    def _complete(self) -> None:
        self._store._complete(self._upload_id)  # noqa: SLF001

    def _discard(self) -> None:
        self._store._abort(self._upload_id)  # noqa: SLF001
