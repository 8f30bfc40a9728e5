"""The object-store port: what the agent, the operator and the CLI need from S3, and no more.

Two adapters implement :class:`ObjectStore`: :class:`strongroom.storage.s3.S3ObjectStore`
(boto3, any S3-compatible endpoint) and :class:`strongroom.storage.fake.InMemoryObjectStore`
(unit tests). Both share :class:`MultipartWriter`, so part sizing, buffering and the
abort-on-failure rule are one piece of code, tested once with the fake.

Invariant (RELIABILITY F2/F3): an upload only becomes a visible object in :meth:`close`, after
every byte was accepted; any exception inside ``with store.open_upload(...)`` aborts it, so an
incomplete upload never looks complete and is not left behind where the store can be reached.
"""

from __future__ import annotations

import abc
import builtins
import collections
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import BinaryIO, Protocol, Self

from strongroom.errors import StorageError
from strongroom.storage.parts import MAX_PARTS, part_size_at


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows about one object, without its content."""

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload that was started and neither completed nor aborted."""

    key: str
    upload_id: str
    initiated: datetime | None = None


class UploadWriter(Protocol):
    """A writable stream that becomes one object when closed, or nothing when aborted."""

    @property
    def bytes_written(self) -> int:
        """Bytes accepted so far."""

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        """Buffer ``data``; uploads a part whenever a full part is buffered."""

    def flush(self) -> None:
        """Do nothing: parts are uploaded when full, the rest on close."""

    def close(self) -> None:
        """Upload the last part and complete the object; raises on failure (after aborting)."""

    def abort(self) -> None:
        """Discard the upload and every part already sent; never raises."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ObjectStore(Protocol):
    """One bucket of an S3-compatible object store."""

    @property
    def bucket(self) -> str:
        """The bucket every key refers to."""

    def open_upload(
        self, key: str, *, content_type: str, expected_size: int | None = None
    ) -> UploadWriter:
        """Start a multipart upload of ``key``; part size is chosen from ``expected_size``."""

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        """Write a small object; ``if_none_match`` refuses (ObjectExists) to replace one."""

    def get_bytes(self, key: str) -> bytes:
        """Read a small object whole."""

    def open_read(self, key: str, *, etag: str | None = None) -> BinaryIO:
        """Stream an object; a connection reset resumes with a ranged GET of the same version.

        With ``etag`` the read fails (reason ``ObjectChanged``) unless the object still has it.
        """

    def head(self, key: str) -> ObjectInfo | None:
        """Return the object's metadata, or ``None`` when it does not exist."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object whose key starts with ``prefix``, in key order."""

    def delete(self, key: str) -> None:
        """Delete ``key``; deleting a missing key is not an error."""

    def list_incomplete_uploads(self, prefix: str) -> builtins.list[PendingUpload]:
        """Multipart uploads under ``prefix`` that were never completed nor aborted."""

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Abort every pending multipart upload under ``prefix``; return how many."""

    def bucket_region(self) -> str:
        """The bucket's real location (GetBucketLocation), for the residency check."""


class MultipartWriter(abc.ABC):
    """Buffers writes into parts and hands each full part to the adapter.

    Memory is bounded by about two parts: the buffer being filled and the part being sent
    (uploads are synchronous, so at most one part is in flight). Part sizes follow
    :func:`strongroom.storage.parts.part_size_at`, which grows them for very large objects so
    the upload never needs more than 10,000 parts.
    """

    def __init__(self, *, key: str, base_part_size: int) -> None:
        self.key = key
        self._base = base_part_size
        #: Written chunks not sent yet, kept as given (no copy until a part is assembled).
        self._chunks: collections.deque[bytes | memoryview] = collections.deque()
        self._buffered = 0
        self._part_number = 1
        self._written = 0
        self._finished = False

    # -- adapter hooks ---------------------------------------------------------------------
    @abc.abstractmethod
    def _send_part(self, number: int, data: bytes) -> None:
        """Upload part ``number`` (1-based)."""

    @abc.abstractmethod
    def _complete(self) -> None:
        """Make the object visible from the parts sent."""

    @abc.abstractmethod
    def _discard(self) -> None:
        """Abort the multipart upload; may raise, :meth:`abort` swallows and logs."""

    # -- stream interface ------------------------------------------------------------------
    @property
    def bytes_written(self) -> int:
        """Bytes accepted so far."""
        return self._written

    @property
    def parts_sent(self) -> int:
        """How many parts were uploaded so far."""
        return self._part_number - 1

    def writable(self) -> bool:
        """Return ``True`` until the upload is closed or aborted."""
        return not self._finished

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        """Buffer ``data``; upload every full part at once."""
        if self._finished:
            raise StorageError(
                f"upload of {self.key} is already finished; nothing more can be written",
                reason="UploadClosed",
                retryable=False,
            )
        # Bytes are immutable and kept by reference; anything else may be reused by the caller.
        chunk = data if isinstance(data, bytes) else bytes(data)
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        self._written += len(chunk)
        size = part_size_at(self._part_number, self._base)
        while self._buffered >= size:
            self._send(self._take(size))
            size = part_size_at(self._part_number, self._base)
        return len(chunk)

    def _take(self, size: int) -> bytes:
        """The next ``size`` buffered bytes as one part: each byte is copied once, here."""
        pieces: list[bytes | memoryview] = []
        need = size
        while need:
            head = self._chunks[0]
            if len(head) <= need:
                pieces.append(self._chunks.popleft())
                need -= len(head)
            else:
                view = memoryview(head)
                pieces.append(view[:need])
                self._chunks[0] = view[need:]
                need = 0
        self._buffered -= size
        return b"".join(pieces)

    def flush(self) -> None:  # noqa: B027 - a stream method, deliberately a no-op
        """Do nothing: parts are sent when full, the remainder on :meth:`close`."""

    def _send(self, data: bytes) -> None:
        if self._part_number > MAX_PARTS:
            raise StorageError(
                f"upload of {self.key} needs more than {MAX_PARTS} parts; pass the expected size",
                reason="TooManyParts",
                retryable=False,
            )
        try:
            self._send_part(self._part_number, data)
        except BaseException:
            self.abort()
            raise
        self._part_number += 1

    def close(self) -> None:
        """Send the last part and complete the object; on any failure abort and re-raise."""
        if self._finished:
            return
        if self._buffered or self._part_number == 1:
            self._send(self._take(self._buffered))
        try:
            self._complete()
        except BaseException:
            self.abort()
            raise
        self._finished = True

    def abort(self) -> None:
        """Discard the upload; never raises (a failed abort is left to the cleanup sweep)."""
        if self._finished:
            return
        self._finished = True
        self._chunks.clear()
        self._buffered = 0
        try:
            self._discard()
        except Exception:  # noqa: BLE001 - abort runs while another error propagates
            self._on_abort_failed()

    def _on_abort_failed(self) -> None:  # noqa: B027 - optional hook
        """Hook for adapters to log a failed abort."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
