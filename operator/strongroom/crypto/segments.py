"""Tink's ``AES256_GCM_HKDF_1MB`` segment arithmetic, nonces and key derivation.

Tink's streaming AEAD (github.com/tink-crypto, "Streaming AEAD" in the Tink wire format docs)
splits the plaintext into segments and seals each with AES-256-GCM under a per-object key::

    tink header   = 0x28 (its own length, 40) || salt (32 random) || nonce_prefix (7 random)
    segment key   = HKDF-SHA256(ikm=DEK, salt=salt, info=associated data), 32 bytes
    nonce(i)      = nonce_prefix || u32be(i) || (0x01 if segment i is the last else 0x00)
    segment i     = AES-GCM(segment key, nonce(i), plaintext_i), ciphertext || 16-byte tag

Ciphertext segments are 1 MiB; the first is shorter by the tink header (40 bytes), so the
header plus first segment also fill 1 MiB. The last segment may be shorter, and is empty only
when the whole plaintext is. The last-segment flag in the nonce is what makes truncation at a
segment boundary detectable; the index is what makes reordering and dropping detectable.

We implement the bytes with ``cryptography``'s AESGCM (OpenSSL) for speed; ``tink`` itself is
the test oracle that decrypts our output.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.errors import IntegrityError

#: Tink's ciphertext segment size for ``AES256_GCM_HKDF_1MB``.
SEGMENT_SIZE = 1 << 20
TAG_SIZE = 16
SALT_SIZE = 32
NONCE_PREFIX_SIZE = 7
_MAX_SEGMENTS = 1 << 32
#: How far from the expected position a misplaced segment is looked for, when explaining.
_SEARCH_WINDOW = 4


def new_data_key() -> bytes:
    """A fresh random 256-bit data key (one per backup)."""
    return os.urandom(32)


class SegmentCipher:
    """Seal or open the segments of one object, in order, keeping the segment counter."""

    TINK_HEADER_SIZE = 1 + SALT_SIZE + NONCE_PREFIX_SIZE

    def __init__(
        self,
        dek: bytes,
        associated_data: bytes,
        *,
        salt: bytes,
        nonce_prefix: bytes,
        segment_size: int,
    ) -> None:
        if segment_size < self.TINK_HEADER_SIZE + TAG_SIZE + 2:
            raise ValueError(f"segment size {segment_size} is too small")
        key = HKDF(algorithm=SHA256(), length=32, salt=salt, info=associated_data).derive(dek)
        self._aead = AESGCM(key)
        self._nonce_prefix = nonce_prefix
        self.segment_size = segment_size
        self.tink_header = bytes([self.TINK_HEADER_SIZE]) + salt + nonce_prefix
        self.index = 0

    @classmethod
    def for_encryption(
        cls,
        dek: bytes,
        associated_data: bytes,
        *,
        segment_size: int,
        salt: bytes | None = None,
        nonce_prefix: bytes | None = None,
    ) -> SegmentCipher:
        """A sealer with a fresh random salt and nonce prefix (fixed ones only for test vectors)."""
        salt = os.urandom(SALT_SIZE) if salt is None else salt
        nonce_prefix = os.urandom(NONCE_PREFIX_SIZE) if nonce_prefix is None else nonce_prefix
        if len(salt) != SALT_SIZE or len(nonce_prefix) != NONCE_PREFIX_SIZE:
            raise ValueError("salt must be 32 bytes and nonce prefix 7 bytes")
        return cls(
            dek, associated_data, salt=salt, nonce_prefix=nonce_prefix, segment_size=segment_size
        )

    @classmethod
    def for_decryption(
        cls, dek: bytes, associated_data: bytes, tink_header: bytes, *, segment_size: int
    ) -> SegmentCipher:
        """An opener for the object whose tink header is ``tink_header``."""
        if len(tink_header) < cls.TINK_HEADER_SIZE:
            raise IntegrityError(
                "the object ends before its final segment: it stops inside the stream header"
            )
        if tink_header[0] != cls.TINK_HEADER_SIZE:
            raise IntegrityError(
                f"stream header length byte is {tink_header[0]}, not {cls.TINK_HEADER_SIZE}: "
                "the object was altered"
            )
        return cls(
            dek,
            associated_data,
            salt=tink_header[1 : 1 + SALT_SIZE],
            nonce_prefix=tink_header[1 + SALT_SIZE :],
            segment_size=segment_size,
        )

    def ciphertext_size(self, index: int) -> int:
        """Ciphertext bytes of a full segment ``index`` (the first is shorter)."""
        return self.segment_size - (self.TINK_HEADER_SIZE if index == 0 else 0)

    def plaintext_size(self, index: int) -> int:
        """Plaintext bytes of a full segment ``index``."""
        return self.ciphertext_size(index) - TAG_SIZE

    def _nonce(self, index: int, *, last: bool) -> bytes:
        if index >= _MAX_SEGMENTS:
            raise IntegrityError("the object has more than 2**32 segments, Tink's limit")
        return self._nonce_prefix + struct.pack(">I?", index, last)

    def seal(self, plaintext: bytes, *, last: bool) -> bytes:
        """Seal the next segment."""
        sealed = self._aead.encrypt(self._nonce(self.index, last=last), plaintext, None)
        self.index += 1
        return sealed

    def try_open(self, segment: bytes, *, index: int, last: bool) -> bytes | None:
        """Open ``segment`` as segment ``index``; ``None`` when it does not authenticate."""
        if len(segment) < TAG_SIZE:
            return None
        try:
            return self._aead.decrypt(self._nonce(index, last=last), segment, None)
        except InvalidTag:
            return None

    def open(self, segment: bytes, *, last: bool) -> bytes | None:
        """Open the next segment in order; ``None`` (counter unchanged) when it fails."""
        plaintext = self.try_open(segment, index=self.index, last=last)
        if plaintext is not None:
            self.index += 1
        return plaintext


def diagnose_segment(  # noqa: PLR0911 - one return per proven cause
    cipher: SegmentCipher, segment: bytes, *, index: int, last: bool
) -> str:
    """Explain why ``segment`` at position ``index`` failed, trying the likely causes.

    Each explanation is proven by a successful decryption under another reading (as the final
    segment, as a non-final one, as another index); only when none works is it "altered".
    """
    if last and len(segment) < TAG_SIZE:
        return (
            f"the object ends before its final segment: segment {index} is only "
            f"{len(segment)} bytes (truncated mid-segment)"
        )
    if last and cipher.try_open(segment, index=index, last=False) is not None:
        return (
            f"the object ends before its final segment: it stops cleanly after segment {index}, "
            "which is not the final one (truncated at a segment boundary)"
        )
    if not last and cipher.try_open(segment, index=index, last=True) is not None:
        return f"bytes were appended after the final segment {index}"
    for other in range(max(0, index - _SEARCH_WINDOW), index + _SEARCH_WINDOW + 1):
        if other == index:
            continue
        for flag in (False, True):
            if cipher.try_open(segment, index=other, last=flag) is not None:
                return (
                    f"segment {other} is at the position of segment {index}: "
                    "segments were reordered or dropped"
                )
    if last:
        return (
            f"the final segment {index} failed authentication: a bit was altered, the object "
            "ends before its final segment (truncated mid-segment), or bytes were appended"
        )
    if index == 0:
        return (
            "segment 0 failed authentication: a bit was altered in the first segment or in "
            "the stream header (salt, nonce prefix)"
        )
    return f"segment {index} failed authentication: a bit was altered"
