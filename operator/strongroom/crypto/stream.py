r"""The data object: a clear-text header, then Tink ``AES256_GCM_HKDF_1MB`` streaming AEAD.

Why this shape: a backup must be readable in ten years with only the key and a published
standard. The payload is byte for byte Tink's streaming AEAD ciphertext (the reference
implementation decrypts it; a test proves it), so our own code is not the only way back. In
front of it sits a small prefix that lets a person and the CLI see what the object is without
a key, and lets us say *why* an object does not open (wrong key, altered header, segment N).

Layout (all integers big-endian; see ``docs/format.md`` for a worked example)::

    magic            12 bytes  b"STRONGROOM\x00\x01" (the last byte is the format version)
    header_length     4 bytes  u32, length of the header
    header            n bytes  Header.encode(): sorted-key compact JSON
    key_check        16 bytes  HKDF-SHA256(DEK, info=b"strongroom key check v1")
    header_mac       32 bytes  HMAC-SHA256(HKDF-SHA256(DEK, info=b"strongroom header v1"),
                               magic || header_length || header)
    tink ciphertext            0x28 || salt(32) || nonce_prefix(7) || segments; associated
                               data = header bytes; 1 MiB ciphertext segments

A reader returns plaintext only after its segment authenticated, and reports end of stream
only after the *final* segment (whose nonce carries the last-segment flag) authenticated, so a
truncated object can never look complete.
"""

from __future__ import annotations

import hmac
import io
import struct
from typing import TYPE_CHECKING, Protocol

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.crypto.header import FORMAT_VERSION, MAX_HEADER_BYTES, Header
from strongroom.crypto.segments import (
    SEGMENT_SIZE,
    SegmentCipher,
    diagnose_segment,
    new_data_key,
)
from strongroom.errors import FormatError, IntegrityError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = [
    "MAGIC",
    "SEGMENT_SIZE",
    "DecryptingReader",
    "EncryptingWriter",
    "Header",
    "decrypt_bytes",
    "encrypt_bytes",
    "new_data_key",
    "read_header",
]

#: Object magic; the final byte is the format version.
MAGIC = b"STRONGROOM\x00" + bytes([FORMAT_VERSION])
_KEY_CHECK_SIZE = 16
_HEADER_MAC_SIZE = 32
_DEK_SIZE = 32


class Sink(Protocol):
    """Where ciphertext goes (a file, a multipart upload buffer)."""

    def write(self, data: bytes, /) -> object:
        """Write all of ``data``."""


class Source(Protocol):
    """Where ciphertext comes from (a file, an S3 streaming body)."""

    def read(self, size: int, /) -> bytes:
        """Return up to ``size`` bytes; ``b""`` at the end."""


def _derive(dek: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(dek)


def _check_dek(dek: bytes) -> None:
    if not isinstance(dek, bytes | bytearray) or len(dek) != _DEK_SIZE:
        raise FormatError("a data key must be exactly 32 bytes (AES-256)")


def key_check(dek: bytes) -> bytes:
    """The 16-byte commitment to the data key stored in every object."""
    return _derive(dek, b"strongroom key check v1")[:_KEY_CHECK_SIZE]


def _header_mac(dek: bytes, prefix: bytes) -> bytes:
    return hmac.digest(_derive(dek, b"strongroom header v1"), prefix, "sha256")


def _prefix(header_bytes: bytes) -> bytes:
    return MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes


def _read_exact(source: Source, size: int) -> bytes:
    """Read ``size`` bytes unless the source ends first (then fewer)."""
    chunks: list[bytes] = []
    missing = size
    while missing > 0:
        chunk = source.read(missing)
        if not chunk:
            break
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _read_header_bytes(source: Source) -> bytes:
    magic = _read_exact(source, len(MAGIC))
    if magic[: len(MAGIC) - 1] != MAGIC[:-1]:
        raise FormatError("not a Strongroom data object: the magic bytes are missing")
    if magic[-1] != FORMAT_VERSION:
        raise FormatError(
            f"data object format version {magic[-1]}; this build reads {FORMAT_VERSION}: "
            "use the Strongroom release that wrote the backup"
        )
    raw_length = _read_exact(source, 4)
    if len(raw_length) < 4:  # noqa: PLR2004 - a u32
        raise FormatError("data object ends inside its prefix: it is truncated")
    (length,) = struct.unpack(">I", raw_length)
    if not 0 < length <= MAX_HEADER_BYTES:
        raise FormatError(f"data object header length {length} is out of range")
    header_bytes = _read_exact(source, length)
    if len(header_bytes) < length:
        raise FormatError("data object ends inside its header: it is truncated")
    return header_bytes


def read_header(source: Source) -> Header:
    """Read and parse the clear-text header without a key (not authenticated!)."""
    return Header.decode(_read_header_bytes(source))


class EncryptingWriter(io.RawIOBase):
    """Encrypt a byte stream into a data object, writing ciphertext to ``sink`` as it goes.

    The prefix is written at construction. ``write`` buffers at most one segment; ``close``
    writes the final segment and does *not* close the sink. Leaving a ``with`` block by an
    exception, or :meth:`abort`, ends the writer *without* a final segment, so an interrupted
    backup can never authenticate as complete. Memory is bounded by one segment.
    """

    def __init__(
        self,
        sink: Sink,
        dek: bytes,
        header: Header,
        *,
        _segment_size: int = SEGMENT_SIZE,
        _salt: bytes | None = None,
        _nonce_prefix: bytes | None = None,
    ) -> None:
        super().__init__()
        _check_dek(dek)
        self._sink = sink
        header_bytes = header.encode()
        prefix = _prefix(header_bytes)
        self._cipher = SegmentCipher.for_encryption(
            bytes(dek),
            header_bytes,
            segment_size=_segment_size,
            salt=_salt,
            nonce_prefix=_nonce_prefix,
        )
        self._buffer = bytearray()
        self._plaintext_bytes = 0
        self._ciphertext_bytes = 0
        self._finished = False
        self._emit(prefix + key_check(dek) + _header_mac(dek, prefix) + self._cipher.tink_header)

    @property
    def plaintext_bytes(self) -> int:
        """Plaintext bytes accepted so far."""
        return self._plaintext_bytes

    @property
    def ciphertext_bytes(self) -> int:
        """Bytes written to the sink so far, prefix included."""
        return self._ciphertext_bytes

    def writable(self) -> bool:
        """This stream is write-only."""
        return True

    def _emit(self, data: bytes) -> None:
        self._sink.write(data)
        self._ciphertext_bytes += len(data)

    def write(self, b: ReadableBuffer, /) -> int:
        """Accept plaintext; emit every segment known not to be the last one."""
        if self.closed:
            raise ValueError("write to a closed EncryptingWriter")
        view = memoryview(b).cast("B")
        taken = 0
        while taken < len(view):
            # Keep one byte more than a segment before emitting it: only then is it known
            # that this segment is not the last (Tink never writes an empty final segment).
            room = self._cipher.plaintext_size(self._cipher.index) + 1 - len(self._buffer)
            chunk = view[taken : taken + room]
            self._buffer += chunk
            taken += len(chunk)
            size = self._cipher.plaintext_size(self._cipher.index)
            if len(self._buffer) > size:
                self._emit(self._cipher.seal(bytes(self._buffer[:size]), last=False))
                del self._buffer[:size]
        self._plaintext_bytes += len(view)
        return len(view)

    def flush(self) -> None:
        """Nothing to do: a segment can only be written whole."""

    def abort(self) -> None:
        """End without a final segment: the partial object will never authenticate."""
        self._finished = True
        self._buffer.clear()
        super().close()

    def close(self) -> None:
        """Write the final segment (once); the sink stays open."""
        if not self.closed and not self._finished:
            self._finished = True
            self._emit(self._cipher.seal(bytes(self._buffer), last=True))
            self._buffer.clear()
        super().close()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    def __del__(self) -> None:
        # Garbage collection must never finalise a stream nobody closed on purpose.
        self._finished = True


class DecryptingReader(io.RawIOBase):
    """Read a data object back, returning only authenticated plaintext.

    The header is parsed and checked on construction (``expected_header`` guards against a
    data object swapped in from another backup). ``read`` returns ``b""`` only after the final
    segment authenticated; any other ending raises :class:`IntegrityError`.
    """

    def __init__(
        self,
        source: Source,
        dek: bytes,
        *,
        expected_header: Header | None = None,
        _segment_size: int = SEGMENT_SIZE,
    ) -> None:
        super().__init__()
        _check_dek(dek)
        self._source = source
        header_bytes = _read_header_bytes(source)
        self.header = Header.decode(header_bytes)
        if expected_header is not None and expected_header != self.header:
            raise IntegrityError(
                f"data object belongs to backup {self.header.identity} "
                f"({self.header.created:%Y-%m-%dT%H:%M:%SZ}), not to "
                f"{expected_header.identity} ({expected_header.created:%Y-%m-%dT%H:%M:%SZ}): "
                "it was swapped or copied to the wrong place"
            )
        checks = _read_exact(source, _KEY_CHECK_SIZE + _HEADER_MAC_SIZE)
        if len(checks) < _KEY_CHECK_SIZE + _HEADER_MAC_SIZE:
            raise IntegrityError("data object ends before its first segment: it is truncated")
        if not hmac.compare_digest(checks[:_KEY_CHECK_SIZE], key_check(dek)):
            raise IntegrityError(
                f"wrong key: the data key offered does not open backup {self.header.identity} "
                "(use the key ring or KMS key its manifest names)"
            )
        if not hmac.compare_digest(
            checks[_KEY_CHECK_SIZE:], _header_mac(dek, _prefix(header_bytes))
        ):
            raise IntegrityError(
                f"header of backup {self.header.identity} was altered: it does not "
                "authenticate with this backup's key"
            )
        tink_header = _read_exact(source, SegmentCipher.TINK_HEADER_SIZE)
        self._cipher = SegmentCipher.for_decryption(
            bytes(dek), header_bytes, tink_header, segment_size=_segment_size
        )
        self._pending = bytearray()
        self._plain = b""
        self._offset = 0
        self._done = False
        self._failure: IntegrityError | None = None

    def readable(self) -> bool:
        """This stream is read-only."""
        return True

    def _fill(self, size: int) -> None:
        while len(self._pending) < size:
            chunk = self._source.read(size - len(self._pending))
            if not chunk:
                return
            self._pending += chunk

    def _next_segment(self) -> bytes | None:
        """Authenticate and return the next segment's plaintext; ``None`` after the last."""
        if self._failure is not None:
            raise self._failure  # once failed, always failed: never resume past a bad segment
        if self._done:
            return None
        index = self._cipher.index
        size = self._cipher.ciphertext_size(index)
        self._fill(size + 1)  # one byte more tells whether this segment is the last
        last = len(self._pending) <= size
        segment = bytes(self._pending[:size])
        del self._pending[:size]
        plaintext = self._cipher.open(segment, last=last)
        if plaintext is None:
            self._failure = IntegrityError(
                f"backup {self.header.identity}: "
                + diagnose_segment(self._cipher, segment, index=index, last=last)
            )
            raise self._failure
        self._done = last
        return plaintext

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        """Fill ``buffer`` with authenticated plaintext; 0 only after the final segment."""
        view = memoryview(buffer).cast("B")
        while self._offset >= len(self._plain):
            plaintext = self._next_segment()
            if plaintext is None:
                return 0
            self._plain, self._offset = plaintext, 0
        count = min(len(view), len(self._plain) - self._offset)
        view[:count] = self._plain[self._offset : self._offset + count]
        self._offset += count
        return count

    def readall(self) -> bytes:
        """Read to the authenticated end."""
        parts = [self._plain[self._offset :]]
        self._plain, self._offset = b"", 0
        while (plaintext := self._next_segment()) is not None:
            parts.append(plaintext)
        return b"".join(parts)


def encrypt_bytes(
    data: bytes,
    dek: bytes,
    header: Header,
    *,
    _segment_size: int = SEGMENT_SIZE,
    _salt: bytes | None = None,
    _nonce_prefix: bytes | None = None,
) -> bytes:
    """Encrypt ``data`` into one data object held in memory."""
    out = io.BytesIO()
    writer = EncryptingWriter(
        out, dek, header, _segment_size=_segment_size, _salt=_salt, _nonce_prefix=_nonce_prefix
    )
    writer.write(data)
    writer.close()
    return out.getvalue()


def decrypt_bytes(
    blob: bytes,
    dek: bytes,
    *,
    expected_header: Header | None = None,
    _segment_size: int = SEGMENT_SIZE,
) -> tuple[Header, bytes]:
    """Decrypt a whole data object held in memory; return its header and plaintext."""
    reader = DecryptingReader(
        io.BytesIO(blob), dek, expected_header=expected_header, _segment_size=_segment_size
    )
    return reader.header, reader.readall()
