"""The streaming pipelines: dump → zstd → encrypt → upload, and back again.

Memory is bounded by a few fixed buffers whatever the database size (RELIABILITY F10): one
read chunk, zstd's window, one 1 MiB encryption segment and one or two S3 parts. Nothing is
ever read whole into memory or spooled to disk (F14).

Reading back is done in two passes where it matters (F5): :func:`check_integrity` reads the
whole object, authenticating every segment and comparing sha256 and sizes with the manifest,
*before* :func:`stream_plaintext` feeds anything to a restore tool, and the second pass is
pinned to the same object version (ETag), so a corrupt or swapped object never restores
partially.
"""

from __future__ import annotations

import hashlib
import hmac
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, BinaryIO, Protocol, cast

import zstandard

from strongroom.crypto.stream import DecryptingReader, EncryptingWriter, Header
from strongroom.errors import IntegrityError
from strongroom.storage.base import UploadWriter

#: Bytes read from the dump tool per step.
CHUNK = 1024 * 1024
#: zstd level. Level 1 keeps up with a dump while sharing a small machine's cores with the
#: dump tool and the database: on the 1 GB benchmark stores it costs 40 % less CPU than level 3
#: (PostgreSQL archive 1.55 s vs 2.50 s, MariaDB SQL 1.45 s vs 2.44 s) and its output was even
#: 3-5 % smaller there. On other data level 1 may come out a few per cent larger than level 3.
ZSTD_LEVEL = 1
#: zstd's hash table at level 1, as a power of two. Level 1 would use 2**14 entries for a
#: 1 MiB frame; 2**12 (16 KiB) stays in the core's L1/L2 cache. On both 1 GB benchmark dumps
#: that took 9 % less CPU and the output came out 1-4 % smaller (PostgreSQL archive 52.9 vs
#: 54.5 MiB, MariaDB SQL 48.1 vs 49.9 MiB per 200 MiB of dump).
ZSTD_HASH_LOG = 12
#: Chunks read ahead of the compressor, so the dump tool never waits while zstd works.
READ_AHEAD = 4


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class StreamStats:
    """Sizes and the ciphertext digest of one pass over a data object.

    Attributes:
        plaintext_size: Bytes of the dump itself (before compression / after decompression).
        compressed_size: Bytes of the zstd stream, which is what the encryption layer carries
            (the manifest calls this its ``plaintext_size``).
        data_size: Bytes of the encrypted data object.
        data_sha256: Hex sha256 of the encrypted data object.
    """

    plaintext_size: int
    compressed_size: int
    data_size: int
    data_sha256: str


class _HashingSink:
    """Passes ciphertext to the upload while hashing and counting it."""

    def __init__(self, upload: UploadWriter) -> None:
        self._upload = upload
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self._upload.write(data)


class _CountingSink:
    """Counts the compressed bytes zstd hands to the encrypting writer."""

    def __init__(self, inner: EncryptingWriter) -> None:
        self._inner = inner
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.size += len(data)
        return self._inner.write(data)


class _ReadAhead:
    """Reads ``source`` in a thread, up to :data:`READ_AHEAD` chunks ahead of the consumer.

    The dump tool then keeps writing while the main thread compresses and encrypts (both
    release the GIL), instead of stalling on a full pipe; memory grows by at most
    ``READ_AHEAD`` chunks.
    """

    def __init__(self, source: _Readable) -> None:
        self._source = source
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=READ_AHEAD)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                chunk = self._source.read(CHUNK)
                self._put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.5)
            except queue.Full:
                continue
            return

    def read(self) -> bytes:
        """The next chunk; ``b""`` at the end. Re-raises what the reading thread hit."""
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        """Let the thread go (it ends at its next chunk, or when the dump tool is stopped)."""
        self._stopped.set()


def compression_params() -> zstandard.ZstdCompressionParameters:
    """Level :data:`ZSTD_LEVEL` for a 1 MiB frame, with a smaller hash table and checksums."""
    return zstandard.ZstdCompressionParameters.from_level(
        ZSTD_LEVEL, source_size=CHUNK, hash_log=ZSTD_HASH_LOG, write_checksum=True
    )


def _whole_chunks(ahead: _ReadAhead) -> Iterator[bytes]:
    """The source's bytes in blocks of at least :data:`CHUNK` (the last may be shorter).

    Each block becomes one zstd frame. Compressing a whole block in one call lets zstd work
    on contiguous input: 12 % less CPU than a streaming compressor fed the same blocks, for
    the same size, since a level-1 window (512 KiB) is smaller than a block anyway.
    """
    pending: list[bytes] = []
    size = 0
    while chunk := ahead.read():
        if not pending and len(chunk) >= CHUNK:
            yield chunk
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def encrypt_stream(
    source: _Readable, upload: UploadWriter, *, dek: bytes, header: Header
) -> StreamStats:
    """Compress, encrypt and upload everything ``source`` yields until EOF.

    The upload is *not* completed here: the caller first checks that the dump tool succeeded,
    then closes the upload (F2: a failed dump must never become an object).
    """
    sink = _HashingSink(upload)
    encryptor = EncryptingWriter(sink, dek, header)
    counter = _CountingSink(encryptor)
    plaintext = 0
    ahead = _ReadAhead(source)
    try:
        compressor = zstandard.ZstdCompressor(compression_params=compression_params())
        for block in _whole_chunks(ahead):
            plaintext += len(block)
            counter.write(compressor.compress(block))
        if not plaintext:  # still a valid zstd stream: one empty frame
            counter.write(compressor.compress(b""))
    except BaseException:
        encryptor.abort()
        raise
    finally:
        ahead.stop()
    encryptor.close()
    return StreamStats(
        plaintext_size=plaintext,
        compressed_size=counter.size,
        data_size=sink.size,
        data_sha256=sink.sha256.hexdigest(),
    )


class _HashingSource:
    """Reads ciphertext from the store while hashing and counting it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        """Read (and hash) whatever follows the last segment: appended bytes count too."""
        while self.read(CHUNK):
            pass


@dataclass(frozen=True)
class Expected:
    """What the manifest promises about the data object.

    ``decrypted_size`` is the byte count of the authenticated (still compressed) stream.
    """

    header: Header
    data_size: int
    data_sha256: str
    decrypted_size: int


class _CountingSource:
    """Counts the authenticated bytes the decrypting reader yields to zstd."""

    def __init__(self, inner: DecryptingReader) -> None:
        self._inner = inner
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._inner.read(size)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        return True


@dataclass(frozen=True)
class _Counters:
    raw: _HashingSource
    decrypted: _CountingSource


@contextmanager
def open_plaintext(
    raw: BinaryIO, *, dek: bytes, expected: Expected
) -> Iterator[tuple[BinaryIO, _Counters]]:
    """Yield the decompressed, authenticated plaintext of ``raw`` and the byte counters."""
    source = _HashingSource(raw)
    reader = _CountingSource(DecryptingReader(source, dek, expected_header=expected.header))
    decompressor = zstandard.ZstdDecompressor()
    with decompressor.stream_reader(
        cast("IO[bytes]", reader), read_across_frames=True, closefd=False
    ) as plain:
        yield cast("BinaryIO", plain), _Counters(raw=source, decrypted=reader)


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def check_integrity(
    raw: BinaryIO, *, dek: bytes, expected: Expected, sink: _Writable | None = None
) -> StreamStats:
    """Read the whole object once: every segment authenticates, sha256 and sizes match.

    With ``sink``, the plaintext is also written there as it is read — only for sinks the
    caller can discard when this raises (``strongroom decrypt`` writes a temporary file).

    Raises:
        IntegrityError: The object was altered, truncated, extended or swapped; the message
            says which check failed.
        FormatError: The bytes are not a Strongroom data object.
    """
    plaintext = 0
    try:
        with open_plaintext(raw, dek=dek, expected=expected) as (plain, counters):
            while chunk := plain.read(CHUNK):
                plaintext += len(chunk)
                if sink is not None:
                    sink.write(chunk)
            # zstd may stop before the encryption layer said EOF; make the last segment count.
            while counters.decrypted.read(CHUNK):
                pass
            counters.raw.drain()
    except zstandard.ZstdError as exc:
        raise IntegrityError(
            f"the decrypted payload is not a valid zstd stream ({exc}); the object is corrupt"
        ) from None
    source = counters.raw
    digest = source.sha256.hexdigest()
    if source.size != expected.data_size:
        raise IntegrityError(
            f"data object is {source.size} bytes but the manifest records "
            f"{expected.data_size}: it was truncated, extended or replaced"
        )
    if not hmac.compare_digest(digest, expected.data_sha256):
        raise IntegrityError(
            "data object sha256 differs from the manifest: it was altered or replaced"
        )
    if counters.decrypted.size != expected.decrypted_size:
        raise IntegrityError(
            f"payload is {counters.decrypted.size} bytes after decryption but the manifest "
            f"records {expected.decrypted_size}"
        )
    return StreamStats(
        plaintext_size=plaintext,
        compressed_size=counters.decrypted.size,
        data_size=source.size,
        data_sha256=digest,
    )
